"""Keep "frequently bought together" rules current: add each day's orders to the saved model.

The rules after every update are exactly those of mining all the orders again (checked at the
end), at a fraction of the time.

Run: python examples/rules_nightly_update.py
"""

import tempfile
from pathlib import Path

import recsys
from recsys import AssociationRules, Interactions

shop = recsys.make_shop(seed=2)
orders = shop.orders
days = orders["timestamp"].dt.normalize()
last_days = sorted(days.unique())[-5:]


def as_baskets(frame):
    return Interactions.from_frame(frame, user="customer_id", item="product_id",
                                   basket="order_id")


# the first fit, on everything before the last five days, saved to a file
path = Path(tempfile.mkdtemp()) / "rules.npz"
params = {"min_support": 0.002, "min_confidence": 0.05}
AssociationRules(**params).fit(as_baskets(orders[days < last_days[0]])).save(path)

# each night: load, add the day's orders, save
for day in last_days:
    model = recsys.load(path)
    model.partial_fit(as_baskets(orders[days == day]))
    model.save(path)
    print(f"{day:%Y-%m-%d}: {model.n_baskets_:,} baskets, {len(model.rules_):,} rules, "
          f"updated in {model.update_seconds_ * 1000:.1f} ms")

# the same rules as one fit on all the orders
everything = AssociationRules(**params).fit(as_baskets(orders))
assert model.rules_.equals(everything.rules_)
print("same rules as a fit on all orders:", len(everything.rules_))
print(model.rules_[["antecedents", "consequents", "confidence", "lift"]].head(5)
      .to_string(index=False))
