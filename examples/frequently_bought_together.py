"""Frequently bought together: mine rules from orders, then suggest add-ons for carts.

Run: python examples/frequently_bought_together.py
"""

import recsys
from recsys.rules import association_rules, frequent_itemsets

shop = recsys.make_shop(seed=0)
names = dict(zip(shop.products["product_id"], shop.products["name"], strict=True))

# Mine: every itemset in at least 0.3% of orders, rules with confidence >= 0.2.
itemsets = frequent_itemsets(shop.interactions, min_support=0.003, max_len=3)
rules = association_rules(itemsets, metric="confidence", min_threshold=0.2)
print(f"{len(itemsets)} itemsets, {len(rules)} rules")
top = rules.sort_values("lift", ascending=False).head(5)
for a, c, conf, lift in top[["antecedents", "consequents", "confidence", "lift"]].itertuples(
        index=False):
    bought = " + ".join(names[i] for i in sorted(a))
    also = " + ".join(names[i] for i in sorted(c))
    print(f"  {bought}  ->  {also}   (confidence {conf:.2f}, lift {lift:.1f})")

# The cart recommender: fire every rule whose antecedent is in the cart.
model = recsys.AssociationRules(min_support=0.003, min_confidence=0.1, metric="lift").fit(
    shop.interactions)
first_rule = model.rules_.iloc[0]
cart = sorted(first_rule["antecedents"])
print("\ncart:", [names[i] for i in cart])
recs = model.recommend_for_basket(cart, k=3)
for item in recs.item_ids():
    why = model.explain(item, basket=cart)
    print(f"  add {names[item]:<40} lift {why.details['lift']:.1f}, "
          f"confidence {why.details['confidence']:.2f}")

# Many carts at once (vectorised): the first items of 1,000 orders.
carts = shop.orders.groupby("order_id")["product_id"].first().head(1000)
batch = model.recommend_for_basket([[p] for p in carts], k=3)
print(f"\n{len(batch)} carts, {int((batch.lengths > 0).sum())} with at least one add-on")
