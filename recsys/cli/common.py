"""What every ``recsys`` command shares: the command registry, reading and writing frames,
key=value options, and the checks of column options and output paths."""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from recsys.data.files import reading
from recsys.data.ids import PLAIN_INT
from recsys.exceptions import DataError, InvalidParameterError
from recsys.io.atomic import atomic_path

#: command name -> (configure, run) of every command module imported so far (the list of all
#: commands, with their modules and help, is :data:`recsys.cli.main.COMMANDS`)
REGISTERED: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable]] = {}


class Terminated(BaseException):
    """SIGTERM, raised where the command is so that unfinished outputs are removed on the way
    out (a BaseException, like KeyboardInterrupt: no ``except Exception`` swallows it)."""



def command(name: str, configure: Callable[[argparse.ArgumentParser], None]):
    """Register ``recsys <name>``: the decorated function gets ``args`` and returns an exit
    code; ``configure(parser)`` adds its options."""

    def wrap(run: Callable) -> Callable:
        REGISTERED[name] = (configure, run)
        return run

    return wrap


def check_columns(frame, args, source: str, options: Sequence[str],
                  optional: Sequence[str] = ()) -> None:
    """Every column that the column ``options`` (``"--user-col"``...) name is in ``frame``
    (read from ``source``, e.g. ``"--orders orders.csv"``), or a DataError naming the option,
    the column, the columns there are, and the closest one. An option in ``optional`` left at
    its default may name a column that is absent (the feature it feeds is then skipped)."""
    given = getattr(args, "given", set())
    for option in options:
        dest = option.lstrip("-").replace("-", "_")
        value = getattr(args, dest, None)
        if value in (None, "") or (option in optional and dest not in given):
            continue
        for column in [c.strip() for c in str(value).split(",") if c.strip()]:
            if column not in frame.columns:
                close = difflib.get_close_matches(column, [str(c) for c in frame.columns], 1)
                hint = f" Did you mean {option} {close[0]}?" if close else ""
                raise DataError(
                    f"{option} {column!r}: {source} has no such column; its columns are "
                    f"{list(frame.columns)}.{hint}")


def read_ids(args, path: str, option: str, column: str | None, customer: str):
    """The customer ids of the file ``path`` (given by ``option``), read as text ('0010' is
    never customer 10): the ``column`` named by ``option``'s ``-col`` option, else the
    ``customer`` column (the --user-col name), ``customer_id``, or the file's only column."""
    table = read_frame(path, args.sep, [c for c in (column, customer, "customer_id") if c])
    if column:
        check_columns(table, args, f"{option} {path}", [f"{option}-col"])
        return table[column]
    found = next((c for c in (customer, "customer_id") if c in table.columns),
                 table.columns[0] if len(table.columns) == 1 else None)
    if found is None:
        raise DataError(f"{option} {path}: which column holds the ids? It has "
                        f"{list(table.columns)}; name it with {option}-col.")
    return table[found]


def check_writable(path: str, option: str) -> None:
    """A DataError naming ``option`` when ``path`` cannot be written (its folder is missing or
    read-only): checked before the work whose result it would hold."""
    folder = Path(path).parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise DataError(f"{option} {path}: its folder {str(folder)!r} does not exist or cannot "
                        f"be written; checked before any work, so nothing is lost. Pick a "
                        f"writable place.")


def refuse_unused_options(args, options: Sequence[str], why: str) -> None:
    """A column option given on the command line where it names no column of anything read
    (``--user-col`` with a built-in data set): a DataError, never a silent no-op."""
    given = getattr(args, "given", set())
    used = [o for o in options if o.lstrip("-").replace("-", "_") in given]
    if used:
        raise DataError(f"{', '.join(used)} given, but {why}; leave "
                        f"{'it' if len(used) == 1 else 'them'} out.")


