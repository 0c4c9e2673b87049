"""Privacy by design: pseudonymous customer ids (keyed hashes: models, picks and files hold no
shop id; only the key's holder maps them back), suppression and contact rules in the campaign
(:func:`recsys.campaign.make_picks`'s ``suppress=`` and ``contact=``), retention at fit
(``fit(..., max_age_days=...)``) and the personal data a model file holds (``recsys info
--personal-data``). docs/privacy.md says what each does for which obligation.

>>> import pandas as pd
>>> key = "a secret of sixteen bytes"
>>> safe = pseudonymize(pd.DataFrame({"customer_id": [17850, 13047]}), key)
>>> reidentify(safe, key, known_ids=[13047, 17850])["customer_id"].tolist()
[17850, 13047]
"""
from recsys.data.pseudonyms import pseudonymize, pseudonyms_of, reidentify

__all__ = ["pseudonymize", "reidentify", "pseudonyms_of"]
