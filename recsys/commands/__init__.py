"""Subcommands of the ``recsys`` command line (each module registers itself)."""

from . import demo, evaluate, info, rules, serve  # noqa: F401
