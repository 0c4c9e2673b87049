"""Campaign picks for a Spark DataFrame of customers, by the local engine on the executors."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recsys._engine.params import check_int
from recsys.campaign import make_picks
from recsys.exceptions import DataError, InvalidParameterError
from recsys.models.base import Recommender
from recsys.models.files import load
from recsys.spark._check import require_spark, spark_of
from recsys.spark._pyspark import DoubleType, LongType, SparkFiles, StringType, StructField, StructType

#: loaded models per executor process, by file digest: each is read once per worker
_LOADED: dict[str, Any] = {}


def recommend_all(model, customers, k: int = 10, *, customer: str = "customer_id",
                  constraints=(), products=None, as_of=None, out: str | None = None,
                  mode: str = "overwrite", **options):
    """Picks for every customer of a Spark DataFrame, computed on the executors with the
    local engine (:func:`recsys.campaign.make_picks`, partition by partition, through
    ``mapInPandas``): the same columns, picks and reasons as ``make_picks`` gives locally.

    The model is written once to a file that Spark ships to each executor (``addFile``); each
    Python worker loads it once. ``constraints`` and ``products`` travel with the task.

    Parameters
    ----------
    model : Recommender or str
        A fitted model, or the path of a model file (``.npz``).
    customers : pyspark.sql.DataFrame
        The audience, one row per customer (duplicates within a partition count once).
    k : int, default 10
    customer : str, default "customer_id"
        The audience's id column; the output keeps this name.
    constraints, products
        As for :func:`~recsys.campaign.make_picks`.
    as_of : datetime-like, optional
        The send date for time rules and repeat models (default: now, read once on the
        driver so every executor uses the same).
    out : str, optional
        Write the picks as Parquet there (one file per partition) and return None.
    mode : str, default "overwrite"
        Spark's save mode for ``out``.
    **options
        Passed on to ``make_picks`` (``backfill``, ``oversample``, ``again``/``k_again``...).

    Returns
    -------
    pyspark.sql.DataFrame or None
        ``customer_id, rank, product_id, [name], score, source, reason_code, reason``.
    """
    require_spark("recommend_all")
    session = spark_of(customers, "recommend_all")
    if customer not in customers.columns:
        raise DataError(f"recommend_all: the customers DataFrame has no column {customer!r} "
                        f"(it has {customers.columns}); pass customer='<its id column>'.")
    for bad in ("out", "format", "control", "arms", "salt", "show_progress"):
        if bad in options:
            raise InvalidParameterError(
                f"recommend_all: {bad}= is not taken here (control groups and output files "
                f"are the driver's: use out= for Parquet, and recsys.experiment for groups).")
    k = check_int("recommend_all", "k", k, minimum=1)  # here, not first inside an executor
    name, digest, local = _ship(session, model)
    _check_id_type(customers, customer, local)
    stamp = np.datetime64("now", "ns") if as_of is None else as_of
    task = _Task(name, digest, k, customer, tuple(constraints), products, stamp, options)
    picks = customers.select(customer).mapInPandas(task, _schema(customers, customer, task,
                                                                 local))
    if out is None:
        return picks
    picks.write.mode(mode).parquet(out)
    return None


class _Task:
    """What each partition runs: load the model (once per worker), make_picks, typed rows."""

    def __init__(self, name, digest, k, customer, constraints, products, as_of, options):
        self.name, self.digest, self.k, self.customer = name, digest, k, customer
        self.constraints, self.products, self.as_of, self.options = (
            constraints, products, as_of, options)

    def model(self):
        if self.digest not in _LOADED:


            _LOADED[self.digest] = load(SparkFiles.get(self.name))
        return _LOADED[self.digest]

    def __call__(self, batches):


        for batch in batches:
            audience = batch[self.customer].dropna()
            if len(audience) == 0:
                continue
            frame = make_picks(self.model(), audience.to_numpy(), self.k, self.constraints,
                               products=self.products, as_of=self.as_of, **self.options).picks
            if len(frame):
                yield pd.DataFrame(frame).rename(columns={"customer_id": self.customer})


def _check_id_type(customers, customer: str, model) -> None:
    """The audience's ids of the model's type: text ids against an int model (or the other
    way) would be known to no one, every pick back-fill."""

    text = isinstance(customers.schema[customer].dataType, StringType)
    kind = "str" if text else "int"
    if len(model.users_) and kind != model.users_.kind:
        raise DataError(
            f"recommend_all: the audience's {customer!r} holds {'text' if text else 'numbers'} "
            f"and the model's customer ids are {model.users_.kind}s: no customer would be "
            f"known, every pick back-fill. Cast the column "
            f"(sf.col({customer!r}).cast('{'long' if model.users_.kind == 'int' else 'string'}')).")


def _ship(session, model) -> tuple[str, str, Any]:
    """Put the model file on every executor; (its file name, its digest, the model)."""

    if isinstance(model, Recommender):
        folder = tempfile.mkdtemp(prefix="recsys-spark-")
        path = Path(folder) / "model.npz"
        model.save(path)
    elif isinstance(model, str | os.PathLike) and Path(model).is_file():
        path = Path(model)
        model = load(path)  # checked here once, and read for the output's types
    else:
        raise InvalidParameterError(
            f"recommend_all: model must be a fitted recsys model or the path of a model file, "
            f"got {model!r}.")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    shipped = Path(tempfile.mkdtemp(prefix="recsys-spark-")) / f"model-{digest}.npz"
    shipped.write_bytes(path.read_bytes())  # a unique name: addFile refuses a changed file
    session.sparkContext.addFile(str(shipped))
    return shipped.name, digest, model


def _schema(customers, customer: str, task: _Task, model):
    """The output's Spark schema: the audience's id type, the model's product id type."""

    product = LongType() if model.items_.ids.dtype.kind in "iu" else StringType()
    fields = [StructField(customer, customers.schema[customer].dataType),
              StructField("rank", LongType()), StructField("product_id", product)]
    names = task.products is not None and "name" in task.products.columns
    if names or task.options.get("names"):
        fields.append(StructField("name", StringType()))
    fields += [StructField("score", DoubleType()), StructField("source", StringType()),
               StructField("reason_code", StringType()), StructField("reason", StringType())]
    return StructType(fields)
