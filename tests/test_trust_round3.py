"""What new users hit on four public data sets (issue "trust round 3"), one test or one row
a case: each now gets a typed RecsysError naming the thing and the fix, or a correct,
documented answer. Every case failed (a raw exception or a silent wrong answer) before."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import recsys
from recsys import DataError, InvalidParameterError, PersistenceError
from recsys.evaluation.metrics import precision_at_k
from recsys.io.persistence import write_file
from tests.io.test_model_files import _raw


@pytest.fixture(scope="module")
def world():
    shop = recsys.make_shop(n_customers=150, n_products=30, seed=8)
    als = recsys.ALS(factors=4, iterations=2, random_state=0, num_threads=1).fit(
        shop.interactions)
    return shop, als


def _first_user(shop):
    return shop.interactions.users.ids[0]


RAISES = [
    ("recommend(None)", lambda shop, m: m.recommend(None), DataError, "one id"),
    ("recommend(1.5)", lambda shop, m: m.recommend(1.5), DataError, "non-integral"),
    ("recommend({'a': 1})", lambda shop, m: m.recommend({"a": 1}), DataError, "list of ids"),
    ("a two-column frame of ids", lambda shop, m: m.recommend(
        shop.orders[["customer_id", "product_id"]]), DataError, "one column"),
    ("ALS(random_state=-1)", lambda shop, m: recsys.ALS(random_state=-1).fit(
        shop.interactions), InvalidParameterError, "random_state"),
    ("BPR(random_state=2**40)", lambda shop, m: recsys.BPR(random_state=2**40).fit(
        shop.interactions), InvalidParameterError, "random_state"),
    ("a diverging BPR", lambda shop, m: recsys.BPR(learning_rate=1e30, iterations=3,
                                                   random_state=0).fit(shop.interactions),
     InvalidParameterError, "learning_rate"),
    ("a diverging ALS", lambda shop, m: recsys.ALS(alpha=1e30, regularization=0.0, iterations=3,
                                                   random_state=0).fit(shop.interactions),
     InvalidParameterError, "alpha"),
    ("duplicate column names", lambda shop, m: recsys.Interactions.from_frame(
        pd.DataFrame([[1, 2, 3]], columns=["user_id", "item_id", "user_id"])), DataError,
     "more than once"),
    ("a truth with a NaN customer", lambda shop, m: precision_at_k(
        m.recommend(shop.interactions.users.ids[:3], k=3),
        pd.DataFrame({"user_id": [np.nan, _first_user(shop)], "item_id": ["P0001"] * 2}), k=3),
     DataError, "missing"),
    ("an empty truth", lambda shop, m: precision_at_k(
        m.recommend(shop.interactions.users.ids[:3], k=3),
        pd.DataFrame({"user_id": [], "item_id": []}), k=3), DataError, "empty"),
    ("a dict as the orders", lambda shop, m: recsys.Interactions.from_frame({"user_id": [1]}),
     DataError, "builtins.dict"),
]


@pytest.mark.parametrize(("case", "call", "error", "word"), RAISES, ids=[r[0] for r in RAISES])
def test_bad_calls_raise_a_named_error(world, case, call, error, word):
    shop, model = world
    with pytest.raises(error, match=word):
        call(shop, model)


def test_a_numpy_float_id_is_the_id(world):
    shop, model = world
    user = _first_user(shop)
    assert model.recommend(np.float64(user), k=3).to_dict() == model.recommend(user, k=3).to_dict()


def test_a_one_column_frame_of_ids_gives_its_ids_not_its_name(world):
    shop, model = world
    users = shop.interactions.users.ids[:4]
    frame = pd.DataFrame({"customer_id": users})
    assert model.recommend(frame, k=3).to_dict() == model.recommend(users, k=3).to_dict()


@pytest.mark.parametrize("dtype", [
    pd.ArrowDtype(pa.dictionary(pa.int32(), pa.string())), pd.ArrowDtype(pa.string()),
    pd.ArrowDtype(pa.large_string()), "category", "string"])
def test_ids_of_every_arrow_and_categorical_kind_read_as_text(dtype):
    values = pd.Series(["b", "a", "b"]).astype(dtype)
    data = recsys.Interactions.from_frame(pd.DataFrame({"user_id": values, "item_id": [1, 2, 3]}))
    assert data.users.ids.tolist() == ["a", "b"] and data.user_index.tolist() == [1, 0, 1]


def test_a_pyarrow_table_is_read_like_its_pandas_frame(world):
    shop, _ = world
    frame = shop.orders[["customer_id", "product_id"]]
    direct = recsys.Interactions.from_frame(frame, user="customer_id", item="product_id")
    arrow = recsys.Interactions.from_frame(pa.Table.from_pandas(frame), user="customer_id",
                                           item="product_id")
    assert arrow.users == direct.users and arrow.items == direct.items
    assert (arrow.matrix() != direct.matrix()).nnz == 0


@pytest.mark.parametrize("field", ["params", "names", "meta"])
def test_a_manifest_field_of_the_wrong_json_type_is_refused(world, tmp_path, field):
    _, model = world
    good = tmp_path / "good.npz"
    model.save(good)
    manifest, arrays = _raw(good)
    manifest[field] = "a string" if field == "names" else [1, 2]
    crafted = tmp_path / "crafted.npz"
    write_file(crafted, manifest, arrays)
    with pytest.raises(PersistenceError, match=field):
        recsys.load(crafted)


def _movielens(folder, ratings_columns=("userId", "movieId", "rating", "timestamp"), tags=False):
    ratings = pd.DataFrame({"userId": [1, 1, 2], "movieId": [10, 20, 10], "rating": [4.0, 5, 3],
                            "timestamp": [1e9, 1e9 + 5, 1e9 + 9]})
    ratings[list(ratings_columns)].to_csv(folder / "ratings.csv", index=False)
    pd.DataFrame({"movieId": [10, 20], "title": ["Toy Story (1995)", "Heat (1995)"],
                  "genres": ["Animation|Comedy", "Crime"]}).to_csv(folder / "movies.csv",
                                                                 index=False)
    if tags:
        pd.DataFrame({"userId": [1], "movieId": [10], "tag": ["pixar"],
                      "timestamp": [1e9]}).to_csv(folder / "tags.csv", index=False)
    return folder


def test_movielens_without_the_optional_tags_file_reads(tmp_path):
    shop = recsys.read_movielens(_movielens(tmp_path))
    assert shop.interactions.n_users == 2 and shop.items is not None


def test_movielens_without_a_rating_column_names_it(tmp_path):
    with pytest.raises(DataError, match="rating"):
        recsys.read_movielens(_movielens(tmp_path, ("userId", "movieId", "timestamp")))


def test_online_retail_with_an_unreadable_date_names_the_column(tmp_path):
    path = tmp_path / "or.csv"
    path.write_text("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,"
                    "Country\n1,A,x,1,not a date,1.0,5.0,UK\n")
    with pytest.raises(DataError, match="InvoiceDate"):
        recsys.read_online_retail(path)


# ---------------------------------------------------------------------- integer times
def _log(times):
    return pd.DataFrame({"user_id": np.arange(len(times)) % 3, "item_id": np.arange(len(times)),
                         "t": times})


@pytest.mark.parametrize(("times", "looks"), [
    ([20240131, 20240205, 20241224], "yyyymmdd"),       # dates written as integers
    ([1, 2, 3, 4], "sequence numbers"),                  # an order's sequence number
    ([19700, 19750, 19800], "days since an epoch"),      # days since 1970
])
def test_integer_times_that_are_not_epoch_seconds_are_refused_with_the_fix(times, looks):
    with pytest.raises(DataError, match=looks) as caught:
        recsys.Interactions.from_frame(_log(times), timestamp="t")
    assert "--time-unit" in str(caught.value) and "%Y%m%d" in str(caught.value)


def test_integer_times_read_as_told():
    by_format = recsys.Interactions.from_frame(_log([20240131, 20240205]), timestamp="t",
                                               date_format="%Y%m%d")
    assert by_format.timestamps.astype("datetime64[D]").astype(str).tolist() == [
        "2024-01-31", "2024-02-05"]
    by_days = recsys.Interactions.from_frame(_log([19700, 19701]), timestamp="t", time_unit="D")
    assert np.diff(by_days.timestamps).astype("timedelta64[D]").astype(int).tolist() == [1]
    seconds = recsys.Interactions.from_frame(_log([1_700_000_000, 1_700_086_400]), timestamp="t")
    assert np.diff(seconds.timestamps).astype("timedelta64[h]").astype(int).tolist() == [24]


def test_an_unknown_time_unit_is_refused():
    with pytest.raises(InvalidParameterError, match="--time-unit"):
        recsys.Interactions.from_frame(_log([1, 2]), timestamp="t", time_unit="weeks")


@pytest.mark.parametrize("times", [
    ["2024-01-01 10:00", "2024-01-01 10:00+02:00"],
    ["2024-01-01T10:00:00Z", "2024-01-02T10:00:00"],
    pd.Series([pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-01", tz="Europe/Berlin")],
              dtype=object),
])
def test_times_mixing_zoned_and_naive_values_are_refused(times):
    with pytest.raises(DataError, match="time zone"):
        recsys.Interactions.from_frame(_log(list(times)), timestamp="t")


def test_times_in_several_zones_all_zoned_read_as_utc():
    data = recsys.Interactions.from_frame(
        _log(["2024-03-30 10:00+01:00", "2024-04-01 10:00+02:00"]), timestamp="t")
    assert [str(t)[:16] for t in data.timestamps] == ["2024-03-30T09:00", "2024-04-01T08:00"]


# ---------------------------------------------------------------------- amounts
def _orders(prices):
    n = len(prices)
    return pd.DataFrame({"customer_id": np.arange(n) % 3, "order_id": np.arange(n),
                         "timestamp": pd.date_range("2024-01-01", periods=n, freq="D"),
                         "price": prices, "quantity": [2] * n})


@pytest.mark.parametrize("written", [
    ["12,50 €", "3,00 €", "1.234,50 €", "7,25 €"],    # decimal comma, points for thousands
    ["£12.50", "£3.00", "£1,234.50", "£7.25"],        # decimal point, commas for thousands
    ["12.5", "3", "1234.5", "7.25"],                  # plain text numbers
])
def test_rfm_reads_amounts_written_as_text_like_numbers(written):
    from recsys.campaign.segments import rfm

    expected = rfm(_orders([12.5, 3.0, 1234.5, 7.25]))
    got = rfm(_orders(written))
    assert np.allclose(got["monetary"], expected["monetary"]) and got["monetary"].sum() > 0


@pytest.mark.parametrize(("written", "word"), [
    (["1,234", "2,500", "3,000", "4,125"], "ambiguous"),
    (["12.50", "oops", "3", "4"], "not amounts"),
    (["12,5", "3.5", "3", "4"], "one way"),
    (["12.5", None, "3", "4"], "missing"),
])
def test_rfm_refuses_amounts_it_cannot_read_for_sure(written, word):
    from recsys.campaign.segments import rfm

    with pytest.raises(DataError, match=word):
        rfm(_orders(written))


def test_the_readout_reads_amounts_like_rfm():
    from recsys.experiment import analyze

    orders = _orders(["12,50", "3,00", "1.234,50", "7,25"]).assign(
        timestamp=pd.date_range("2024-02-01", periods=4, freq="D"))
    assignments = pd.DataFrame({"customer_id": [0, 1, 2, 3], "group": ["treatment", "control"] * 2})
    numeric = orders.assign(price=[12.5, 3.0, 1234.5, 7.25])
    a = analyze(assignments, orders, "2024-02-01", "2024-03-01", by_segment=False)
    b = analyze(assignments, numeric, "2024-02-01", "2024-03-01", by_segment=False)
    assert a.arms.equals(b.arms)


# ---------------------------------------------------------------------- RFM on one-time buyers
def test_rfm_on_a_shop_of_one_time_buyers_names_segments_by_recency():
    """99% bought once: they used to score a middling F = 3 ("at risk" for 40%, none "new"
    or "lost"); now "bought once" is F = 1, so recency names them, and the table says why."""
    from recsys.campaign.segments import rfm

    rng = np.random.default_rng(0)
    n = 2_000
    customers = np.r_[np.arange(n), np.arange(20)]  # 20 of them came back once
    days = rng.integers(0, 365, len(customers))
    orders = pd.DataFrame({"customer_id": customers, "order_id": np.arange(len(customers)),
                           "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, "D"),
                           "price": 10.0, "quantity": 1})
    table = rfm(orders)
    once = table[table["frequency"] == 1]
    assert (once["f"] == 1).all()
    shares = once["segment"].value_counts(normalize=True)
    assert shares.get("at risk", 0) == 0
    assert shares.get("new", 0) > 0.1 and shares.get("lost", 0) > 0.1
    assert any("frequency" in note for note in table.attrs["notes"])


def test_the_segments_command_says_when_a_score_separates_little(tmp_path, capsys):
    from recsys.cli.main import main

    orders = pd.DataFrame({"customer_id": np.arange(300), "order_id": np.arange(300),
                           "timestamp": pd.date_range("2024-01-01", periods=300, freq="D"),
                           "product_id": "P1"})
    orders.to_csv(tmp_path / "orders.csv", index=False)
    assert main(["segments", "--orders", str(tmp_path / "orders.csv"), "--basket-col",
                 "order_id", "--time-col", "timestamp"]) == 0
    assert "note: frequency: 100% of customers share one value" in capsys.readouterr().out


# ---------------------------------------------------------------------- degenerate data, words
def test_a_per_order_customer_id_is_named_at_build_time():
    orders = pd.DataFrame({"customer_id": np.arange(300), "product_id": np.arange(300) % 17,
                           "order_id": np.arange(300) + 10_000})
    with pytest.warns(recsys.DataWarning, match="per-order customer id"):
        recsys.Interactions.from_frame(orders, user="customer_id", item="product_id",
                                       basket="order_id")


def test_a_handful_of_test_customers_is_named_by_evaluate():
    shop = recsys.make_shop(n_customers=200, n_products=30, seed=1)
    train, test = recsys.evaluation.split.temporal_split(shop.interactions, last_days=30)
    few = test.select(np.isin(test.user_index, np.unique(test.user_index)[:6]))
    with pytest.warns(recsys.DataWarning, match=r"only \d test customer"):
        recsys.evaluate([recsys.Popularity()], train, few, k=5, n_bootstrap=0)


def test_picks_that_leave_every_list_empty_exit_1(tmp_path, capsys):
    from recsys.cli.main import main

    code = main(["picks", "--out", str(tmp_path / "p.csv"), "--price-max", "0.0001", "-k", "3",
                 "--model", "Popularity"])
    assert code == 1 and "no customer got a single pick" in capsys.readouterr().err


def test_the_planning_baseline_counts_repeat_orders_only():
    """A shop of one-time buyers: a customer whose first order falls in the window is no
    conversion of a mail sent to existing customers."""
    from types import SimpleNamespace

    from recsys.cli.picks import _baseline_rate

    n_old, n_new = 1_000, 1_000
    times = np.r_[np.full(n_old, np.datetime64("2024-01-10")),   # old customers, once
                  np.full(n_new, np.datetime64("2024-03-25")),   # new ones, in the window
                  np.full(50, np.datetime64("2024-03-26"))]      # 50 old ones came back
    customers = np.r_[np.arange(n_old), n_old + np.arange(n_new), np.arange(50)]
    orders = pd.DataFrame({"customer_id": customers, "product_id": customers % 9,
                           "order_id": np.arange(len(customers)), "timestamp": times})
    shop = SimpleNamespace(interactions=recsys.Interactions.from_frame(
        orders, user="customer_id", item="product_id", basket="order_id", timestamp="timestamp"))
    args = SimpleNamespace(baseline_rate=None, measure_days=14)
    rate = _baseline_rate(args, shop, pd.Series(np.arange(n_old + n_new)), "2024-04-01")
    assert rate == pytest.approx(50 / n_old)  # was (50 + 1,000 new) / 2,000 = 52.5%


def test_cli_messages_speak_options_not_python(tmp_path, capsys):
    from recsys.cli.main import main

    orders = pd.DataFrame({"customer_id": [1, 2, 3], "product_id": ["a", "b", "a"]})
    orders.to_csv(tmp_path / "o.csv", index=False)
    assert main(["evaluate", "--orders", str(tmp_path / "o.csv"), "--split", "leave-last",
                 "--models", "Popularity"]) == 1
    err = capsys.readouterr().err
    assert "--time-col" in err and "timestamp=" not in err and "<column>" not in err


# ---------------------------------------------------------------------- outputs and wording
def test_wide_parquet_picks_in_chunks_of_different_fill_are_one_file(tmp_path):
    """The first chunk's customers are short of k (its last item columns all empty): later
    chunks' filled columns used to break the Parquet writer (ArrowInvalid)."""
    from recsys.campaign._output import Writer

    writer = Writer(tmp_path / "w.parquet", "long")
    writer.write(pd.DataFrame({"customer_id": [1], "item_2": [None]}))
    writer.write(pd.DataFrame({"customer_id": [2], "item_2": ["P1"]}))
    writer.write(pd.DataFrame({"customer_id": [3]}))
    writer.close()
    back = pd.read_parquet(tmp_path / "w.parquet")
    assert back["customer_id"].tolist() == [1, 2, 3]
    assert back["item_2"].tolist()[1] == "P1" and back["item_2"].isna().sum() == 2


