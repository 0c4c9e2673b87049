"""Every model, behind the one interface of :class:`~recsys.models.base.Recommender`.

One module per model family; importing this package imports each of them, and each model
class joins :data:`REGISTRY` when it is defined (the closed list ``recsys.load`` may rebuild,
the command line offers and the conformance tests cover). Adding a model is adding its module
(with its tests and its docs section): nothing here lists the models by hand.

Besides the models: ``base`` (the interface), ``registry``, ``files`` (saving and loading),
``params`` (declared parameters and search spaces), and the helpers several models share
(``anchors``, ``weighting``, ``trend``, ``auto_params``).
"""

from importlib import import_module
from pkgutil import iter_modules

from recsys.models.base import Explanation, Recommendations, Recommender
from recsys.models.registry import REGISTRY

for _module in iter_modules(__path__):
    if not _module.name.startswith("_"):
        import_module(f"{__name__}.{_module.name}")
globals().update(REGISTRY)

__all__ = ["REGISTRY", "Explanation", "Recommendations", "Recommender", *sorted(REGISTRY)]
