"""Is Spark there? One clear error naming the extra, never an ImportError from deep inside."""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

from recsys.exceptions import DataError, RecsysError

EXTRA = 'python -m pip install -e ".[spark]"  (or: python -m pip install "recsys[spark]")'


class MissingDependencyError(RecsysError, ImportError):
    """An optional dependency (pyspark, pyarrow, a Java runtime) is not installed."""


def require_spark(what: str = "recsys.spark") -> None:
    """Raise :class:`MissingDependencyError` unless pyspark, pyarrow and Java are present."""
    for module in ("pyspark", "pyarrow"):
        try:
            importlib.import_module(module)
        except ImportError:
            raise MissingDependencyError(
                f"{what} needs {module}, which is not installed. Install the spark extra: "
                f"{EXTRA}.") from None
    if shutil.which("java") is None and not _java_home():
        raise MissingDependencyError(
            f"{what} needs a Java runtime (17 or later) for Spark, and none is on the PATH or "
            f"in JAVA_HOME. Install one (e.g. apt install openjdk-17-jre-headless) or set "
            f"JAVA_HOME.")


def _java_home() -> bool:

    home = os.environ.get("JAVA_HOME")
    return bool(home) and (Path(home) / "bin" / "java").exists()


def spark_of(frame, what: str):
    """The SparkSession of a Spark DataFrame, or a DataError naming what came instead."""

    session = getattr(frame, "sparkSession", None)
    if session is None or not hasattr(frame, "schema"):
        raise DataError(f"{what}: expected a Spark DataFrame (pyspark.sql.DataFrame), got "
                        f"{type(frame).__name__}. For pandas data use the local library "
                        f"(recsys.Interactions.from_frame).")
    return session
