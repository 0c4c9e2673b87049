"""Model files that were altered, with the checksum recomputed as an attacker would: load then
recommend either raises PersistenceError or answers exactly as the original model did. Every
registered model, every array, a table of structural mutations, plus random bytes."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import recsys
from recsys import REGISTRY, PersistenceError, load
from recsys.io.persistence import write_file
from tests.models.variants import variants

_COUNT: list[int] = []  # mutated files written, for the total below
VARIANTS = [(name, params) for name, sets in sorted(variants().items()) for params in sets]


def _fit(name, params, shop):
    model = REGISTRY[name](**params)
    return model.fit(shop.interactions, items=shop.items) if model.uses_item_features \
        else model.fit(shop.interactions)


@pytest.fixture(scope="module")
def small_shop():
    return recsys.make_shop(n_customers=120, n_products=30, seed=11)


def _answers(model, shop):
    """What a served model says: customers, a cart, neighbours (where it can)."""
    users = shop.interactions.users.ids[:15]
    items = shop.interactions.items.ids[:3]
    out = [model.recommend(users, k=5).to_dict()]
    if model.supports_baskets:
        out.append(model.recommend_for_basket(list(items[:2]), k=5).to_dict())
    if model.supports_similar_items:
        out.append(model.similar_items(items[0], k=5, on_unknown="skip").to_dict())
    return out


def _raw(path):
    with np.load(path, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    return json.loads(str(arrays.pop("__manifest__")[()])), arrays


def _mutations(key: str, value: np.ndarray):
    """Structural changes of one array: shapes, dtypes, indices out of any range, NaN, and for
    id maps order and duplicates. (A finite number changed for another is a different model,
    which only a signing key can tell from the original.)"""
    yield "empty", value[:0]
    if len(value) > 1:
        yield "one row short", value[:-1]
        yield "five rows short", value[:-5] if len(value) > 5 else value[:1]
    if len(value) > 1 and key.rsplit("/", 1)[-1] in ("users", "items"):  # an id map
        yield "reversed", value[::-1].copy()
        yield "first entry twice", np.concatenate([value[:1], value[:-1]])
    if len(value):
        yield "one row more", np.concatenate([value, value[-1:]])
    yield "an extra dimension", value[..., None]
    if value.ndim == 2 and value.shape[0] != value.shape[1]:  # square: a different model
        yield "transposed", value.T.copy()
    yield "a scalar", np.asarray(value.flat[0] if value.size else 0)
    if value.dtype.kind == "f":
        for bad in (np.nan, np.inf, -np.inf):
            for where in {0, value.size // 2, value.size - 1} if value.size else ():
                changed = value.copy()
                changed.flat[where] = bad
                yield f"a {bad} at {where}", changed
        with np.errstate(invalid="ignore"):  # inf (a rule's conviction) has no integer
            yield "as integers", value.astype(np.int64)
    is_id_map = key.rsplit("/", 1)[-1] in ("users", "items")
    if value.dtype.kind in "iu" and not is_id_map:  # ids are values; the rest index or count
        for bad in (-2, -(2**31), 2**31 - 1):
            for where in {0, value.size // 2, value.size - 1} if value.size else ():
                changed = value.astype(np.int64)
                changed.flat[where] = bad
                yield f"an index {bad} at {where}", changed
        yield "as floats", value.astype(np.float64)
        yield "as int8", value.astype(np.int8)
    if value.dtype.kind != "U":
        yield "as text", value.astype(str)


@pytest.mark.parametrize(("name", "params"), VARIANTS,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(VARIANTS)])
def test_a_crafted_file_with_a_valid_checksum_never_misleads(small_shop, tmp_path, name, params):
    model = _fit(name, params, small_shop)
    path = tmp_path / "model.npz"
    model.save(path)
    expected = _answers(model, small_shop)
    manifest, arrays = _raw(path)
    tried = refused = 0
    for key, value in arrays.items():
        for what, changed in _mutations(key, value):
            crafted = tmp_path / "crafted.npz"
            write_file(crafted, manifest, {**arrays, key: changed})
            tried += 1
            try:
                loaded = load(crafted)
            except PersistenceError:
                refused += 1
                continue
            assert _answers(loaded, small_shop) == expected, f"{key}: {what}"
    assert tried >= 100 and refused >= tried // 2
    _COUNT.append(tried)


def test_the_mutation_suite_wrote_at_least_2000_files():
    """Runs after the suite above (same module, in order): it must have covered every model."""
    if len(_COUNT) != len(VARIANTS):
        pytest.skip("run with the whole module")
    assert sum(_COUNT) >= 2000


@pytest.mark.parametrize(("name", "params"), VARIANTS,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(VARIANTS)])
def test_random_bytes_in_a_model_file_are_refused(small_shop, tmp_path, name, params):
    """Flipped bytes anywhere: the zip's CRC, the digest or a reader refuses the file."""
    path = tmp_path / "model.npz"
    model = _fit(name, params, small_shop)
    model.save(path)
    expected = _answers(model, small_shop)
    raw = bytearray(path.read_bytes())
    rng = np.random.default_rng(len(name))
    for _ in range(80):
        damaged = bytearray(raw)
        for position in rng.integers(0, len(raw), rng.integers(1, 4)):
            damaged[position] ^= int(rng.integers(1, 256))
        crafted = tmp_path / "damaged.npz"
        crafted.write_bytes(bytes(damaged))
        try:
            loaded = load(crafted)
        except PersistenceError:
            continue
        # a flip in bytes no member is read from (the zip's directory timestamps, say) can
        # leave every member intact: then the model must be the original
        assert _answers(loaded, small_shop) == expected


