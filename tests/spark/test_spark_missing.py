"""Without pyspark, recsys.spark says which extra to install (no raw ImportError)."""

from __future__ import annotations

import importlib

import pytest

import recsys


def test_a_missing_pyspark_names_the_extra(monkeypatch):
    from recsys import spark

    real = importlib.import_module

    def without_pyspark(name, *args):
        if name == "pyspark":
            raise ImportError("No module named 'pyspark'")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_pyspark)
    with pytest.raises(spark.MissingDependencyError, match=r"\.\[spark\]") as caught:
        spark.interactions_from_spark(object(), user="c", item="p")
    assert isinstance(caught.value, recsys.RecsysError)
