"""New arrivals in a weekly mail: the last two of each customer's picks are products without
sales yet, the ones most like what the customer bought.

Run: python examples/new_arrivals.py
"""

import recsys
from recsys.campaign import ExcludePurchased, make_picks

shop = recsys.make_shop(seed=0, new_product_share=0.25)
train, later = recsys.split.temporal_split(shop.interactions, last_days=45)

# products the shop sold only in the last 45 days are "new" at the send date
sold_before = set(train.items.ids[train.item_index])
new = [p for p in shop.products["product_id"] if p not in sold_before]
print(f"{len(new)} products of {len(shop.products)} have no sale before the send")

# the main model knows the whole catalogue, so unsold products can be picked at all
data = recsys.Interactions.from_frame(train.to_frame(), timestamp="timestamp",
                                      basket="basket_id", items=shop.products["product_id"])
main = recsys.EASE().fit(data)
content = recsys.ContentBased().fit(data, items=shop.items)
audience = data.users.ids[:500]
result = make_picks(main, audience, k=6, constraints=[ExcludePurchased()],
                    products=shop.products, new=content, k_new=2, new_products=new)
picks = result.picks
print(picks.head(6)[["customer_id", "rank", "name", "reason"]].to_string(index=False))
arrivals = picks[picks["reason_code"] == "new_arrival"]
print(f"\n{len(arrivals):,} new-arrival picks for {arrivals['customer_id'].nunique():,} "
      f"customers; {result.summary['new_picks']:,} counted in the summary")

# did the customers who then bought a new product get it in their mail?
bought = later.to_frame()[["user_id", "item_id"]].drop_duplicates()
hit = arrivals.merge(bought, left_on=["customer_id", "product_id"],
                     right_on=["user_id", "item_id"])
print(f"{hit['product_id'].nunique()} new products reached a customer who then bought them")
