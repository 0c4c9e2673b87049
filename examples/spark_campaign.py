"""The weekly email on Spark: fit ALS and the add-on rules on the cluster, bring the models
back, write every customer's picks as Parquet from the executors, serve the same model file.

Run locally (a local[2] session; needs the spark extra and Java 17+):

    python -m pip install -e ".[spark]"
    python examples/spark_campaign.py

On a cluster, the same script through spark-submit (the library on every node, e.g. as a
wheel: python -m pip wheel . -w dist):

    spark-submit --master yarn --deploy-mode client \\
        --conf spark.executor.memory=4g --conf spark.executor.cores=2 \\
        --conf spark.sql.execution.arrow.pyspark.enabled=true \\
        --py-files dist/recsys-0.1.0-py3-none-any.whl \\
        examples/spark_campaign.py --orders s3://shop/orders/ --out s3://shop/picks/2026-w48/

See docs/scale.md for what runs where and the memory it needs.
"""

import argparse
import sys
import tempfile
import warnings
from pathlib import Path

import recsys
from recsys.campaign import CategoryCap, ExcludePurchased
from recsys.spark import (
    MissingDependencyError,
    fit_als,
    interactions_from_spark,
    mine_rules,
    recommend_all,
    require_spark,
)

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--orders", help="Parquet orders (customer_id, product_id, order_id, "
                                     "quantity); default: the synthetic shop")
parser.add_argument("--out", default=None, help="where the picks go (Parquet)")
args = parser.parse_args()
try:
    require_spark("examples/spark_campaign.py")
except MissingDependencyError as missing:
    print(f"skipped: {missing}")
    sys.exit(0)

from pyspark.sql import SparkSession  # noqa: E402  (after the check: a clear message first)

# pyspark notes on every pandas conversion that it does not yet test pandas 3
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")

spark = (SparkSession.builder.appName("recsys weekly email")
         .config("spark.sql.execution.arrow.pyspark.enabled", "true")
         .config("spark.ui.enabled", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
shop = recsys.make_shop(seed=0)
if args.orders:
    orders = spark.read.parquet(args.orders)
else:
    columns = ["customer_id", "product_id", "order_id", "quantity"]
    orders = spark.createDataFrame(shop.orders[columns])

# 1. Checked and indexed in Spark; only the distinct ids come to the driver.
data = interactions_from_spark(orders, user="customer_id", item="product_id",
                               weight="quantity", basket="order_id")
print(f"{data.n_rows:,} order lines, {len(data.users):,} customers, {len(data.items):,} products")

# 2. The models, fitted on the cluster, served locally.
als = fit_als(data, factors=32, iterations=10)
rules = mine_rules(data, min_support=0.002, min_confidence=0.05)
print(f"{len(rules.itemsets):,} frequent itemsets, {len(rules.rules):,} rules")
print(rules.rules.head(3)[["antecedents", "consequents", "confidence", "lift"]].to_string())
folder = Path(tempfile.mkdtemp())
als.save(folder / "als.npz")  # the web process: recsys.load("als.npz").recommend(customer)
rules.model.save(folder / "addons.npz")  # ... and .recommend_for_basket(cart)

# 3. Every customer's picks, by the executors, with the shop's constraints and reasons.
customers = orders.select("customer_id").distinct()
constraints = [ExcludePurchased()]
products = None if args.orders else shop.products
if products is not None:
    constraints.append(CategoryCap(products, max_per_category=2))
out = args.out or str(folder / "picks.parquet")
recommend_all(str(folder / "als.npz"), customers, k=6, constraints=constraints,
              products=products, as_of="2026-01-01", out=out)
picks = spark.read.parquet(out)
print(f"wrote {out}: {picks.count():,} picks")
picks.orderBy("customer_id", "rank").show(6, truncate=60)
spark.stop()
