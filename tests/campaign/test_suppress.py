"""Suppression: a customer who opted out is never picked, in no output, counted but never
named; suppression comes before the control group, which keeps the experiment unbiased."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import recsys
from recsys import DataError
from recsys.campaign import ExcludePurchased, make_picks
from recsys.cli.main import main
from recsys.experiment import assign


@pytest.fixture(scope="module")
def world():
    shop = recsys.make_shop(n_customers=500, n_products=80, seed=4)
    return shop, recsys.ItemKNN(k=30).fit(shop.interactions)


def test_eight_weekly_sends_never_reach_anyone_who_opted_out(world, tmp_path):
    """A campaign series with opt-outs arriving between the sends: each send's picks and
    assignments (a file, as a weekly job writes them) hold no customer opted out so far."""
    shop, model = world
    customers = shop.interactions.users.ids
    rng = np.random.default_rng(0)
    opted_out: set = set()
    for week in range(8):
        opted_out |= set(rng.choice(customers, 25, replace=False).tolist())
        out = tmp_path / f"week{week}.csv"
        result = make_picks(model, customers, k=4, constraints=[ExcludePurchased()], out=out,
                            control=0.1, salt=f"w{week}", suppress=sorted(opted_out))
        picks = pd.read_csv(out)
        mailed = set(picks["customer_id"]) | set(result.assignments["customer_id"])
        assert not mailed & opted_out
        assert result.summary["suppressed"] == len(opted_out)
        assert len(result.assignments) == len(customers) - len(opted_out)


def test_ids_of_another_type_are_matched_or_refused(world):
    shop, model = world
    audience = shop.interactions.users.ids[:30]  # ints
    as_text = [str(i) for i in audience[:5]]
    result = make_picks(model, audience, k=3, suppress=as_text)
    assert result.summary["suppressed"] == 5
    assert not set(result.picks["customer_id"]) & set(audience[:5].tolist())
    with pytest.raises(DataError, match="no plain integer"):  # '0010' may not be customer 10
        make_picks(model, audience, k=3, suppress=["0010", "C17"])
    with pytest.raises(DataError, match="not a whole DataFrame"):
        make_picks(model, audience, k=3, suppress=pd.DataFrame({"customer_id": audience}))
    with pytest.raises(DataError, match="nobody to mail"):
        make_picks(model, audience, k=3, suppress=audience)


def test_a_message_counts_the_suppressed_and_names_none(world):
    shop, model = world
    audience = shop.interactions.users.ids[:60]
    result = make_picks(model, audience, k=3, suppress=audience[:7])
    assert result.summary["suppressed"] == 7
    assert not any(str(i) in repr(result.summary) for i in audience[:7].tolist())


def _false_positives(customers, buys, suppressed, before: bool, draws: int = 300) -> float:
    """Share of A/A draws (no mail has any effect) a t-test calls significant at 5%, with the
    suppressed taken out before assignment, or (the mistake) from the treated arm only."""
    hits = 0
    for draw in range(draws):
        audience = customers[~suppressed] if before else customers
        groups = assign(audience, salt=f"aa{draw}", control=0.5).set_index("customer_id")["group"]
        arm = groups.reindex(customers)
        control = (arm == "control").to_numpy()
        # the opted-out are never mailed: out of both arms, or (the mistake) of the mailed one
        treated = (arm.notna() & (arm != "control")).to_numpy() & ~suppressed
        hits += stats.ttest_ind(buys[treated], buys[control]).pvalue < 0.05
    return hits / draws


def test_suppressing_before_the_control_group_keeps_the_a_a_test_honest():
    """Opted-out customers buy less; left out of both arms (before assignment) the A/A test
    rejects at its 5%; left out of the mailed arm only, it rejects far more often."""
    rng = np.random.default_rng(1)
    customers = np.arange(4000)
    suppressed = rng.random(4000) < 0.2
    buys = np.where(suppressed, rng.random(4000) < 0.05, rng.random(4000) < 0.25).astype(float)
    honest = _false_positives(customers, buys, suppressed, before=True)
    biased = _false_positives(customers, buys, suppressed, before=False)
    assert honest <= 0.09
    assert biased >= 0.5


def test_the_command_line_suppresses_and_says_how_many(tmp_path, capsys):
    shop = recsys.make_shop()
    optouts = shop.interactions.users.ids[:40]
    pd.DataFrame({"customer_id": optouts}).to_csv(tmp_path / "optouts.csv", index=False)
    out = tmp_path / "picks.csv"
    assert main(["picks", "-k", "3", "--suppress", str(tmp_path / "optouts.csv"), "--out",
                 str(out), "--control", "10%", "--salt", "w1"]) == 0
    said = capsys.readouterr().out
    assert "suppressed: 40 customers" in said
    assert not any(f"{i}" in said for i in optouts.tolist())
    assignments = pd.read_csv(tmp_path / "picks.assignments.csv")
    assert not set(pd.read_csv(out)["customer_id"]) & set(optouts.tolist())
    assert not set(assignments["customer_id"]) & set(optouts.tolist())
    pd.DataFrame({"customer_id": ["C17"]}).to_csv(tmp_path / "bad.csv", index=False)
    assert main(["picks", "-k", "3", "--suppress", str(tmp_path / "bad.csv"), "--out",
                 str(tmp_path / "p2.csv")]) == 1
    assert "no plain integer" in capsys.readouterr().err
