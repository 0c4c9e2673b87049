"""Bad input, one row a case: each gets a typed RecsysError whose message names the thing (or,
where there is one, the right answer). Cases come from the real-data issue's lists; rows are
added as cases are fixed."""

from __future__ import annotations

import gzip
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys import (
    DataError,
    Interactions,
    InvalidParameterError,
    PersistenceError,
)
from recsys.campaign import ExcludePurchased, make_picks
from recsys.campaign.segments import rfm
from recsys.cli.common import read_frame
from recsys.data.datasets import read_fimi
from recsys.data.dates import parse_timestamps
from recsys.data.features import ItemFeatures
from recsys.evaluation.evaluator import evaluate
from recsys.evaluation.metrics import ndcg_at_k
from recsys.evaluation.split import leave_last_out, random_split, temporal_split


@pytest.fixture(scope="module")
def world():
    shop = recsys.make_shop(n_customers=200, n_products=40, seed=5)
    model = recsys.Popularity().fit(shop.interactions)
    return shop, model


def _users(shop, n=2):
    return shop.interactions.users.ids[:n]


CASES = [
    ("exclude_seen given as a string", lambda shop, model, tmp: model.recommend(
        _users(shop), exclude_seen="False"), InvalidParameterError, "exclude_seen"),
    ("exclude_basket given as a string", lambda shop, model, tmp: model.recommend_for_basket(
        [shop.interactions.items.ids[0]], exclude_basket="no"), InvalidParameterError,
     "exclude_basket"),
    ("a split that leaves no train", lambda shop, model, tmp: random_split(
        shop.interactions, 1.0), InvalidParameterError, "nothing to train"),
    ("a blend whose weights are all zero", lambda shop, model, tmp: recsys.Hybrid(
        components=[("a", recsys.Popularity()), ("b", recsys.ItemKNN())], mode="blend",
        weights=[0, 0]).fit(shop.interactions), InvalidParameterError, "all 0"),
    ("a basket column list holding a number", lambda shop, model, tmp:
        Interactions.from_frame(shop.orders, user="customer_id", item="product_id",
                                basket=["customer_id", 3]), DataError, "column names"),
    ("leave-last without times", lambda shop, model, tmp: leave_last_out(
        Interactions.from_frame(shop.orders, user="customer_id", item="product_id")),
     DataError, "timestamps"),
    ("dates that read day-first and month-first", lambda shop, model, tmp: parse_timestamps(
        pd.Series(["01-05-2015", "02-03-2015"]), "Date"), DataError, "ambiguous"),
    ("dates in no known format", lambda shop, model, tmp: parse_timestamps(
        pd.Series(["yesterday", "01-05-2015"]), "Date"), DataError, "not times"),
    ("a CSV given as a model file", lambda shop, model, tmp: recsys.load(
        _write(tmp / "lines.csv", b"a,b\n1,2\n")), PersistenceError, "not a recsys model file"),
    ("a bare .npy given as a model file", lambda shop, model, tmp: recsys.load(
        _npy(tmp / "x.npy")), PersistenceError, ".npy"),
    ("a whole DataFrame as the audience", lambda shop, model, tmp: make_picks(
        model, shop.customers, k=2), DataError, "not a whole DataFrame"),
    # dates
    ("a date past 2262", lambda shop, model, tmp: parse_timestamps(
        pd.Series(["2300-01-01", "2011-01-02"]), "d"), DataError, "outside 1677"),
    ("a datetime past 2262", lambda shop, model, tmp: parse_timestamps(
        pd.Series([datetime(2011, 1, 1), datetime(2300, 1, 1)]), "d"), DataError, "outside"),
    ("epoch seconds and milliseconds in one column", lambda shop, model, tmp:
        parse_timestamps(pd.Series([1_300_000_000, 1_300_000_000_000]), "t"), DataError,
     "mixes epoch units"),
    ("an as_of that is no date (rfm)", lambda shop, model, tmp: rfm(
        shop.orders, as_of="someday"), DataError, "as_of"),
    ("an as_of that is no date (picks)", lambda shop, model, tmp: make_picks(
        model, _users(shop), k=2, as_of="someday"), DataError, "as_of"),
    ("a test window longer than the calendar", lambda shop, model, tmp: temporal_split(
        shop.interactions, last_days=1e6), DataError, "no train"),
    # ids
    ("uint64 ids above 2**63", lambda shop, model, tmp: _frame_ids(
        np.array([2**63 + 1, 2**63 + 2, 1], dtype=np.uint64)), DataError, "above 2"),
    ("float ids above 2**53", lambda shop, model, tmp: _frame_ids(
        [2.0**63, 2.0**64, 1.0]), DataError, "lost their last digits"),
    ("one huge id among many", lambda shop, model, tmp: _frame_ids(
        ["x" * 20_000] + [str(i) for i in range(20_000)]), DataError, "20,000 characters"),
    ("a NaN customer in rfm", lambda shop, model, tmp: rfm(
        shop.orders.assign(customer_id=shop.orders["customer_id"].astype(float)
                           .where(shop.orders.index != 3))), DataError, "missing"),
    ("int recommendations scored against str truth", lambda shop, model, tmp: ndcg_at_k(
        model.recommend(_users(shop), k=3), shop.interactions.to_frame().assign(
            user_id=lambda f: f["user_id"].astype(str))), DataError, "no id can match"),
    ("evaluate on a test built with other id types", lambda shop, model, tmp: evaluate(
        model, shop.interactions, Interactions.from_frame(
            shop.orders.assign(customer_id=shop.orders["customer_id"].astype(str)),
            user="customer_id", item="product_id")), DataError, "same id type"),
    # weights and features
    ("a weight beyond float32", lambda shop, model, tmp: Interactions.from_frame(
        pd.DataFrame({"u": [1, 2], "i": [1, 2], "w": [1e39, 1.0]}), user="u", item="i",
        weight="w"), DataError, "3.4e38"),
    ("an infinite numeric feature", lambda shop, model, tmp: ItemFeatures.from_frame(
        pd.DataFrame({"p": [1, 2, 3], "x": [1.0, np.inf, 2.0]}), item="p", numeric=["x"]),
     DataError, "infinite"),
    # readers
    ("a truncated gzip", lambda shop, model, tmp: read_frame(
        _write(tmp / "cut.csv.gz", gzip.compress(_csv_bytes())[:400])), DataError, "ends early"),
    ("a .gz that is not gzip", lambda shop, model, tmp: read_frame(
        _write(tmp / "plain.csv.gz", b"a,b\n1,2\n")), DataError, "not gzip"),
    ("a folder given as a file", lambda shop, model, tmp: read_frame(tmp), DataError, "folder"),
    ("a folder given as FIMI baskets", lambda shop, model, tmp: read_fimi(tmp), DataError,
     "folder"),
    ("an empty file", lambda shop, model, tmp: read_frame(_write(tmp / "e.csv", b"")),
     DataError, "empty"),
    ("lines with more fields than the header", lambda shop, model, tmp: read_frame(
        _write(tmp / "f.csv", b"a,b\n1,2\n1,2,3,4\n")), DataError, "delimiter"),
    ("binary bytes as a table", lambda shop, model, tmp: read_frame(
        _write(tmp / "bin.csv", bytes(range(256)) * 8)), DataError, "not UTF-8"),
    ("a truncated gzip of FIMI baskets", lambda shop, model, tmp: read_fimi(
        _write(tmp / "cut.dat.gz", gzip.compress(_csv_bytes())[:400])), DataError,
     "ends early"),
    # constraints and segments
    ("ExcludePurchased on orders without the timestamp column", lambda shop, model, tmp:
        make_picks(model, _users(shop), k=2, as_of="2026-01-01", constraints=[
            ExcludePurchased(within_days=30, orders=shop.orders.drop(columns="timestamp"))]),
     DataError, "no column"),
    ("a customer twice in the segments", lambda shop, model, tmp: make_picks(
        model, _users(shop), k=2, segments=pd.Series(["a", "b"], index=[_users(shop)[0]] * 2)),
     DataError, "more than once"),
    # containers and models
    ("select with positions outside the data", lambda shop, model, tmp:
        shop.interactions.select([0, 10**9]), DataError, "outside"),
    ("select with float positions", lambda shop, model, tmp:
        shop.interactions.select(np.array([0.5])), DataError, "boolean mask or integer"),
    ("a number as a basket", lambda shop, model, tmp: Interactions.from_baskets(
        [["a", "b"], 5.5]), DataError, "basket 1"),
    ("ALS on baskets without customers", lambda shop, model, tmp: recsys.ALS().fit(
        Interactions.from_baskets([["a", "b"], ["b", "c"]])), DataError, "no customers"),
    ("EASE on baskets without customers", lambda shop, model, tmp: recsys.EASE().fit(
        Interactions.from_baskets([["a", "b"], ["b", "c"]])), DataError, "no customers"),
    ("BPR on baskets without customers", lambda shop, model, tmp: recsys.BPR().fit(
        Interactions.from_baskets([["a", "b"], ["b", "c"]])), DataError, "no customers"),
    ("ContentBased fitted on weights that are all 0", lambda shop, model, tmp:
        recsys.ContentBased().fit(_zero_weights(shop), items=shop.items), DataError, "weight 0"),
    ("Hybrid fitted on weights that are all 0", lambda shop, model, tmp:
        recsys.Hybrid().fit(_zero_weights(shop), items=shop.items), DataError, "weight 0"),
    ("a model fitted on weights that are all 0", lambda shop, model, tmp:
        recsys.Popularity().fit(Interactions.from_frame(pd.DataFrame(
            {"u": [1, 2], "i": [1, 2], "w": [0.0, 0.0]}), user="u", item="i", weight="w")),
     DataError, "weight 0"),
]


