"""What ``recsys`` exports, for type checkers and editors: the names are imported lazily at
run time (see ``__init__.py``); tests/test_package.py checks that each name here is in
``recsys.__all__``; a model added later is typed through ``__getattr__`` until listed here."""

from typing import Any

from recsys._version import __version__ as __version__
from recsys.exceptions import DataError as DataError
from recsys.exceptions import DataWarning as DataWarning
from recsys.exceptions import InvalidParameterError as InvalidParameterError
from recsys.exceptions import NotFittedError as NotFittedError
from recsys.exceptions import PersistenceError as PersistenceError
from recsys.exceptions import RecsysError as RecsysError
from recsys.exceptions import UnknownIdError as UnknownIdError
from recsys.exceptions import UnsupportedError as UnsupportedError
from recsys import campaign as campaign
from recsys import experiment as experiment
from recsys import rules as rules
from recsys._engine.params import clone as clone
from recsys.campaign import reasons as reasons
from recsys.campaign import segments as segments
from recsys.data import IdMap as IdMap
from recsys.data import Interactions as Interactions
from recsys.data import ItemFeatures as ItemFeatures
from recsys.data.datasets import ShopData as ShopData
from recsys.data.datasets import make_grocery as make_grocery
from recsys.data.datasets import make_shop as make_shop
from recsys.data.funnel import make_events as make_events
from recsys.data.datasets import read_fimi as read_fimi
from recsys.data.datasets import read_movielens as read_movielens
from recsys.data.datasets import read_online_retail as read_online_retail
from recsys.evaluation import compare as compare
from recsys.evaluation import evaluate as evaluate
from recsys.evaluation import metrics as metrics
from recsys.evaluation import split as split
from recsys.models.base import Explanation as Explanation
from recsys.models.base import Recommender as Recommender
from recsys.models.content import ContentBased as ContentBased
from recsys.models.ease import EASE as EASE
from recsys.models.factorization import ALS as ALS
from recsys.models.factorization import BPR as BPR
from recsys.models.graph import RP3beta as RP3beta
from recsys.models.hybrid import Hybrid as Hybrid
from recsys.models.neighbors import ItemKNN as ItemKNN
from recsys.models.next_basket import NextBasket as NextBasket
from recsys.models.popular import Popularity as Popularity
from recsys.models.registry import REGISTRY as REGISTRY
from recsys.models.repeat import BuyAgain as BuyAgain
from recsys.models.rules import AssociationRules as AssociationRules
from recsys.models.sequential import SequentialRules as SequentialRules
from recsys.models.slist import SLIST as SLIST
from recsys.models.files import load as load
from recsys.models.files import save as save
from recsys.ranking import Recommendations as Recommendations
from recsys.tuning import tune as tune

__all__: list[str]

def __getattr__(name: str) -> Any: ...
