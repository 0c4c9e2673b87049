"""Privacy by design in a weekly send: pseudonymous ids, a retention window, suppression and
frequency caps, the picks re-identified only for the mail tool.

Run: python examples/privacy_by_design.py
"""

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import recsys
from recsys.campaign import ContactRules, append_contacts, make_picks
from recsys.models.files import read_manifest
from recsys.privacy import pseudonymize, reidentify

KEY = "keep-this-in-a-secrets-manager"  # in production: os.environ["RECSYS_ID_KEY"]
shop = recsys.make_shop(seed=1)
orders = shop.orders

# 1. the model sees pseudonyms only, and only the last 180 days
data = recsys.Interactions.from_frame(orders, user="customer_id", item="product_id",
                                      timestamp="timestamp", basket="order_id",
                                      pseudonymize=KEY)
model = recsys.ItemKNN().fit(data, max_age_days=180)
folder = Path(tempfile.mkdtemp())
model.save(folder / "model.npz")
facts = read_manifest(folder / "model.npz")["personal_data"]
print(f"model file: {facts['customers']:,} customers, pseudonymous={facts['pseudonymous']}, "
      f"window {facts['data_window']}")

# 2. opt-outs and the contact history are pseudonymised with the same key
optouts = pseudonymize(pd.DataFrame({"customer_id": orders["customer_id"].unique()[:25]}), KEY)
log = folder / "contacts.csv"
send = pd.Timestamp(orders["timestamp"].max()) + pd.Timedelta(days=1)
for week in range(2):
    day = send + pd.Timedelta(days=3 * week)
    history = (pd.read_csv(log, dtype={"customer_id": str}) if log.exists()  # ids as text
               else pd.DataFrame(columns=["customer_id", "sent_at"]))
    rules = ContactRules(history=history, caps=[(1, 7)])
    audience = model.users_.ids[: len(model.users_) // 2] if week == 0 else model.users_.ids
    result = make_picks(model, audience, k=4, as_of=str(day.date()),
                        suppress=optouts["customer_id"], contact=rules)
    append_contacts(log, result.picks["customer_id"], day.date(), f"week{week}")
    print(f"send {week}: {result.picks['customer_id'].nunique():,} customers mailed, "
          f"{result.summary['suppressed']} suppressed, capped: {result.summary['contact_rules']}")

# 3. only the mail tool gets the shop's ids back, with the key
mail = reidentify(result.picks, KEY, known_ids=orders["customer_id"].unique())
assert not set(mail["customer_id"]) & set(orders["customer_id"].unique()[:25])
assert np.isin(mail["customer_id"], orders["customer_id"].unique()).all()
print(mail.head(4)[["customer_id", "rank", "product_id"]].to_string(index=False))
