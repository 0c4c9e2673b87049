"""Abandoned-cart mails: find the customers who left products in their cart yesterday, leave
out those who opted out, and pick what to show them (the product they left first, then what
goes with it), with a reason for each.

Run: python examples/abandoned_cart.py
"""

import numpy as np
import pandas as pd

import recsys
from recsys.campaign import abandoned_carts, trigger_picks

shop = recsys.make_shop(seed=0)
model = recsys.ItemKNN().fit(shop.interactions)

# An event log as a web shop writes it: views, cart adds, purchases (some of them anonymous).
rng = np.random.default_rng(1)
n = 20_000
customers = pd.array(rng.choice(shop.customers["customer_id"], n), dtype="Int64")
customers[rng.random(n) < 0.3] = pd.NA  # visitors who never logged in
log = pd.DataFrame({
    "customer_id": customers,
    "product_id": rng.choice(shop.interactions.items.ids, n),
    "event": rng.choice(["view", "cart", "purchase"], n, p=[0.85, 0.1, 0.05]),
    "timestamp": pd.Timestamp("2026-03-01") + pd.to_timedelta(rng.integers(0, 3 * 86_400, n),
                                                              unit="s"),
})
optouts = shop.customers["customer_id"].sample(50, random_state=0)
names = shop.products.set_index("product_id")["name"].to_dict()

carts = abandoned_carts(log, within="24h", wait="1h", suppress=optouts, names=names)
print(f"{carts['customer_id'].nunique()} customers left something in their cart "
      f"({carts.attrs['anonymous_rows']} anonymous rows and "
      f"{carts.attrs['suppressed']} opted-out customers left out)")
print(carts.head(3)[["customer_id", "product_id", "reason"]].to_string(index=False))

picks = trigger_picks(model, carts, k=4, names=names)
first = picks["customer_id"].iloc[0]
print(picks[picks["customer_id"] == first][["rank", "product_id", "source", "reason"]]
      .to_string(index=False))
assert not set(picks["customer_id"]) & set(optouts)
