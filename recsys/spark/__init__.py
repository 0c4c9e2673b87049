"""recsys on Apache Spark: fit and pick beyond one machine, serve the result locally.

The same jobs as the single-machine library, run on a Spark cluster, with answers brought back
as ordinary recsys models (they recommend, explain, save and load like ones fitted locally):

- :func:`interactions_from_spark`: validate a Spark DataFrame of orders and index its ids in
  Spark (only the distinct ids come to the driver);
- :func:`fit_als`: MLlib's implicit-feedback ALS, returned as a local :class:`recsys.ALS`;
- :func:`mine_rules`: MLlib's FPGrowth, returned as the rules frame of
  :func:`recsys.rules.mining.association_rules` and a local :class:`recsys.AssociationRules`;
- :func:`recommend_all`: campaign picks for every customer of a Spark DataFrame, computed on
  the executors by the local engine (:func:`recsys.campaign.make_picks`), optionally written
  as Parquet.

Needs the ``spark`` extra (``python -m pip install -e ".[spark]"``: pyspark and pyarrow) and
a Java 17+ runtime; without them every function raises :class:`MissingDependencyError`
naming what to install. See docs/scale.md.
"""

from __future__ import annotations

from recsys.spark._als import fit_als, mapped_als_params
from recsys.spark._check import MissingDependencyError, require_spark
from recsys.spark._interactions import SparkInteractions, interactions_from_spark
from recsys.spark._picks import recommend_all
from recsys.spark._rules import mine_rules

__all__ = ["MissingDependencyError", "SparkInteractions", "fit_als", "interactions_from_spark",
           "mapped_als_params", "mine_rules", "recommend_all", "require_spark"]
