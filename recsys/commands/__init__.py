"""Subcommands of the ``recsys`` command line (each module registers itself)."""

from . import demo, evaluate, info, measure, picks, rules, segments, serve, tune  # noqa: F401
