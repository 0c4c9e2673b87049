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
    """Base class of every error raised by ``recsys``."""


class DataError(RecsysError, ValueError):
    """Input data is unusable: a missing column, NaN ids, mixed id types, empty input."""


class UnknownIdError(RecsysError, KeyError):
    """Ids that the fitted model has never seen.

    Attributes
    ----------
    ids : list
        The unknown ids (all of them, in the order given).
    kind : str
        ``"user"`` or ``"item"``.
    """

    def __init__(self, message: str, ids: Sequence = (), kind: str = "item") -> None:
        super().__init__(message)
        self.message = message
        self.ids = list(ids)
        self.kind = kind

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return self.message


class NotFittedError(RecsysError, ValueError, AttributeError):
    """A model was used before ``fit``."""


class InvalidParameterError(RecsysError, ValueError):
    """A parameter is out of range, of the wrong type, or an unknown option; ``param`` names it
    when one parameter is at fault (the command line maps it to its option)."""

    def __init__(self, message: str = "", *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class UnsupportedError(RecsysError, NotImplementedError):
    """The model cannot do what was asked (see its capability flags)."""


class PersistenceError(RecsysError, ValueError):
    """A model file is not a ``recsys`` model, is damaged, or is unsafe to load."""


class SampleRatioMismatchWarning(UserWarning):
    """An experiment's arm sizes differ from the planned shares by more than chance allows:
    the assignment or the data is broken, and the readout is not to be trusted."""


class DataWarning(UserWarning):
    """The data is valid but of a shape that makes results say little: every customer with
    one order (a per-order customer id?), a test set of a handful of customers. The message
    names the likely cause and the fix."""
