"""NextBasket: the model contract."""

from __future__ import annotations

from recsys.models.next_basket import NextBasket
from recsys.testing import ModelContract


class TestNextBasketContract(ModelContract):
    model = NextBasket
    variants = [{"n_neighbors": 10}]
