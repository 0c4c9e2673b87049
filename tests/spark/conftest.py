"""One local[2] Spark session for the whole run (it takes about 10 s to start); every test
here is skipped, with the reason, where pyspark, pyarrow or Java is missing."""

from __future__ import annotations

import pytest

from recsys.spark import MissingDependencyError, require_spark


@pytest.fixture(scope="session")
def spark():
    try:
        require_spark("the spark tests")
    except MissingDependencyError as exc:
        pytest.skip(str(exc))
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("recsys-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
