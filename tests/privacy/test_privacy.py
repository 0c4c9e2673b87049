"""Pseudonyms, retention and the personal data a model file declares."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys import DataError, Interactions, InvalidParameterError, PersistenceError
from recsys.cli.main import main
from recsys.io.persistence import write_file
from recsys.models.files import read_manifest
from recsys.privacy import pseudonymize, reidentify

KEY = "the shop's secret, sixteen+ bytes"


@pytest.fixture(scope="module")
def orders():
    shop = recsys.make_shop(n_customers=400, n_products=60, seed=2)
    frame = shop.orders.copy()
    frame["customer_id"] = "cust-" + frame["customer_id"].astype(str)  # never a hex substring
    return frame


def _data(frame, **options):
    return Interactions.from_frame(frame, user="customer_id", item="product_id",
                                   timestamp="timestamp", basket="order_id", **options)


def test_pseudonymize_is_keyed_stable_and_leaves_the_frame_alone(orders):
    before = orders.copy()
    once, twice = pseudonymize(orders, KEY), pseudonymize(orders, KEY)
    pd.testing.assert_frame_equal(orders, before)
    assert once["customer_id"].tolist() == twice["customer_id"].tolist()
    other = pseudonymize(orders, KEY + "!")
    assert not set(once["customer_id"]) & set(other["customer_id"])
    assert once["customer_id"].nunique() == orders["customer_id"].nunique()
    assert not set(once["customer_id"]) & set(orders["customer_id"])
    back = reidentify(once, KEY, known_ids=orders["customer_id"].unique())
    assert back["customer_id"].tolist() == orders["customer_id"].tolist()
    with pytest.raises(InvalidParameterError, match="16 bytes"):
        pseudonymize(orders, "short")
    with pytest.raises(DataError, match="no column 'member'"):
        pseudonymize(orders, KEY, columns=["member"])


@pytest.mark.parametrize("name", ["ItemKNN", "EASE", "Popularity", "AssociationRules"])
def test_pseudonymous_models_pick_what_plain_ones_pick(orders, name, tmp_path):
    """Fit, save, load and recommend with pseudonyms: after re-identification the picks equal
    those of the same model on the shop's own ids, and the file holds none of them."""
    plain = getattr(recsys, name)().fit(_data(orders))
    model = getattr(recsys, name)().fit(_data(orders, pseudonymize=KEY))
    model.save(tmp_path / "m.npz")
    loaded = recsys.load(tmp_path / "m.npz")
    ids = orders["customer_id"].unique()[:50]
    want = plain.recommend(ids, k=5).to_frame()
    got = loaded.recommend(pseudonymize(pd.DataFrame({"customer_id": ids}), KEY)["customer_id"],
                           k=5).to_frame()
    got = reidentify(got, KEY, known_ids=ids, columns=["query"])
    pd.testing.assert_frame_equal(got.drop(columns="source"), want.drop(columns="source"),
                                  check_dtype=False, atol=1e-6)
    raw = _bytes(tmp_path / "m.npz")
    assert b"cust-" not in raw  # no shop id in any array or in the manifest
    assert read_manifest(tmp_path / "m.npz")["personal_data"]["pseudonymous"] is True


def _bytes(path) -> bytes:
    """Every member of a model file, decompressed."""
    with zipfile.ZipFile(path) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


def test_retention_keeps_old_customers_out_of_the_file(orders, tmp_path):
    data = _data(orders)
    model = recsys.ItemKNN().fit(data, max_age_days=30)
    times = pd.to_datetime(orders["timestamp"])
    recent = orders.loc[times >= times.max() - pd.Timedelta(days=30), "customer_id"].unique()
    assert sorted(model.users_.ids.tolist()) == sorted(recent.tolist())
    model.save(tmp_path / "m.npz")
    raw = _bytes(tmp_path / "m.npz")
    gone = set(orders["customer_id"]) - set(recent)
    assert gone and not any(customer.encode() in raw for customer in gone)
    facts = read_manifest(tmp_path / "m.npz")["personal_data"]
    assert facts["max_age_days"] == 30 and facts["customers"] == len(recent)
    assert facts["data_window"][1] == str(times.max())[:10]
    with pytest.raises(DataError, match="no times"):
        recsys.ItemKNN().fit(Interactions.from_frame(orders, user="customer_id",
                                                     item="product_id"), max_age_days=30)


def test_the_command_line_says_what_personal_data_a_file_holds(tmp_path, capsys):
    assert main(["fit", "--model", "ItemKNN", "--max-age-days", "60", "--out",
                 str(tmp_path / "m.npz")]) == 0
    capsys.readouterr()
    assert main(["info", "--personal-data", str(tmp_path / "m.npz")]) == 0
    said = capsys.readouterr().out
    assert "their own ids" in said and "retention: 60 days" in said and "erasures:" in said


def test_a_crafted_personal_data_entry_is_refused(orders, tmp_path):
    recsys.Popularity().fit(_data(orders)).save(tmp_path / "m.npz")
    manifest, arrays = _raw_parts(tmp_path / "m.npz")
    manifest["personal_data"]["data_window"] = {"from": 1}
    write_file(tmp_path / "crafted.npz", manifest, arrays)
    with pytest.raises(PersistenceError, match="personal_data"):
        recsys.load(tmp_path / "crafted.npz")


def _raw_parts(path):
    with np.load(path, allow_pickle=False) as npz:
        manifest = json.loads(str(npz["__manifest__"]))
        arrays = {name: npz[name] for name in npz.files if name != "__manifest__"}
    return manifest, arrays


def test_reidentify_leaves_unknown_pseudonyms_as_they_are():
    frame = pseudonymize(pd.DataFrame({"customer_id": ["a", "b"]}), KEY)
    back = reidentify(frame, KEY, known_ids=["a"])
    assert back["customer_id"].tolist()[0] == "a"
    assert back["customer_id"].tolist()[1] == frame["customer_id"].tolist()[1]
