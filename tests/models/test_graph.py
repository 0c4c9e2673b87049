"""RP3beta: the model contract."""

from __future__ import annotations

from recsys.models.graph import RP3beta
from recsys.testing import ModelContract


class TestRP3betaContract(ModelContract):
    model = RP3beta
    variants = [{"k": 30}, {"k": 30, "weighting": "bm25", "half_life_days": 60.0}]
