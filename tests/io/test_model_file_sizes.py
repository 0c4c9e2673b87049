"""A file that ``save`` wrote always loads, whatever the data's shape: very sparse long-tail
catalogues (tens of thousands of products, one or two purchases each) deflate far more than a
compression ratio allows, and must still load; a small file that would inflate to a gigabyte
must still be refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys import REGISTRY, Interactions, ItemFeatures, PersistenceError, load
from recsys.io.persistence import write_file
from tests.io.test_model_files import _raw
from tests.models.variants import variants

NAMES = sorted(REGISTRY)


def _shop(n_customers: int, n_products: int, per_customer: tuple[int, int], seed: int):
    """Orders of ``n_customers`` with ``per_customer`` (low, high) products each, drawn from a
    long tail over ``n_products``; every product has a name and a category."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(per_customer[0], per_customer[1] + 1, n_customers)
    users = np.repeat(np.arange(n_customers) + 1000, counts)
    popularity = 1.0 / np.arange(1, n_products + 1) ** 0.6
    items = rng.choice(n_products, size=len(users), p=popularity / popularity.sum())
    days = rng.integers(0, 365, len(users))
    orders = pd.DataFrame({"customer_id": users, "product_id": [f"P{i:05d}" for i in items],
                           "order_id": users * 1000 + days,
                           "timestamp": pd.Timestamp("2025-01-01") + pd.to_timedelta(days, "D")})
    orders = orders.drop_duplicates(["customer_id", "product_id"])
    catalogue = pd.DataFrame({"product_id": [f"P{i:05d}" for i in range(n_products)],
                              "name": [f"thing {i % 97} model {i}" for i in range(n_products)],
                              "category": [f"c{i % 13}" for i in range(n_products)]})
    features = ItemFeatures.from_frame(catalogue, item="product_id", text=["name"],
                                       categorical=["category"])
    data = Interactions.from_frame(orders, user="customer_id", item="product_id",
                                   basket="order_id", timestamp="timestamp",
                                   items=catalogue["product_id"])
    return data, features


@pytest.fixture(scope="module")
def shapes():
    return {"sparse": _shop(9_000, 30_000, (1, 2), seed=1),
            "dense": _shop(150, 40, (25, 40), seed=2)}


def _fit(name, data, features):
    params = variants()[name][0]
    model = REGISTRY[name](**params)
    if model.uses_item_features:
        return model.fit(data, items=features)
    return model.fit(data)


@pytest.mark.slow
@pytest.mark.parametrize("shape", ["sparse", "dense"])
@pytest.mark.parametrize("name", NAMES)
def test_every_saved_model_loads_and_answers_the_same(shapes, tmp_path, name, shape):
    data, features = shapes[shape]
    model = _fit(name, data, features)
    path = tmp_path / f"{name}.npz"
    model.save(path)
    again = load(path)
    users = data.users.ids[:40]
    assert again.recommend(users, k=5).to_dict() == model.recommend(users, k=5).to_dict()


def test_a_long_tail_catalogue_deflating_beyond_any_ratio_loads(tmp_path):
    """6,000 products, a few hundred bought: the item-item weights are almost all zeros."""
    data, _ = _shop(600, 6_000, (1, 2), seed=3)
    from recsys import EASE

    model = EASE(l2=10.0).fit(data)
    path = tmp_path / "ease.npz"
    model.save(path)
    _, arrays = _raw(path)
    expanded = sum(a.nbytes for a in arrays.values())
    assert expanded > 64 * max(path.stat().st_size, 2**20)  # beyond the old ratio bound
    users = data.users.ids[:20]
    assert load(path).recommend(users, k=5).to_dict() == model.recommend(users, k=5).to_dict()


def test_a_gigabyte_of_zeros_in_a_small_file_is_still_refused(tmp_path):
    data, _ = _shop(300, 60, (2, 4), seed=4)
    from recsys import Popularity

    good = tmp_path / "good.npz"
    Popularity().fit(data).save(good)
    manifest, arrays = _raw(good)
    arrays["model/zeros"] = np.zeros(2**28, np.float32)  # 1 GiB of zeros: about 1 MB deflated
    bomb = tmp_path / "bomb.npz"
    write_file(bomb, manifest, arrays)
    assert bomb.stat().st_size < 8 * 2**20
    with pytest.raises(PersistenceError, match="expand"):
        load(bomb)


def test_zeros_passed_off_as_an_id_map_are_refused(tmp_path):
    """The id maps' lengths set what every other array may hold: a long id map of zeros (which
    deflates 1,000x) cannot buy room for a bomb."""
    data, _ = _shop(300, 60, (2, 4), seed=5)
    from recsys import Popularity

    good = tmp_path / "good.npz"
    Popularity().fit(data).save(good)
    manifest, arrays = _raw(good)
    arrays["users"] = np.zeros(2**25, arrays["users"].dtype)  # deflates 229x at level 1
    arrays["model/zeros"] = np.zeros(2**27, np.float32)
    bomb = tmp_path / "bomb.npz"
    write_file(bomb, manifest, arrays)
    with pytest.raises(PersistenceError, match="id map"):
        load(bomb)
