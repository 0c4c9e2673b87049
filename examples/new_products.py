"""New products: content-based picks, a product launched after fitting, and a hybrid.

Run: python examples/new_products.py
"""

import numpy as np

import recsys
from recsys.evaluation.metrics import ranking_metrics
from recsys.evaluation.split import new_item_mask, temporal_split

shop = recsys.make_shop(seed=0, new_product_share=0.25)
names = dict(zip(shop.products["product_id"], shop.products["name"], strict=True))
train, test = temporal_split(shop.interactions, last_days=60)
fresh = test.select(new_item_mask(train, test))
print(f"{len(set(fresh.item_index.tolist()))} products were first sold in the last 60 days")

content = recsys.ContentBased().fit(train, items=shop.items)
als = recsys.ALS(factors=32, alpha=10.0, regularization=0.1, random_state=0).fit(train)
hybrid = recsys.Hybrid(components=[("als", recsys.ALS(factors=32, alpha=10.0,
                                                      regularization=0.1, random_state=0)),
                                   ("content", recsys.ContentBased())],
                       weights=[1.0, 0.5], mode="blend").fit(train, items=shop.items)

users = test.users.ids[np.unique(test.user_index)]
for label, model in (("ALS", als), ("ContentBased", content), ("Hybrid", hybrid)):
    recs = model.recommend(users, k=20, on_unknown="skip")
    overall = ranking_metrics(recs, test, k=10, metrics=["ndcg"])["ndcg@10"]
    on_new = ranking_metrics(recs, fresh, k=20, metrics=["recall"])["recall@20"]
    print(f"{label:<13} ndcg@10 {overall:.4f}   recall@20 on new products {on_new:.4f}")

# "More like this" for a product page.
print("\nmore like", names["P0001"], "->", [names[i] for i in
                                          content.similar_items("P0001", k=3).item_ids()])

# A product added to the catalogue today: no sales, features only, no refit.
launch = shop.products[shop.products["product_id"] == "P0001"].assign(
    product_id="P9001", name="blue spotty enamel teapot deluxe")
content.add_items(launch)
print("a cart with the teapot now suggests:",
      content.recommend_for_basket(["P0001"], k=3).item_ids())
print(content.explain("P9001", basket=["P0001"]).contributions[:3])