# ---------------------------------------------------------------------- shared helpers
def parse_key_values(pairs: Sequence[str] | None, option: str) -> dict[str, Any]:
    """``["factors=32", "alpha=2.5", "similarity=bm25"]`` -> typed dict: JSON values where they
    parse (numbers, true/false, lists), None for none/None/null (Python's word as well as
    JSON's), text otherwise; a pair without ``=`` names ``option``.

    >>> parse_key_values(["factors=32", "similarity=bm25", "use_cg=false"], "--param")
    {'factors': 32, 'similarity': 'bm25', 'use_cg': False}
    >>> parse_key_values(["half_life_days=None", "weighting=none"], "--param")
    {'half_life_days': None, 'weighting': None}
    """
    params: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidParameterError(f"{option} takes key=value, got {pair!r}.")
        if value.strip().lower() in ("none", "null"):
            params[key.strip()] = None
            continue
        try:
            params[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            params[key.strip()] = value.strip()
    return params


def split_specs(text: str) -> list[str]:
    """Comma-separated items, commas inside parentheses kept: ``"ALS(factors=8,alpha=2),EASE"``
    -> ``["ALS(factors=8,alpha=2)", "EASE"]`` (blank items dropped).

    >>> split_specs("ALS(factors=8,alpha=2), EASE=45%,")
    ['ALS(factors=8,alpha=2)', 'EASE=45%']
    """
    return [part.strip() for part in re.split(r",(?![^()]*\))", text) if part.strip()]


def parse_params(pairs: Sequence[str] | None) -> dict[str, Any]:
    """The ``--param key=value`` options as a dict (see :func:`parse_key_values`)."""
    return parse_key_values(pairs, "--param")


def write_frame(frame, path: str | None) -> None:
    """Write a frame to ``path`` by its suffix (.csv, .parquet, .json), or print it when
    None/'-'. The file appears whole or not at all (a temporary file beside it, renamed)."""

    if path in (None, "-"):
        print(frame.to_string(index=False))
        return
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".parquet", ".json"):
        raise DataError(f"unknown output type {suffix!r} for {path}; use .csv, .parquet or .json.")
    with atomic_path(target) as temporary:
        if suffix == ".csv":
            frame.to_csv(temporary, index=False)
        elif suffix == ".parquet":
            try:
                frame.to_parquet(temporary, index=False)
            except ImportError:
                raise DataError("writing Parquet needs pyarrow: python -m pip install pyarrow "
                                "(or use .csv).") from None
        else:
            frame.to_json(temporary, orient="records", date_format="iso", indent=1)


def write_text(text: str, path: str) -> None:
    """Write a text file (an HTML report) whole or not at all, or raise DataError naming it."""

    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


#: delimiters a text table may use, in the order ties are broken
DELIMITERS = (",", "\t", ";", "|")
_SEP_WORDS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|",
              "space": " "}


def read_frame(path: str, sep: str | None = None, id_columns: Sequence[str] = ()):
    """Read a delimited text table (gz or not), Parquet or JSON.

    ``sep`` is the delimiter (``--sep``: a character, or ``tab``, ``comma``, ``semicolon``,
    ``pipe``, ``space``); by default the header line tells: the most frequent of comma, tab,
    semicolon and pipe (a comma when it holds none). ``id_columns`` of a text table are read
    as written (see :func:`text_ids`): ``0010001`` stays ``"0010001"``, ``17850`` becomes
    the int 17850, a 20-digit id stays text.
    """

    target = Path(path)
    if not target.exists():
        raise DataError(f"no file at {path!r}.")
    with reading(path, "a table"):
        frame = _read_table(target, sep, [c for c in id_columns if c])
    for column in id_columns:
        if column in frame.columns and frame[column].dtype.kind not in "iu":
            frame[column] = text_ids(frame[column])
    return frame




def text_ids(values):
    """Ids read as text, as the ids they are: ints when every one is a plain integer that
    int64 holds exactly (``17850``), else the text itself (``0010001``, ``P0001``, 20-digit
    numbers), so ids round-trip through files unchanged.

    >>> import pandas as pd
    >>> text_ids(pd.Series(["17850", "13047"])).tolist(), text_ids(pd.Series(["0010", "7"])).tolist()
    ([17850, 13047], ['0010', '7'])
    """

    if not (pd.api.types.is_string_dtype(values.dtype) or values.dtype == object):
        return values
    text = values.astype("string")
    if text.isna().any() or not text.str.fullmatch(PLAIN_INT).all():
        return values
    return text.astype("int64")


def _read_table(target: Path, sep: str | None, id_columns: list[str]):

    as_text = dict.fromkeys(id_columns, str)

    name = target.name.lower()
    if name.endswith(".parquet"):
        return pd.read_parquet(target)
    if name.endswith(".json"):
        return pd.read_json(target)
    delimiter = _SEP_WORDS.get(sep.lower(), sep) if sep else _sniff_delimiter(target)
    if len(delimiter) != 1 and delimiter != "::":
        raise InvalidParameterError(f"--sep takes one character, '::' or tab/comma/semicolon/"
                                    f"pipe/space, got {sep!r}.")
    if delimiter == "::":  # MovieLens' .dat files; pandas reads two-character separators slowly
        return pd.read_csv(target, sep="::", engine="python", dtype=as_text)
    return pd.read_csv(target, sep=delimiter, dtype=as_text)


def _sniff_delimiter(target: Path) -> str:
    """The delimiter of a text table, from its first line."""

    opener = gzip.open if target.name.lower().endswith(".gz") else open
    with opener(target, "rt", encoding="utf-8", errors="replace") as handle:
        header = handle.readline()
    if target.name.lower().removesuffix(".gz").endswith((".tsv", ".tab")):
        return "\t"
    if "::" in header:
        return "::"
    counts = [header.count(d) for d in DELIMITERS]
    return DELIMITERS[counts.index(max(counts))] if max(counts) else ","


def progress_enabled(args) -> bool:
    return not getattr(args, "no_progress", False) and sys.stderr.isatty()