# ---------------------------------------------------------------------- the listed cases
@pytest.fixture(scope="module")
def als_file(small_shop, tmp_path_factory):
    path = tmp_path_factory.mktemp("als") / "als.npz"
    recsys.ALS(factors=8, iterations=3, random_state=0).fit(small_shop.interactions).save(path)
    return path


def _rewrite(path, tmp_path, change_manifest=None, change_arrays=None, seal=True):
    manifest, arrays = _raw(path)
    if change_manifest:
        change_manifest(manifest)
    if change_arrays:
        change_arrays(arrays)
    out = tmp_path / "crafted.npz"
    if seal:
        write_file(out, manifest, arrays)
    else:
        np.savez_compressed(out, __manifest__=np.array(json.dumps(manifest)), **arrays)
    return out


CASES = [
    ("the model's class changed in the manifest", dict(
        change_manifest=lambda m: m.update(model="BPR"), seal=False), "checksum"),
    ("a parameter changed in the manifest", dict(
        change_manifest=lambda m: m["params"].update(alpha=1000.0), seal=False), "checksum"),
    ("seen indices out of range", dict(change_arrays=lambda a: a["seen/indices"].__setitem__(
        0, 10**6)), "seen/indices"),
    ("item factors five rows short", dict(change_arrays=lambda a: a.update(
        {"model/item_factors": a["model/item_factors"][:-5]})), "item_factors"),
    ("the users id map reversed", dict(change_arrays=lambda a: a.update(
        users=a["users"][::-1].copy())), "sorted"),
    ("all-NaN factors", dict(change_arrays=lambda a: a["model/user_factors"].fill(np.nan)),
     "NaN"),
    ("duplicated ids", dict(change_arrays=lambda a: a["items"].__setitem__(1, a["items"][0])),
     "sorted"),
    ("a non-monotone indptr", dict(change_arrays=lambda a: a["seen/indptr"].__setitem__(
        3, a["seen/indptr"][2] - 1)), "indptr"),
]


@pytest.mark.parametrize(("case", "how", "word"), CASES, ids=[c[0] for c in CASES])
def test_each_listed_crafted_file_is_refused(als_file, tmp_path, case, how, word):
    with pytest.raises(PersistenceError, match=word):
        load(_rewrite(als_file, tmp_path, **how))


