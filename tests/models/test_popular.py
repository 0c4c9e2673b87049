"""Popularity: the model contract."""

from __future__ import annotations

from recsys.models.popular import Popularity
from recsys.testing import ModelContract


class TestPopularityContract(ModelContract):
    model = Popularity
    variants = [{}, {"window_days": 60.0, "half_life_days": 14.0}]
