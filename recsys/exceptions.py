"""The errors ``recsys`` raises.

Every error is a :class:`RecsysError`, and also derives from the builtin a
caller would reach for, so ``except ValueError`` keeps working::

    RecsysError
    ├── DataError (ValueError)               bad input data: missing column, NaN id,
    │                                        mixed id types, empty input, bad weights
    ├── UnknownIdError (KeyError)            ids unknown to the fitted model; .ids, .kind
    ├── NotFittedError (ValueError, AttributeError)
    ├── InvalidParameterError (ValueError)   a parameter out of range or of the wrong kind
    ├── UnsupportedError (NotImplementedError)  the model cannot do what was asked
    └── PersistenceError (ValueError)        a model file that is foreign, damaged or unsafe

    SampleRatioMismatchWarning (UserWarning)  an experiment's arms are not the sizes planned

A message names the object or parameter, what was expected, what was received
and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "RecsysError",
    "DataError",
    "UnknownIdError",
    "NotFittedError",
    "InvalidParameterError",
    "UnsupportedError",
    "PersistenceError",
    "SampleRatioMismatchWarning",
    "DataWarning",
]


class RecsysError(Exception):
    """Base class of every error raised by ``recsys``: catch it to handle them all.

    Parameters
    ----------
    message : str
        What was wrong, what was expected, what came, and the fix.

    Examples
    --------
    >>> import recsys
    >>> try:
    ...     recsys.Popularity().recommend([1], k=3)
    ... except recsys.RecsysError as error:
    ...     print(type(error).__name__)
    NotFittedError
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(message)


class DataError(RecsysError, ValueError):
    """Input data is unusable: a missing column, NaN ids, mixed id types, empty input.

    Parameters
    ----------
    message : str
        The column or file at fault, what it holds and the fix.

    Examples
    --------
    >>> import pandas as pd
    >>> from recsys import DataError, Interactions
    >>> try:
    ...     Interactions.from_frame(pd.DataFrame({"user_id": [1]}))
    ... except DataError as error:
    ...     print(str(error).split(";")[0])
    column(s) 'item_id' not in the frame
    """


class UnknownIdError(RecsysError, KeyError):
    """Ids that the fitted model has never seen.

    The message counts customer ids and names them only when ``RECSYS_SHOW_IDS=1`` (they are
    personal data); ``ids`` always holds them for the program.

    Parameters
    ----------
    message : str
    ids : sequence, default ()
        The unknown ids.
    kind : str, default "item"
        ``"user"`` or ``"item"``.

    Attributes
    ----------
    ids : list
        The unknown ids (all of them, in the order given).
    kind : str
        ``"user"`` or ``"item"``.

    Examples
    --------
    >>> import recsys
    >>> model = recsys.Popularity().fit(recsys.make_shop(n_customers=50, n_products=10).interactions)
    >>> try:
    ...     model.recommend([-1], k=3)
    ... except recsys.UnknownIdError as error:
    ...     print(error.ids, error.kind)
    [-1] user
    """

    def __init__(self, message: str, ids: Sequence = (), kind: str = "item") -> None:
        super().__init__(message)
        self.message = message
        self.ids = list(ids)
        self.kind = kind

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return self.message


class NotFittedError(RecsysError, ValueError, AttributeError):
    """A model was used before ``fit``.

    Parameters
    ----------
    message : str

    Examples
    --------
    >>> import recsys
    >>> try:
    ...     recsys.ItemKNN().similar_items(["P0001"])
    ... except recsys.NotFittedError:
    ...     print("fit it first")
    fit it first
    """


class InvalidParameterError(RecsysError, ValueError):
    """A parameter is out of range, of the wrong type, or an unknown option; ``param`` names it
    when one parameter is at fault (the command line maps it to its option).

    Parameters
    ----------
    message : str, default ""
    param : str, optional
        The parameter at fault.

    Examples
    --------
    >>> import recsys
    >>> try:
    ...     recsys.ALS(factors=0).fit(recsys.make_shop(n_customers=50, n_products=10).interactions)
    ... except recsys.InvalidParameterError as error:
    ...     print(error.param)
    factors
    """

    def __init__(self, message: str = "", *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class UnsupportedError(RecsysError, NotImplementedError):
    """The model cannot do what was asked (see its capability flags, such as
    ``supports_baskets`` and ``uses_item_features``).

    Parameters
    ----------
    message : str

    Examples
    --------
    >>> from recsys import UnsupportedError
    >>> issubclass(UnsupportedError, NotImplementedError)
    True
    """


class PersistenceError(RecsysError, ValueError):
    """A model file is not a ``recsys`` model, is damaged, or is unsafe to load.

    Parameters
    ----------
    message : str

    Examples
    --------
    >>> import os, tempfile, recsys
    >>> path = os.path.join(tempfile.mkdtemp(), "not-a-model.npz")
    >>> _ = open(path, "w").write("hello")
    >>> try:
    ...     recsys.load(path)
    ... except recsys.PersistenceError:
    ...     print("refused")
    refused
    """


class SampleRatioMismatchWarning(UserWarning):
    """An experiment's arm sizes differ from the planned shares by more than chance allows:
    the assignment or the data is broken, and the readout is not to be trusted.

    Parameters
    ----------
    message : str

    Examples
    --------
    >>> import warnings
    >>> from recsys.exceptions import SampleRatioMismatchWarning
    >>> warnings.simplefilter("error", SampleRatioMismatchWarning)  # make it stop a job
    >>> warnings.resetwarnings()
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(message)


class DataWarning(UserWarning):
    """The data is valid but of a shape that makes results say little: every customer with
    one order (a per-order customer id?), a test set of a handful of customers. The message
    names the likely cause and the fix.

    Parameters
    ----------
    message : str

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from recsys import DataWarning, Interactions
    >>> orders = pd.DataFrame({"user_id": range(300), "item_id": ["a", "b", "c"] * 100,
    ...                        "order_id": range(300)})  # every customer once: a warning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = Interactions.from_frame(orders, basket="order_id")
    >>> any(issubclass(w.category, DataWarning) for w in caught)
    True
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
