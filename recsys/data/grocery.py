"""A synthetic grocery: a small dense catalogue, short baskets, everyone buys the staples."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys._engine.params import check_float, check_int

AISLES = ("dairy", "bakery", "produce", "meat", "drinks", "snacks", "frozen", "pantry",
          "household", "hygiene", "baby", "pets")
#: staples per customer (the products their loyal purchases come from)
STAPLES = 3


def grocery_frames(n_customers: int, n_products: int, seed: int, *, start: str, days: int,
                   mean_baskets: float, mean_basket_size: float,
                   loyalty: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(order lines, products) of :func:`recsys.data.datasets.make_grocery`."""
    check_int("make_grocery", "n_customers", n_customers, minimum=1)
    check_int("make_grocery", "n_products", n_products, minimum=STAPLES)
    check_int("make_grocery", "days", days, minimum=1)
    check_float("make_grocery", "mean_baskets", mean_baskets, minimum=1)
    check_float("make_grocery", "mean_basket_size", mean_basket_size, minimum=1)
    check_float("make_grocery", "loyalty", loyalty, minimum=0, maximum=1)
    rng = np.random.default_rng(seed)
    popularity = rng.permutation(1.0 / np.arange(1, n_products + 1))
    popularity /= popularity.sum()
    # each customer's staples, drawn by popularity (a repeat draw means fewer staples)
    staples = rng.choice(n_products, (n_customers, STAPLES), p=popularity)
    baskets = rng.poisson(mean_baskets - 1, n_customers) + 1
    owner = np.repeat(np.arange(n_customers), baskets)
    day = rng.integers(0, days, len(owner))
    sizes = rng.poisson(mean_basket_size - 1, len(owner)) + 1
    basket = np.repeat(np.arange(len(owner)), sizes)
    customer = owner[basket]
    loyal = rng.random(len(basket)) < loyalty
    product = rng.choice(n_products, len(basket), p=popularity)
    product[loyal] = staples[customer[loyal], rng.integers(0, STAPLES, int(loyal.sum()))]
    products = pd.DataFrame({
        "product_id": [f"G{i + 1:03d}" for i in range(n_products)],
        "name": [f"{AISLES[i % len(AISLES)]} item {i + 1}" for i in range(n_products)],
        "category": [AISLES[i % len(AISLES)] for i in range(n_products)],
        "price": np.round(rng.gamma(2.0, 1.5, n_products) + 0.3, 2)})
    when = pd.Timestamp(start) + pd.to_timedelta(day[basket], "D")
    lines = pd.DataFrame({"order_id": basket, "customer_id": customer + 1,
                          "product_id": products["product_id"].to_numpy()[product],
                          "quantity": 1, "price": products["price"].to_numpy()[product],
                          "timestamp": when})
    # a customer's baskets of one day are one basket (the member-day of a grocery log)
    lines["order_id"] = lines.groupby(["customer_id", "timestamp"]).ngroup()
    lines = lines.drop_duplicates(["order_id", "product_id"])
    return lines.sort_values(["order_id", "product_id"]).reset_index(drop=True), products

