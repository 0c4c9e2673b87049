"""Model files: round trip, and refusal of altered, truncated, pickled or foreign files."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import recsys
from recsys import PersistenceError, Popularity, load
from recsys.models.files import read_manifest


@pytest.fixture()
def saved(shop, tmp_path):
    model = Popularity(window_days=90).fit(shop.interactions)
    path = tmp_path / "pop.npz"
    model.save(path)
    return model, path


def test_round_trip_keeps_params_and_output(saved, shop):
    model, path = saved
    again = load(path)
    assert again.window_days == 90
    users = shop.interactions.users.ids[:20]
    assert again.recommend(users, k=5).to_dict() == model.recommend(users, k=5).to_dict()
    manifest = read_manifest(path)
    assert manifest["model"] == "Popularity" and manifest["format"] == 2
    assert manifest["recsys_version"] == recsys.__version__ and len(manifest["sha256"]) == 64


def _payload_offsets(path):
    """(start, size) of each member's compressed bytes, read from the local headers."""
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    out = []
    for info in infos:
        name_len = int.from_bytes(raw[info.header_offset + 26: info.header_offset + 28], "little")
        extra_len = int.from_bytes(raw[info.header_offset + 28: info.header_offset + 30], "little")
        out.append((info.header_offset + 30 + name_len + extra_len, info.compress_size))
    return out


def test_altered_bytes_are_refused(saved, tmp_path):
    _, path = saved
    raw = path.read_bytes()
    for n, (start, size) in enumerate(_payload_offsets(path)):
        # the first and middle bytes of every member's compressed data (the last byte of a
        # deflate stream may be padding that changes nothing)
        for where in (start, start + size // 2):
            changed = bytearray(raw)
            changed[where] ^= 0x5A
            bad = tmp_path / f"altered-{n}-{where}.npz"
            bad.write_bytes(bytes(changed))
            with pytest.raises(PersistenceError):
                load(bad)


def test_rewritten_array_fails_the_checksum(saved, tmp_path):
    _, path = saved
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["model/scores"] = arrays["model/scores"] * 2  # a consistent zip, different numbers
    bad = tmp_path / "rewritten.npz"
    np.savez_compressed(bad, **arrays)
    with pytest.raises(PersistenceError, match="checksum"):
        load(bad)


def test_truncated_file_is_refused(saved, tmp_path):
    _, path = saved
    bad = tmp_path / "truncated.npz"
    bad.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(PersistenceError, match="damaged|truncated"):
        load(bad)


def test_pickled_object_array_is_refused(saved, tmp_path):
    _, path = saved
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["model/scores"] = np.array([{"evil": 1}], dtype=object)
    bad = tmp_path / "pickled.npz"
    np.savez(bad, **arrays)
    with pytest.raises(PersistenceError, match="pickle"):
        load(bad)


def test_foreign_class_is_refused(saved, tmp_path):
    _, path = saved
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    manifest = json.loads(str(arrays["__manifest__"][()]))
    manifest["model"] = "os.system"
    arrays["__manifest__"] = np.array(json.dumps(manifest))
    bad = tmp_path / "foreign.npz"
    np.savez(bad, **arrays)
    with pytest.raises(PersistenceError, match="not a recsys model"):
        load(bad)


def test_not_a_model_file(tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.arange(3))
    with pytest.raises(PersistenceError, match="not a recsys model"):
        load(plain)
    with pytest.raises(PersistenceError, match="no model file"):
        load(tmp_path / "missing.npz")
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(PersistenceError):
        load(text)


def test_future_format_is_refused(saved, tmp_path):
    _, path = saved
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    manifest = json.loads(str(arrays["__manifest__"][()]))
    manifest["format"] = 99
    arrays["__manifest__"] = np.array(json.dumps(manifest))
    bad = tmp_path / "future.npz"
    np.savez(bad, **arrays)
    with pytest.raises(PersistenceError, match="format 99"):
        load(bad)


def test_a_file_with_an_unsorted_id_map_is_refused(tmp_path, shop):
    """Look-ups binary-search the sorted ids, so a reordered map must not load."""
    from recsys import PersistenceError, Popularity, load
    from recsys.io.persistence import write_file

    path = tmp_path / "m.npz"
    Popularity().fit(shop.interactions).save(path)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    manifest = json.loads(str(arrays.pop("__manifest__")[()]))
    arrays["users"] = arrays["users"][::-1].copy()
    write_file(path, manifest, arrays)  # a valid checksum: only the structure can tell
    with pytest.raises(PersistenceError, match="sorted"):
        load(path)


@pytest.mark.parametrize("content", [b"customer_id,product_id\n1,2\n", b"\x93NUMPY", b"\x00" * 64])
def test_a_file_that_is_not_a_model_archive_is_named_as_such(tmp_path, content):
    """A CSV, a bare .npy or random bytes: never reported as "a pickled object array"."""
    path = tmp_path / "not-a-model.npz"
    if content == b"\x93NUMPY":
        np.save(tmp_path / "array.npy", np.arange(3))
        path = tmp_path / "array.npy"
    else:
        path.write_bytes(content)
    with pytest.raises(PersistenceError, match="is not a recsys model file") as err:
        load(path)
    assert "pickle" not in str(err.value)
