"""EASE: the model contract."""

from __future__ import annotations

from recsys.models.ease import EASE
from recsys.testing import ModelContract


class TestEASEContract(ModelContract):
    model = EASE
    variants = [{"l2": 50.0}, {"l2": 50.0, "weighting": "bm25", "half_life_days": 60.0},
                {"l2": 50.0, "neighbors": 10}, {"l2": "auto"}]
