"""The version of recsys (read by the package, its model files and its build)."""

__version__ = "0.2.0"
