"""Campaign picks: a checker reads the written file and verifies every rule for every customer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import recsys
from recsys.campaign import (
    CategoryCap,
    ExcludePurchased,
    ExcludeRecentlySent,
    MustInclude,
    OnlyAvailable,
    PriceBand,
    make_picks,
)
from recsys.campaign.segments import rfm
from recsys.cli.main import main

AS_OF = pd.Timestamp("2026-01-01")


@pytest.fixture(scope="module")
def world():
    shop = recsys.make_shop(n_customers=400, n_products=120, seed=11)
    models = {"ItemKNN": recsys.ItemKNN(k=30).fit(shop.interactions),
              "ALS": recsys.ALS(factors=8, iterations=5, random_state=0).fit(shop.interactions),
              "AssociationRules": recsys.AssociationRules(min_support=0.003).fit(shop.interactions),
              "ContentBased": recsys.ContentBased().fit(shop.interactions, items=shop.items)}
    rng = np.random.default_rng(0)
    customers = shop.customers["customer_id"].to_numpy()
    sends = pd.DataFrame({
        "customer_id": rng.choice(customers, 600),
        "product_id": rng.choice(shop.products["product_id"].to_numpy(), 600),
        "sent_at": AS_OF - pd.to_timedelta(rng.integers(0, 40, 600), unit="D"),
    })
    segments = rfm(shop.orders, as_of=AS_OF).set_index("customer_id")["segment"]
    return shop, models, sends, segments


def check(picks: pd.DataFrame, shop, *, k, purchased=True, available=False, cap=None,
          band=None, sends=None, cooldown=None, promoted=None, audience=None) -> None:
    """Every rule, for every customer, on the written picks."""
    products = shop.products.set_index("product_id")
    bought = set(zip(shop.orders["customer_id"], shop.orders["product_id"], strict=True))
    assert picks["reason"].notna().all() and (picks["reason"].str.len() > 0).all()
    assert picks["reason_code"].isin(list(recsys.campaign.reasons.REASON_CODES)).all()
    if audience is not None:
        assert set(picks["customer_id"]) == set(audience)
    for customer, group in picks.groupby("customer_id"):
        assert len(group) == k, (customer, len(group))
        assert group["rank"].tolist() == list(range(1, k + 1))
        assert group["product_id"].is_unique
        items = group["product_id"].tolist()
        if purchased:
            assert not any((customer, i) in bought for i in items)
        if available:
            assert products.loc[items, "in_stock"].all()
        if cap is not None:
            assert products.loc[items, "category"].value_counts().max() <= cap
        if band is not None:
            prices = products.loc[items, "price"]
            assert ((prices >= band[0]) & (prices <= band[1])).all()
        if sends is not None:
            recent = sends[(sends["customer_id"] == customer)
                           & (sends["sent_at"] >= AS_OF - pd.Timedelta(days=cooldown))]
            assert not set(items) & set(recent["product_id"])
        if promoted is not None:
            assert group["reason_code"].eq("promoted").sum() <= promoted[1]
    if promoted is not None:
        flagged = picks[picks["reason_code"] == "promoted"]
        assert set(flagged["product_id"]) <= set(promoted[0])


def test_written_file_keeps_every_rule(world, tmp_path):
    shop, models, sends, segments = world
    audience = shop.customers["customer_id"].to_numpy()[:250]
    out = tmp_path / "picks.csv"
    constraints = [ExcludePurchased(), OnlyAvailable(shop.products, column="in_stock"),
             CategoryCap(shop.products, max_per_category=2),
             ExcludeRecentlySent(sends, cooldown_days=14)]
    result = make_picks(models["ItemKNN"], audience, k=8, constraints=constraints, products=shop.products,
                        segments=segments, as_of=AS_OF, out=out, chunk_size=64)
    assert result.picks is None  # written in chunks
    picks = pd.read_csv(out)
    check(picks, shop, k=8, available=True, cap=2, sends=sends, cooldown=14, audience=audience)
    s = result.summary
    assert s["customers"] == 250 and s["picks"] == 250 * 8
    assert 0 <= s["backfilled_share"] < 1 and s["customers_short_of_k"] == 0
    assert s["candidates_excluded"]["category cap"] > 0
    assert s["products_excluded"]["unavailable"] == int((~shop.products["in_stock"]).sum())
    back = picks[picks["reason_code"] == "backfill"]
    assert back["reason"].str.startswith("Popular with").all()


@pytest.mark.parametrize("chunk", [1, 17, 64])
def test_chunked_picks_equal_one_chunk(world, chunk):
    """Several chunks run staged (the model ranks the next while a thread finishes the last):
    the picks, their order and the summary are those of a single chunk."""
    shop, models, sends, segments = world
    audience = shop.customers["customer_id"].to_numpy()[:150]
    constraints = [ExcludePurchased(), CategoryCap(shop.products, max_per_category=2),
                   ExcludeRecentlySent(sends, cooldown_days=14)]
    whole, chunked = (make_picks(models["ALS"], audience, k=6, constraints=constraints,
                                 products=shop.products, segments=segments, as_of=AS_OF,
                                 chunk_size=size) for size in (10_000, chunk))
    pd.testing.assert_frame_equal(whole.picks, chunked.picks)
    assert whole.summary == chunked.summary


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(model=st.sampled_from(["ItemKNN", "ALS", "AssociationRules", "ContentBased"]),
       k=st.integers(1, 12), cap=st.one_of(st.none(), st.integers(1, 3)),
       available=st.booleans(), band=st.one_of(st.none(), st.just((3.0, 12.0))),
       cooldown=st.one_of(st.none(), st.integers(1, 30)),
       promoted=st.one_of(st.none(), st.integers(1, 2)), chunk=st.integers(16, 200))
def test_rule_combinations_keep_the_invariants(world, model, k, cap, available, band, cooldown,
                                               promoted, chunk):
    shop, models, sends, segments = world
    constraints = [ExcludePurchased()]
    if available:
        constraints.append(OnlyAvailable(shop.products))
    if cap:
        constraints.append(CategoryCap(shop.products, max_per_category=cap))
    if band:
        constraints.append(PriceBand(shop.products, *band))
    if cooldown:
        constraints.append(ExcludeRecentlySent(sends, cooldown_days=cooldown))
    promo = None
    if promoted:
        promo = (shop.products["product_id"].tolist()[:5], promoted)
        constraints.append(MustInclude(promo[0], slots=promoted))
    audience = shop.customers["customer_id"].to_numpy()[:120]
    result = make_picks(models[model], audience, k=k, constraints=constraints, products=shop.products,
                        segments=segments, as_of=AS_OF, chunk_size=chunk)
    picks = result.picks
    full = picks.groupby("customer_id").size()
    # with tight rules some customers may run out of allowed products: they get fewer, never
    # a forbidden one; everyone else gets exactly k
    short = set(full.index[full < k])
    assert result.summary["customers_short_of_k"] == len(short) + (len(audience) - len(full))
    checked = picks[~picks["customer_id"].isin(short)]
    check(checked, shop, k=k, available=available, cap=cap, band=band, sends=sends if cooldown
          else None, cooldown=cooldown, promoted=promo)
    assert result.summary["picks"] == len(picks)


def test_reasons_name_the_history_item_for_neighbour_models(world):
    shop, models, _, _ = world
    model = models["ItemKNN"]
    audience = shop.customers["customer_id"].to_numpy()[:30]
    picks = make_picks(model, audience, k=3, products=shop.products, backfill=False).picks
    names = dict(zip(shop.products["product_id"], shop.products["name"], strict=True))
    for row in picks.head(20).itertuples():
        why = model.explain(row.product_id, user=row.customer_id)
        assert row.reason == f"Because you bought {names[why.contributions[0][0]]}"


def test_unknown_customers_get_backfill_and_wide_format(world):
    shop, models, _, _ = world
    result = make_picks(models["ALS"], [-1, -2], k=4, products=shop.products, format="wide")
    wide = result.picks
    assert wide.shape[0] == 2 and {"item_1", "reason_4"} <= set(wide.columns)
    assert wide["reason_1"].str.startswith("Popular").all()


def test_bad_inputs(world):
    shop, models, _, _ = world
    with pytest.raises(recsys.DataError, match="empty"):
        make_picks(models["ALS"], [], k=3)
    with pytest.raises(recsys.DataError, match="no column 'colour'"):
        make_picks(models["ALS"], [1], k=3,
                   constraints=[CategoryCap(shop.products, column="colour")])
    with pytest.raises(recsys.InvalidParameterError, match="not a campaign constraint"):
        make_picks(models["ALS"], [1], k=3, constraints=["not a constraint"])


# ---------------------------------------------------------------------- RFM
def test_rfm_scores_equal_a_hand_computation():
    orders = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "b", "c", "d", "e", "e"],
        "order_id": [1, 2, 3, 4, 5, 6, 7, 8, 8],
        "timestamp": ["2024-12-30", "2024-11-01", "2024-06-01", "2024-12-01", "2024-10-01",
                      "2024-07-01", "2024-12-25", "2023-12-31", "2023-12-31"],
        "price": [10.0, 20.0, 30.0, 100.0, 50.0, 5.0, 40.0, 1.0, 2.0],
        "quantity": [1, 1, 1, 1, 1, 2, 1, 1, 1],
    })
    table = rfm(orders, as_of="2025-01-01").set_index("customer_id")
    # recency: a 2, b 31, c 184, d 7, e 367 days -> reversed ranks a5 d4 b3 c2 e1 -> pct /5
    assert table["recency_days"].round(0).to_dict() == {"a": 2, "b": 31, "c": 184, "d": 7, "e": 367}
    assert table["r"].to_dict() == {"a": 5, "b": 3, "c": 2, "d": 4, "e": 1}
    # frequency: a 3, b 2, c 1, d 1, e 1 (two lines, one order) -> ranks: c,d,e tie at the
    # lowest rank of their group, 1 (pct .2)
    assert table["frequency"].to_dict() == {"a": 3, "b": 2, "c": 1, "d": 1, "e": 1}
    assert table["f"].to_dict() == {"a": 5, "b": 4, "c": 1, "d": 1, "e": 1}
    # monetary: a 60, b 150, c 10, d 40, e 3 -> ranks e1 c2 d3 a4 b5
    assert table["m"].to_dict() == {"a": 4, "b": 5, "c": 2, "d": 3, "e": 1}
    assert table.loc["a", "rfm"] == "554" and table.loc["a", "segment"] == "champions"
    assert table.loc["e", "segment"] == "lost"  # R1 F1: one order, a year ago
    assert table.loc["c", "segment"] == "hibernating"  # R2 F2


def test_segments_cover_the_grid():
    from recsys.campaign.segments import SEGMENTS, segment_of

    r, f = np.meshgrid(np.arange(1, 6), np.arange(1, 6))
    assert set(segment_of(r.ravel(), f.ravel())) == set(SEGMENTS)


def test_picks_command_reads_a_constraints_file(tmp_path, capsys):
    option = "--constraints"
    config = tmp_path / "constraints.json"
    config.write_text('{"exclude_purchased": true, "category_cap": 1}')
    out = tmp_path / "picks.csv"
    assert main(["picks", "--segment", "champions", "-k", "4", option, str(config),
                 "--out", str(out)]) == 0
    picks = pd.read_csv(out)
    shop = recsys.make_shop()
    category = shop.products.set_index("product_id")["category"]
    model_picks = picks[picks["source"] != "backfill"]
    per_category = model_picks.assign(c=model_picks["product_id"].map(category)).groupby(
        ["customer_id", "c"]).size()
    assert len(model_picks) and per_category.max() == 1  # the cap of the file was applied
    assert "CategoryCap" in capsys.readouterr().out


def test_picks_command_writes_a_wide_file(tmp_path, capsys):
    out = tmp_path / "picks.csv"
    assert main(["picks", "--segment", "at risk", "-k", "5", "--format", "wide",
                 "--category-cap", "2", "--available-col", "in_stock", "--out", str(out)]) == 0
    wide = pd.read_csv(out)
    assert {"customer_id", "item_1", "reason_1", "item_5", "reason_5"} <= set(wide.columns)
    assert wide[[f"reason_{i}" for i in range(1, 6)]].notna().all().all()
    text = capsys.readouterr().out
    assert "customers" in text and "top products" in text


def test_segments_command(capsys):
    assert main(["segments", "--clusters", "3"]) == 0
    out = capsys.readouterr().out
    assert "champions" in out and "behavioural clusters" in out


@pytest.fixture(scope="module")
def renamed_orders(tmp_path_factory):
    """The synthetic shop's lines under other column names (member, item, invoice, when)."""
    shop = recsys.make_shop(n_customers=300, n_products=60, seed=2)
    path = tmp_path_factory.mktemp("renamed") / "lines.csv"
    shop.orders.rename(columns={"customer_id": "member", "product_id": "item",
                                "order_id": "invoice", "timestamp": "when"}).to_csv(path,
                                                                                   index=False)
    return path


