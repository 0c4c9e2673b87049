"""Subcommands of the ``recsys`` command line (each module registers itself)."""

from . import demo, info, serve  # noqa: F401
