"""recsys.tune: seeded, reads only train, refits the best, searches any space (Hybrid too)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys.evaluation.split import temporal_split
from recsys.tuning import Choice, Integer, Uniform, tune


@pytest.fixture(scope="module")
def split():
    shop = recsys.make_shop(n_customers=500, n_products=60, seed=9)
    return temporal_split(shop.interactions, last_days=30)


def test_the_same_call_gives_the_same_trials(split):
    train, _ = split
    first = tune(recsys.EASE(), train, budget=5, engine="random", random_state=3)
    again = tune(recsys.EASE(), train, budget=5, engine="random", random_state=3)
    pd.testing.assert_frame_equal(first.results.drop(columns="fit_seconds"),
                                  again.results.drop(columns="fit_seconds"))
    assert first.results["params"].iloc[-1] != {} or len(first.results) == 5
    assert first.results["params"].tolist().count({}) == 1  # the model as given is tried


def test_only_the_training_rows_are_read(split):
    """The split shares its id maps with the test; rebuilt from train's rows alone (no test
    customer or product in its maps), the search finds the same scores."""
    train, test = split
    alone = recsys.Interactions.from_frame(train.to_frame(), user="user_id", item="item_id",
                                           weight="weight", timestamp="timestamp",
                                           basket="basket_id")
    shared = tune(recsys.ItemKNN(), train, budget=4, engine="random")
    rebuilt = tune(recsys.ItemKNN(), alone, budget=4, engine="random")
    assert shared.results["score"].tolist() == pytest.approx(rebuilt.results["score"].tolist())
    assert shared.results["params"].tolist() == rebuilt.results["params"].tolist()
    assert test.timestamps.min() > train.timestamps.max()


def test_the_best_is_refitted_on_all_of_train(split):
    train, _ = split
    found = tune(recsys.ItemKNN(), train, budget=4, engine="random")
    # the returned trial: the best one, or the model as given when the best's gain is noise
    chosen = found.results[found.results["params"].map(lambda p: p == found.best_params)]
    assert found.best_score == chosen["score"].max()
    assert found.best_score == found.results["score"].max() or found.best_params == {}
    for name, value in found.best_params.items():
        assert found.model.get_params()[name] == value
    known = np.unique(train.user_index)
    assert len(found.model.users_) >= len(known)
    assert found.model.recommend(train.users.ids[known[:3]], k=3).item_ids(0)


def test_a_hybrid_space_and_a_list_of_models(split):
    train, _ = split
    hybrid = recsys.Hybrid(components=[("knn", recsys.ItemKNN()), ("pop", recsys.Popularity())],
                           mode="blend")
    space = {"knn__k": Integer(5, 50), "weights": Choice([[1.0, 0.1], [1.0, 1.0]])}
    found = tune([(hybrid, space), recsys.EASE()], train, budget=3, engine="random")
    assert set(found.results["model"]) == {"Hybrid", "EASE"} and len(found.results) == 6
    assert found.model.is_fitted


def test_a_refused_point_is_recorded_not_raised(split):
    train, _ = split
    found = tune((recsys.EASE(), {"l2": Choice([-5.0])}), train, budget=3, engine="random")
    refused = found.results[found.results["score"].isna()]
    assert len(refused) == 2 and refused["error"].str.contains("l2").all()
    assert math.isfinite(found.best_score) and found.best_params == {}


def test_bad_requests_name_the_fix(split, monkeypatch):
    train, _ = split
    with pytest.raises(recsys.InvalidParameterError, match="ndcg@10"):
        tune(recsys.EASE(), train, metric="ndcg")
    with pytest.raises(recsys.InvalidParameterError, match="needs a distribution"):
        tune((recsys.EASE(), {"l2": 200}), train)
    with pytest.raises(recsys.InvalidParameterError, match="low < high"):
        Uniform(5, 1)
    import recsys.tuning as tuning

    monkeypatch.setattr(tuning, "_has_optuna", lambda: False)
    with pytest.raises(recsys.InvalidParameterError, match=r"\.\[tune\]"):
        tune(recsys.EASE(), train, engine="optuna")


def test_optuna_search_is_seeded(split):
    pytest.importorskip("optuna")
    train, _ = split
    first = tune(recsys.EASE(), train, budget=6, engine="optuna", random_state=1)
    again = tune(recsys.EASE(), train, budget=6, engine="optuna", random_state=1)
    assert first.results["params"].tolist() == again.results["params"].tolist()
    assert len(first.results) == 6


# ---------------------------------------------------------------------- bad calls (round 3)
BAD_TUNE_CALLS = [
    ("time_limit as text", dict(time_limit="10"), "time_limit"),
    ("a negative time_limit", dict(time_limit=-1), "time_limit"),
    ("random_state -1", dict(random_state=-1), "random_state"),
    ("random_state 1.5", dict(random_state=1.5), "random_state"),
    ("a metric at a superscript k", dict(metric="ndcg@\u00b2"), "metric"),
    ("validation of three parts", dict(validation="three"), "validation"),
]


@pytest.mark.parametrize(("case", "kwargs", "word"), BAD_TUNE_CALLS,
                         ids=[c[0] for c in BAD_TUNE_CALLS])
def test_bad_tune_calls_name_the_parameter(case, kwargs, word):
    from recsys.tuning import tune

    shop = recsys.make_shop(n_customers=80, n_products=20, seed=0)
    if kwargs.get("validation") == "three":
        kwargs = {"validation": (shop.interactions,) * 3}
    with pytest.raises(recsys.InvalidParameterError, match=word):
        tune(recsys.Popularity(), shop.interactions, budget=1, **kwargs)


@pytest.mark.parametrize(("make", "word"), [
    (lambda: Uniform(1, float("inf")), "finite"), (lambda: Integer("a", "b"), "whole"),
    (lambda: Choice("log"), "list of options"), (lambda: Uniform(1, 2, log="yes"), "log"),
])
def test_distributions_check_their_arguments(make, word):
    with pytest.raises(recsys.InvalidParameterError, match=word):
        make()


def test_a_space_naming_a_parameter_the_model_lacks_is_refused():
    from recsys.tuning import tune

    shop = recsys.make_shop(n_customers=80, n_products=20, seed=0)
    with pytest.raises(recsys.InvalidParameterError, match="no parameter 'nope'"):
        tune((recsys.EASE(), {"nope": Choice([1, 2])}), shop.interactions, budget=2)
    with pytest.raises(recsys.InvalidParameterError, match="empty"):
        tune([], shop.interactions)


def test_validation_built_by_two_from_frame_calls_pairs_customers_by_id():
    """Two frames with different customers give two id maps: the tuner used to pair customers
    by index position across them (a wrong score, or a crash)."""
    from recsys.evaluation.split import temporal_split
    from recsys.tuning import tune

    shop = recsys.make_shop(n_customers=300, n_products=40, seed=2)
    inner, held = temporal_split(shop.interactions, last_days=30)
    apart = tuple(recsys.Interactions.from_frame(part.to_frame(), timestamp="timestamp",
                                                 basket="basket_id", weight="weight")
                  for part in (inner, held))
    assert apart[0].users != apart[1].users
    shared = tune(recsys.ItemKNN(), shop.interactions, validation=(inner, held), budget=1)
    separate = tune(recsys.ItemKNN(), shop.interactions, validation=apart, budget=1)
    assert separate.best_score == pytest.approx(shared.best_score)


def test_no_trial_is_spent_on_time_decay_without_timestamps():
    shop = recsys.make_shop(n_customers=150, n_products=30, seed=1)
    undated = recsys.Interactions.from_frame(shop.orders, user="customer_id", item="product_id")
    found = tune(recsys.EASE(), undated, budget=6, engine="random")
    tried = found.results["params"].tolist()
    assert not any("half_life_days" in params for params in tried)
    assert found.results["error"].fillna("").eq("").all()



# ---------------------------------------------------------------------- never worse
def test_a_gain_within_the_noise_keeps_the_model_as_given(split):
    train, _ = split
    found = tune(recsys.ItemKNN(), train, budget=4, engine="random")
    best = found.results.iloc[0]
    if found.best_params == {} and best["params"]:
        assert "kept ItemKNN as given" in found.note
        assert found.best_score == found.baselines["as given"]
    assert set(found.baselines) == {"Popularity", "as given"}


def test_a_clear_gain_is_taken():
    """ItemKNN with one neighbour as given (it finds next to nothing): 200 is far better,
    beyond any noise, on both folds."""
    shop = recsys.make_shop(n_customers=800, n_products=60, seed=3)
    found = tune((recsys.ItemKNN(k=1), {"k": Choice([200])}), shop.interactions, budget=2,
                 engine="random")
    assert found.best_params == {"k": 200}, found.note
    assert "beats the model as given" in found.note and "earlier fold" in found.note


def test_the_returned_model_never_scores_below_popularity_on_validation():
    """Groceries where little or nothing personal is to be learnt, and the ordinary shop."""
    for shop in (recsys.make_grocery(seed=1, loyalty=0.0, n_customers=1500),
                 recsys.make_grocery(seed=1, loyalty=0.3, n_customers=1500),
                 recsys.make_shop(n_customers=500, n_products=60, seed=1)):
        found = tune(recsys.ItemKNN(), shop.interactions, budget=2, engine="random")
        if type(found.model).__name__ != "Popularity":
            assert found.best_score > found.baselines["Popularity"], found.note
        else:
            assert "does not beat Popularity" in found.note


def test_popularity_is_returned_when_it_beats_every_trial():
    """A model that learnt nothing against the shop's best sellers: Popularity comes back,
    and the note says why (a next-basket shop once got ItemKNN at a third of Popularity)."""
    shop = recsys.make_shop(n_customers=800, n_products=60, seed=3)
    found = tune((recsys.ItemKNN(k=1), {"k": Choice([1])}), shop.interactions, budget=1,
                 engine="random")
    assert found.baselines["Popularity"] > found.baselines["as given"] + 0.05
    assert type(found.model).__name__ == "Popularity"
    assert "Popularity is returned" in found.note
