"""Did the campaign work? Plan a control group, mail picks to everyone else, and measure each
arm against control once the orders are in (here: simulated, with a known true effect).

Run: python examples/measure_campaign.py
"""

import tempfile
from pathlib import Path

import pandas as pd

import recsys
from recsys.campaign import ExcludePurchased, make_picks
from recsys.campaign.segments import rfm
from recsys.experiment import analyze, minimum_detectable_effect, sample_size, simulate_response

shop = recsys.make_shop(n_customers=20_000, n_products=300, seed=0)
as_of = pd.Timestamp("2026-01-01")
segments = rfm(shop.orders, as_of=as_of).set_index("customer_id")["segment"]
audience = segments.index

# 1. Plan: how many customers does a 10% control group need to see +1 point on a 10% rate?
need = sample_size(0.10, 0.01, control_share=0.10)
print(f"to detect 10% -> 11% with a 10% control group: {need.total:,} customers "
      f"({need.control:,} in control); we have {len(audience):,}")
for share in (0.1, 0.2):
    control = int(len(audience) * share)
    effect = minimum_detectable_effect(len(audience) - control, control, baseline_rate=0.10)
    print(f"{share:.0%} in control: the smallest detectable uplift is {effect * 100:.1f} "
          f"percentage points")

# 2. Assign and pick: two models against each other and against no mail.
models = {"knn": recsys.ItemKNN(similarity="bm25").fit(shop.interactions),
          "popular": recsys.Popularity().fit(shop.interactions)}
out = Path(tempfile.mkdtemp()) / "picks.csv"
sent = make_picks(models, audience, k=4, constraints=[ExcludePurchased()], segments=segments,
                  arms={"knn": 0.4, "popular": 0.4, "control": 0.2}, salt="2026-w01",
                  products=shop.products, out=out)
print(sent.assignments["group"].value_counts().to_string())
sent.assignments.to_csv(out.with_suffix(".assignments.csv"), index=False)

# 3. Two weeks later: the orders (simulated here: treated customers convert 2 points more).
orders, truth = simulate_response(sent.assignments, start=as_of, days=14, base_rate=0.10,
                                  conversion_uplift=0.02, products=shop.products["product_id"],
                                  seed=1)

# 4. Measure, from the files as the command line would (recsys measure ...).
result = analyze(pd.read_csv(out.with_suffix(".assignments.csv")), orders,
                 start=as_of, end=as_of + pd.Timedelta(days=14))
print(result)
print(f"true conversion uplift: {truth['conversion_rate']:+.3f}")
report = out.with_name("readout.html")
report.write_text(result.to_html(title="Week 1 campaign"))
print(f"wrote {report}")
