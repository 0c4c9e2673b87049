"""Erasure: after forget(ids) a model answers, scores and saves exactly as a fit on the data
without those customers, and no forgotten id is left in its file."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import recsys
from recsys import DataError
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
    fresh = recsys.REGISTRY[name]().fit(_without(data, ids))
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
