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

from recsys._version import __version__
from recsys.exceptions import (
    DataError,
    DataWarning,
    InvalidParameterError,
    NotFittedError,
    PersistenceError,
    RecsysError,
    UnknownIdError,
    UnsupportedError,
)

#: public name -> the module that holds it (a module itself when the name is that module's),
#: imported on first use: ``import recsys.rules`` (a batch job mining rules) loads neither
#: the models nor the campaign nor the tuner
_LAZY = {
    "campaign": "recsys.campaign", "experiment": "recsys.experiment", "rules": "recsys.rules",
    "metrics": "recsys.evaluation.metrics", "split": "recsys.evaluation.split",
    "reasons": "recsys.campaign.reasons", "segments": "recsys.campaign.segments",
    **{name: f"recsys.{name}" for name in ("data", "evaluation", "models", "ranking", "tuning",
                                           "reporting", "privacy", "testing", "spark",
                                           "customers")},
    "clone": "recsys._engine.params", "IdMap": "recsys.data", "Interactions": "recsys.data",
    "ItemFeatures": "recsys.data",
    **dict.fromkeys(("ShopData", "make_grocery", "make_shop", "read_fimi", "read_movielens",
                     "read_online_retail"), "recsys.data.datasets"),
    "make_events": "recsys.data.funnel",
    "compare": "recsys.evaluation", "evaluate": "recsys.evaluation",
    "load": "recsys.models.files", "save": "recsys.models.files", "tune": "recsys.tuning",
}
#: the modules among the names above (the rest are attributes of their module)
_MODULES = ("campaign", "experiment", "rules", "metrics", "split", "reasons", "segments", "data",
            "evaluation", "models", "ranking", "tuning", "reporting", "privacy", "testing", "spark",
            "customers")


def __getattr__(name: str):
    """The public names, each imported from its module when first asked for; the models'
    names (every name in ``recsys.models.__all__``) from :mod:`recsys.models`."""
    if name == "__all__":
        return _PUBLIC + import_module("recsys.models").__all__
    if name in _LAZY:
        module = import_module(_LAZY[name])
        value = module if name in _MODULES else getattr(module, name)
    elif not name.startswith("_") and name in (models := import_module("recsys.models")).__all__:
        value = getattr(models, name)
    else:
        raise AttributeError(f"module 'recsys' has no attribute {name!r}")
    globals()[name] = value  # later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(import_module("recsys.models").__all__))



#: the public names besides the models'; ``recsys.__all__`` adds ``recsys.models.__all__``
#: (computed on first use, so that ``import recsys`` stays light)
_PUBLIC = [
    "__version__",
    # data
    "IdMap", "Interactions", "ItemFeatures", "ShopData",
    "make_shop", "make_grocery", "make_events", "read_online_retail", "read_fimi",
    "read_movielens",
    # fitting, saving, judging
    "clone", "load", "save", "evaluate", "compare", "tune",
    # modules
    "campaign", "experiment", "metrics", "reasons", "rules", "segments", "split",
    # errors
    "RecsysError", "DataError", "UnknownIdError", "NotFittedError",
    "InvalidParameterError", "UnsupportedError", "PersistenceError", "DataWarning",
]
