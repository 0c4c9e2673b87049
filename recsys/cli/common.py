"""What every ``recsys`` command shares: the command registry, reading and writing frames,
key=value options, and the checks of column options and output paths."""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from recsys.exceptions import DataError, InvalidParameterError
from recsys.io.atomic import atomic_path
from recsys.io.tables import read_table

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
        # a table read in part (only its used columns) knows all of its source's columns
        every = list(frame.attrs.get("source_columns", frame.columns))
        for column in [c.strip() for c in str(value).split(",") if c.strip()]:
            if column not in frame.columns:
                close = difflib.get_close_matches(column, [str(c) for c in every], 1)
                hint = f" Did you mean {option} {close[0]}?" if close else ""
                raise DataError(
                    f"{option} {column!r}: {source} has no such column; its columns are "
                    f"{every}.{hint}")


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


def read_frame(path: str, sep: str | None = None, id_columns: Sequence[str] = (), *,
               columns: Sequence[str] | None = None, since: object = None,
               time: str | None = None):
    """The table at ``path`` (see :func:`recsys.io.tables.read_table`)."""
    return read_table(path, sep, id_columns, columns=columns, since=since, time=time)


def progress_enabled(args) -> bool:
    return not getattr(args, "no_progress", False) and sys.stderr.isatty()

