"""The contract every model keeps, as tests a model's own test module inherits.

Subclass :class:`ModelContract` in the model's test module, name the class and the parameter
sets to run the contract on (kept small: a fit of a few hundred customers)::

    from recsys.testing import ModelContract
    from recsys.models.popular import Popularity

    class TestPopularityContract(ModelContract):
        model = Popularity
        variants = [{}, {"window_days": 60.0, "half_life_days": 14.0}]

pytest then runs every ``test_*`` method below on a generated shop (the ``shop`` fixture of
the project's ``conftest.py``, or :func:`contract_shop`): fit returns the model and leaves the
caller's data alone, refits replace, rows in any order give the same model, batch answers equal
single ones, lists are sorted, unique and never padded, seen items, candidates and exclusions
are respected, unknown customers follow the policy, files round-trip without pickle, and
explanations, carts and similar items follow the model's capability flags, and a pick's batch
reason is one of the contributions its explanation lists. This is the suite
LensKit's ``BasicComponentTests`` and implicit's ``RecommenderBaseTestMixin`` give their
models. It needs pytest (the ``dev`` extra).

:func:`check_model` runs the same checks once, outside pytest (a notebook, a script).

>>> from recsys import Popularity, make_shop
>>> check_model(Popularity, make_shop(n_customers=200, n_products=40, seed=0))
'Popularity: 20 checks passed'
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, ClassVar
from unittest import mock

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys._engine.params import clone
from recsys.data.datasets import ShopData, make_shop
from recsys.data.interactions import Interactions
from recsys.exceptions import InvalidParameterError, NotFittedError, UnknownIdError, UnsupportedError
from recsys.models.files import load
from recsys.ranking import Filter, Query, TopK, fit_model

__all__ = ["ModelContract", "check_model", "contract_shop", "top_customers", "same_answers"]


def contract_shop() -> ShopData:
    """The generated shop the contract runs on when the project has no ``shop`` fixture.

    Returns
    -------
    ShopData
        :func:`~recsys.make_shop` with 300 customers, 80 products, seed 3.

    Examples
    --------
    >>> shop = contract_shop()
    >>> shop.interactions.n_items <= 80
    True
    """
    return make_shop(n_customers=300, n_products=80, seed=3)


def top_customers(data: Interactions, n: int = 25) -> np.ndarray:
    """The ids of the ``n`` customers with the most interactions (ties by index).

    Parameters
    ----------
    data : Interactions
        The data.
    n : int, default 25
        How many.

    Returns
    -------
    numpy.ndarray
        External ids, busiest first.

    Examples
    --------
    >>> import pandas as pd
    >>> from recsys.data.interactions import Interactions
    >>> data = Interactions.from_frame(pd.DataFrame({"user_id": [5, 5, 7, 9, 9, 9],
    ...                                              "item_id": list("abcabc")}))
    >>> top_customers(data, 2).tolist()
    [9, 5]
    """
    counts = np.bincount(data.user_index, minlength=data.n_users)
    return data.users.ids[np.argsort(-counts, kind="stable")[:n]]


def same_answers(a, b) -> None:
    """Two :class:`~recsys.ranking.Recommendations` hold the same items, scores and lengths.

    Scores are compared with a float32 tolerance (``rtol=1e-5``).

    Parameters
    ----------
    a, b : Recommendations
        The answers compared.

    Raises
    ------
    AssertionError
        Naming the first difference.

    Examples
    --------
    >>> import recsys
    >>> shop = recsys.make_shop(n_customers=100, n_products=20, seed=0)
    >>> model = recsys.Popularity().fit(shop.interactions)
    >>> customers = model.users_.ids[:5]
    >>> same_answers(model.recommend(customers, k=3), model.recommend(customers, k=3))
    """
    np.testing.assert_array_equal(a.item_index, b.item_index)
    np.testing.assert_allclose(a.scores, b.scores, rtol=1e-5, atol=1e-6, equal_nan=True)
    np.testing.assert_array_equal(a.lengths, b.lengths)


def _raises(error: type[BaseException], call, *args, match: str | None = None, **kwargs):
    try:
        call(*args, **kwargs)
    except error as exc:
        assert match is None or match in str(exc), f"{error.__name__} without {match!r}: {exc}"
        return exc
    raise AssertionError(f"{getattr(call, '__name__', call)} did not raise {error.__name__}")


#: contract class -> (the shop, its variants fitted on it): each test reuses the fits
_FITTED: dict[type, tuple[ShopData, list[tuple[dict[str, Any], Any]]]] = {}


def _fitted_arrays(model):
    """(name, array) of every fitted numpy array of ``model`` (public ``name_`` attributes)."""
    for key, value in vars(model).items():
        if key.endswith("_") and not key.startswith("_"):
            if isinstance(value, np.ndarray):
                yield key, value
            elif sp.issparse(value):
                yield f"{key}.data", value.data
                yield f"{key}.indices", value.indices


class ModelContract:
    """Tests every model passes; subclass it with ``model`` and ``variants`` (see the module).

    Each test runs on every variant; a failure names the variant.

    Examples
    --------
    In a model's test module (pytest collects the class and runs every check)::

        class TestMyModelContract(ModelContract):
            model = MyModel
            variants = [{}, {"alpha": 0.5}]

    The same checks outside pytest:

    >>> import recsys
    >>> check_model(recsys.Popularity, variants=[{}, {"window_days": 60.0}])
    'Popularity: 20 checks passed'
    """

    #: the model class under test
    model: ClassVar[type]
    #: the parameter sets the contract runs on (small fits)
    variants: ClassVar[list[dict[str, Any]]] = [{}]
    #: whether a pick's batch reason is one of the contributions ``explain`` lists for it;
    #: False for a model whose batch reasons are a cheaper stand-in (they must still name an
    #: item of the customer's history)
    reasons_from_explain: ClassVar[bool] = True

    # ------------------------------------------------------------------ helpers
    def make(self, params: dict[str, Any], **extra: Any):
        return self.model(**{**params, **extra})

    def fitted(self, shop: ShopData) -> list[tuple[dict[str, Any], Any]]:
        """(params, model fitted on ``shop``) per variant, fitted once per class and shop."""
        cached = _FITTED.get(type(self))
        if cached is None or cached[0] is not shop:
            models = [(p, fit_model(self.make(p), shop.interactions, shop.items))
                      for p in self.variants]
            cached = _FITTED[type(self)] = (shop, models)
        return cached[1]

    # ------------------------------------------------------------------ the contract
    def test_fit_returns_self_and_leaves_input_alone(self, shop: ShopData) -> None:
        for params in self.variants:
            orders = shop.orders.copy()
            before = orders.copy()
            data = Interactions.from_frame(orders, user="customer_id", item="product_id",
                                           basket="order_id", timestamp="timestamp")
            item_index = data.item_index.copy()
            model = self.make(params)
            assert fit_model(model, data, shop.items) is model, params
            pd.testing.assert_frame_equal(orders, before)
            np.testing.assert_array_equal(data.item_index, item_index)
            assert not data.item_index.flags.writeable

    def test_unfitted_raises(self) -> None:
        for params in self.variants:
            model = self.make(params)
            _raises(NotFittedError, model.recommend, [1], k=3, match="fit")
            _raises(NotFittedError, model.save, "unused.npz")

    def test_clone_and_params_round_trip(self) -> None:
        for params in self.variants:
            model = self.make(params)
            deep, shallow = model.get_params(deep=True), model.get_params(deep=False)
            twin = clone(model)
            assert type(twin) is type(model) and twin is not model
            assert repr(twin) == repr(model)
            twin.set_params(**deep)
            assert repr(twin.get_params(deep=True)) == repr(deep)
            assert repr(twin.get_params(deep=False)) == repr(shallow)
            _raises(InvalidParameterError, twin.set_params, no_such_parameter=1,
                    match="no parameter")

    def test_refit_equals_fit_and_resets(self, shop: ShopData) -> None:
        data = shop.interactions
        users = top_customers(data)
        for params, fitted in self.fitted(shop):
            model = self.make(params)
            fit_model(model, data.select(data.user_index < data.n_users // 2), shop.items)
            fit_model(model, data, shop.items)  # a second fit fully replaces the first
            same_answers(model.recommend(users, k=8), fitted.recommend(users, k=8))

    def test_shuffled_rows_give_the_same_model(self, shop: ShopData) -> None:
        shuffled = Interactions.from_frame(
            shop.orders.sample(frac=1.0, random_state=7), user="customer_id",
            item="product_id", basket="order_id", timestamp="timestamp",
            items=shop.items.items if shop.items is not None else None)
        users = top_customers(shop.interactions)
        for params, fitted in self.fitted(shop):
            model = fit_model(self.make(params), shuffled, shop.items)
            same_answers(model.recommend(users, k=8), fitted.recommend(users, k=8))

    def test_batch_equals_single(self, shop: ShopData) -> None:
        users = top_customers(shop.interactions, 6)
        for _, model in self.fitted(shop):
            batch = model.recommend(users, k=7)
            for pos, user in enumerate(users.tolist()):
                single = model.recommend(user, k=7)
                assert single.item_ids() == batch.item_ids(pos)
                np.testing.assert_allclose(single.scores[0], batch.scores[pos], rtol=1e-5,
                                           equal_nan=True)

    def test_lists_are_sorted_unique_and_unpadded(self, shop: ShopData) -> None:
        for _, model in self.fitted(shop):
            recs = model.recommend(top_customers(shop.interactions, 40), k=10)
            for pos in range(len(recs)):
                n = recs.lengths[pos]
                row = recs.item_index[pos, :n]
                assert len(set(row.tolist())) == n
                assert (row >= 0).all() and (recs.item_index[pos, n:] == -1).all()
                assert np.isfinite(recs.scores[pos, :n]).all()
                assert (np.diff(recs.scores[pos, :n]) <= 1e-6).all()

    def test_seen_candidates_and_exclude_are_respected(self, shop: ShopData) -> None:
        users = top_customers(shop.interactions, 20)
        for _, model in self.fitted(shop):
            recs = model.recommend(users, k=10, exclude_seen=True)
            default = model.recommend(users, k=10)  # the model's own default
            repeats = 0
            for pos, user in enumerate(users.tolist()):
                history = set(model.seen_[model.users_.to_index([user])[0]].indices.tolist())
                assert not history & set(recs.item_index[pos, : recs.lengths[pos]].tolist())
                repeats += len(history & set(default.item_index[pos, : default.lengths[pos]]
                                             .tolist()))
            assert (repeats > 0) == model.recommends_seen
            allowed = model.items_.ids[::3][:30].tolist()
            blocked = recs.item_ids(0)[:2]
            limited = model.recommend(users, k=10, candidates=allowed, exclude=blocked)
            assert {i for row in limited.to_dict().values() for i in row} <= \
                set(allowed) - set(blocked)
            assert model.recommend(users[:1], k=5, candidates=[]).lengths[0] == 0

    def test_k_beyond_the_catalogue_gives_no_fake_items(self, shop: ShopData) -> None:
        user = top_customers(shop.interactions, 1)[0]
        for _, model in self.fitted(shop):
            recs = model.recommend(user, k=len(model.items_) + 50)
            n = recs.lengths[0]
            assert n <= len(model.items_) and len(recs.to_frame()) == n
            assert (recs.item_index[0, n:] == -1).all()

    def test_items_without_interactions_are_never_recommended(self, shop: ShopData) -> None:
        catalogue = list(shop.interactions.items.ids) + ["NEW-1", "NEW-2"]
        data = Interactions.from_frame(shop.orders, user="customer_id", item="product_id",
                                       basket="order_id", timestamp="timestamp", items=catalogue)
        for params in self.variants:
            model = fit_model(self.make(params), data, shop.items)
            recs = model.recommend(top_customers(data, 30), k=len(catalogue), exclude_seen=False)
            assert not {"NEW-1", "NEW-2"} & set(recs.to_frame()["item"])

    def test_unknown_user_policies(self, shop: ShopData) -> None:
        known = top_customers(shop.interactions, 2).tolist()
        for _, model in self.fitted(shop):
            error = _raises(UnknownIdError, model.recommend, known + [-5, -6], k=5)
            assert error.ids == [-5, -6] and error.kind == "user"
            # customer ids are personal data: the message counts them, never names them
            assert "on_unknown" in str(error) and "-5" not in str(error)
            assert "2 of 4 user ids" in str(error) and "RECSYS_SHOW_IDS" in str(error)
            skipped = model.recommend(known + [-5], k=5, on_unknown="skip")
            assert skipped.queries.tolist() == known
            fallback = model.recommend(known + [-5], k=5, on_unknown="fallback")
            assert fallback.source.tolist()[-1] == "popularity" and fallback.lengths[-1] == 5
            _raises(UnknownIdError, model.recommend, "a string id", k=5)

    def test_save_load_round_trip(self, shop: ShopData, tmp_path: Path) -> None:
        users = top_customers(shop.interactions, 30)
        for number, (_, model) in enumerate(self.fitted(shop)):
            path = tmp_path / f"{number}.npz"
            model.save(path)
            with np.load(path, allow_pickle=False) as npz:  # loads without pickle
                assert "__manifest__" in npz.files
            again = load(path)
            assert type(again) is type(model)
            assert again.get_params(deep=False).keys() == model.get_params(deep=False).keys()
            same_answers(again.recommend(users, k=10), model.recommend(users, k=10))
            if model.supports_baskets:
                cart = model.items_.ids[np.argsort(-model.item_counts_)[:2]].tolist()
                same_answers(again.recommend_for_basket(cart, k=5),
                             model.recommend_for_basket(cart, k=5))

    def test_explain(self, shop: ShopData) -> None:
        user = top_customers(shop.interactions, 1)[0]
        for _, model in self.fitted(shop):
            recs = model.recommend(user, k=3)
            item = recs.item_ids()[0]
            why = model.explain(item, user=user)
            assert why.item == item and why.method and why.source
            assert abs(why.score - float(recs.scores[0, 0])) <= 1e-5 + 1e-4 * abs(why.score)
            assert isinstance(why.contributions, list)
            _raises(UnknownIdError, model.explain, "no-such-item", user=user)

    def test_reasons_agree_with_explain(self, shop: ShopData) -> None:
        """The batch reasons (``anchors``, what a campaign's picks file says) and ``explain``
        (one pick in full) are two paths through the model's maths: a pick's anchor is one
        of the contributions ``explain`` lists for it (a rule's antecedent among its rules),
        or, where :attr:`reasons_from_explain` is False, an item the customer bought."""
        users = top_customers(shop.interactions, 5)
        for params, model in self.fitted(shop):
            recs = model.recommend(users, k=5, on_unknown="skip")
            found = model.anchors(Query.of_users(model.users_.to_index(recs.queries)),
                                  recs.item_index)
            for row, col in zip(*np.nonzero(recs.item_index >= 0), strict=True):
                code, anchor = found.codes[row, col], found.anchors[row, col]
                if code not in ("bought_item", "similar_attributes", "bought_together"):
                    continue
                user = recs.queries[row]
                if not self.reasons_from_explain:
                    if code == "bought_item":
                        seen = model.seen_rows(model.users_.to_index([user])).indices
                        assert anchor in set(model.items_.ids[seen].tolist()), (params, anchor)
                    continue
                why = model.explain(model.items_.ids[recs.item_index[row, col]], user=user)
                named = [c[0][0] if code == "bought_together" else c[0]
                         for c in why.contributions]
                assert anchor in named, (params, code, anchor, why.contributions[:3])

    def test_baskets_follow_the_capability(self, shop: ShopData) -> None:
        for _, model in self.fitted(shop):
            cart = model.items_.ids[np.argsort(-model.item_counts_, kind="stable")[:2]].tolist()
            if not model.supports_baskets:
                _raises(UnsupportedError, model.recommend_for_basket, cart, k=5)
                continue
            one = model.recommend_for_basket(cart, k=5)
            assert not set(one.item_ids()) & set(cart)
            many = model.recommend_for_basket([cart, cart[:1], []], k=5)
            assert many.item_ids(0) == one.item_ids() and many.source[2] == "popularity"
            as_dict = model.recommend_for_basket({"new-customer": cart}, k=5)
            assert as_dict.queries.tolist() == ["new-customer"]
            assert as_dict.item_ids() == one.item_ids()
            _raises(UnknownIdError, model.recommend_for_basket, cart + ["no-such-item"], k=5)
            skipped = model.recommend_for_basket(cart + ["no-such-item"], k=5, on_unknown="skip")
            assert skipped.item_ids() == one.item_ids()

    def test_similar_items_follow_the_capability(self, shop: ShopData) -> None:
        for _, model in self.fitted(shop):
            item = model.items_.ids[int(np.argmax(model.item_counts_))].item()
            if not model.supports_similar_items:
                _raises(UnsupportedError, model.similar_items, item, k=5)
                continue
            recs = model.similar_items([item], k=5)
            assert item not in recs.item_ids() and recs.lengths[0] <= 5

    def test_a_failed_fit_leaves_the_model_unfitted(self, shop: ShopData) -> None:
        for params in self.variants:
            model = fit_model(self.make(params), shop.interactions, shop.items)
            with mock.patch.object(model, "_fit", side_effect=RuntimeError("disk full")):
                _raises(RuntimeError, fit_model, model, shop.interactions, shop.items,
                        match="disk full")
            assert not model.is_fitted
            assert not [key for key in vars(model) if key.endswith("_") and not key.startswith("_")]
            _raises(NotFittedError, model.recommend, top_customers(shop.interactions, 2), k=3)
            fit_model(model, shop.interactions, shop.items)  # and it can be fitted again
            assert len(model.recommend(top_customers(shop.interactions, 2), k=3)) == 2

    def test_fitted_arrays_are_read_only_and_not_the_callers(self, shop: ShopData) -> None:
        data = shop.interactions
        before = data.matrix("user").copy()
        for params in self.variants:
            model = fit_model(self.make(params), data, shop.items)
            arrays = list(_fitted_arrays(model))
            assert arrays
            for key, array in arrays:
                assert not array.flags.writeable, key
            assert model.seen_ is not data.matrix("user")
            assert not np.shares_memory(model.seen_.data, data.matrix("user").data)
            assert (data.matrix("user") != before).nnz == 0  # the caller's data as it was

    def test_loaded_models_are_read_only_too(self, shop: ShopData, tmp_path: Path) -> None:
        for number, (_, model) in enumerate(self.fitted(shop)):
            model.save(tmp_path / f"r{number}.npz")
            for key, array in _fitted_arrays(load(tmp_path / f"r{number}.npz")):
                assert not array.flags.writeable, key

    def test_the_ranking_api_answers_as_recommend_does(self, shop: ShopData) -> None:
        """``rank``, ``score`` and ``anchors`` (what the campaign, metrics, reasons and Hybrid
        use) agree with the public methods, on internal indices."""
        ids = top_customers(shop.interactions, 5)
        for _, model in self.fitted(shop):
            users = model.users_.to_index(ids)
            top = model.rank(Query.of_users(users), 4,
                             Filter(model.recommendable_, model.seen_, users))
            assert isinstance(top, TopK)
            recs = model.recommend(ids, k=4, exclude_seen=True)
            assert np.array_equal(top.index, recs.item_index)
            assert np.array_equal(top.lengths, recs.lengths)
            scores = model.score(Query.of_users(users))
            assert scores.shape == (5, len(model.items_)) and scores.dtype == np.float32
            assert np.isneginf(scores[:, ~model.recommendable_]).all()
            found = model.anchors(Query.of_users(users), top.index)
            assert found.codes.shape == top.index.shape
            assert set(found.codes.ravel()) <= {"bought_item", "bought_together",
                                                "similar_attributes", "popular"}


def check_model(model: type, shop: ShopData | None = None,
                variants: list[dict[str, Any]] | None = None) -> str:
    """Run every check of :class:`ModelContract` on ``model`` (a model class) once, outside
    pytest; raises AssertionError naming the first that fails.

    Parameters
    ----------
    model : type
        A :class:`~recsys.models.base.Recommender` subclass.
    shop : ShopData, optional
        The data to run on (default: :func:`contract_shop`).
    variants : list of dict, optional
        Parameter sets to check (default: the class's defaults only).

    Returns
    -------
    str
        How many checks passed.

    Examples
    --------
    >>> import recsys
    >>> check_model(recsys.Popularity)
    'Popularity: 20 checks passed'
    """
    contract = type(f"{model.__name__}Contract", (ModelContract,),
                    {"model": model, "variants": variants or [{}]})()
    shop = shop if shop is not None else contract_shop()
    checks = [name for name in dir(ModelContract) if name.startswith("test_")]
    with tempfile.TemporaryDirectory() as folder:
        for name in checks:
            method = getattr(contract, name)
            wanted = method.__code__.co_varnames[1: method.__code__.co_argcount]
            available = {"shop": shop, "tmp_path": Path(folder)}
            method(**{key: value for key, value in available.items() if key in wanted})
    return f"{model.__name__}: {len(checks)} checks passed"
