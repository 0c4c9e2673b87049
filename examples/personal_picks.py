"""Personal picks with collaborative filtering: ALS, BPR, ItemKNN, EASE side by side.

Run: python examples/personal_picks.py
"""

import recsys
from recsys.evaluation.split import temporal_split

shop = recsys.make_shop(seed=0)
names = dict(zip(shop.products["product_id"], shop.products["name"], strict=True))
train, test = temporal_split(shop.interactions, last_days=60)

models = {
    "ALS": recsys.ALS(factors=32, alpha=10.0, regularization=0.1, random_state=0),
    "BPR": recsys.BPR(factors=32, learning_rate=0.05, iterations=100, random_state=0,
                      num_threads=1),
    "ItemKNN": recsys.ItemKNN(similarity="bm25", k=50),
    "EASE": recsys.EASE(l2=200.0),
    "Popularity": recsys.Popularity(),
}
table = recsys.evaluate(models, train, test, k=10, metrics=["ndcg", "recall", "coverage"],
                        n_bootstrap=200)
print(table.pivot(index="model", columns="metric", values="value").round(4))

# Picks for one customer from the best model, with the reason.
customer = int(shop.customers.loc[shop.customers["segment"] == "frequent", "customer_id"].iloc[0])
model = models["EASE"]
for item in model.recommend(customer, k=5).item_ids():
    code, text = recsys.reasons.reason(model.explain(item, user=customer), names)
    print(f"  {names[item]:<42} {text}")

# A customer who signed up after the model was fitted: picks from their first orders.
newcomer = {"new-customer-1": ["P0001", "P0005"]}
print(models["ALS"].recommend_for_basket(newcomer, k=5).to_frame())

# Business filters inside the ranking: only in-stock products, never two named ones.
in_stock = shop.products.loc[shop.products["in_stock"], "product_id"].tolist()
filtered = models["ALS"].recommend(customer, k=5, candidates=in_stock, exclude=["P0002"])
print(filtered.to_frame())
