"""What a campaign run gives back: the result object, the wide layout, the file writer."""

from __future__ import annotations

import importlib
import threading
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from recsys.exceptions import DataError, InvalidParameterError
from recsys.io.atomic import discard, publish, temporary_beside

__all__ = ["CampaignResult", "to_wide", "Writer"]


@dataclass
class CampaignResult:
    """Picks (long format, unless written to a file) and a summary of the run.

    Parameters
    ----------
    picks : DataFrame or None
        One row per pick (None when the picks went to a file).
    summary : dict
        Customers, picks, back-filled share, coverage, exclusions per constraint...
    assignments : DataFrame, optional
        With a control group: every customer's group.

    Examples
    --------
    >>> import recsys
    >>> from recsys.campaign import make_picks
    >>> shop = recsys.make_shop(n_customers=100, n_products=30, seed=0)
    >>> result = make_picks(recsys.Popularity().fit(shop.interactions), [10001, 10002], k=2)
    >>> result.summary["customers"], len(result.picks)
    (2, 4)
    """

    picks: pd.DataFrame | None
    summary: dict[str, Any] = field(default_factory=dict)
    #: with a control group: customer_id, group, share, segment, picks (see make_picks)
    assignments: pd.DataFrame | None = None

    def to_wide(self) -> pd.DataFrame:
        """One row per customer: item_1..item_k, reason_1..reason_k (for mail-merge)."""
        if self.picks is None:
            raise InvalidParameterError("the picks were written to a file; read it back instead.")
        return to_wide(self.picks)


def to_wide(picks: pd.DataFrame, k: int | None = None) -> pd.DataFrame:
    """Long picks -> one row per customer with item_i, name_i (if present) and reason_i, for
    ranks 1..``k`` (default: the ranks present), so every chunk of a file has the same
    columns, empty where a customer got fewer picks.

    Parameters
    ----------
    picks : DataFrame
        Long picks (``make_picks(...).picks``).
    k : int, optional

    Returns
    -------
    DataFrame
        One row per customer.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"customer_id": [1, 1], "rank": [1, 2], "product_id": ["a", "b"],
    ...                      "reason": ["x", "y"]})
    >>> to_wide(long).columns.tolist()
    ['customer_id', 'item_1', 'reason_1', 'item_2', 'reason_2']
    """
    values = ["product_id"] + (["name"] if "name" in picks.columns else []) + ["reason"]
    index = ["customer_id"] + (["group"] if "group" in picks.columns else [])
    ranks = range(1, k + 1) if k is not None else sorted(picks["rank"].unique())
    order = [(value, rank) for rank in ranks for value in values]
    wide = picks.pivot(index=index, columns="rank", values=values).reindex(
        columns=pd.MultiIndex.from_tuples(order) if order else None)
    labels = {"product_id": "item", "name": "name", "reason": "reason"}
    wide.columns = [f"{labels[value]}_{rank}" for value, rank in order]
    return wide.reset_index()


def _nullable(schema, pa):
    """``schema`` with a column of nulls typed as text: a later chunk may fill it with ids or
    reasons (a first chunk of customers short of k has an all-empty item_k); ``pa``: pyarrow."""
    return pa.schema([field.with_type(pa.string()) if pa.types.is_null(field.type) else field
                      for field in schema])


class Writer:
    """Appends chunks to a CSV or Parquet file (memory stays at one chunk), written beside the
    target and renamed over it by :meth:`close`; :meth:`abort` leaves the target untouched."""

    def __init__(self, path: str | Path, format: str, k: int | None = None) -> None:
        self.path = Path(path)
        self.format = format
        self.k = k
        self.suffix = self.path.suffix.lower()
        if self.suffix not in (".csv", ".parquet"):
            raise DataError(f"picks output must be .csv or .parquet, got {self.path.name}.")
        self._temporary = temporary_beside(self.path)
        # writes and abort exclude each other, and nothing is written after an abort: an
        # interrupted run's clean-up never races a chunk still being written by a thread
        self._lock = threading.Lock()
        self._aborted = False
        self._parquet = None
        self._csv = None  # one handle for the whole file: a write never re-creates it by name
        self._first = True

    def write(self, frame: pd.DataFrame) -> None:
        with self._lock:
            if not self._aborted:
                self._write(frame)

    def _write(self, frame: pd.DataFrame) -> None:
        if self.format == "wide":
            frame = to_wide(frame, self.k)
        if self.suffix == ".csv":
            if self._csv is None:
                self._csv = open(self._temporary, "w", newline="", encoding="utf-8")  # noqa: SIM115
            frame.to_csv(self._csv, header=self._first, index=False)
        else:
            try:  # pyarrow is optional (the parquet extra): only for a .parquet output
                pa = importlib.import_module("pyarrow")
                pq = importlib.import_module("pyarrow.parquet")
            except ImportError:
                raise DataError("writing Parquet needs pyarrow: python -m pip install pyarrow "
                                "(or write .csv).") from None
            if self._parquet is None:
                table = pa.Table.from_pandas(frame, preserve_index=False)
                table = table.cast(_nullable(table.schema, pa))
                self._parquet = pq.ParquetWriter(self._temporary, table.schema)
            else:  # every chunk in the first one's columns and types, empty ones included
                table = self._conform(frame, pa)
            self._parquet.write_table(table)
        self._first = False

    def _conform(self, frame: pd.DataFrame, pa):
        """A later chunk as a table of the file's schema: columns the chunk lacks are null,
        a column of nulls takes the file's type; a column the file lacks is an error."""
        schema = self._parquet.schema.to_arrow_schema() if hasattr(
            self._parquet.schema, "to_arrow_schema") else self._parquet.schema
        extra = [c for c in frame.columns if c not in schema.names]
        if extra:
            raise DataError(f"picks: a chunk has column(s) {extra} the file's first chunk had "
                            f"not; write one file per format and model.")
        frame = frame.reindex(columns=schema.names)
        try:
            return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # a column of another type: as text
            return pa.Table.from_pandas(frame, preserve_index=False).cast(schema, safe=False)

    def close(self) -> None:
        """Finish the file and put it in place of the target."""
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()
        publish(self._temporary, self.path)

    def abort(self) -> None:
        """Drop what was written; the target stays as it was."""
        with self._lock:
            self._aborted = True
            self._drop()

    def _drop(self) -> None:
        for handle in (self._parquet, self._csv):
            if handle is not None:
                with suppress(Exception):  # the file is discarded whatever went wrong
                    handle.close()
        discard(self._temporary)
