"""Quick start: from an order log to picks, a cart, an explanation and a saved model.

Run: python examples/quickstart.py
"""

import tempfile
from pathlib import Path

import recsys
from recsys.evaluation.split import temporal_split

# 1. An order log. Here the synthetic shop; with your own data, any DataFrame with
#    customer, product, order and time columns will do.
shop = recsys.make_shop(n_customers=1000, n_products=200, seed=0)
orders = shop.orders
names = dict(zip(shop.products["product_id"], shop.products["name"], strict=True))

data = recsys.Interactions.from_frame(orders, user="customer_id", item="product_id",
                                      basket="order_id", timestamp="timestamp")
print(data)

# 2. Hold out the last 30 days, fit a model on the rest.
train, test = temporal_split(data, last_days=30)
model = recsys.ItemKNN(similarity="bm25", k=50).fit(train)

# 3. Picks for two customers: your ids in, your ids out.
customers = orders["customer_id"].unique()[:2].tolist()
picks = model.recommend(customers, k=5)
frame = picks.to_frame()
frame["name"] = frame["item"].map(names)
print(frame)

# 4. Why the first pick?
first = frame.iloc[0]
why = model.explain(first["item"], user=first["query"])
print(recsys.reasons.reason(why, names)[1])

# 5. A cart (or a customer the model has never seen, with a history).
cart = ["P0001", "P0002"]
print(model.recommend_for_basket(cart, k=3).to_frame())

# 6. Does it beat popularity?
print(recsys.evaluate({"ItemKNN": model, "Popularity": recsys.Popularity()}, train, test,
                      k=10, metrics=["ndcg", "recall"], n_bootstrap=100))

# 7. Save it, load it in another process (no pickle involved).
path = Path(tempfile.mkdtemp()) / "itemknn.npz"
model.save(path)
again = recsys.load(path)
assert again.recommend(customers, k=5).to_dict() == picks.to_dict()
print(f"saved and reloaded {path}")
