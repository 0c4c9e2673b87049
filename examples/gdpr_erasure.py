"""A customer asks to be forgotten (GDPR art. 17): the model file is rewritten without them,
and it answers everyone else exactly as a fit on the data without them would.

Run: python examples/gdpr_erasure.py
"""

import tempfile
from pathlib import Path

import numpy as np

import recsys
from recsys.models.files import read_manifest

shop = recsys.make_shop(seed=2)
data = shop.interactions
path = Path(tempfile.mkdtemp()) / "model.npz"
recsys.EASE().fit(data).save(path)

asked = data.users.ids[:3]                   # the customers who asked to be erased
model = recsys.load(path)
done = model.forget(asked)                   # EASE learns who bought what only: its own state
model.save(path)                             # rewritten whole or not at all
print(f"erased {done['forgotten']} customers ({done['how']})")

again = recsys.load(path)
assert not np.isin(asked, again.users_.ids).any()
print("erasures recorded:", read_manifest(path)["personal_data"]["erasures"])

# the same as a fit without them, for everyone else
rest = data.select(~np.isin(data.users.to_ids(data.user_index), asked)).without_unused_ids()
fresh = recsys.EASE().fit(rest)
someone = rest.users.ids[:5]
assert again.recommend(someone, k=5).to_dict() == fresh.recommend(someone, k=5).to_dict()
print("picks for the others equal a fit without the erased customers")
