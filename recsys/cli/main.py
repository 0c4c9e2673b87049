"""The ``recsys`` command line: the parser of every command and the entry point.

Exit codes: 0 ok, 1 a :class:`~recsys.exceptions.RecsysError` (message on stderr,
no traceback), 2 a usage error. Each command is a module of this package that registers
itself with :func:`recsys.cli.common.command`; the shared option parsing and file helpers
are in :mod:`recsys.cli.common`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from recsys._version import __version__

# every command module registers its subcommand on import
from recsys.cli import demo, evaluate, info, measure, picks, rules, segments, serve, tune  # noqa: F401
from recsys.cli.common import COMMANDS
from recsys.exceptions import RecsysError
from recsys.io.atomic import discard_pending

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="recsys",
        description="Recommendations for shops: association rules, collaborative filtering, "
                    "content and hybrids. Run 'recsys demo' to see it all on a synthetic shop.",
    )
    parser.add_argument("--version", action="version", version=f"recsys {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, configure, _) in COMMANDS.items():
        child = sub.add_parser(name, help=help_text, description=help_text)
        configure(child)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``recsys`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    _, _, run = COMMANDS[args.command]
    args.given = explicit_options(argv)
    with _terminate_as_exception():
        try:
            return int(run(args) or 0)
        except RecsysError as exc:
            words = in_cli_words(str(exc), command_options(parser, args.command))
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
    parser = build_parser()
    collecting = (argparse._AppendAction, argparse._CountAction)  # noqa: SLF001
    for action in parser._subparsers._group_actions[0].choices.values():  # noqa: SLF001
        for option in action._actions:  # noqa: SLF001
            if option.dest not in ("help", "version"):  # these add to their default: None
                option.default = None if isinstance(option, collecting) else _UNSET
    return {dest for dest, value in vars(parser.parse_args(argv)).items()
            if value is not _UNSET and value is not None}


class Terminated(BaseException):
    """SIGTERM, raised where the command is so that unfinished outputs are removed on the way
    out (a BaseException, like KeyboardInterrupt: no ``except Exception`` swallows it)."""


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
)
#: the advice of a missing column: the command's own column options say it
_NAME_COLUMNS = "Pass the right names, e.g. from_frame(df, user='customer_id', item='product_id')."


def in_cli_words(message: str, options: Sequence[str] = ()) -> str:
    """A library error message with its Python advice said as command-line options (the
    command's own ``options``, where the advice names columns)."""
    for python, cli in CLI_WORDS:
        message = message.replace(python, cli)
    columns = [o for o in options if o.endswith("-col")]
    if _NAME_COLUMNS in message:
        message = message.replace(_NAME_COLUMNS, f"Name the columns with {', '.join(columns)}."
                                  if columns else "Check the file's columns.")
    return message


def command_options(parser: argparse.ArgumentParser, command: str) -> list[str]:
    """Every option string of ``command``."""
    sub = parser._subparsers._group_actions[0].choices[command]  # noqa: SLF001
    return [o for action in sub._actions for o in action.option_strings]  # noqa: SLF001


