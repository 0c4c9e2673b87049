"""recsys.spark against the local library: the same itemsets and rules, an ALS that serves
like a local one, and campaign picks identical to make_picks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys.campaign import CategoryCap, ExcludePurchased, make_picks
from recsys.rules.mining import association_rules, frequent_itemsets
from tests.conftest import need_file

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def small():
    return recsys.make_shop(n_customers=300, n_products=60, seed=0)


@pytest.fixture(scope="module")
def orders(spark, small):
    from recsys.spark import interactions_from_spark

    frame = small.orders[["customer_id", "product_id", "order_id", "quantity"]]
    return interactions_from_spark(spark.createDataFrame(frame), user="customer_id",
                                   item="product_id", basket="order_id")


@pytest.fixture(scope="module")
def spark_als(orders):
    from recsys.spark import fit_als

    return fit_als(orders, factors=8, iterations=5)


def _same_rules(got, itemsets, rules):
    """Same itemsets with the same supports; same rules, every measure within 1e-9."""
    assert dict(zip(got.itemsets["itemsets"], got.itemsets["support"], strict=True)) == \
        dict(zip(itemsets["itemsets"], itemsets["support"], strict=True))
    mine = got.rules.set_index(["antecedents", "consequents"])
    theirs = rules.set_index(["antecedents", "consequents"])
    assert set(mine.index) == set(theirs.index) and len(mine) == len(theirs) > 0
    for column in theirs.columns:
        a, b = mine.loc[theirs.index, column].to_numpy(), theirs[column].to_numpy()
        same_inf = np.isinf(a) & np.isinf(b)
        assert np.allclose(a[~same_inf], b[~same_inf], rtol=0, atol=1e-9), column


def test_ids_are_indexed_as_the_local_library_indexes_them(orders, small):
    assert np.array_equal(orders.users.ids, np.unique(small.orders["customer_id"]))
    assert np.array_equal(orders.items.ids, np.unique(small.orders["product_id"].to_numpy(str)))
    assert orders.n_rows == len(small.orders) and orders.has_baskets


def test_bad_frames_are_refused_with_the_fix(spark):
    from recsys.spark import interactions_from_spark

    frame = spark.createDataFrame(pd.DataFrame({"c": [1, None], "p": ["a", "b"]}))
    with pytest.raises(recsys.DataError, match="no column user='customer'"):
        interactions_from_spark(frame, user="customer", item="p")
    with pytest.raises(recsys.DataError, match="1 of 2 rows have no 'c'"):
        interactions_from_spark(frame, user="c", item="p")
    with pytest.raises(recsys.DataError, match="expected a Spark DataFrame"):
        interactions_from_spark(pd.DataFrame({"c": [1]}), user="c", item="p")


def test_fpgrowth_finds_the_local_itemsets_and_rules(orders, small):
    from recsys.spark import mine_rules

    got = mine_rules(orders, 0.005, 0.05, max_len=None)
    local = frequent_itemsets(small.interactions, min_support=0.005)
    _same_rules(got, local, association_rules(local, "confidence", 0.05))
    cart = [small.interactions.items.ids[0]]
    local_model = recsys.AssociationRules(min_support=0.005, min_confidence=0.05,
                                          max_len=got.model.max_len).fit(small.interactions)
    assert got.model.recommend_for_basket(cart, k=5).to_dict() == \
        local_model.recommend_for_basket(cart, k=5).to_dict()


@pytest.mark.realdata
def test_fpgrowth_on_fimi_retail_equals_the_local_miner(spark):
    from recsys.spark import interactions_from_spark, mine_rules

    baskets = recsys.read_fimi(need_file("fimi-retail.dat.gz"))
    frame = spark.createDataFrame(baskets.to_frame()[["basket_id", "item_id"]])
    got = mine_rules(interactions_from_spark(frame, user=None, item="item_id",
                                             basket="basket_id"), 0.002, 0.1, max_len=None)
    local = frequent_itemsets(baskets, min_support=0.002)
    assert len(local) == 2691
    _same_rules(got, local, association_rules(local, "confidence", 0.1))


def test_an_als_from_spark_serves_saves_and_loads_like_a_local_one(spark_als, small, tmp_path):
    customers = small.interactions.users.ids[:40]
    picks = spark_als.recommend(customers, k=5).to_frame()
    bought = set(zip(small.orders["customer_id"], small.orders["product_id"], strict=True))
    assert len(picks) == 5 * len(customers)
    assert not any((c, i) in bought for c, i in zip(picks["query"], picks["item"], strict=True))
    cart = list(small.interactions.items.ids[:2])
    basket = spark_als.recommend_for_basket(cart, k=5).item_ids()
    assert len(basket) == 5 and not set(basket) & set(cart)
    assert spark_als.explain(picks["item"].iloc[0], user=customers[0]).score == \
        pytest.approx(picks["score"].iloc[0], rel=1e-5)
    path = tmp_path / "spark-als.npz"
    spark_als.save(path)
    loaded = recsys.ALS.load(path)
    assert loaded.recommend(customers, k=5).to_dict() == spark_als.recommend(customers, k=5).to_dict()
    assert loaded.recommend_for_basket(cart, k=5).item_ids() == basket


@pytest.mark.realdata
def test_spark_als_on_online_retail_scores_within_5_percent_of_the_local_one(spark):
    from recsys.evaluation.split import temporal_split
    from recsys.spark import fit_als, interactions_from_spark

    shop = recsys.read_online_retail(need_file("online-retail.csv.gz"))
    train, test = temporal_split(shop.interactions, last_days=30)
    frame = spark.createDataFrame(train.to_frame()[["user_id", "item_id", "weight"]])
    remote = fit_als(interactions_from_spark(frame, user="user_id", item="item_id",
                                             weight="weight"))
    # the same parameters on both sides: fit_als's defaults are implicit's classic ones (MLlib
    # penalises each user by their purchases, so the two part at the larger "auto" penalty)
    local = recsys.ALS(regularization=0.01, alpha=1.0, random_state=0)
    table = recsys.evaluate({"spark": remote, "local": local}, train, test,
                            k=10, metrics=["ndcg"], n_bootstrap=0).set_index("model")["value"]
    assert abs(table["spark"] / table["local"] - 1) <= 0.05


def test_recommend_all_gives_exactly_the_local_picks_and_reasons(spark, spark_als, small,
                                                                   tmp_path):
    from recsys.spark import recommend_all

    customers = small.interactions.users.ids[:90]
    constraints = [ExcludePurchased(), CategoryCap(small.products, max_per_category=1)]
    audience = spark.createDataFrame(pd.DataFrame({"customer_id": customers})).repartition(4)
    got = recommend_all(spark_als, audience, k=4, constraints=constraints,
                        products=small.products, as_of="2026-01-01").toPandas()
    want = make_picks(spark_als, customers, 4, constraints, products=small.products,
                      as_of="2026-01-01").picks
    got = got.sort_values(["customer_id", "rank"]).reset_index(drop=True)
    want = want.sort_values(["customer_id", "rank"]).reset_index(drop=True)
    assert list(got.columns) == list(want.columns)
    assert got.drop(columns="score").equals(want.drop(columns="score"))
    assert np.allclose(got["score"], want["score"], rtol=1e-5, equal_nan=True)  # batch shapes
    out = tmp_path / "picks.parquet"
    assert recommend_all(spark_als, audience, k=4, as_of="2026-01-01", out=str(out)) is None
    assert len(spark.read.parquet(str(out)).toPandas()) == 4 * len(customers)
    with pytest.raises(recsys.DataError, match="no column 'customer'"):
        recommend_all(spark_als, audience, k=4, customer="customer")


# ---------------------------------------------------------------------- round 3 of bad input
def test_spark_inputs_of_the_wrong_kind_get_the_library_errors(spark, small, spark_als):
    """An array-typed product column, a text weight, ALS without customers, k=0 and text ids
    against an int model raised Spark's own exceptions (or back-filled every customer)."""
    from recsys.spark import fit_als, interactions_from_spark, recommend_all

    arrays = spark.createDataFrame(pd.DataFrame({"customer_id": [1, 2],
                                                 "product_id": [[1, 2], [3]]}))
    with pytest.raises(recsys.DataError, match="explode"):
        interactions_from_spark(arrays, user="customer_id", item="product_id")
    words = spark.createDataFrame(pd.DataFrame({"customer_id": [1, 2], "product_id": [1, 2],
                                                "quantity": ["many", "2"]}))
    with pytest.raises(recsys.DataError, match="weights must be numbers"):
        interactions_from_spark(words, user="customer_id", item="product_id",
                                weight="quantity")
    baskets = interactions_from_spark(
        spark.createDataFrame(small.orders[["product_id", "order_id"]]), user=None,
        item="product_id", basket="order_id")
    with pytest.raises(recsys.DataError, match="no customers"):
        fit_als(baskets, factors=4, iterations=2)
    audience = spark.createDataFrame(pd.DataFrame({"customer_id": [10001, 10002]}))
    with pytest.raises(recsys.InvalidParameterError, match="k"):
        recommend_all(spark_als, audience, k=0)
    text = spark.createDataFrame(pd.DataFrame({"customer_id": ["10001", "10002"]}))
    with pytest.raises(recsys.DataError, match="no customer would be"):
        recommend_all(spark_als, text, k=3)


def test_a_null_basket_id_is_refused_as_locally(spark):
    from recsys.spark import interactions_from_spark

    rows = spark.createDataFrame(pd.DataFrame({"product_id": [1, 2, 3],
                                               "order_id": [1.0, None, None]}))
    with pytest.raises(recsys.DataError, match="order_id"):
        interactions_from_spark(rows, user=None, item="product_id", basket="order_id")