def test_segments_and_picks_read_the_column_options(renamed_orders, tmp_path, capsys):
    names = ["--orders", str(renamed_orders), "--user-col", "member", "--item-col", "item"]
    full = names + ["--basket-col", "invoice", "--time-col", "when"]
    table = tmp_path / "rfm.csv"
    assert main(["segments", *full, "--out", str(table)]) == 0
    rfm_table = pd.read_csv(table)
    assert rfm_table.columns[0] == "member" and len(rfm_table) > 0
    champions = set(rfm_table.loc[rfm_table["segment"] == "champions", "member"])
    out = tmp_path / "picks.csv"
    assert main(["picks", *full, "--segment", "champions", "-k", "3", "--out", str(out)]) == 0
    assert set(pd.read_csv(out)["customer_id"]) == champions
    capsys.readouterr()


def test_picks_without_order_ids_or_times_picks_for_everyone(renamed_orders, tmp_path, capsys):
    """Play counts or any log without orders and times: picks need neither."""
    out = tmp_path / "picks.csv"
    assert main(["picks", "--orders", str(renamed_orders), "--user-col", "member",
                 "--item-col", "item", "-k", "3", "--out", str(out)]) == 0
    members = pd.read_csv(renamed_orders)["member"].unique()
    assert set(pd.read_csv(out)["customer_id"]) == set(members)
    capsys.readouterr()
    assert main(["segments", "--orders", str(renamed_orders), "--user-col", "member",
                 "--item-col", "item"]) == 1
    assert "--basket-col and --time-col" in capsys.readouterr().err


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 12), st.integers(1, 9), st.integers(1, 4), st.integers(1, 3), st.data())
def test_category_caps_count_the_same_by_counter_and_by_sort(n, width, n_codes, cap, data):
    from unittest.mock import patch

    from recsys.campaign import _grid

    valid = np.array(data.draw(st.lists(st.booleans(), min_size=n * width,
                                        max_size=n * width))).reshape(n, width)
    code = np.array(data.draw(st.lists(st.integers(0, n_codes - 1), min_size=n * width,
                                       max_size=n * width))).reshape(n, width)
    counted = _grid._over_cap(valid, code, n_codes, cap)
    with patch.object(_grid, "DENSE_COUNTER_CELLS", 0):
        sorted_ = _grid._over_cap(valid, code, n_codes, cap)
    assert np.array_equal(counted, sorted_)
    expected = np.zeros_like(valid)
    for r in range(n):  # the definition, cell by cell
        seen: dict[int, int] = {}
        for c in range(width):
            if valid[r, c]:
                expected[r, c] = seen.get(code[r, c], 0) >= cap
                seen[code[r, c]] = seen.get(code[r, c], 0) + 1
    assert np.array_equal(counted, expected)


