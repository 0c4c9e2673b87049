"""Erasure: after forget(ids) a model answers, scores and saves exactly as a fit on the data
without those customers, and no forgotten id is left in its file."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import recsys
from recsys import DataError
from recsys.models.ease import DOWNDATE_SHARE
from recsys.models.files import read_manifest
from recsys.testing import same_answers
from tests.models.variants import variants

NAMES = sorted(recsys.REGISTRY)


def _without(data, ids):
    position = data.users.to_index(ids, missing="mask")
    drop = np.zeros(data.n_users, bool)
    drop[position[position >= 0]] = True
    return data.select(~drop[data.user_index]).without_unused_ids()


def _fit(name, data, shop):
    model = recsys.REGISTRY[name](**variants()[name][0])
    return model.fit(data, items=shop.items) if model.uses_item_features else model.fit(data)


@pytest.mark.parametrize("name", NAMES)
def test_forget_equals_a_fit_without_the_customers(name, shop, tmp_path):
    data = shop.interactions
    ids = data.users.ids[np.random.default_rng(0).choice(data.n_users, 25, replace=False)]
    model = _fit(name, data, shop)
    done = model.forget(ids, data=data, items=shop.items)
    assert done["forgotten"] == 25 and done["unknown"] == 0
    fresh = _fit(name, _without(data, ids), shop)
    assert model.users_.ids.tolist() == fresh.users_.ids.tolist()
    users = fresh.users_.ids[:40]
    same_answers(model.recommend(users, k=8), fresh.recommend(users, k=8))
    model.save(tmp_path / "m.npz")
    with zipfile.ZipFile(tmp_path / "m.npz") as archive, np.load(tmp_path / "m.npz") as npz:
        assert not set(ids.tolist()) & set(npz["users"].tolist())
        assert archive.read("__manifest__.npy")  # readable, and says how many, never who
    facts = read_manifest(tmp_path / "m.npz")["personal_data"]
    assert [e["customers"] for e in facts["erasures"]] == [25]
    assert all(str(i) not in str(facts) for i in ids.tolist())


@settings(max_examples=15, deadline=None)
@given(st.sets(st.integers(0, 299), max_size=40), st.sampled_from(["ItemKNN", "Popularity",
                                                                   "CoOccurrence", "EASE"]))
def test_any_set_of_customers_is_forgotten_exactly(shop, picked, name):
    data = shop.interactions
    ids = data.users.ids[sorted(i for i in picked if i < data.n_users)]
    model = recsys.REGISTRY[name]().fit(data)
    model.forget(ids)  # these models need nothing but their own state
    # an erasure keeps the l2 EASE read from the data at fit ("auto")
    kept = {"l2": model.l2_} if name == "EASE" else {}
    fresh = recsys.REGISTRY[name](**kept).fit(_without(data, ids))
    users = fresh.users_.ids[:20]
    same_answers(model.recommend(users, k=5), fresh.recommend(users, k=5))


def test_what_forget_reports_and_refuses(shop):
    data = shop.interactions
    model = recsys.ItemKNN().fit(data)
    first = data.users.ids[0]
    done = model.forget([first, first, -1, -2])
    assert done == {"forgotten": 1, "unknown": 2, "how": "refit from the model's state"}
    with pytest.raises(DataError, match="unknown to this ItemKNN"):
        model.forget([-3], unknown="raise")
    assert model.forget([]) == {"forgotten": 0, "unknown": 0, "how": "nothing to forget"}
    timed = recsys.ItemKNN(half_life_days=30).fit(data)
    with pytest.raises(DataError, match="pass the training data"):
        timed.forget([data.users.ids[1]])
    assert timed.forget([data.users.ids[1]], data=data)["how"] == "refit on the data"
    assert [e["customers"] for e in model.erasures_] == [1]  # a refusal erases nothing


def test_recsys_forget_rewrites_the_file_and_asks_for_data_when_needed(tmp_path, capsys):
    from recsys.cli.main import main

    shop = recsys.make_shop()
    gone = shop.interactions.users.ids[:10]
    import pandas as pd

    pd.DataFrame({"customer_id": gone}).to_csv(tmp_path / "gone.csv", index=False)
    assert main(["fit", "--model", "ItemKNN", "--out", str(tmp_path / "k.npz")]) == 0
    assert main(["forget", "--model", str(tmp_path / "k.npz"), "--customers",
                 str(tmp_path / "gone.csv")]) == 0
    assert "10 customers erased" in capsys.readouterr().out
    assert not set(gone.tolist()) & set(recsys.load(tmp_path / "k.npz").users_.ids.tolist())
    assert main(["fit", "--model", "AssociationRules", "--out", str(tmp_path / "r.npz")]) == 0
    capsys.readouterr()
    assert main(["forget", "--model", str(tmp_path / "r.npz"), "--customers",
                 str(tmp_path / "gone.csv")]) == 1
    assert "--orders" in capsys.readouterr().err


def _one_buyer_products(data):
    """Customers who are the only buyer of some product (their erasure empties a column)."""
    counts = np.bincount(data.item_index, minlength=data.n_items)
    buyers = np.unique(data.user_index[np.isin(data.item_index, np.flatnonzero(counts == 1))])
    return data.users.ids[buyers]


@settings(max_examples=20, deadline=None)
@given(st.sets(st.integers(0, 199), min_size=1, max_size=120),
       st.sampled_from([{}, {"l2": 80.0, "weighting": "log"}, {"l2": 300.0, "weighting": None}]),
       st.booleans())
def test_ease_forgets_in_place_as_a_fit_at_its_l2(shop, picked, params, lonely):
    """The Woodbury downdate (few customers) and the solve again (many) both give the weights,
    the inverse's diagonal and the answers of a fit without the customers at the fitted l2,
    products whose last buyer left included."""
    data = shop.interactions
    ids = data.users.ids[sorted(i for i in picked if i < data.n_users)]
    if lonely:
        ids = np.union1d(ids, _one_buyer_products(data)[:3])
    model = recsys.EASE(**params).fit(data)
    how = model.forget(ids)["how"]
    few = len(ids) * DOWNDATE_SHARE < int((np.bincount(data.item_index) > 0).sum())
    assert how.startswith("weights downdated" if few else "weights solved again"), how
    fresh = recsys.EASE(**{**params, "l2": model.l2_}).fit(_without(data, ids))
    np.testing.assert_allclose(model.weights_, fresh.weights_, rtol=0, atol=2e-6)
    np.testing.assert_allclose(model.inverse_diagonal_, fresh.inverse_diagonal_, rtol=1e-6)
    assert np.array_equal(model.recommendable_, fresh.recommendable_)
    users = fresh.users_.ids[:30]
    same_answers(model.recommend(users, k=8), fresh.recommend(users, k=8))


def test_ease_refits_where_a_downdate_cannot_be_exact(shop, tmp_path):
    """bm25 reweighs every product when a customer leaves, pruned weights lose what the
    downdate needs, and a file without diag(P) (an older version's) has nothing to downdate."""
    data = shop.interactions
    gone = data.users.ids[:3]
    for params in ({"weighting": "bm25"}, {"neighbors": 10}):
        assert recsys.EASE(**params).fit(data).forget(gone)["how"] == \
            "refit from the model's state"
    from recsys.io.persistence import read_file, write_file
    from recsys.models.registry import REGISTRY

    recsys.EASE(l2=100.0).fit(data).save(tmp_path / "e.npz")
    manifest, arrays = read_file(tmp_path / "e.npz", REGISTRY)
    older = {key: value for key, value in arrays.items() if key != "model/inverse_diagonal"}
    head = {key: value for key, value in manifest.items() if key not in ("sha256", "arrays")}
    write_file(tmp_path / "old.npz", head, older)
    model = recsys.load(tmp_path / "old.npz")
    assert model.forget(gone)["how"] == "refit from the model's state"
    fresh = recsys.EASE(l2=100.0).fit(_without(data, gone))
    np.testing.assert_allclose(model.weights_, fresh.weights_, atol=2e-6)


def test_a_crafted_inverse_diagonal_is_refused(shop, tmp_path):
    from recsys.io.persistence import FORMAT, read_file, write_file
    from recsys.models.registry import REGISTRY

    recsys.EASE(l2=100.0).fit(shop.interactions).save(tmp_path / "e.npz")
    manifest, arrays = read_file(tmp_path / "e.npz", REGISTRY)
    assert manifest["format"] == FORMAT
    diagonal = arrays["model/inverse_diagonal"]
    shifted = np.roll(diagonal, 1)  # positive where no product was bought
    for bad in (-diagonal, diagonal * 10, shifted, diagonal[:-1]):
        crafted = {**arrays, "model/inverse_diagonal": bad}
        head = {k: v for k, v in manifest.items() if k not in ("sha256", "arrays")}
        write_file(tmp_path / "bad.npz", head, crafted)
        with pytest.raises(recsys.PersistenceError, match="inverse_diagonal"):
            recsys.load(tmp_path / "bad.npz")


def test_slist_learns_the_order_so_it_forgets_on_the_data(shop):
    """SLIST without a history decay still learns the order of purchases: it cannot refit
    from its own (unordered) state, so it asks for the data."""
    data = shop.interactions
    model = recsys.SLIST(history_half_life=None, l2=200.0).fit(data)
    with pytest.raises(DataError, match="pass the training data"):
        model.forget(data.users.ids[:2])
    model.forget(data.users.ids[:2], data=data)
    fresh = recsys.SLIST(history_half_life=None, l2=200.0).fit(_without(data, data.users.ids[:2]))
    np.testing.assert_allclose(model.weights_, fresh.weights_, atol=1e-6)


def test_als_forgets_approximately_only_when_asked(shop, tmp_path, capsys):
    """exact=False drops the customers' factors and re-solves the rest in two sweeps: their
    ids and rows leave the model, every other customer keeps a factor row, the answers stay
    close to a refit's (the benchmark measures ndcg); the default is the exact refit."""
    from recsys.cli.main import main

    data = shop.interactions
    gone = data.users.ids[:5]
    model = recsys.ALS(factors=8, iterations=6, random_state=0, num_threads=1).fit(data)
    before = model.item_factors_.copy()
    done = model.forget(gone, exact=False)
    assert done["how"] == "approximate: 2 warm-started sweeps"
    assert model.user_factors_.shape == (data.n_users - 5, 8)
    assert not set(gone.tolist()) & set(model.users_.ids.tolist())
    assert not np.array_equal(model.item_factors_, before)  # every factor re-solved
    refit = recsys.ALS(factors=8, iterations=6, random_state=0, num_threads=1).fit(
        _without(data, gone))
    users = refit.users_.ids[:50]
    ours, theirs = model.recommend(users, k=10), refit.recommend(users, k=10)
    overlap = [len(set(ours.item_ids(i)) & set(theirs.item_ids(i))) for i in range(len(users))]
    assert np.mean(overlap) >= 6
    assert recsys.ALS(factors=8, iterations=6, random_state=0, num_threads=1).fit(data).forget(
        gone)["how"] == "refit from the model's state"
    with pytest.raises(recsys.InvalidParameterError, match="exact"):
        model.forget(gone, exact="no")
    model.save(tmp_path / "als.npz")
    pd.DataFrame({"customer_id": data.users.ids[5:8]}).to_csv(tmp_path / "g.csv", index=False)
    assert main(["forget", "--model", str(tmp_path / "als.npz"), "--customers",
                 str(tmp_path / "g.csv"), "--approximate"]) == 0
    assert "approximate: 2 warm-started sweeps" in capsys.readouterr().out
