"""recsys picks --control/--arms and recsys measure: files, readout, report, and bad options
answered with a message (exit 1), never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import recsys
from recsys.cli.main import main
from recsys.experiment import simulate_response


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """A picks run with a 20% control group on the synthetic shop, and simulated orders after."""
    folder = tmp_path_factory.mktemp("campaign")
    out = folder / "picks.csv"
    assert main(["picks", "--control", "20%", "--salt", "2026-w48", "-k", "3", "--out", str(out),
                 "--no-progress", "--seed", "1"]) == 0
    assignments = pd.read_csv(folder / "picks.assignments.csv")
    shop = recsys.make_shop(seed=1)
    orders, truth = simulate_response(assignments, start="2026-01-02", conversion_uplift=0.05,
                                      products=shop.products["product_id"], seed=4)
    orders.to_csv(folder / "after.csv", index=False)
    return folder, truth


def test_picks_writes_assignments_and_a_planning_line(campaign, capsys):
    folder, _ = campaign
    table = pd.read_csv(folder / "picks.assignments.csv")
    assert list(table.columns[:3]) == ["customer_id", "group", "share"]
    assert {"segment", "picks"} <= set(table.columns)
    picks = pd.read_csv(folder / "picks.csv")
    control = set(table.loc[table["group"] == "control", "customer_id"])
    assert control and not control & set(picks["customer_id"])
    assert 0.15 < len(control) / len(table) < 0.25


def test_measure_prints_the_readout_and_writes_files(campaign, capsys):
    folder, truth = campaign
    report, out = folder / "readout.html", folder / "uplift.csv"
    assert main(["measure", "--assignments", str(folder / "picks.assignments.csv"),
                 "--orders", str(folder / "after.csv"), "--from", "2026-01-02",
                 "--to", "2026-01-16", "--report", str(report), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "treatment against control" in text and "conversion_rate" in text
    table = pd.read_csv(out)
    overall = table[(table["segment"] == "all") & (table["metric"] == "conversion_rate")].iloc[0]
    assert overall["ci_low"] < truth["conversion_rate"] < overall["ci_high"]
    page = report.read_text()
    assert page.count("<img") == 3 and "Each arm against control" in page


def test_picks_with_arms_labels_groups(tmp_path, capsys):
    out = tmp_path / "arms.csv"
    assert main(["picks", "--arms", "ItemKNN(k=20)=45%,Popularity=45%,control=10%",
                 "--salt", "s1", "-k", "2", "--out", str(out), "--no-progress",
                 "--assignments", str(tmp_path / "groups.csv")]) == 0
    assert set(pd.read_csv(out)["group"]) == {"ItemKNN(k=20)", "Popularity"}
    assert set(pd.read_csv(tmp_path / "groups.csv")["group"]) == {
        "ItemKNN(k=20)", "Popularity", "control"}


@pytest.mark.parametrize("argv, word", [
    (["picks", "--control", "10%", "--out", "x.csv"], "--salt"),
    (["picks", "--control", "ten", "--salt", "s", "--out", "x.csv"], "--control takes a share"),
    (["picks", "--control", "150%", "--salt", "s", "--out", "x.csv"], "between 0 and 100%"),
    (["picks", "--salt", "s", "--out", "x.csv"], "--salt goes with"),
    (["picks", "--control", "10%", "--arms", "Popularity=1", "--salt", "s", "--out", "x.csv"],
     "not both"),
    (["picks", "--arms", "Popularity", "--salt", "s", "--out", "x.csv"], "MODEL=SHARE"),
    (["picks", "--arms", "Popularity=50%,ItemKNN=50%", "--salt", "s", "--out", "x.csv"],
     "'control' arm"),
    (["measure", "--assignments", "missing.csv", "--orders", "missing.csv", "--from", "2026-01-01",
      "--to", "2026-01-08"], "no file"),
])
def test_bad_options_exit_1_with_a_message(tmp_path, capsys, monkeypatch, argv, word):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert word in err and "Traceback" not in err


def test_measure_names_the_options_it_needs(campaign, capsys):
    folder, _ = campaign
    base = ["measure", "--assignments", str(folder / "picks.assignments.csv"),
            "--orders", str(folder / "after.csv")]
    assert main(base + ["--from", "someday", "--to", "2026-01-16"]) == 1
    assert "--from" in capsys.readouterr().err
    assert main(base + ["--from", "2026-01-02", "--to", "2026-01-16", "--user-col", "who"]) == 1
    assert "--user-col" in capsys.readouterr().err
    assert main(base + ["--from", "2026-01-02", "--to", "2026-01-16", "--control", "holdout"]) == 1
    assert "--control" in capsys.readouterr().err


def test_measure_as_a_process_prints_no_traceback(campaign):
    folder, _ = campaign
    done = subprocess.run(
        [sys.executable, "-m", "recsys", "measure", "--assignments",
         str(folder / "picks.assignments.csv"), "--orders", str(folder / "after.csv"),
         "--from", "2026-01-16", "--to", "2026-01-02"], capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr and "after" in done.stderr


def test_measure_reads_other_column_names_and_every_option(campaign, capsys):
    folder = campaign[0]
    orders = pd.read_csv(folder / "after.csv")
    renamed = orders.assign(amount=orders["price"] * orders["quantity"]).rename(columns={
        "customer_id": "Member", "order_id": "Invoice", "timestamp": "Day",
        "product_id": "Item"}).drop(columns=["price", "quantity"])
    path = folder / "renamed.csv"
    renamed.to_csv(path, index=False)
    out = folder / "renamed-uplift.json"
    assert main(["measure", "--assignments", str(folder / "picks.assignments.csv"),
                 "--orders", str(path), "--from", "2026-01-02", "--to", "2026-01-16",
                 "--user-col", "Member", "--basket-col", "Invoice", "--time-col", "Day",
                 "--item-col", "Item", "--amount-col", "amount", "--alpha", "0.1",
                 "--revenue-cap", "0.99", "--no-segments", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "90% intervals" in text and "capped" in text
    table = pd.read_json(out)
    assert set(table["segment"]) == {"all"}
    assert "picked_product_rate" in set(table["metric"])  # --item-col was used
    plain_out = folder / "plain-uplift.json"  # the same orders under the default names
    assert main(["measure", "--assignments", str(folder / "picks.assignments.csv"),
                 "--orders", str(folder / "after.csv"), "--from", "2026-01-02",
                 "--to", "2026-01-16", "--no-segments", "--out", str(plain_out)]) == 0
    plain = pd.read_json(plain_out).set_index("metric")["value"]
    renamed_values = table.set_index("metric")["value"]
    for metric in ("conversion_rate", "orders_per_customer", "picked_product_rate"):
        assert renamed_values[metric] == pytest.approx(plain[metric])
