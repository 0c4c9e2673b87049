"""Shared fixtures: a small synthetic shop, and the public data sets when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import recsys


def data_dir() -> Path:
    return Path(os.environ.get("RECSYS_DATA_DIR", "../shared/data"))


def need_file(name: str) -> Path:
    path = data_dir() / name
    if not path.exists():
        pytest.skip(f"public data set {name} not found under {data_dir()} (set RECSYS_DATA_DIR)")
    return path


@pytest.fixture(scope="session")
def shop() -> recsys.ShopData:
    return recsys.make_shop(n_customers=300, n_products=80, seed=3)


@pytest.fixture(scope="session")
def online_retail() -> recsys.ShopData:
    return recsys.read_online_retail(need_file("online-retail.csv.gz"))
