"""Orders as a Spark DataFrame, checked and indexed in Spark: only the distinct ids come back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recsys.data.idmap import IdMap
from recsys.exceptions import DataError
from recsys.spark._check import require_spark, spark_of
from recsys.spark._pyspark import sf

#: column names of the indexed frame
USER, ITEM, WEIGHT, BASKET, TIME = "u", "i", "w", "b", "t"


@dataclass(frozen=True)
class SparkInteractions:
    """Indexed interactions on Spark.

    Attributes
    ----------
    frame : pyspark.sql.DataFrame
        Columns ``u`` (user index, int), ``i`` (item index, int), ``w`` (weight, double) and,
        where given, ``b`` (the basket id as it came) and ``t`` (timestamp).
    users, items : IdMap
        The external ids, sorted, as a local model holds them (index = position).
    n_rows : int
    """

    frame: Any
    users: IdMap
    items: IdMap
    n_rows: int

    @property
    def has_baskets(self) -> bool:
        return BASKET in self.frame.columns


def interactions_from_spark(df, *, user: str | None, item: str, weight: str | None = None,
                            timestamp: str | None = None,
                            basket: str | None = None) -> SparkInteractions:
    """Validate an order log held as a Spark DataFrame and index its ids in Spark.

    The raw rows never come to the driver: Spark checks them (missing columns, empty or null
    ids, weights that are not finite non-negative numbers), finds the distinct customers and
    products (those come back: a local model needs them), and joins their indices on.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
    user : str or None
        Customer id column (integers or text); None for baskets without customers (rules
        only).
    item : str
        Product id column (integers or text).
    weight : str, optional
        Quantity or rating column (default: each row counts 1).
    timestamp, basket : str, optional
        Time and order id columns, kept for the rules (baskets) and for the record.

    Returns
    -------
    SparkInteractions

    Examples
    --------
    >>> from recsys.spark import interactions_from_spark  # doctest: +SKIP
    >>> orders = spark.read.parquet("s3://shop/orders")  # doctest: +SKIP
    >>> data = interactions_from_spark(orders, user="customer_id", item="sku",
    ...                                weight="quantity", basket="order_id")  # doctest: +SKIP
    """
    require_spark("interactions_from_spark")

    spark_of(df, "interactions_from_spark")
    columns = {"user": user, "item": item, "weight": weight, "timestamp": timestamp,
               "basket": basket}
    missing = [f"{role}={name!r}" for role, name in columns.items()
               if name is not None and name not in df.columns]
    if missing:
        raise DataError(f"interactions_from_spark: no column {', '.join(missing)}; the "
                        f"DataFrame has {df.columns}. Pass the right names, e.g. "
                        f"user='customer_id', item='product_id'.")
    _check_types(df, user, item, weight)
    picked = [sf.col(user).alias("user") if user else sf.lit(0).alias("user"),
              sf.col(item).alias("item"),
              (sf.col(weight).cast("double") if weight else sf.lit(1.0)).alias(WEIGHT)]
    picked += [sf.col(basket).alias(BASKET)] if basket else []
    picked += [sf.col(timestamp).alias(TIME)] if timestamp else []
    rows = df.select(*picked)
    _check_rows(rows, user, item, weight, basket)
    users = _id_map(rows, "user", user) if user else IdMap(np.empty(0, np.int64), name="user_id")
    items = _id_map(rows, "item", item)
    frame = rows.join(_index_frame(df.sparkSession, items, "item", ITEM), "item")
    if user:
        frame = frame.join(_index_frame(df.sparkSession, users, "user", USER), "user")
    frame = frame.drop("user", "item")
    return SparkInteractions(frame, users, items, int(rows.count()))


#: Spark types an id column may have, and a weight column
_ID_TYPES = ("IntegerType", "LongType", "ShortType", "ByteType", "StringType",
             "FloatType", "DoubleType")  # numbers a null made float: checked row by row next
_NUMBER_TYPES = ("IntegerType", "LongType", "ShortType", "ByteType", "FloatType", "DoubleType",
                 "DecimalType")


def _check_types(df, user: str | None, item: str, weight: str | None) -> None:
    """Ids are integers or text, a weight is a number: checked on the schema, before Spark
    runs anything (an array of products, or a weight "many", failed inside Spark's own code)."""
    kinds = {field.name: type(field.dataType).__name__ for field in df.schema.fields}
    for role, column in (("user", user), ("item", item)):
        if column is not None and kinds[column] not in _ID_TYPES:
            raise DataError(f"interactions_from_spark: {role}={column!r} is a "
                            f"{kinds[column]} column; ids must be integers or text (one id a "
                            f"row: explode an array column first, sf.explode).")
    if weight is not None and kinds[weight] not in _NUMBER_TYPES:
        raise DataError(f"interactions_from_spark: weight={weight!r} is a {kinds[weight]} "
                        f"column; weights must be numbers (cast it, or leave weight=None).")


def _check_rows(rows, user: str, item: str, weight: str | None, basket: str | None) -> None:
    """One Spark pass counting every kind of bad row; a DataError naming the first found."""

    bad_weight = (sf.col(WEIGHT).isNull() | sf.isnan(sf.col(WEIGHT)) | (sf.col(WEIGHT) < 0)
                  | (sf.abs(sf.col(WEIGHT)) == float("inf")))
    null_basket = sf.col(BASKET).isNull() if basket else sf.lit(False)
    counts = rows.agg(
        sf.count(sf.lit(1)).alias("rows"),
        sf.sum(sf.col("user").isNull().cast("long")).alias("null_user"),
        sf.sum(sf.col("item").isNull().cast("long")).alias("null_item"),
        sf.sum(null_basket.cast("long")).alias("null_basket"),
        sf.sum(bad_weight.cast("long")).alias("bad_weight")).first()
    if not counts["rows"]:
        raise DataError("interactions_from_spark: the DataFrame has no rows.")
    for key, column in (("null_user", user), ("null_item", item), ("null_basket", basket)):
        if counts[key]:
            raise DataError(f"interactions_from_spark: {counts[key]:,} of {counts['rows']:,} "
                            f"rows have no {column!r}; filter them out first "
                            f"(df.dropna(subset=[{column!r}])).")
    if counts["bad_weight"]:
        raise DataError(f"interactions_from_spark: {counts['bad_weight']:,} rows have a "
                        f"{weight!r} that is missing, negative or infinite; weights must be "
                        f"finite numbers >= 0 (filter or fill them first).")


def _id_map(rows, column: str, name: str) -> IdMap:
    """The distinct ids of ``column``, brought to the driver and sorted as recsys keeps ids."""
    values = rows.select(column).distinct().toPandas()[column]
    ids = values.to_numpy()
    if ids.dtype.kind == "O" or ids.dtype.kind == "U" or str(values.dtype).startswith("str"):
        ids = values.astype(str).to_numpy(dtype=str)
    elif ids.dtype.kind in "iu":
        ids = ids.astype(np.int64)
    else:
        raise DataError(f"interactions_from_spark: {name!r} holds {values.dtype} values; ids "
                        f"must be integers or text (cast the column first).")
    return IdMap(ids, name={"user": "user_id", "item": "item_id"}[column])


def _index_frame(session, ids: IdMap, column: str, index: str):
    """A small Spark frame (id, index) to join: broadcast for catalogues, shuffled for
    customer bases."""

    frame = session.createDataFrame(pd.DataFrame({column: ids.ids.tolist(),
                                                  index: np.arange(len(ids), dtype=np.int32)}))
    return sf.broadcast(frame) if len(ids) <= 1_000_000 else frame
