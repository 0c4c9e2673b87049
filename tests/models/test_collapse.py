"""A fit that learnt nothing says so: on a shop where every customer bought once, ALS's scores
collapse (picks are arbitrary); on an ordinary shop no warning fires."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys import DataWarning

from ..conftest import need_file


def _one_order_each(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"customer_id": np.arange(n), "product_id": rng.zipf(1.3, n) % 200,
                         "order_id": np.arange(n)})


def test_the_collapse_warning_fires_on_one_order_per_customer():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # the per-order id warning, not tested here
        data = recsys.Interactions.from_frame(_one_order_each(), user="customer_id",
                                              item="product_id", basket="order_id")
    with pytest.warns(DataWarning, match="learnt little.*one order"):
        recsys.ALS(random_state=0).fit(data)


@pytest.mark.parametrize("name", ["ALS", "BPR", "EASE", "SLIST"])
def test_no_collapse_warning_on_an_ordinary_shop(shop, name):
    params = {"random_state": 0} if name in ("ALS", "BPR") else {}
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        recsys.REGISTRY[name](**params).fit(shop.interactions)


def test_too_strong_a_regularisation_is_named():
    shop = recsys.make_shop(n_customers=600, n_products=80, seed=4)
    with pytest.warns(DataWarning, match="regularization"):
        recsys.ALS(regularization=1e9, alpha=1.0, random_state=0).fit(shop.interactions)


@pytest.mark.realdata
def test_no_collapse_warning_on_online_retail():
    shop = recsys.read_online_retail(need_file("online-retail.csv.gz"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        recsys.ALS(random_state=0).fit(shop.interactions)
