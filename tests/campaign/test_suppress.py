"""Suppression: a customer who opted out is never picked, in no output, counted but never
named; suppression comes before the control group, which keeps the experiment unbiased."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import recsys
from recsys import DataError
from recsys.campaign import ContactRules, ExcludePurchased, append_contacts, make_picks
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


# ---------------------------------------------------------------------- contact rules
def test_caps_hold_over_a_series_of_sends(world, tmp_path):
    """Eight sends two to six days apart, capped at one in 7 days and two in 21, the history
    kept by append_contacts: a pandas count over the whole log finds no cap exceeded, and
    customers who opted out between sends are never in it."""
    shop, model = world
    customers = shop.interactions.users.ids
    log = tmp_path / "contacts.csv"
    rng = np.random.default_rng(3)
    day = np.datetime64("2026-01-05")
    opted_out: set = set()
    capped = 0
    for week in range(8):
        day = day + np.timedelta64(int(rng.integers(2, 7)), "D")
        opted_out |= set(rng.choice(customers, 15, replace=False).tolist())
        history = pd.read_csv(log) if log.exists() else pd.DataFrame(
            columns=["customer_id", "sent_at"])
        rules = ContactRules(history=history, caps=[(1, 7), (2, 21)])
        audience = rng.choice(customers, 300, replace=False)
        result = make_picks(model, audience, k=3, as_of=str(day), contact=rules,
                            suppress=sorted(opted_out))
        append_contacts(log, result.picks["customer_id"], day, f"send{week}")
        assert not set(result.picks["customer_id"]) & opted_out
        capped += sum(result.summary["contact_rules"].values())
    assert capped > 0  # the caps had work to do
    sent = pd.read_csv(log, parse_dates=["sent_at"])
    for _, row in sent.iterrows():  # each contact: the ones before it in its windows
        mine = sent[(sent["customer_id"] == row["customer_id"])
                    & (sent["sent_at"] < row["sent_at"])]
        age = (row["sent_at"] - mine["sent_at"]).dt.days
        assert (age < 7).sum() < 1 and (age < 21).sum() < 2


def test_the_quiet_period_leaves_out_recent_buyers(world):
    shop, model = world
    orders = shop.orders
    as_of = pd.Timestamp(orders["timestamp"].max()) + pd.Timedelta(days=1)
    recent = set(orders.loc[pd.to_datetime(orders["timestamp"]) > as_of - pd.Timedelta(days=10),
                            "customer_id"])
    rules = ContactRules(quiet_days=10, orders=orders)
    result = make_picks(model, shop.interactions.users.ids, k=3, as_of=str(as_of), contact=rules)
    assert recent and not set(result.picks["customer_id"]) & recent
    assert result.summary["contact_rules"] == {"bought in the last 10 days": len(recent)}


def test_contact_rules_refuse_what_they_cannot_apply(tmp_path, capsys):
    with pytest.raises(recsys.InvalidParameterError, match="contact history"):
        ContactRules(caps=[(1, 7)])
    with pytest.raises(recsys.InvalidParameterError, match="orders"):
        ContactRules(quiet_days=3)
    with pytest.raises(recsys.InvalidParameterError, match="caps"):
        ContactRules(history=pd.DataFrame(columns=["customer_id", "sent_at"]), caps=[(0, 7)])
    assert main(["picks", "--cap", "1/7", "--out", str(tmp_path / "p.csv")]) == 1
    assert "--contact-log" in capsys.readouterr().err
    assert main(["picks", "--cap", "one a week", "--contact-log", str(tmp_path / "log.csv"),
                 "--out", str(tmp_path / "p.csv")]) == 1
    assert "N/DAYS" in capsys.readouterr().err
    (tmp_path / "log.csv").write_text("who,when\n1,2026-01-01\n")
    with pytest.raises(DataError, match="columns"):
        append_contacts(tmp_path / "log.csv", [1, 2], "2026-01-02", "x")


def _consent_table(customers, rng):
    """Consent changes over time per channel: granted, some withdrawn later, some never."""
    first = pd.DataFrame({"customer_id": customers, "channel": "email",
                          "consent": rng.choice(["yes", "no"], len(customers), p=[0.8, 0.2]),
                          "updated_at": "2026-01-01"})
    later = first.sample(frac=0.3, random_state=1).assign(
        consent=lambda f: np.where(f["consent"] == "yes", "withdrawn", "granted"),
        updated_at="2026-02-01")
    sms = first.assign(channel="sms", consent="yes")
    return pd.concat([later, first, sms], ignore_index=True)  # out of time order on purpose


def test_only_customers_whose_latest_word_is_yes_for_the_channel_are_picked(world):
    shop, model = world
    customers = shop.interactions.users.ids
    table = _consent_table(customers, np.random.default_rng(2))
    latest = table[table["channel"] == "email"].sort_values("updated_at", kind="stable") \
        .groupby("customer_id")["consent"].last()
    allowed = set(latest[latest.isin(["yes", "granted"])].index)  # the pandas reading
    newcomer = np.append(customers, 999_999_999)  # no consent row at all: never mailed
    result = make_picks(model, newcomer, k=3, control=0.1, salt="consent",
                        contact=ContactRules(consent=table, channel="email"))
    mailed = set(result.assignments["customer_id"])
    assert mailed == allowed
    assert result.summary["contact_rules"]["no consent for email"] == len(newcomer) - len(allowed)


def test_consent_that_cannot_be_read_is_refused(world, tmp_path, capsys):
    shop, model = world
    customers = shop.interactions.users.ids[:5]
    table = pd.DataFrame({"customer_id": customers, "channel": "email", "consent": "maybe"})
    with pytest.raises(DataError, match="say neither yes nor no"):
        make_picks(model, customers, k=2, contact=ContactRules(consent=table, channel="email"))
    with pytest.raises(DataError, match="no row for channel 'e-mail'.*'email'"):
        make_picks(model, customers, k=2,
                   contact=ContactRules(consent=table.assign(consent="yes"), channel="e-mail"))
    with pytest.raises(recsys.InvalidParameterError, match="go together"):
        ContactRules(consent=table)
    shop.orders.to_csv(tmp_path / "orders.csv", index=False)
    table.assign(consent="yes").to_csv(tmp_path / "consent.csv", index=False)
    base = ["picks", "--orders", str(tmp_path / "orders.csv"), "--model", "Popularity",
            "-k", "2", "--out", str(tmp_path / "picks.csv")]
    assert main([*base, "--consent", str(tmp_path / "consent.csv")]) == 1
    assert "--channel" in capsys.readouterr().err
    assert main([*base, "--consent", str(tmp_path / "consent.csv"), "--channel", "email"]) == 0
    assert set(pd.read_csv(tmp_path / "picks.csv")["customer_id"]) == set(customers)
