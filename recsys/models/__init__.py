"""Every model, behind the one interface of :class:`~recsys.models.base.Recommender`.

Importing this package registers each model in :data:`REGISTRY` (the closed
list ``recsys.load`` may rebuild, and the list the conformance tests cover).
"""

from .base import REGISTRY, Explanation, Recommendations, Recommender
from .content import ContentBased
from .ease import EASE
from .factorization import ALS, BPR
from .graph import RP3beta
from .hybrid import Hybrid
from .neighbors import ItemKNN
from .next_basket import NextBasket
from .popular import Popularity
from .repeat import BuyAgain
from .rules import AssociationRules
from .sequential import SequentialRules
from .slist import SLIST

__all__ = ["REGISTRY", "Explanation", "Recommendations", "Recommender", "Popularity",
           "AssociationRules", "ALS", "BPR", "ItemKNN", "EASE", "ContentBased",
           "Hybrid", "BuyAgain", "NextBasket", "RP3beta",
           "SequentialRules", "SLIST"]