# ---------------------------------------------------------------------- replenishment picks
def test_again_picks_come_first_are_purchases_and_carry_their_reason():
    from recsys.campaign import ExcludePurchased, PriceBand

    shop = recsys.make_shop(n_customers=400, n_products=80, seed=5)
    data = shop.interactions
    again = recsys.BuyAgain().fit(data)
    model = recsys.ItemKNN().fit(data)
    customers = data.users.ids[:120]
    picks = make_picks(model, customers, k=6, constraints=[ExcludePurchased(),
                       PriceBand(shop.products, high=40)], again=again, k_again=2,
                       products=shop.products, as_of="2026-01-10").picks
    bought = set(zip(shop.orders["customer_id"], shop.orders["product_id"], strict=True))
    is_again = picks["reason_code"] == "buy_again"
    pairs = list(zip(picks["customer_id"], picks["product_id"], strict=True))
    assert is_again.any() and (~is_again).any()
    assert all(pair in bought for pair, a in zip(pairs, is_again, strict=True) if a)
    assert not any(pair in bought for pair, a in zip(pairs, is_again, strict=True) if not a)
    assert (picks.loc[is_again, "source"] == "BuyAgain").all()
    assert (picks[is_again].groupby("customer_id").size() <= 2).all()
    assert (picks.loc[is_again, "rank"] <= 2).all()  # ahead of the discovery picks
    assert not picks.duplicated(["customer_id", "product_id"]).any()
    price = shop.products.set_index("product_id")["price"]
    assert (price[picks["product_id"]].to_numpy() <= 40).all()  # constraints still hold
    assert (picks.groupby("customer_id").size() == 6).all()


