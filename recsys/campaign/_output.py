"""What a campaign run gives back: the result object, the wide layout, the file writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..exceptions import DataError, InvalidParameterError

__all__ = ["CampaignResult", "to_wide", "Writer"]


@dataclass
class CampaignResult:
    """Picks (long format, unless written to a file) and a summary of the run."""

    picks: pd.DataFrame | None
    summary: dict[str, Any] = field(default_factory=dict)
    #: with a control group: customer_id, group, share, segment, picks (see make_picks)
    assignments: pd.DataFrame | None = None

    def to_wide(self) -> pd.DataFrame:
        """One row per customer: item_1..item_k, reason_1..reason_k (for mail-merge)."""
        if self.picks is None:
            raise InvalidParameterError("the picks were written to a file; read it back instead.")
        return to_wide(self.picks)


def to_wide(picks: pd.DataFrame) -> pd.DataFrame:
    """Long picks -> one row per customer with item_i, name_i (if present) and reason_i."""
    values = ["product_id", "reason"] + (["name"] if "name" in picks.columns else [])
    index = ["customer_id"] + (["group"] if "group" in picks.columns else [])
    wide = picks.pivot(index=index, columns="rank", values=values)
    order = []
    for rank in sorted(picks["rank"].unique()):
        order += [("product_id", rank)] + ([("name", rank)] if "name" in values else []) \
            + [("reason", rank)]
    wide = wide[order]
    labels = {"product_id": "item", "name": "name", "reason": "reason"}
    wide.columns = [f"{labels[a]}_{b}" for a, b in wide.columns]
    return wide.reset_index()



class Writer:
    """Appends chunks to a CSV or Parquet file (memory stays at one chunk)."""

    def __init__(self, path: str | Path, format: str) -> None:
        self.path = Path(path)
        self.format = format
        self.suffix = self.path.suffix.lower()
        if self.suffix not in (".csv", ".parquet"):
            raise DataError(f"picks output must be .csv or .parquet, got {self.path.name}.")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._parquet = None
        self._first = True

    def write(self, frame: pd.DataFrame) -> None:
        if self.format == "wide":
            frame = to_wide(frame)
        if self.suffix == ".csv":
            frame.to_csv(self.path, mode="w" if self._first else "a", header=self._first,
                          index=False)
        else:
            try:
                import pyarrow as pa
                import pyarrow.parquet as pq
            except ImportError:
                raise DataError("writing Parquet needs pyarrow: python -m pip install pyarrow "
                                "(or write .csv).") from None
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.path, table.schema)
            self._parquet.write_table(table.cast(self._parquet.schema))
        self._first = False

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()

