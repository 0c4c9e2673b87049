"""Orders from a database: the shop's order lines in a table, a model fitted from a query, and
picks for the customers of the last month.

Run: python examples/from_postgres.py
     RECSYS_DATABASE_URL=postgresql://shop@localhost/shop python examples/from_postgres.py

Without RECSYS_DATABASE_URL it writes a temporary SQLite file (the same code path).
"""

import os
import tempfile
from pathlib import Path

import pandas as pd
import sqlalchemy

import recsys
from recsys.campaign import ExcludePurchased, make_picks
from recsys.io.database import read_query

url = os.environ.get("RECSYS_DATABASE_URL") or \
    f"sqlite:///{Path(tempfile.mkdtemp()) / 'shop.db'}"

# a shop's order lines in a table (in production they are there already)
engine = sqlalchemy.create_engine(url)
recsys.make_shop(seed=3).orders.to_sql("order_lines", engine, if_exists="replace", index=False)
engine.dispose()

orders = read_query(url, "select customer_id, product_id, order_id, timestamp from order_lines")
data = recsys.Interactions.from_frame(orders, user="customer_id", item="product_id",
                                      basket="order_id", timestamp="timestamp")
model = recsys.ItemKNN().fit(data)
times = pd.to_datetime(orders["timestamp"])  # text in SQLite, a timestamp type elsewhere
recent = orders.loc[times >= times.max() - pd.Timedelta(days=30), "customer_id"]
result = make_picks(model, recent.unique(), k=5, constraints=[ExcludePurchased()])
print(f"{len(orders):,} order lines read; picks for {result.summary['customers']:,} customers")
print(result.picks.head(5)[["customer_id", "rank", "product_id", "reason"]].to_string(index=False))
