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

from importlib import import_module
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:  # what the names below are, for type checkers and editors
    from . import campaign, experiment, metrics, reasons, rules, segments, split
    from ._params import clone
    from .data import IdMap, Interactions, ItemFeatures
    from .datasets import (
        ShopData,
        make_grocery,
        make_shop,
        read_fimi,
        read_movielens,
        read_online_retail,
    )
    from .evaluation import compare, evaluate
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

#: public name -> the module that defines it, imported on first use: ``import recsys.rules``
#: (a batch job mining rules) loads neither the models nor the campaign nor the tuner
_LAZY = {
    **dict.fromkeys(("campaign", "experiment", "metrics", "reasons", "rules", "segments",
                     "split"), None),
    "clone": "._params", "IdMap": ".data", "Interactions": ".data", "ItemFeatures": ".data",
    **dict.fromkeys(("ShopData", "make_grocery", "make_shop", "read_fimi", "read_movielens",
                     "read_online_retail"), ".datasets"),
    "compare": ".evaluation", "evaluate": ".evaluation",
    **dict.fromkeys(("ALS", "BPR", "EASE", "REGISTRY", "SLIST", "AssociationRules", "BuyAgain",
                     "ContentBased", "Explanation", "Hybrid", "ItemKNN", "NextBasket",
                     "Popularity", "Recommendations", "Recommender", "RP3beta",
                     "SequentialRules"), ".models"),
    "load": ".persistence", "save": ".persistence", "tune": ".tuning",
}


def __getattr__(name: str):
    """The public names, each imported from its module when first asked for."""
    if name not in _LAZY:
        raise AttributeError(f"module 'recsys' has no attribute {name!r}")
    module = _LAZY[name]
    value = (import_module(f".{name}", __name__) if module is None
             else getattr(import_module(module, __name__), name))
    globals()[name] = value  # later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
