"""analyze(): hand-computed KPIs and tests, the window, id types, the sample-ratio check, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from recsys.exceptions import DataError, InvalidParameterError, SampleRatioMismatchWarning
from recsys.experiment import analyze, assign, simulate_response

START, END = "2026-11-24", "2026-12-08"


@pytest.fixture()
def golden():
    """Four control and four treated customers; every number below is worked by hand."""
    assignments = pd.DataFrame({
        "customer_id": ["c1", "c2", "c3", "c4", "t1", "t2", "t3", "t4"],
        "group": ["control"] * 4 + ["treatment"] * 4,
        "share": [0.5] * 8,
        "segment": ["a", "b", "a", "b", "a", "b", "a", "b"],
        "picks": ["A", "", "Z", "", "Q", "A|B", "", "C"]})
    t = pd.Timestamp
    orders = pd.DataFrame([
        # order, customer, product, quantity, price, time
        (1, "c1", "X", 1, 10.0, t("2026-11-24 00:00")),   # at the start: counted
        (1, "c1", "Y", 2, 10.0, t("2026-11-24 00:00")),
        (2, "c3", "Z", 1, 5.0, t("2026-11-25")),
        (3, "c3", "X", 3, 5.0, t("2026-11-30")),
        (4, "t1", "X", 1, 40.0, t("2026-11-26")),
        (5, "t2", "B", 1, 10.0, t("2026-11-27")),
        (6, "t4", "X", 1, 30.0, t("2026-11-28")),
        (7, "t4", "C", 1, 50.0, t("2026-12-07 23:59")),
        (8, "c2", "X", 1, 99.0, t("2026-12-08 00:00")),   # at the end: excluded
        (9, "t3", "X", 1, 99.0, t("2026-11-23 23:59")),   # before the start: excluded
        (10, "zz", "X", 1, 99.0, t("2026-11-26")),        # not in the experiment: ignored
    ], columns=["order_id", "customer_id", "product_id", "quantity", "price", "timestamp"])
    return assignments, orders


def row(result, metric, segment="all"):
    table = result.uplift
    return table[(table["metric"] == metric) & (table["segment"] == segment)].iloc[0]


def test_golden_kpis(golden):
    result = analyze(*golden, START, END)
    arms = result.arms
    assert arms.loc["control", "conversion_rate"] == 0.5
    assert arms.loc["treatment", "conversion_rate"] == 0.75
    assert arms.loc["control", "orders_per_customer"] == 0.75
    assert arms.loc["treatment", "orders_per_customer"] == 1.0
    assert arms.loc["control", "revenue_per_customer"] == pytest.approx(50 / 4)
    assert arms.loc["treatment", "revenue_per_customer"] == pytest.approx(130 / 4)
    assert arms.loc["control", "average_order_value"] == pytest.approx(50 / 3)
    assert arms.loc["treatment", "average_order_value"] == pytest.approx(130 / 4)
    assert arms.loc["control", "repeat_rate"] == 0.25
    assert arms.loc["treatment", "repeat_rate"] == 0.25
    assert arms.loc["control", "picked_product_rate"] == 0.25     # c3 bought Z
    assert arms.loc["treatment", "picked_product_rate"] == 0.5    # t2 bought B, t4 bought C
    assert arms["customers"].tolist() == [4, 4]


def test_golden_welch_for_revenue(golden):
    result = analyze(*golden, START, END)
    control, treated = np.array([30.0, 0, 20, 0]), np.array([40.0, 10, 0, 80])
    r = row(result, "revenue_per_customer")
    assert r["uplift"] == pytest.approx(20.0)
    assert r["p_value"] == pytest.approx(stats.ttest_ind(treated, control, equal_var=False).pvalue)
    a, c = treated.var(ddof=1) / 4, control.var(ddof=1) / 4
    df = (a + c) ** 2 / (a ** 2 / 3 + c ** 2 / 3)
    half = stats.t.ppf(0.975, df) * np.sqrt(a + c)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((20 - half, 20 + half))
    assert r["relative_uplift"] == pytest.approx(32.5 / 12.5 - 1)
    assert r["test"] == "Welch t"


def test_golden_two_proportions_for_conversion(golden):
    r = row(analyze(*golden, START, END), "conversion_rate")
    pooled = 5 / 8
    z = 0.25 / np.sqrt(pooled * (1 - pooled) * 0.5)
    assert r["p_value"] == pytest.approx(2 * stats.norm.sf(z))
    half = 1.959963984540054 * np.sqrt(0.75 * 0.25 / 4 + 0.5 * 0.5 / 4)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((0.25 - half, 0.25 + half))
    assert r["test"] == "two-proportion z"


def test_per_segment_rows_and_inputs_untouched(golden):
    assignments, orders = golden
    before = (assignments.copy(deep=True), orders.copy(deep=True))
    result = analyze(assignments, orders, START, END)
    pd.testing.assert_frame_equal(assignments, before[0])
    pd.testing.assert_frame_equal(orders, before[1])
    a = row(result, "conversion_rate", "a")  # control c1 c3 (both buy), treated t1 t3 (t1)
    assert (a["control"], a["value"]) == (1.0, 0.5)
    assert set(result.segments["segment"]) == {"a", "b"}


def test_int_orders_match_text_assignments(golden):
    assignments, orders = golden
    assignments = assignments.assign(customer_id=[str(i) for i in range(8)])
    orders = orders.assign(customer_id=orders["customer_id"].map(
        {k: i for i, k in enumerate(["c1", "c2", "c3", "c4", "t1", "t2", "t3", "t4", "zz"])}))
    result = analyze(assignments, orders, START, END)
    assert result.arms.loc["treatment", "conversion_rate"] == 0.75


def test_without_order_ids_or_prices(golden):
    assignments, orders = golden
    result = analyze(assignments, orders.drop(columns=["order_id", "price"]), START, END)
    assert result.arms.loc["control", "orders_per_customer"] == 0.75  # distinct times
    assert "revenue_per_customer" not in result.arms.columns
    assert any("no order id" in n for n in result.notes)
    assert any("revenue metrics are left out" in n for n in result.notes)


def test_segment_without_control_is_missing_not_significant():
    assignments = pd.DataFrame({"customer_id": range(6), "group": ["control"] * 3 + ["t"] * 3,
                                "segment": ["a", "a", "a", "a", "b", "b"]})
    orders = pd.DataFrame({"customer_id": [0, 4, 5], "timestamp": pd.Timestamp("2026-11-25"),
                           "price": 1.0})
    result = analyze(assignments, orders, START, END)
    b = row(result, "conversion_rate", "b")
    assert np.isnan(b["p_value"]) and not b["significant"]


def test_sample_ratio_mismatch_warns_loudly():
    table = assign(np.arange(20_000), salt="srm", control=0.1)
    orders, _ = simulate_response(table, start=START, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SampleRatioMismatchWarning)
        assert not analyze(table, orders, START, END).srm["mismatch"]
    control = np.flatnonzero(table["group"] == "control")
    broken = table.drop(index=control[: len(control) // 3])  # a third of control lost
    with pytest.warns(SampleRatioMismatchWarning, match="sample ratio mismatch"):
        result = analyze(broken, orders, START, END)
    assert result.srm["mismatch"] and result.srm["p_value"] < 1e-6
    assert "WARNING: sample ratio mismatch" in str(result)


@pytest.mark.parametrize("change, error, word", [
    (lambda a, o: (a.drop(columns="group"), o), DataError, "group"),
    (lambda a, o: (pd.concat([a, a.head(1)]), o), DataError, "more than once"),
    (lambda a, o: (a.assign(group="treatment"), o), DataError, "control"),
    (lambda a, o: (a.assign(group=a["group"].str.replace("treatment", "control")), o),
     DataError, "nothing to compare"),
    (lambda a, o: (a, o.drop(columns="timestamp")), DataError, "timestamp"),
    (lambda a, o: (a, o.assign(customer_id="nobody")), DataError, "none of the"),
    (lambda a, o: (a, o.assign(price="cheap")), DataError, "price"),
    (lambda a, o: (a, o.values), DataError, "DataFrame"),
])
def test_bad_inputs_raise_typed_errors(golden, change, error, word):
    assignments, orders = change(*golden)
    with pytest.raises(error) as caught:
        analyze(assignments, orders, START, END)
    assert word in str(caught.value)


@pytest.mark.parametrize("start, end, error, word", [
    ("someday", END, DataError, "start"),
    (START, START, InvalidParameterError, "empty"),
    (END, START, InvalidParameterError, "after"),
])
def test_bad_windows(golden, start, end, error, word):
    with pytest.raises(error) as caught:
        analyze(*golden, start, end)
    assert word in str(caught.value)


def test_revenue_cap_winsorises_buyers():
    table = assign(np.arange(4000), salt="cap", control=0.5)
    orders, _ = simulate_response(table, start=START, value_sigma=2.0, seed=2)
    plain = analyze(table, orders, START, END, by_segment=False)
    capped = analyze(table, orders, START, END, by_segment=False, revenue_cap=0.95)
    assert capped.arms["revenue_per_customer"].max() < plain.arms["revenue_per_customer"].max()
    assert any("capped" in note for note in capped.notes)
    with pytest.raises(InvalidParameterError):
        analyze(table, orders, START, END, revenue_cap=2.0)


@settings(max_examples=200, deadline=None)
@given(tokens=st.lists(st.one_of(st.integers(0, 10**18 - 1).map(str),
                                 st.text("0123456789", min_size=1, max_size=18),
                                 st.text(min_size=0, max_size=4)), min_size=1, max_size=40))
def test_pick_parser_equals_python(tokens):
    from recsys.experiment._outcomes import _parse_integers

    joined = "|".join(tokens)
    got = _parse_integers(joined)
    pieces = joined.split("|")
    plain = all(p.isascii() and p.isdigit() and 1 <= len(p) <= 18 for p in pieces)
    if plain:
        assert got is not None and got.tolist() == [int(p) for p in pieces]
    else:
        assert got is None