def test_again_picks_are_refused_when_they_do_not_fit():
    shop = recsys.make_shop(n_customers=100, n_products=30, seed=6)
    model = recsys.Popularity().fit(shop.interactions)
    again = recsys.BuyAgain().fit(shop.interactions)
    with pytest.raises(recsys.InvalidParameterError, match="k_again"):
        make_picks(model, shop.interactions.users.ids[:5], k=2, again=again, k_again=3)
    with pytest.raises(recsys.InvalidParameterError, match="again must be a fitted"):
        make_picks(model, shop.interactions.users.ids[:5], k=5, again="BuyAgain")
    unknown = make_picks(model, ["nobody"], k=3, again=again, k_again=2).picks
    assert (unknown["reason_code"] != "buy_again").all() and len(unknown) == 3


def test_the_callers_constraints_are_never_changed(world):
    """A run binds copies of the constraints: the caller's objects (which a shop reuses across
    campaigns and threads) keep exactly the state they were built with."""
    shop, models, _, _ = world
    given = [ExcludePurchased(), CategoryCap(shop.products, max_per_category=1)]
    before = [dict(vars(constraint)) for constraint in given]
    audience = shop.customers["customer_id"][:30]
    first = make_picks(models["ItemKNN"], audience, k=4, constraints=given)
    assert [set(vars(c)) for c in given] == [set(b) for b in before]
    assert all(vars(c)[key] is value for c, b in zip(given, before, strict=True)
               for key, value in b.items())
    again = make_picks(models["ALS"], audience, k=4, constraints=given)  # another model
    pd.testing.assert_frame_equal(
        make_picks(models["ItemKNN"], audience, k=4, constraints=given).picks, first.picks)
    assert len(again.picks)


