"""Each model's default search space (docs/tuning.md lists them)."""

from __future__ import annotations

from recsys.tuning._space import Choice, Distribution, Integer, Uniform

#: the customer x product decay searched on every model that takes one (None: no decay)
HALF_LIVES = Choice([None, 7, 14, 30, 60, 90, 180, 365])

DEFAULT_SPACES: dict[str, dict[str, Distribution]] = {
    "ALS": {"factors": Choice([32, 64, 128]), "regularization": Uniform(1e-3, 10.0, log=True),
            "alpha": Uniform(0.5, 50.0, log=True), "iterations": Choice([10, 15, 25]),
            "weighting": Choice([None, "log", "bm25"]), "half_life_days": HALF_LIVES},
    "BPR": {"factors": Choice([32, 64, 128]), "learning_rate": Uniform(1e-3, 0.1, log=True),
            "regularization": Uniform(1e-4, 0.1, log=True), "iterations": Choice([50, 100, 200])},
    "ItemKNN": {"k": Integer(10, 1000, log=True), "similarity": Choice(["cosine", "bm25", "tfidf"]),
                "weighting": Choice([None, "log", "binary"]), "half_life_days": HALF_LIVES},
    "EASE": {"l2": Uniform(1.0, 10_000.0, log=True), "weighting": Choice(["binary", "log"]),
             "half_life_days": HALF_LIVES},
    "RP3beta": {"alpha": Uniform(0.3, 1.5), "beta": Uniform(0.0, 1.0),
                "k": Integer(20, 1000, log=True), "half_life_days": HALF_LIVES},
    "SequentialRules": {"window": Integer(5, 50, log=True), "gap_decay": Uniform(0.5, 1.0),
                        "backward": Choice([0.0, 0.3, 1.0]),
                        "history_half_life": Choice([None, 1, 2, 4, 8, 16]),
                        "k": Integer(50, 500, log=True)},
    "SLIST": {"alpha": Uniform(0.0, 1.0), "l2": Uniform(10.0, 3_000.0, log=True),
              "window": Integer(2, 30, log=True), "horizon": Integer(1, 10),
              "gap_decay": Uniform(0.5, 1.0),
              "history_half_life": Choice([None, 2, 4, 8, 16])},
    "Popularity": {"window_days": Choice([None, 7, 14, 30, 90, 365]),
                   "half_life_days": Choice([None, 3, 7, 14, 30, 90])},
    "ContentBased": {"half_life_days": Choice([None, 30, 90, 365])},
    "AssociationRules": {"min_confidence": Uniform(1e-3, 0.3, log=True),
                         "metric": Choice(["lift", "confidence"]),
                         "half_life_days": Choice([None, 30, 90, 365])},
    "BuyAgain": {"half_life_days": Choice([None, 30, 90, 180, 365]),
                 "cycle_weight": Uniform(0.0, 1.0), "trend_weight": Uniform(0.0, 3.0),
                 "popularity_prior": Uniform(0.1, 50.0, log=True)},
    "NextBasket": {"n_neighbors": Integer(10, 500, log=True), "alpha": Uniform(0.3, 1.0),
                   "group_size": Integer(2, 14), "trend_weight": Uniform(0.0, 3.0)},
}


def default_space(model) -> dict[str, Distribution]:
    """The model class's ``search_space()`` when it defines one, else the table above
    ({} for a model without one: it is fitted once, as it is)."""
    own = getattr(type(model), "search_space", None)
    if callable(own):
        return own()
    return dict(DEFAULT_SPACES.get(type(model).__name__, {}))