def test_reasons_in_the_shops_words():
    from recsys.campaign import make_picks
    from recsys.campaign.reasons import PLAYS_WORDING

    shop = recsys.make_shop(n_customers=100, n_products=30, seed=3)
    model = recsys.ItemKNN().fit(shop.interactions)
    picks = make_picks(model, shop.interactions.users.ids[:10], k=3, products=shop.products,
                       wording=PLAYS_WORDING).picks
    personal = picks[picks["reason_code"] == "bought_item"]["reason"]
    assert len(personal) and personal.str.startswith("Because you listened to ").all()
    with pytest.raises(InvalidParameterError, match=r"\{item\}"):
        make_picks(model, shop.interactions.users.ids[:2], wording={"bought_item": "Hi"})


@pytest.mark.parametrize(("line", "option"), [
    (["evaluate", "-k", "abc"], "-k"),
    (["rules", "--max-len", "1"], "--max-len"),
    (["picks", "--out", "{tmp}/no/such/folder/p.csv", "-k", "2", "--model", "Popularity"],
     "no/such/folder"),
    (["picks", "--out", "{tmp}/p.csv", "--reason", "bought_item=Hello", "--model",
      "Popularity"], "--reason"),
])
def test_command_line_mistakes_exit_1_naming_the_option(tmp_path, capsys, line, option):
    from recsys.cli.main import main

    code = main([part.replace("{tmp}", str(tmp_path)) for part in line])
    err = capsys.readouterr().err
    assert code == 1 and option in err and "Traceback" not in err
    assert not (tmp_path / "no").exists()


def test_outputs_are_private_to_their_owner(tmp_path):
    from recsys.cli.main import main

    assert main(["picks", "--out", str(tmp_path / "p.csv"), "-k", "2", "--model",
                 "Popularity"]) == 0
    assert (tmp_path / "p.csv").stat().st_mode & 0o777 == 0o600


def test_the_command_line_says_which_unit_it_read_numeric_times_in(tmp_path, capsys):
    from recsys.cli.main import main

    pd.DataFrame({"customer_id": [1, 2, 1], "product_id": ["a", "b", "c"],
                  "t": [1.6e9, 1.61e9, 1.62e9]}).to_csv(tmp_path / "o.csv", index=False)
    assert main(["fit", "--model", "Popularity", "--orders", str(tmp_path / "o.csv"),
                 "--time-col", "t", "--out", str(tmp_path / "m.npz")]) == 0
    assert "read as epoch seconds (2020-09-13 .. 2021-05-03)" in capsys.readouterr().err


def test_a_hybrid_given_bare_models_names_the_pairs(world):
    shop, _ = world
    with pytest.raises(InvalidParameterError, match=r"\(name, model\) pair"):
        recsys.Hybrid(components=[recsys.ALS()]).fit(shop.interactions)