def _zero_weights(shop):
    """The shop's orders with every weight 0."""
    return Interactions.from_frame(shop.orders.assign(w=0.0), user="customer_id",
                                   item="product_id", weight="w", items=shop.items.items)


def _frame_ids(ids):
    """Interactions whose user ids are ``ids`` (items: one per row)."""
    return Interactions.from_frame(pd.DataFrame({"u": ids, "i": np.arange(len(ids))}),
                                   user="u", item="i")


def _csv_bytes() -> bytes:
    rng = np.random.default_rng(0)
    return ("a,b\n" + "\n".join(f"{a},{b}" for a, b in rng.integers(0, 10**6, (5000, 2)))).encode()


def _write(path, content: bytes):
    path.write_bytes(content)
    return path


def _npy(path):
    np.save(path, np.arange(3))
    return path


@pytest.mark.parametrize(("case", "call", "error", "word"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_typed_error_naming_it(world, tmp_path, case, call, error, word):
    shop, model = world
    with pytest.raises(error, match=word):
        call(shop, model, tmp_path)


def test_an_empty_cart_gets_the_most_popular_items(world):
    _, model = world
    recs = model.recommend_for_basket([], k=3)
    assert len(recs) == 1 and recs.item_ids() == model.recommend_for_basket([[]], k=3).item_ids()
    assert recs.lengths[0] == 3 and recs.source[0] == "popularity"


def test_a_huge_k_costs_no_more_than_the_catalogue(world):
    shop, model = world
    recs = model.recommend(_users(shop), k=10**12)
    assert recs.item_index.shape[1] <= len(model.items_)
    assert (recs.lengths <= len(model.items_)).all()


def test_a_product_table_with_its_own_id_column_names_the_picks(world):
    shop, _ = world
    model = recsys.ItemKNN().fit(shop.interactions)
    table = shop.products.rename(columns={"product_id": "sku"})
    audience = shop.customers["customer_id"][:3]
    with pytest.raises(DataError, match="products_item"):
        make_picks(model, audience, k=2, products=table)
    picks = make_picks(model, audience, k=2, products=table, products_item="sku").picks
    names = dict(zip(table["sku"], table["name"], strict=True))
    assert (picks["name"] == picks["product_id"].map(names)).all()


# ---------------------------------------------------------------------- the right answer
def test_fimi_lines_holding_minus_one_stay_one_basket(tmp_path):
    path = _write(tmp_path / "b.dat", b"1 2 -1 3\n5 6\n")
    data = read_fimi(path)
    assert data.n_baskets == 2
    assert sorted(data.items.ids.tolist()) == [-1, 1, 2, 3, 5, 6]
    assert np.bincount(data.basket_index).tolist() == [4, 2]


def test_iterators_as_baskets_read_like_lists():
    data = Interactions.from_baskets(iter([iter(["a", "b"]), {"b"}, ("c", "a")]))
    assert data.n_baskets == 3 and np.bincount(data.basket_index).tolist() == [2, 1, 2]


def test_a_long_id_among_few_costs_its_own_length_only():
    data = _frame_ids(["x" * 20_000, "y", "z"])
    assert len(data.users) == 3 and data.users.ids.dtype.itemsize == 20_000 * 4


def test_a_blend_of_components_never_offers_what_its_answering_model_cannot():
    shop = recsys.make_shop(n_customers=300, n_products=200, seed=1)
    counts = np.bincount(shop.interactions.item_index, minlength=shop.interactions.n_items)
    unsold = set(shop.interactions.items.ids[counts == 0].tolist())
    assert unsold  # the shop's catalogue holds products never sold
    model = recsys.Hybrid().fit(shop.interactions, items=shop.items)
    picks = model.recommend(shop.interactions.users.ids, k=200).to_frame()
    assert not picks.loc[picks["source"] == "als", "item"].isin(unsold).any()


def test_the_default_hybrid_mines_no_rules_without_baskets():
    shop = recsys.make_shop(n_customers=300, n_products=60, seed=2)
    no_baskets = Interactions.from_frame(shop.orders, user="customer_id", item="product_id")
    model = recsys.Hybrid().fit(no_baskets, items=shop.items)
    assert [name for name, _ in model.components_] == ["als", "content", "popular"]
    assert model.recommend_for_basket([list(no_baskets.items.ids[:2])], k=3).lengths[0] == 3
    with_baskets = recsys.Hybrid().fit(shop.interactions, items=shop.items)
    assert with_baskets.components_[0][0] == "rules"


# ---------------------------------------------------------------------- the command line
def _orders_file(shop, tmp, drop=()):
    path = tmp / "orders.csv"
    shop.orders.drop(columns=list(drop)).to_csv(path, index=False)
    return str(path)


def _model_file(shop, tmp):
    path = tmp / "m.npz"
    recsys.Popularity().fit(shop.interactions).save(path)
    return str(path)


CLI_CASES = [
    ("a misspelled --text-cols", lambda shop, tmp: [
        "fit", "--model", "ContentBased", "--orders", _orders_file(shop, tmp), "--products",
        _write_frame(shop.products, tmp / "p.csv"), "--text-cols", "name,descripton",
        "--out", str(tmp / "m.npz")], "--text-cols"),
    ("leave-last without --time-col", lambda shop, tmp: [
        "evaluate", "--orders", _orders_file(shop, tmp), "--split", "leave-last",
        "--models", "Popularity"], "--time-col"),
    ("a CSV given to info", lambda shop, tmp: [
        "info", _orders_file(shop, tmp)], "not a recsys model file"),
    ("an unknown customer, advice in flags", lambda shop, tmp: [
        "recommend", "--model", _model_file(shop, tmp), "--users", "no-such-customer"],
     "--on-unknown"),
    ("segments without --time-col", lambda shop, tmp: [
        "segments", "--orders", _orders_file(shop, tmp), "--basket-col", "order_id"],
     "--time-col"),
    ("a segment asked of a log without times", lambda shop, tmp: [
        "picks", "--orders", _orders_file(shop, tmp), "--segment", "champions", "-k", "2",
        "--out", str(tmp / "p.csv")],
     "--time-col"),
    ("a truncated gzip of orders", lambda shop, tmp: [
        "fit", "--model", "Popularity", "--orders",
        str(_write(tmp / "o.csv.gz", gzip.compress(_csv_bytes())[:400])),
        "--out", str(tmp / "m.npz")], "ends early"),
    ("a folder given as orders", lambda shop, tmp: [
        "fit", "--model", "Popularity", "--orders", str(tmp), "--out", str(tmp / "m.npz")],
     "folder"),
    ("an --as-of that is no date", lambda shop, tmp: [
        "picks", "--orders", _orders_file(shop, tmp), "--as-of", "someday", "-k", "2",
        "--out", str(tmp / "p.csv")],
     "--as-of"),
    ("ambiguous dates without --date-format", lambda shop, tmp: [
        "fit", "--model", "Popularity", "--orders", _write_frame(
            shop.orders.assign(timestamp=["01-05-2015", "02-03-2015"] * (len(shop.orders) // 2)
                               + ["03-04-2015"] * (len(shop.orders) % 2)), tmp / "d.csv"),
        "--time-col", "timestamp", "--out", str(tmp / "m.npz")], "--date-format"),
]


def _write_frame(frame, path):
    frame.to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize(("case", "argv", "word"), CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_the_command_line_names_the_option_without_a_traceback(world, tmp_path, capsys, case,
                                                               argv, word):
    from recsys.cli.main import main

    shop, _ = world
    assert main(argv(shop, tmp_path)) == 1
    err = capsys.readouterr().err
    assert word in err and "Traceback" not in err


def test_every_python_phrase_the_command_line_rewords_is_still_said():
    """The command line rewrites library advice (on_unknown='skip') as flags; a message
    reworded in the library must not leave the command line giving Python advice."""
    from pathlib import Path

    from recsys.cli.main import CLI_WORDS

    package = Path(recsys.__file__).parent
    source = " ".join(path.read_text() for path in package.rglob("*.py")
                      if path != package / "cli.py")  # where the phrases are looked up
    flat = " ".join(source.replace('"\n', "").replace('f"', "").replace('"', "").split())
    for python, _ in CLI_WORDS:
        assert " ".join(python.split()) in flat, python