def test_per_customer_columns_join_each_customers_picks_and_mismatches_are_refused():
    from recsys.customers import send_times

    shop = recsys.make_shop(n_customers=200, n_products=40, seed=0)
    model = recsys.Popularity().fit(shop.interactions)
    when = send_times(shop.orders)[["weekday_name", "hour"]]
    who = shop.customers["customer_id"][:5]
    picks = make_picks(model, who, k=2, per_customer=when).picks
    for row in picks.itertuples():
        assert (row.weekday_name, row.hour) == tuple(when.loc[row.customer_id])
    as_text = when.set_axis(when.index.astype(str))  # text ids spelling the same integers
    pd.testing.assert_frame_equal(make_picks(model, who, k=2, per_customer=as_text).picks,
                                  picks)
    with pytest.raises(recsys.DataError, match="none of the audience"):
        make_picks(model, who, k=2, per_customer=when.set_axis(when.index + 10**6))
    with pytest.raises(recsys.DataError, match="picks' own"):
        make_picks(model, who, k=2, per_customer=when.rename(columns={"hour": "score"}))


def test_the_command_line_adds_the_send_time(tmp_path, capsys):
    from recsys.cli.main import main

    shop = recsys.make_shop(n_customers=200, n_products=40, seed=0)
    shop.orders.to_csv(tmp_path / "orders.csv", index=False)
    base = ["picks", "--orders", str(tmp_path / "orders.csv"), "--model", "Popularity", "-k",
            "2", "--out", str(tmp_path / "picks.csv"), "--send-time"]
    assert main(base) == 1 and "--time-col" in capsys.readouterr().err
    assert main([*base, "--time-col", "timestamp"]) == 0
    picks = pd.read_csv(tmp_path / "picks.csv")
    assert {"send_weekday", "send_hour"} <= set(picks.columns)
    assert picks["send_hour"].between(0, 23).all() and picks["send_weekday"].notna().all()
