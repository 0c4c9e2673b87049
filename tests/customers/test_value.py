"""value_table and recsys segments --value: the columns, and segments that follow their rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys.cli.main import main
from recsys.customers import VALUE_SEGMENTS, value_table
from recsys.customers.value import GONE_BELOW, SLIPPING_BELOW, TOP_SHARE


@pytest.fixture(scope="module")
def table():
    return value_table(recsys.make_shop(n_customers=600, n_products=60, seed=5).orders)


def test_the_segments_follow_their_rules(table):
    valuable = table["clv"] >= table["clv"].quantile(1 - TOP_SHARE)
    alive = table["probability_alive"]
    expected = np.select([valuable & (alive < SLIPPING_BELOW), valuable, alive < GONE_BELOW],
                         [VALUE_SEGMENTS[0], VALUE_SEGMENTS[1], VALUE_SEGMENTS[3]],
                         VALUE_SEGMENTS[2])
    assert (table["value_segment"].to_numpy() == expected).all()
    assert abs(valuable.mean() - TOP_SHARE) < 0.02
    assert ((alive >= 0) & (alive <= 1)).all() and (table["expected_purchases"] >= 0).all()


def test_without_amounts_customers_rank_by_expected_purchases():
    orders = recsys.make_shop(n_customers=300, n_products=40, seed=6).orders
    plain = value_table(orders.drop(columns=["price", "quantity"], errors="ignore"))
    assert "clv" not in plain.columns and set(plain["value_segment"]) <= set(VALUE_SEGMENTS)


def test_recsys_segments_value_writes_the_columns(tmp_path, capsys):
    out = tmp_path / "segments.csv"
    assert main(["segments", "--value", "--horizon-days", "180", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "customer value over the next 180 days" in said and "slipping away" in said
    written = pd.read_csv(out)
    assert {"segment", "probability_alive", "clv", "value_segment"} <= set(written.columns)
    assert main(["segments", "--horizon-days", "90"]) == 1
    assert "--value" in capsys.readouterr().err
