"""The readout on ids and dates as users hand them over: the same numbers as with clean ids
and ISO dates, or a refusal naming the mismatch; never lines silently dropped."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from recsys import DataError, InvalidParameterError
from recsys.experiment import analyze, assign, simulate_response

START, END = "2026-11-24", "2026-12-08"


@pytest.fixture(scope="module")
def campaign():
    groups = assign(np.arange(1, 3001), salt="w48", control=0.3)
    orders, _ = simulate_response(groups, start=START, conversion_uplift=0.03, seed=2)
    clean = analyze(groups, orders, START, END, by_segment=False)
    return groups, orders, clean


def _ids(values: np.ndarray, kind: str):
    if kind == "int":
        return values
    if kind == "text":
        return pd.Series(values).astype(str).to_numpy(dtype=object)
    if kind == "padded":
        return pd.Series(values).map(lambda v: f"{v:06d}").to_numpy(dtype=object)
    return pd.array(pd.Series(values).astype(str), dtype=pd.ArrowDtype(pa.string()))


KINDS = ["int", "text", "padded", "arrow"]


@pytest.mark.parametrize("orders_kind", KINDS)
@pytest.mark.parametrize("assigned_kind", KINDS)
def test_ids_of_every_kind_on_both_sides(campaign, assigned_kind, orders_kind):
    groups, orders, clean = campaign
    groups = groups.assign(customer_id=_ids(groups["customer_id"].to_numpy(), assigned_kind))
    orders = orders.assign(customer_id=_ids(orders["customer_id"].to_numpy(), orders_kind))
    padded = {assigned_kind, orders_kind} & {"padded"}
    if padded and assigned_kind != orders_kind:  # "000017" against 17 or "17": no one rule
        with pytest.raises(DataError, match="plain integer|belong to a customer"):
            analyze(groups, orders, START, END, by_segment=False)
        return
    result = analyze(groups, orders, START, END, by_segment=False)
    pd.testing.assert_frame_equal(result.arms, clean.arms)


@pytest.mark.parametrize(("start", "end", "date_format"), [
    ("2026-11-24", "2026-12-08", None),
    ("2026-11-24 00:00", "2026-12-08 00:00:00", None),
    (pd.Timestamp("2026-11-24"), pd.Timestamp("2026-12-08"), None),
    (dt.datetime(2026, 11, 24), dt.datetime(2026, 12, 8), None),
    (np.datetime64("2026-11-24"), np.datetime64("2026-12-08"), None),
    ("24/11/2026", "08/12/2026", None),          # day-first: 24 tells, for both bounds
    ("24.11.2026", "08.12.2026", "%d.%m.%Y"),
    (20261124, 20261208, "%Y%m%d"),
])
def test_window_bounds_in_every_accepted_form(campaign, start, end, date_format):
    groups, orders, clean = campaign
    result = analyze(groups, orders, start, end, by_segment=False, date_format=date_format)
    pd.testing.assert_frame_equal(result.arms, clean.arms)


@pytest.mark.parametrize(("start", "end", "word"), [
    ("01/12/2026", "02/12/2026", "ambiguous"),          # either day-first or month-first
    (20261124, 20261208, "numbers"),                    # no date without a format
    ("2025-11-24", "2025-12-08", "no order line"),       # the wrong year: an empty window
])
def test_window_bounds_that_cannot_be_read_for_sure_are_refused(campaign, start, end, word):
    groups, orders, _ = campaign
    with pytest.raises(DataError, match=word):
        analyze(groups, orders, start, end, by_segment=False)


def test_an_arm_lost_from_the_file_is_named(campaign):
    _, orders, _ = campaign
    groups = assign(np.arange(1, 3001), salt="w48", arms={"a": 0.35, "b": 0.35, "control": 0.3})
    with pytest.raises(DataError, match="add up to 0.65"):
        analyze(groups[groups["group"] != "b"], orders, START, END)


def test_a_window_before_the_send_is_refused(campaign):
    groups, orders, _ = campaign
    sent = groups.assign(sent_at="2026-11-25T00:00:00")
    with pytest.raises(DataError, match="before the send"):
        analyze(sent, orders, START, END)


def test_alpha_and_an_empty_control_are_refused(campaign):
    groups, orders, _ = campaign
    with pytest.raises(InvalidParameterError, match="alpha"):
        analyze(groups, orders, START, END, alpha=1)
    with pytest.raises(DataError, match="got no customer"):
        assign(np.arange(1000), salt="w48", control=1e-9)


def test_simulate_response_names_a_bad_start(campaign):
    groups, _, _ = campaign
    with pytest.raises(DataError, match="simulate_response: start"):
        simulate_response(groups, start="nope")


def test_picks_with_a_control_group_record_the_send_and_check_their_files(tmp_path, capsys):
    from recsys.cli.main import main

    out = tmp_path / "picks.csv"
    base = ["picks", "--model", "Popularity", "-k", "2", "--out", str(out), "--salt", "w48"]
    assert main([*base, "--arms", "Popularity=45%,Popularity=45%,control=10%"]) == 1
    assert "twice" in capsys.readouterr().err
    assert main([*base, "--control", "10%", "--assignments",
                 str(tmp_path / "missing" / "a.csv")]) == 1
    assert "--assignments" in capsys.readouterr().err and not out.exists()
    assert main([*base, "--control", "10%", "--as-of", "2026-01-01"]) == 0
    table = pd.read_csv(tmp_path / "picks.assignments.csv")
    assert (table["sent_at"] == "2026-01-01T00:00:00").all()


def test_measure_reads_day_first_bounds_with_a_date_format(campaign, tmp_path, capsys):
    from recsys.cli.main import main

    groups, orders, _ = campaign
    groups.to_csv(tmp_path / "a.csv", index=False)
    orders.to_csv(tmp_path / "o.csv", index=False)
    line = ["measure", "--assignments", str(tmp_path / "a.csv"), "--orders",
            str(tmp_path / "o.csv"), "--no-segments", "--out", str(tmp_path / "u.csv")]
    assert main([*line, "--from", "01/12/2026", "--to", "02/12/2026"]) == 1
    assert "--date-format" in capsys.readouterr().err
    assert main([*line, "--from", "24/11/2026", "--to", "08/12/2026", "--date-format",
                 "%d/%m/%Y"]) == 0
