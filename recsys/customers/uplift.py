"""Who a mail changes: uplift models fitted on a past randomised campaign (its treated and
control customers, and whether each bought afterwards), and the Qini curve that judges them.

A response model ranks customers by how likely they are to buy after a mail; many of them buy
anyway. An uplift model ranks them by how much the mail *changes* that likelihood:

- ``"two_model"``: one classifier on the treated, one on the control; uplift = the
  difference of their probabilities (the T-learner);
- ``"transformed"``: one regressor on the transformed outcome ``y (t / p - (1 - t) / (1 - p))``,
  whose expectation is the uplift when treatment was random with probability ``p``;
- ``"x_learner"``: the two arms' models impute each customer's effect (what they did minus
  what the other arm's model expects), a regressor per arm learns those, and the two are
  averaged (Künzel et al. 2019);
- ``"auto"`` (default): all three fitted on 70% of the campaign, the one with the largest Qini
  area on the other 30% kept and refitted on all of it.

All learn with scikit-learn's histogram gradient boosting, shallow and strongly regularised
(depth 3, leaves of at least 1% of the customers): an effect is a small difference of two
noisy probabilities, and deep trees learn the noise. :func:`simulate_campaign` generates a
campaign with a known, heterogeneous effect (or none), for tests and for trying the method
before a real campaign exists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys._engine.params import check_choice, check_float, check_int
from recsys.exceptions import DataError, NotFittedError

__all__ = ["UpliftModel", "qini_curve", "qini_area", "simulate_campaign", "LEARNERS"]

#: the learners :class:`UpliftModel` knows
LEARNERS = ("auto", "two_model", "transformed", "x_learner")


def qini_curve(uplift: np.ndarray, treated: np.ndarray, outcome: np.ndarray,
               points: int = 101) -> pd.DataFrame:
    """The Qini curve of a ranking: for the top share of customers by ``uplift``, the
    responders among the treated minus the control's responders scaled to the treated count
    (the incremental buyers a campaign to that share would have made).

    Parameters
    ----------
    uplift : array of float
        The score customers are ranked by (largest first).
    treated : array of bool
        Whether each customer was mailed.
    outcome : array of 0/1
        Whether each customer bought afterwards.
    points : int, default 101
        How many shares from 0 to 1.

    Returns
    -------
    pandas.DataFrame
        ``share`` (of customers targeted), ``incremental`` (buyers), and ``random`` (the
        straight line of a random ranking).

    Examples
    --------
    >>> curve = qini_curve([0.9, 0.1, 0.5, 0.2], [1, 1, 0, 0], [1, 0, 0, 1], points=3)
    >>> curve["share"].tolist()
    [0.0, 0.5, 1.0]
    """
    score, treated, outcome = _checked(uplift, treated, outcome)
    order = np.argsort(-score, kind="stable")
    t, y = treated[order], outcome[order]
    n_t, n_c = np.cumsum(t), np.cumsum(~t)
    r_t, r_c = np.cumsum(y * t), np.cumsum(y * ~t)
    gain = r_t - np.divide(r_c * n_t, n_c, out=np.zeros(len(y)), where=n_c > 0)
    gain = np.r_[0.0, gain]
    share = np.linspace(0, 1, check_int("qini_curve", "points", points, minimum=2))
    at = np.round(share * len(y)).astype(np.int64)
    return pd.DataFrame({"share": share, "incremental": gain[at],
                         "random": share * gain[-1]})


def qini_area(uplift: np.ndarray, treated: np.ndarray, outcome: np.ndarray) -> float:
    """The area between a ranking's Qini curve and the random line, per customer (0: no
    better than random; larger is better).

    Parameters
    ----------
    uplift, treated, outcome : arrays
        As in :func:`qini_curve`.

    Returns
    -------
    float

    Examples
    --------
    >>> data = simulate_campaign(4000, seed=0)
    >>> qini_area(data["true_uplift"], data["treated"], data["bought"]) > 0
    True
    """
    curve = qini_curve(uplift, treated, outcome, points=201)
    gap = (curve["incremental"] - curve["random"]).to_numpy()
    step = np.diff(curve["share"].to_numpy())
    return float(np.sum((gap[1:] + gap[:-1]) / 2 * step) / len(np.asarray(treated)))


class UpliftModel:
    """Predicts how much a mail changes each customer's chance of buying.

    Parameters
    ----------
    learner : {"auto", "two_model", "transformed", "x_learner"}, default "auto"
        See the module: ``"auto"`` keeps the one with the larger Qini area on a held-out 30%.
    max_iter : int, default 200
        Boosting rounds of each gradient-boosting learner.
    random_state : int, default 0

    Attributes
    ----------
    learner_ : str
        The learner used (for ``"auto"``: the one chosen).
    validation_ : dict
        With ``"auto"``: each learner's Qini area on the held-out 30%.

    Examples
    --------
    >>> data = simulate_campaign(6000, seed=1)
    >>> features = data.filter(like="feature_")
    >>> model = UpliftModel(learner="two_model").fit(features, data["treated"], data["bought"])
    >>> model.predict(features).shape
    (6000,)
    """

    def __init__(self, learner: str = "auto", *, max_iter: int = 200,
                 random_state: int = 0) -> None:
        self.learner = learner
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, features: pd.DataFrame, treated, outcome) -> UpliftModel:
        """Learn from a randomised campaign: ``features`` per customer, whether each was
        mailed (``treated``) and bought afterwards (``outcome``)."""
        check_choice("UpliftModel", "learner", self.learner, LEARNERS)
        check_int("UpliftModel", "max_iter", self.max_iter, minimum=1)
        x = _features(features)
        _, t, y = _checked(np.zeros(len(x)), treated, outcome)
        if t.all() or not t.any():
            raise DataError("UpliftModel: the campaign needs treated and control customers "
                            "(a random control group); got only one of them.")
        self.share_ = float(t.mean())
        self.validation_: dict[str, float] = {}
        learner = self.learner
        if learner == "auto":
            learner = self._choose(x, t, y)
        self.learner_ = learner
        self.models_ = _fit_learner(learner, x, t, y, self.share_, self.max_iter,
                                    self.random_state)
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """The predicted uplift of each customer (a difference of probabilities)."""
        if not hasattr(self, "models_"):
            raise NotFittedError("UpliftModel: call fit first (on a past campaign).")
        return _predict(self.learner_, self.models_, _features(features))

    def _choose(self, x: np.ndarray, t: np.ndarray, y: np.ndarray) -> str:
        # a stream of its own: a simulation seeded alike (random(n) < p) must not line up
        # with the held-out draw (it did: every buyer of a seed-0 simulation fell in it)
        rng = np.random.default_rng([self.random_state, 30])
        held = rng.random(len(y)) < 0.3
        for learner in LEARNERS[1:]:
            models = _fit_learner(learner, x[~held], t[~held], y[~held], self.share_,
                                  self.max_iter, self.random_state)
            self.validation_[learner] = qini_area(_predict(learner, models, x[held]),
                                                  t[held], y[held])
        return max(self.validation_, key=self.validation_.__getitem__)


def _fit_learner(learner: str, x: np.ndarray, t: np.ndarray, y: np.ndarray, share: float,
                 max_iter: int, seed: int) -> list:
    # scikit-learn's ensembles cost 0.5 s to import: only when an uplift model is fitted
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    shape = {"max_iter": max_iter, "learning_rate": 0.03, "max_depth": 3,
             "min_samples_leaf": max(20, len(y) // 100), "random_state": seed}
    if learner == "transformed":
        transformed = y * (t / share - (~t) / (1 - share))
        return [HistGradientBoostingRegressor(**shape).fit(x, transformed)]
    arms = []
    for arm in (True, False):
        rows = t == arm
        if len(np.unique(y[rows])) < 2:
            raise DataError(f"UpliftModel: in the {'treated' if arm else 'control'} "
                            f"group everyone {'bought' if y[rows].all() else 'did not buy'}: "
                            f"a response cannot be learnt. Use a longer window or a "
                            f"larger campaign.")
        arms.append(HistGradientBoostingClassifier(**shape).fit(x[rows], y[rows]))
    if learner == "two_model":
        return arms
    treated_effect = y[t] - arms[1].predict_proba(x[t])[:, 1]
    control_effect = arms[0].predict_proba(x[~t])[:, 1] - y[~t]
    return [HistGradientBoostingRegressor(**shape).fit(x[t], treated_effect),
            HistGradientBoostingRegressor(**shape).fit(x[~t], control_effect)]


def _predict(learner: str, models: list, x: np.ndarray) -> np.ndarray:
    if learner == "two_model":
        return models[0].predict_proba(x)[:, 1] - models[1].predict_proba(x)[:, 1]
    if learner == "x_learner":
        return (models[0].predict(x) + models[1].predict(x)) / 2
    return models[0].predict(x)


def _features(features) -> np.ndarray:
    frame = pd.DataFrame(features)
    numeric = frame.select_dtypes(include=["number", "bool"])
    if numeric.shape[1] == 0:
        raise DataError(f"UpliftModel: the features need numeric columns; got "
                        f"{list(frame.columns)[:10]}. Encode categories as numbers first.")
    return numeric.to_numpy(np.float64)


def _checked(score, treated, outcome) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    score = np.asarray(score, np.float64)
    treated = np.asarray(treated).astype(bool)
    outcome = np.asarray(outcome, np.float64)
    if not (len(score) == len(treated) == len(outcome)) or not len(score):
        raise DataError(f"uplift: scores, treated and outcome must be as long as each other "
                        f"and not empty; got {len(score)}, {len(treated)}, {len(outcome)}.")
    if not np.isin(outcome, (0.0, 1.0)).all():
        raise DataError("uplift: the outcome is 0 or 1 (bought after the mail or not).")
    return score, treated, outcome.astype(np.int8)


def simulate_campaign(n_customers: int = 20_000, *, effect: str = "heterogeneous",
                      treated_share: float = 0.5, seed: int = 0) -> pd.DataFrame:
    """A randomised campaign with a known effect: five customer features, half of the
    customers mailed at random, and whether each bought.

    The chance to buy without a mail rises with ``feature_0`` and ``feature_1`` (loyal
    customers buy anyway); the mail's effect, with ``effect="heterogeneous"``, is large for
    customers high on ``feature_2`` and low on ``feature_3`` and negative for a few (a mail
    that annoys), so a response model and an uplift model rank differently; ``"none"``: the
    mail changes nothing.

    Parameters
    ----------
    n_customers : int, default 20000
    effect : {"heterogeneous", "none"}, default "heterogeneous"
    treated_share : float, default 0.5
    seed : int, default 0

    Returns
    -------
    pandas.DataFrame
        ``feature_0`` .. ``feature_4``, ``treated``, ``bought``, ``true_uplift`` (each
        customer's own difference of probabilities).

    Examples
    --------
    >>> data = simulate_campaign(1000, seed=0)
    >>> list(data.columns)[-3:]
    ['treated', 'bought', 'true_uplift']
    """
    n = check_int("simulate_campaign", "n_customers", n_customers, minimum=10)
    check_choice("simulate_campaign", "effect", effect, ("heterogeneous", "none"))
    share = check_float("simulate_campaign", "treated_share", treated_share, minimum=0,
                        maximum=1, exclusive_min=True)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    base = 1 / (1 + np.exp(-(-2.2 + 0.9 * x[:, 0] + 0.6 * x[:, 1])))
    lift = 0.0 if effect == "none" else \
        0.16 / (1 + np.exp(-(2.0 * x[:, 2] - 1.5 * x[:, 3] - 1.0))) - 0.02
    treated = rng.random(n) < share
    mailed = np.clip(base + lift, 0, 1)
    bought = rng.random(n) < np.where(treated, mailed, base)
    frame = pd.DataFrame(x, columns=[f"feature_{i}" for i in range(5)])
    return frame.assign(treated=treated, bought=bought.astype(np.int8),
                        true_uplift=mailed - base)
