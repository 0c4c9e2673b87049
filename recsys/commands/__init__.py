"""Subcommands of the ``recsys`` command line (each module registers itself)."""

from . import demo, evaluate, info, measure, picks, rules, segments, serve  # noqa: F401
