"""Replenishment: what each customer is due to buy again, beside what they might discover.

A grocery's weekly mail: the first 3 picks are products the customer buys regularly and is
due for ("You buy this about every 27 days; your last was 30 days ago"), the other 3 are new
to them. Then the two questions a shop asks of repeat models: do they beat plain popularity
and the customer's own purchase counts, with repeats allowed in the evaluation?

Run: python examples/replenishment.py
"""

import numpy as np

import recsys
from recsys.campaign import ExcludePurchased, make_picks
from recsys.evaluation.repeat_metrics import repeat_explore
from recsys.evaluation.split import temporal_split

shop = recsys.make_grocery(n_customers=3000, days=365, mean_baskets=12, loyalty=0.5, seed=0)
train, test = temporal_split(shop.interactions, last_days=60)
send_date = np.datetime64(train.timestamps.max(), "D") + np.timedelta64(1, "D")

# 1. The models: buy again (counts decayed by age, due by the customer's own cycle) for the
#    replenishment slots, the default Hybrid for discovery.
again = recsys.BuyAgain(half_life_days=90, cycle_weight=0.3).fit(train)
discover = recsys.Hybrid().fit(train, items=shop.items)
print(f"the default Hybrid's check at fit: {discover.check_}; left out: {discover.left_out_}")

# 2. The mail: 3 due products, then 3 the customer never bought, each with its reason.
customers = train.users.ids[:500]
picks = make_picks(discover, customers, k=6, constraints=[ExcludePurchased()], again=again,
                   k_again=3, products=shop.products, as_of=send_date).picks
print(picks.head(12).to_string(index=False))
print(picks["reason_code"].value_counts().to_string())

# 3. Repeats allowed: every product bought in the last 60 days counts, bought before or not.
models = {"BuyAgain": recsys.BuyAgain(), "NextBasket": recsys.NextBasket(),
          "Popularity": recsys.Popularity()}
table = recsys.evaluate(models, train, test, k=10, metrics=["ndcg", "recall"],
                        exclude_seen=False, n_bootstrap=0)
print(table.pivot(index="model", columns="metric", values="value").to_string())
returning = test.users.ids[np.unique(test.user_index)]
recs = models["BuyAgain"].recommend(returning, k=10, on_unknown="skip", as_of=send_date)
split = repeat_explore(recs.to_frame(), test, train, k=10)
print(f"BuyAgain recall on products bought before {split['recall_repeat']:.3f}, on new "
      f"ones {split['recall_explore']:.3f}; share of picks that are repeats "
      f"{split['repeat_share']:.2f}")
