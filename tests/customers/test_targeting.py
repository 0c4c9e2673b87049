"""Uplift targeting end to end: a past send with a planted effect on lapsed customers, the
model learnt from its assignments and the orders that followed, then `recsys picks --target
uplift --budget 20%`: the top 20% by predicted uplift are mailed, the control group is random
inside them, and the readout of the next send recovers the planted uplift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import recsys
from recsys import DataError, InvalidParameterError
from recsys.campaign import make_picks
from recsys.customers.targeting import campaign_outcome, customer_features, learn_uplift, predicted_uplift
from recsys.experiment import analyze, assign, simulate_response

PAST, NOW = pd.Timestamp("2025-11-01"), pd.Timestamp("2026-01-05")


def _planted(orders: pd.DataFrame, as_of) -> pd.Series:
    """The true effect of a mail: large for customers who have not bought for a while."""
    lapsed = customer_features(orders, as_of)["days_since_last"]
    return 0.4 / (1 + np.exp(-(lapsed - lapsed.median()) / 15)) - 0.02


@pytest.fixture(scope="module")
def world():
    shop = recsys.make_shop(n_customers=4000, n_products=150, seed=0)
    before = shop.orders[shop.orders["timestamp"] < PAST]
    groups = assign(before["customer_id"].unique(), salt="past", control=0.5)
    response, _ = simulate_response(groups, start=PAST, base_rate=0.0,
                                    conversion_uplift=_planted(before, PAST), seed=1)
    response["order_id"] += 10**7
    orders = pd.concat([shop.orders, response[shop.orders.columns.intersection(
        response.columns)]], ignore_index=True)
    return shop, orders, groups


def test_the_outcome_and_the_features_are_read_from_the_orders(world):
    _, orders, groups = world
    outcome = campaign_outcome(groups, orders, PAST, 14)
    assert len(outcome) == len(groups)
    window = orders[(orders["timestamp"] >= PAST) & (orders["timestamp"] < PAST
                                                      + pd.Timedelta(days=14))]
    assert set(outcome.index[outcome["bought"] == 1]) == \
        set(window["customer_id"]) & set(groups["customer_id"])
    features = customer_features(orders, PAST)
    last = orders[orders["timestamp"] < PAST].groupby("customer_id")["timestamp"].max()
    days = (PAST - pd.Timedelta(days=1)).normalize() - last.dt.normalize()
    np.testing.assert_array_equal(features["days_since_last"].sort_index().to_numpy(),
                                  days.sort_index().dt.days.to_numpy())


def test_the_learnt_uplift_ranks_the_planted_effect(world):
    _, orders, groups = world
    model = learn_uplift(groups, orders, PAST, 14)
    scores = predicted_uplift(model, orders, PAST, groups["customer_id"])
    truth = _planted(orders[orders["timestamp"] < PAST], PAST).reindex(scores.index)
    assert stats.spearmanr(scores, truth).statistic > 0.5
    top = scores.nlargest(len(scores) // 5).index
    assert truth[top].mean() > 1.5 * truth.mean()


def test_picks_target_uplift_mails_the_top_share_with_a_random_control_inside(world, tmp_path,
                                                                              capsys):
    from recsys.cli.main import main

    _, orders, groups = world
    orders.to_csv(tmp_path / "orders.csv", index=False)
    groups.to_csv(tmp_path / "past.csv", index=False)
    assert main(["picks", "--orders", str(tmp_path / "orders.csv"), "--user-col",
                 "customer_id", "--item-col", "product_id", "--time-col", "timestamp",
                 "--basket-col", "order_id", "--model", "Popularity", "--k", "3",
                 "--target", "uplift", "--budget", "20%", "--past-assignments",
                 str(tmp_path / "past.csv"), "--past-send", str(PAST.date()), "--control",
                 "20%", "--salt", "next", "--as-of", str(NOW.date()), "--out",
                 str(tmp_path / "picks.csv"), "--no-progress"]) == 0
    said = capsys.readouterr().out
    assert "uplift learnt from the send of 2025-11-01" in said and "targeted:" in said
    sent = pd.read_csv(tmp_path / "picks.assignments.csv")
    # the mailed and their control: exactly the top 20% by the predicted uplift
    model = learn_uplift(groups, orders, PAST, 14)
    everyone = np.unique(orders["customer_id"])
    scores = predicted_uplift(model, orders, NOW, everyone)
    budget = round(0.2 * len(everyone))
    expected = scores[scores > 0].sort_index(kind="stable").sort_values(
        ascending=False, kind="stable").index[:budget]
    assert set(sent["customer_id"]) == set(expected)
    # the control group is random inside them: same size share, same uplift and recency
    control = sent["group"].eq("control").to_numpy()
    assert abs(control.mean() - 0.2) < 0.04
    features = customer_features(orders, NOW).reindex(sent["customer_id"])
    for values in (scores.reindex(sent["customer_id"]).to_numpy(),
                   features["days_since_last"].to_numpy()):
        assert stats.ttest_ind(values[control], values[~control], equal_var=False).pvalue > 0.01
    # a send to them with the planted effect: the readout recovers it within its interval
    planted = _planted(orders[orders["timestamp"] < NOW], NOW)
    response, truth = simulate_response(sent, start=NOW, base_rate=0.05,
                                        conversion_uplift=planted, seed=2)
    result = analyze(sent, response, NOW, NOW + pd.Timedelta(days=14))
    row = result.uplift.query("segment == 'all' and metric == 'conversion_rate'").iloc[0]
    assert row["ci_low"] <= truth["conversion_rate"] <= row["ci_high"]
    assert truth["conversion_rate"] > 1.5 * planted.clip(lower=-0.05).mean()


def test_make_picks_spends_the_budget_on_the_largest_positive_scores():
    shop = recsys.make_shop(n_customers=300, n_products=60, seed=0)
    model = recsys.Popularity().fit(shop.interactions)
    ids = shop.customers["customer_id"].to_numpy()
    score = pd.Series(np.linspace(-1, 1, len(ids)), index=ids)
    result = make_picks(model, ids, k=2, target=score, budget=10)
    assert set(result.picks["customer_id"]) == set(ids[-10:])
    assert result.summary["target"] == {"scored": 300, "not_positive": 150, "targeted": 10}
    whole = make_picks(model, ids, k=2, target=score)  # no budget: every positive score
    assert whole.summary["customers"] == 150
    share = make_picks(model, ids, k=2, target=score, budget=1.0)
    assert share.summary["customers"] == 150  # a share of the audience, positives only
    text = pd.Series(score.to_numpy(), index=[str(i) for i in ids])  # ids read as integers
    assert set(make_picks(model, ids, k=2, target=text, budget=10).picks["customer_id"]) == \
        set(ids[-10:])


@pytest.mark.parametrize(("target", "budget", "error", "match"), [
    (None, 10, InvalidParameterError, "budget= goes with target="),
    ("scores", 10, InvalidParameterError, "target must be a Series"),
    (pd.Series([-1.0, 0.0]), None, DataError, "no customer"),
    (pd.Series([1.0, 2.0]), 0, InvalidParameterError, "budget"),
    (pd.Series([1.0, 2.0]), 1.5, InvalidParameterError, "budget"),
    (pd.Series([1.0, 2.0]), "20%", InvalidParameterError, "budget"),
    (pd.Series([1.0, 2.0], index=["x", "y"]), None, DataError, "integers|integer"),
])
def test_make_picks_refuses_a_target_it_cannot_use(target, budget, error, match):
    shop = recsys.make_shop(n_customers=100, n_products=30, seed=0)
    model = recsys.Popularity().fit(shop.interactions)
    ids = shop.customers["customer_id"].to_numpy()
    if isinstance(target, pd.Series) and target.index.dtype.kind in "iu":
        target.index = ids[:2]
    with pytest.raises(error, match=match):
        make_picks(model, ids, k=2, target=target, budget=budget)


def test_a_campaign_that_is_no_experiment_is_refused(world):
    _, orders, groups = world
    overlap = pd.concat([groups, groups.head(5).assign(group="control")])
    overlap = pd.concat([overlap, groups.head(5).assign(group="treatment")])
    with pytest.raises(DataError, match="two groups"):
        campaign_outcome(overlap, orders, PAST)
    with pytest.raises(DataError, match="a 'control' group and a mailed one"):
        campaign_outcome(groups.assign(group="treatment"), orders, PAST)
    text = groups.assign(customer_id=groups["customer_id"].map(lambda i: f"c{i}"))
    with pytest.raises(DataError, match="different types"):
        campaign_outcome(text, orders, PAST)
    with pytest.raises(DataError, match="no order lies before"):
        customer_features(orders, "2020-01-01")


def test_single_orders_one_day_and_odd_amounts_still_give_features():
    """One order per customer, every order on one day, zero and negative amounts (returns):
    features without NaN, a documented answer rather than an error."""
    orders = pd.DataFrame({"customer_id": [1, 2, 3, 3], "product_id": ["a", "b", "a", "a"],
                           "timestamp": ["2026-01-01"] * 4, "amount": [0.0, -5.0, 10.0, 3.0]})
    table = customer_features(orders, "2026-01-10", amount="amount")
    assert not table.isna().any().any()
    assert table.loc[3, "lines"] == 2 and table.loc[3, "products"] == 1
    assert (table["frequency"] == 0).all() and (table["days_since_last"] == 8).all()


def test_the_command_line_asks_for_what_targeting_needs(tmp_path, capsys):
    from recsys.cli.main import main

    base = ["picks", "--model", "Popularity", "--out", str(tmp_path / "p.csv"), "--no-progress"]
    for extra, word in ((["--budget", "10"], "--target"),
                        (["--target", "uplift"], "--past-assignments"),
                        (["--target", "uplift", "--past-assignments", "a.csv", "--past-send",
                          "2025-06-01", "--budget", "lots"], "--budget"),
                        (["--target", "uplift", "--past-assignments", "a.csv", "--past-send",
                          "soon"], "--past-send must be a date")):
        assert main(base + extra) in (1, 2)
        said = capsys.readouterr().err
        assert word in said and "--as-of" not in said


def test_a_simulation_seeded_like_the_model_does_not_line_up_with_its_held_out_draw():
    """UpliftModel("auto") holds out 30% with its own random stream: a campaign simulated with
    the same seed (buyers drawn as random(n) < p) once put every buyer in the held-out part."""
    shop = recsys.make_shop(n_customers=2000, n_products=100, seed=0)
    groups = assign(shop.customers["customer_id"], salt="s", control=0.3)
    response, _ = simulate_response(groups, start="2026-01-10", base_rate=0.1,
                                    conversion_uplift=0.05, seed=0)
    orders = pd.concat([shop.orders, response[["customer_id", "product_id", "timestamp"]]])
    model = learn_uplift(groups, orders, "2026-01-10", random_state=0)
    assert model.learner_ in ("two_model", "transformed", "x_learner")


def test_picks_can_spend_the_budget_on_the_value_at_risk(tmp_path, capsys):
    """--target value-at-risk: a year's CLV times the chance the customer has left; the
    budget's largest go out, and a score file works the same way."""
    from recsys.cli.main import main
    from recsys.customers import value_table

    shop = recsys.make_shop(seed=0)
    common = ["picks", "--model", "Popularity", "--k", "2", "--budget", "25", "--no-progress"]
    assert main([*common, "--target", "value-at-risk", "--out", str(tmp_path / "v.csv")]) == 0
    assert "value at risk: BG/NBD and Gamma-Gamma" in capsys.readouterr().out
    table = value_table(shop.orders, as_of=shop.orders["timestamp"].max().normalize())
    risk = table["clv"] * (1 - table["probability_alive"])
    picked = set(pd.read_csv(tmp_path / "v.csv")["customer_id"])
    assert picked == set(risk[risk > 0].sort_index().sort_values(
        ascending=False, kind="stable").index[:25])
    risk.rename("score").to_csv(tmp_path / "scores.csv")
    assert main([*common, "--target", str(tmp_path / "scores.csv"), "--out",
                 str(tmp_path / "s.csv")]) == 0
    assert set(pd.read_csv(tmp_path / "s.csv")["customer_id"]) == picked


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=60),
       st.one_of(st.integers(1, 80), st.floats(0.01, 1.0)), st.sampled_from(["int", "str"]),
       st.integers(0, 5))
