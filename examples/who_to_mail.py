"""Who to mail: learn from last month's send (its random control group and the orders that
followed) whom a mail changes, then spend this month's send on the 20% with the largest
predicted uplift, keeping a control group inside them for the next readout.

The generated shop's past send had a known effect (lapsed customers came back when mailed),
so the script can say how much better targeting does than mailing at random.

Run: python examples/who_to_mail.py
"""

import numpy as np
import pandas as pd

import recsys
from recsys.campaign import make_picks
from recsys.customers import customer_features, learn_uplift, predicted_uplift
from recsys.experiment import analyze, assign, simulate_response

PAST, NOW = pd.Timestamp("2025-11-01"), pd.Timestamp("2026-01-05")
shop = recsys.make_shop(n_customers=4000, n_products=150, seed=0)


def true_effect(orders, as_of):
    """What a mail really does (unknown in a real shop): lapsed customers come back."""
    lapsed = customer_features(orders, as_of)["days_since_last"]
    return 0.4 / (1 + np.exp(-(lapsed - lapsed.median()) / 15)) - 0.02


# Last month: half of the customers mailed at random; the orders that followed.
before = shop.orders[shop.orders["timestamp"] < PAST]
past = assign(before["customer_id"].unique(), salt="2025-11", control=0.5)
response, _ = simulate_response(past, start=PAST, base_rate=0.0,
                                conversion_uplift=true_effect(before, PAST), seed=1)
orders = pd.concat([shop.orders, response[["customer_id", "product_id", "timestamp"]]],
                   ignore_index=True)

# Learn whom the mail changed, then score everyone for this month's send.
model = learn_uplift(past, orders, PAST, days=14)
scores = predicted_uplift(model, orders, NOW)
print(f"learnt from {model.campaign_['customers']:,} customers: "
      f"{model.campaign_['treated_rate']:.1%} of the mailed bought within 14 days, "
      f"{model.campaign_['control_rate']:.1%} of the control; learner {model.learner_}")

# This month: the 20% with the largest predicted uplift, a 10% control group inside them.
picker = recsys.ItemKNN().fit(shop.interactions)
result = make_picks(picker, scores.index, k=4, target=scores, budget=0.2, control=0.1,
                    salt="2025-12", as_of=NOW)
print(f"targeted {result.summary['target']['targeted']:,} of {len(scores):,} customers "
      f"({result.summary['target']['not_positive']:,} predicted at 0 or below left out)")

# How much that buys, with the (here known) true effect: targeted against random.
truth = true_effect(orders[orders["timestamp"] < NOW], NOW)
chosen = result.assignments["customer_id"]
print(f"true uplift of a mail: {truth[chosen].mean():.1%} for the targeted, "
      f"{truth.mean():.1%} for a random 20%")

# Next month's readout measures the mail on the targeted customers (simulated here).
response, planted = simulate_response(result.assignments, start=NOW, base_rate=0.05,
                                      conversion_uplift=truth, seed=2)
readout = analyze(result.assignments, response, NOW, NOW + pd.Timedelta(days=14))
row = readout.uplift.query("segment == 'all' and metric == 'conversion_rate'").iloc[0]
print(f"readout: conversion uplift {row['uplift']:.1%} "
      f"[{row['ci_low']:.1%}, {row['ci_high']:.1%}], planted {planted['conversion_rate']:.1%}")
