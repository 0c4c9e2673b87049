"""pyspark's names the backend uses, imported once: None where pyspark is not installed (every
entry point calls :func:`~recsys.spark._check.require_spark` first, which names the extra), so
no function imports pyspark by itself."""

from __future__ import annotations

try:
    from pyspark import SparkFiles
    from pyspark.ml import recommendation
    from pyspark.ml.fpm import FPGrowth
    from pyspark.sql import functions as sf
    from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType
except ImportError:  # the spark extra is absent: require_spark says how to install it
    SparkFiles = recommendation = FPGrowth = sf = None
    DoubleType = LongType = StringType = StructField = StructType = None

__all__ = ["SparkFiles", "recommendation", "FPGrowth", "sf", "DoubleType", "LongType",
           "StringType", "StructField", "StructType"]
