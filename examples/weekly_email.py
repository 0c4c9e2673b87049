"""The weekly email: segment customers, pick 6 products each under the shop's rules, with a
reason for every pick, and write the mail-merge file.

Run: python examples/weekly_email.py
"""

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import recsys
from recsys.campaign import (
    CategoryCap,
    ExcludePurchased,
    ExcludeRecentlySent,
    MustInclude,
    OnlyAvailable,
    make_picks,
)
from recsys.campaign.segments import rfm

shop = recsys.make_shop(seed=0)
as_of = pd.Timestamp("2026-01-01")

# 1. Who: the customers drifting away.
table = rfm(shop.orders, as_of=as_of)
print(table["segment"].value_counts().to_string())
segments = table.set_index("customer_id")["segment"]
audience = segments.index[segments.isin(["at risk", "can't lose them"])]
print(f"\naudience: {len(audience)} customers")

# 2. Last week's sends, so nobody gets the same product twice in 14 days.
rng = np.random.default_rng(0)
sends = pd.DataFrame({"customer_id": rng.choice(audience, 300),
                      "product_id": rng.choice(shop.products["product_id"], 300),
                      "sent_at": as_of - pd.Timedelta(days=7)})

# 3. The model and the rules.
model = recsys.ItemKNN(similarity="bm25", k=50).fit(shop.interactions)
constraints = [ExcludePurchased(), ExcludeRecentlySent(sends, cooldown_days=14),
         OnlyAvailable(shop.products, column="in_stock"),
         CategoryCap(shop.products, column="category", max_per_category=2),
         MustInclude(["P0005"], slots=1)]

# 4. Picks, written chunk by chunk in the wide mail-merge layout.
out = Path(tempfile.mkdtemp()) / "weekly_email.csv"
result = make_picks(model, audience, k=6, constraints=constraints, products=shop.products,
                    segments=segments, as_of=as_of, out=out, format="wide", chunk_size=200)
print(f"wrote {out}")
print({k: v for k, v in result.summary.items() if k != "top_products"})
mail = pd.read_csv(out)
print(mail[["customer_id", "name_1", "reason_1", "name_2", "reason_2"]].head(5).to_string())
