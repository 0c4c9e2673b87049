"""The default Hybrid's check at fit: ALS (and then content) left out where popularity wins."""

from __future__ import annotations

import numpy as np
import pytest

import recsys
from recsys import PersistenceError
from recsys.models._self_check import versus_popularity


@pytest.fixture(scope="module")
def staples_only():
    """A grocery where every line is a draw by popularity: nothing personal to learn."""
    return recsys.make_grocery(n_customers=1500, loyalty=0.0, seed=3)


@pytest.fixture(scope="module")
def tastes():
    return recsys.make_shop(seed=0)  # 2,000 customers x 400 products: ALS beats popularity


def test_als_losing_to_popularity_answers_no_customer(staples_only):
    data = staples_only.interactions
    model = recsys.Hybrid().fit(data, items=staples_only.items)
    assert model.left_out_ == ["als", "content"]
    assert model.check_.scores["als"] < model.check_.popularity
    customers = data.users.ids[:200]
    popular = recsys.Popularity().fit(data).recommend(customers, k=5).to_frame()
    picks = model.recommend(customers, k=5).to_frame()
    assert picks["item"].tolist() == popular["item"].tolist()
    assert set(picks["source"]) == {"popular"}
    assert model.similar_items(data.items.ids[0], k=3).item_ids()  # ALS still gives these


def test_als_with_tastes_to_learn_is_kept(tastes):
    model = recsys.Hybrid().fit(tastes.interactions, items=tastes.items)
    assert model.left_out_ == []
    assert model.check_.scores["als"] >= model.check_.popularity
    assert "als" in set(model.recommend(tastes.interactions.users.ids[:50], k=5)
                        .to_frame()["source"])


def test_the_check_can_be_switched_off_and_is_deterministic(staples_only):
    off = recsys.Hybrid(self_check=False).fit(staples_only.interactions)
    assert off.left_out_ == [] and not hasattr(off, "check_")
    first = versus_popularity({"als": recsys.ALS(random_state=0)}, staples_only.interactions)
    again = versus_popularity({"als": recsys.ALS(random_state=0)}, staples_only.interactions)
    assert first == again and first.customers >= 20


def test_too_few_customers_to_judge_keep_every_model():
    tiny = recsys.make_shop(n_customers=8, n_products=10, seed=0).interactions
    result = versus_popularity({"als": recsys.ALS(random_state=0)}, tiny)
    assert result.losers() == [] and result.customers < 20


def test_the_default_hybrid_leaves_content_out_without_item_features(tastes):
    names = [name for name, _ in recsys.Hybrid().fit(tastes.interactions).components_]
    assert "content" not in names and "als" in names


def test_the_left_out_list_is_saved_and_checked_on_load(staples_only, tmp_path):
    from tests.io.test_model_files import _rewrite

    model = recsys.Hybrid().fit(staples_only.interactions)
    path = tmp_path / "hybrid.npz"
    model.save(path)
    loaded = recsys.load(path)
    assert loaded.left_out_ == ["als"]
    customers = staples_only.interactions.users.ids[:30]
    assert loaded.recommend(customers, k=4).to_dict() == model.recommend(customers, k=4).to_dict()
    crafted = _rewrite(path, tmp_path, change_manifest=lambda m: m["meta"].update(
        left_out=["nobody"]))
    with pytest.raises(PersistenceError, match="left_out"):
        recsys.load(crafted)
    assert np.isfinite(model.check_.popularity)
