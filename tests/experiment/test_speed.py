"""analyze() on 1,000,000 customers and 10,000,000 order lines in under 10 seconds (best of
two runs, so a noisy neighbour does not fail it)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from recsys.experiment import analyze, assign

pytestmark = pytest.mark.slow


def test_a_million_customers_and_ten_million_lines_under_ten_seconds():
    rng = np.random.default_rng(0)
    n, lines = 1_000_000, 10_000_000
    ids = np.arange(10_000_000, 10_000_000 + n)
    segments = pd.Series(rng.choice(["champions", "loyal", "at risk", "lost"], n), index=ids)
    table = assign(ids, salt="big", control=0.1, segments=segments)
    picks = rng.integers(0, 50_000, size=(n, 10)).astype(str)
    table["picks"] = pd.Series(picks[:, 0]).str.cat(
        [pd.Series(picks[:, j]) for j in range(1, 10)], sep="|").to_numpy()
    orders = pd.DataFrame({
        "order_id": rng.integers(0, 3_000_000, lines), "customer_id": rng.choice(ids, lines),
        "product_id": rng.integers(0, 50_000, lines), "quantity": rng.integers(1, 4, lines),
        "price": rng.lognormal(2, 1, lines),
        "timestamp": pd.Timestamp("2026-11-01")
        + pd.to_timedelta(rng.integers(0, 30 * 86400, lines), unit="s")})
    times = []
    for _ in range(2):
        start = time.perf_counter()
        result = analyze(table, orders, "2026-11-01", "2026-12-01")  # every line in the window
        times.append(time.perf_counter() - start)
    assert result.arms["customers"].sum() == n
    assert result.arms.loc["control", "orders_per_customer"] > 0
    print(f"analyze: {min(times):.2f} s (best of {times})")
    assert min(times) < 10.0, times
