"""The data a shop gives: interactions (who bought what, when), product features, id maps,
parsing of ids, times and amounts, and the data sets (generated shops, public readers).

>>> from recsys.data import Interactions
>>> import pandas as pd
>>> data = Interactions.from_frame(pd.DataFrame({"user_id": [1, 2], "item_id": ["a", "b"]}))
>>> data.n_users, data.n_items
(2, 2)
"""
from recsys.data.features import ItemFeatures
from recsys.data.idmap import IdMap
from recsys.data.interactions import Interactions

__all__ = ["IdMap", "Interactions", "ItemFeatures"]
