"""The ``recsys`` command line: the parser of every command and the entry point.

Exit codes: 0 ok, 1 a :class:`~recsys.exceptions.RecsysError` (message on stderr,
no traceback), 2 a usage error. Each command is a module of this package that registers
itself with :func:`recsys.cli.common.command`; the shared option parsing and file helpers
are in :mod:`recsys.cli.common`.
"""

from __future__ import annotations

import argparse
import importlib
import re
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from recsys._version import __version__
from recsys.cli.common import REGISTERED, Terminated
from recsys.exceptions import RecsysError
from recsys.io.atomic import discard_pending

__all__ = ["main", "build_parser", "COMMANDS"]

#: every command: the module that defines it (imported only when the command runs or its help
#: is asked for: importing them all, with the models, the campaign and the tuner, took
#: 0.75 s against 0.37 s for ``recsys --help``) and what it does
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("recsys.cli.demo",
            "Fit every model on a synthetic shop: picks with reasons, a cart, an evaluation."),
    "fit": ("recsys.cli.fit",
            "Fit a model on orders (or a built-in data set) and save it to a file."),
    "recommend": ("recsys.cli.fit",
            "Top-k picks from a saved model for customers or a cart."),
    "evaluate": ("recsys.cli.evaluate",
            "Compare models on a train/test split: table, CIs, HTML report with plots."),
    "tune": ("recsys.cli.tune",
            "Search models' parameters on a validation split; keep the best (--out)."),
    "rules": ("recsys.cli.rules",
            "Mine association rules (frequently bought together) and print the top ones."),
    "segments": ("recsys.cli.segments",
            "RFM scores and named segments (champions, at risk, ...) of every customer."),
    "picks": ("recsys.cli.picks",
            "Campaign picks: k products per customer under business constraints, with reasons."),
    "triggers": ("recsys.cli.triggers",
            "Who to mail now: abandoned carts, abandoned browsing, products back in stock; "
            "with --model, their picks."),
    "measure": ("recsys.cli.measure",
            "Did the campaign work? Conversion, revenue, order value and uplift over the "
            "control group, with intervals."),
    "serve": ("recsys.cli.serve",
            "Serve picks over HTTP: a customer, a cart, a product page; hot model reload."),
    "forget": ("recsys.cli.forget",
            "Erase customers from a model file: it then equals a fit without them."),
    "info": ("recsys.cli.info",
            "Show what a saved model file holds (class, parameters, sizes)."),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, with the options of ``only`` (a command's name), or of
    every command when None; the others are listed with their help."""
    parser = argparse.ArgumentParser(
        prog="recsys",
        description="Recommendations for shops: association rules, collaborative filtering, "
                    "content and hybrids. Run 'recsys demo' to see it all on a synthetic shop.",
    )
    parser.add_argument("--version", action="version", version=f"recsys {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        child = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or name == only:
            configure, _ = command_of(name)
            configure(child)
    return parser


def command_of(name: str):
    """``(configure, run)`` of the command ``name``, its module imported on first use."""
    importlib.import_module(COMMANDS[name][0])
    return REGISTERED[name]


def _chosen(argv: Sequence[str]) -> str | None:
    """The command named on the command line (the first word that is one), else None."""
    return next((word for word in argv if word in COMMANDS), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``recsys`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_chosen(argv) or "")
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    _, run = command_of(args.command)
    args.given = explicit_options(argv)
    with _terminate_as_exception():
        try:
            return int(run(args) or 0)
        except RecsysError as exc:
            options = command_options(parser, args.command)
            words = in_cli_words(str(exc), options) + set_by(exc, options)
            print(f"recsys {args.command}: error: {words}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            discard_pending()
            print(f"recsys {args.command}: interrupted; files not finished were not written "
                  f"(earlier versions are untouched).", file=sys.stderr)
            return 130
        except Terminated:
            discard_pending()
            print(f"recsys {args.command}: terminated; files not finished were not written "
                  f"(earlier versions are untouched).", file=sys.stderr)
            return 143
        except BrokenPipeError:  # output piped into head
            return 0


_UNSET = object()


def explicit_options(argv: Sequence[str] | None) -> set[str]:
    """The destinations of the options the command line gave (not left at their defaults):
    the same arguments parsed again with every default replaced by a marker."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_chosen(argv) or "")
    collecting = (argparse._AppendAction, argparse._CountAction)  # noqa: SLF001
    for action in parser._subparsers._group_actions[0].choices.values():  # noqa: SLF001
        for option in action._actions:  # noqa: SLF001
            if option.dest not in ("help", "version"):  # these add to their default: None
                option.default = None if isinstance(option, collecting) else _UNSET
    return {dest for dest, value in vars(parser.parse_args(argv)).items()
            if value is not _UNSET and value is not None}


@contextmanager
def _terminate_as_exception() -> Iterator[None]:
    """While a command runs in the main thread, SIGTERM raises :class:`Terminated`; the
    previous handler comes back afterwards (the command owns its process meanwhile)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


#: the Python advice of library messages, and what the command line says instead
CLI_WORDS = (
    ("Pass on_unknown='skip' or 'fallback' to continue, or recommend_for_basket with their "
     "history.", "Pass --on-unknown skip (leave them out) or --on-unknown fallback (popular "
     "items for them)."),
    ("Pass on_unknown='skip' to drop them from the baskets.",
     "Pass --on-unknown skip to drop them from the baskets."),
    ("or duplicates='skip' to leave the model as it is, or 'add' to count them again.",
     "or --duplicates skip to leave the model as it is, or --duplicates add to count them "
     "again."),
    ("timestamp='<column>' (--time-col on the command line)", "--time-col"),
    ("with timestamp='<column>'", "with --time-col"),
    ("drop those rows (df.dropna(subset=[...])) before building the data.",
     "drop those rows first (in a database --query: where <column> is not null)."),
)
#: the advice of a missing column: the command's own column options say it
_NAME_COLUMNS = "Pass the right names, e.g. from_frame(df, user='customer_id', item='product_id')."


def in_cli_words(message: str, options: Sequence[str] = ()) -> str:
    """A library error message with its Python advice said as command-line options (the
    command's own ``options``, where the advice names columns)."""
    for python, cli in CLI_WORDS:
        message = message.replace(python, cli)
    message = re.sub(r"event_weights=\{([^}]*)\}", _event_weights_option, message)
    columns = [o for o in options if o.endswith("-col")]
    if _NAME_COLUMNS in message:
        message = message.replace(_NAME_COLUMNS, f"Name the columns with {', '.join(columns)}."
                                  if columns else "Check the file's columns.")
    return message


def set_by(error: RecsysError, options: Sequence[str]) -> str:
    """Which option set the parameter an :class:`InvalidParameterError` is about (its
    ``param``): the command's own ``--name``, else ``--param name=...``, else the model spec of
    ``--models``/``--model``; "" when the error names no parameter."""
    param = getattr(error, "param", None)
    if not param:
        return ""
    own = "--" + param.replace("_", "-")
    if own in options:
        return f" (set by {own})"
    if "--param" in options:
        return f" (set by --param {param}=...)"
    spec = next((o for o in ("--models", "--model") if o in options), None)
    return f" (set in {spec}, e.g. Name({param}=...))" if spec else ""


def _event_weights_option(match: re.Match) -> str:
    """``event_weights={'view': 1, 'cart': 2}`` as ``--event-weights view=1,cart=2``."""
    pairs = re.findall(r"'([^']*)':\s*([^,]+)", match.group(1))
    return "--event-weights " + ",".join(f"{kind}={value.strip()}" for kind, value in pairs)


def command_options(parser: argparse.ArgumentParser, command: str) -> list[str]:
    """Every option string of ``command``."""
    sub = parser._subparsers._group_actions[0].choices[command]  # noqa: SLF001
    return [o for action in sub._actions for o in action.option_strings]  # noqa: SLF001


