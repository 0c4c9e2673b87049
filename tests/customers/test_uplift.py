"""Uplift models on simulated campaigns with a known effect: the ranking comes within 10% of
the oracle's Qini area and beats a response model's; with no effect at all the Qini area is
indistinguishable from a random ranking's; bad campaigns are refused."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from recsys import DataError, NotFittedError
from recsys.customers import UpliftModel, qini_area, qini_curve, simulate_campaign


def _features(data):
    return data.filter(like="feature_")


@pytest.fixture(scope="module")
def campaigns():
    return simulate_campaign(40_000, seed=1), simulate_campaign(40_000, seed=2)


def _share_of_oracle(model, test):
    oracle = qini_area(test["true_uplift"], test["treated"], test["bought"])
    return qini_area(model.predict(_features(test)), test["treated"], test["bought"]) / oracle


def test_the_uplift_ranking_is_near_the_oracle_and_beats_response_targeting(campaigns):
    train, test = campaigns
    model = UpliftModel(learner="transformed").fit(_features(train), train["treated"],
                                                   train["bought"])
    assert _share_of_oracle(model, test) >= 0.9
    treated = train["treated"].to_numpy()
    response = HistGradientBoostingClassifier(random_state=0).fit(
        _features(train)[treated], train["bought"][treated])
    by_response = qini_area(response.predict_proba(_features(test))[:, 1], test["treated"],
                            test["bought"])
    by_uplift = qini_area(model.predict(_features(test)), test["treated"], test["bought"])
    assert by_uplift > 1.5 * by_response  # who buys anyway is not who the mail changes


@pytest.mark.slow
def test_the_learner_chosen_on_validation_is_near_the_oracle(campaigns):
    train, test = campaigns
    model = UpliftModel().fit(_features(train), train["treated"], train["bought"])
    assert set(model.validation_) == {"two_model", "transformed", "x_learner"}
    assert model.learner_ == max(model.validation_, key=model.validation_.get)
    assert _share_of_oracle(model, test) >= 0.9


def test_without_an_effect_the_ranking_is_no_better_than_random():
    train, test = (simulate_campaign(30_000, effect="none", seed=s) for s in (3, 4))
    model = UpliftModel(learner="transformed").fit(_features(train), train["treated"],
                                                   train["bought"])
    area = qini_area(model.predict(_features(test)), test["treated"], test["bought"])
    rng = np.random.default_rng(0)
    random = [qini_area(rng.random(len(test)), test["treated"], test["bought"])
              for _ in range(200)]
    low, high = np.percentile(random, [0.5, 99.5])
    assert low <= area <= high


def test_the_qini_curve_counts_incremental_buyers():
    # two treated buyers ranked first, control buyers last: 2 incremental at half the list
    curve = qini_curve([4, 3, 2, 1], [1, 1, 0, 0], [1, 1, 0, 1], points=3)
    assert curve["incremental"].tolist() == [0.0, 2.0, 1.0]
    assert curve["random"].tolist() == [0.0, 0.5, 1.0]


def test_a_campaign_that_cannot_teach_uplift_is_refused():
    data = simulate_campaign(2_000, seed=5)
    with pytest.raises(DataError, match="treated and control"):
        UpliftModel().fit(_features(data), np.ones(len(data), bool), data["bought"])
    with pytest.raises(DataError, match="0 or 1"):
        UpliftModel().fit(_features(data), data["treated"], data["bought"] * 2)
    with pytest.raises(DataError, match="numeric columns"):
        UpliftModel().fit(data[["treated"]].astype(str), data["treated"], data["bought"])
    with pytest.raises(NotFittedError):
        UpliftModel().predict(_features(data))