def test_the_budget_goes_to_the_largest_positive_scores(values, budget, kind, missing):
    """Any scores (ties, zeros, negatives, customers without a score), a count or a share:
    the targeted audience is the budget's largest positive scores, ties by id, as pandas
    ranks them."""
    shop = recsys.make_shop(n_customers=100, n_products=20, seed=0)
    model = recsys.Popularity().fit(shop.interactions)
    ids = shop.customers["customer_id"].to_numpy()[:len(values)]
    scored = ids[missing:] if missing < len(ids) else ids[:0]
    score = pd.Series(np.round(values[:len(scored)], 1), index=scored)
    if kind == "str":
        score.index = [str(i) for i in score.index]
    positive = score[score > 0]
    if positive.empty:
        with pytest.raises(DataError, match="no customer|none of the audience"):
            make_picks(model, ids, k=1, target=score, budget=budget)
        return
    count = budget if isinstance(budget, int) else max(1, round(budget * len(ids)))
    ranked = positive.set_axis(positive.index.astype(np.int64)).sort_index()
    expected = ranked.sort_values(ascending=False, kind="stable").index[:count]
    result = make_picks(model, ids, k=1, target=score, budget=budget)
    assert set(result.picks["customer_id"]) == set(expected)
    assert result.summary["target"]["targeted"] == len(expected)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(0, 40), st.sampled_from("abcd")),
                min_size=1, max_size=60), st.integers(5, 45))
def test_customer_features_equal_a_pandas_reading(rows, cut):
    """Any small log (one order, several a day, every order after the cut): the features of
    the orders before the cut, as pandas computes them."""
    orders = pd.DataFrame(rows, columns=["customer_id", "day", "product_id"])
    orders["timestamp"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(orders["day"], unit="D")
    as_of = pd.Timestamp("2026-01-01") + pd.Timedelta(days=cut)
    before = orders[orders["timestamp"] < as_of]
    if before.empty:
        with pytest.raises(DataError, match="no order lies before"):
            customer_features(orders, as_of)
        return
    table = customer_features(orders, as_of)
    days = before.groupby("customer_id")["day"]
    end = cut - 1
    np.testing.assert_array_equal(table["frequency"], days.nunique() - 1)
    np.testing.assert_array_equal(table["recency"], days.max() - days.min())
    np.testing.assert_array_equal(table["T"], end - days.min())
    np.testing.assert_array_equal(table["days_since_last"], end - days.max())
    np.testing.assert_array_equal(table["lines"], before.groupby("customer_id").size())
    np.testing.assert_array_equal(table["products"],
                                  before.groupby("customer_id")["product_id"].nunique())
