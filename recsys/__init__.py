"""recsys: recommendations for shops and marketing teams.

Association rules for co-purchases, collaborative filtering, content-based
ranking and hybrids, behind one fitted-model interface, with evaluation and a
command line. External ids in, external ids out.

>>> import recsys
>>> shop = recsys.make_shop(n_customers=300, n_products=60, seed=0)
>>> model = recsys.Popularity().fit(shop.interactions)
>>> len(model.recommend(shop.interactions.users.ids[:3], k=5))
3
"""

from . import campaign, experiment, metrics, reasons, rules, segments, split
from ._params import clone
from .data import IdMap, Interactions, ItemFeatures
from .datasets import ShopData, make_grocery, make_shop, read_fimi, read_movielens, read_online_retail
from .evaluation import compare, evaluate
from .exceptions import (
    DataError,
    DataWarning,
    InvalidParameterError,
    NotFittedError,
    PersistenceError,
    RecsysError,
    UnknownIdError,
    UnsupportedError,
)
from .models import (
    ALS,
    BPR,
    EASE,
    REGISTRY,
    SLIST,
    AssociationRules,
    BuyAgain,
    ContentBased,
    Explanation,
    Hybrid,
    ItemKNN,
    NextBasket,
    Popularity,
    Recommendations,
    Recommender,
    RP3beta,
    SequentialRules,
)
from .persistence import load, save
from .tuning import tune

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # data
    "IdMap", "Interactions", "ItemFeatures", "ShopData",
    "make_shop", "make_grocery", "tune", "read_online_retail", "read_fimi", "read_movielens",
    # models
    "Recommender", "Recommendations", "Explanation", "REGISTRY", "Popularity", "AssociationRules",
    "ALS", "BPR", "ItemKNN", "EASE", "ContentBased", "Hybrid", "BuyAgain",
    "NextBasket", "RP3beta", "SequentialRules", "SLIST",
    "clone", "load", "save", "evaluate", "compare",
    # modules
    "campaign", "experiment", "metrics", "reasons", "rules", "segments", "split",
    # errors
    "RecsysError", "DataError", "UnknownIdError", "NotFittedError",
    "InvalidParameterError", "UnsupportedError", "PersistenceError", "DataWarning",
]
