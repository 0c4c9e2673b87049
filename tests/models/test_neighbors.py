"""ItemKNN: the model contract."""

from __future__ import annotations

from recsys.models.neighbors import ItemKNN
from recsys.testing import ModelContract


class TestItemKNNContract(ModelContract):
    model = ItemKNN
    variants = [{"k": 30, "num_threads": 1},
                {"k": 30, "num_threads": 1, "weighting": "bm25", "half_life_days": 60.0}]