def test_a_small_file_that_would_inflate_to_a_gigabyte_is_refused_unread(als_file, tmp_path):
    manifest, arrays = _raw(als_file)
    arrays["seen/data"] = np.zeros(2**28, np.float32)  # 1 GiB of zeros: about 1 MB compressed
    path = tmp_path / "bomb.npz"
    write_file(path, manifest, arrays)
    assert path.stat().st_size < 8 * 2**20
    with pytest.raises(PersistenceError, match="expand"):
        load(path)


def test_an_array_header_declaring_a_huge_shape_is_refused(als_file, tmp_path):
    """A header asking for (2**40, 8) floats over a few bytes: refused before any allocation."""
    manifest, arrays = _raw(als_file)
    path = tmp_path / "huge.npz"
    write_file(path, manifest, arrays)
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    header = members["model/user_factors.npy"]
    shape = str(arrays["model/user_factors"].shape).encode()
    forged = header.replace(shape, b"(1099511627776, 8)".ljust(len(shape)), 1)
    assert forged != header and raw
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, content in members.items():
            archive.writestr(filename, forged if filename == "model/user_factors.npy" else content)
    with pytest.raises(PersistenceError):
        load(path)


def test_a_deeply_nested_manifest_is_refused(als_file, tmp_path):
    manifest, arrays = _raw(als_file)
    path = tmp_path / "deep.npz"
    deep = "[" * 200_000 + "]" * 200_000
    text = json.dumps(manifest)[:-1] + f', "deep": {deep}}}'
    np.savez_compressed(path, __manifest__=np.array(text), **arrays)
    with pytest.raises(PersistenceError, match="manifest"):
        load(path)


def test_loading_through_a_class_checks_the_class(als_file):
    assert isinstance(recsys.ALS.load(als_file), recsys.ALS)
    with pytest.raises(PersistenceError, match="ALS"):
        recsys.BPR.load(als_file)


# ---------------------------------------------------------------------- signing
KEY = "a shop's secret, 32 bytes long!!"


def test_a_signed_load_refuses_unsigned_and_otherwise_signed_files(small_shop, tmp_path,
                                                                   monkeypatch):
    monkeypatch.delenv("RECSYS_MODEL_KEY", raising=False)
    model = recsys.Popularity().fit(small_shop.interactions)
    signed, unsigned, other = tmp_path / "s.npz", tmp_path / "u.npz", tmp_path / "o.npz"
    model.save(signed, key=KEY)
    model.save(unsigned)
    model.save(other, key="another key of enough length")
    assert _answers(load(signed, key=KEY), small_shop) == _answers(model, small_shop)
    assert isinstance(load(signed), recsys.Popularity)  # a signature is extra without a key
    with pytest.raises(PersistenceError, match="not signed"):
        load(unsigned, key=KEY)
    with pytest.raises(PersistenceError, match="another key"):
        load(other, key=KEY)
    monkeypatch.setenv("RECSYS_MODEL_KEY", KEY)  # the environment's key, for a web process
    assert isinstance(load(signed), recsys.Popularity)
    with pytest.raises(PersistenceError, match="not signed"):
        load(unsigned)


def test_a_signed_file_with_a_recomputed_checksum_is_refused(small_shop, tmp_path):
    """Whoever rewrites the content can recompute the digest, not the signature."""
    path = tmp_path / "s.npz"
    recsys.Popularity().fit(small_shop.interactions).save(path, key=KEY)
    manifest, arrays = _raw(path)
    manifest["params"]["window_days"] = 7
    write_file(path, {**manifest, "signature": manifest["signature"]}, arrays)
    with pytest.raises(PersistenceError, match="not signed|another key"):
        load(path, key=KEY)
    with pytest.raises(PersistenceError, match="at least 16"):
        load(path, key="short")
