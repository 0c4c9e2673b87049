"""The registry and the contract around it: every registered model has a contract test class
(recsys.testing.ModelContract) in its family's test module, the registry refuses a second class
under a registered name, and a new model is its maths."""

from __future__ import annotations

import numpy as np
import pytest

from recsys import REGISTRY, InvalidParameterError, Recommender
from recsys.models.registry import register
from recsys.testing import top_customers
from tests.models import variants


def test_a_second_class_under_a_registered_name_is_refused():
    original = REGISTRY["ALS"]

    class ALS(Recommender):  # a user's class that happens to share the name
        pass

    with pytest.raises(InvalidParameterError, match="registered already"):
        register(ALS)
    assert REGISTRY["ALS"] is original
    assert register(original) is original  # registering the same class again is harmless


def test_only_the_package_models_join_the_registry_by_themselves():
    before = dict(REGISTRY)

    class UsersModel(Recommender):  # defined outside recsys.models: not registered
        pass

    assert "UsersModel" not in REGISTRY
    with pytest.raises(InvalidParameterError, match="registered already"):
        type("ALS", (Recommender,), {"__module__": "recsys.models.elsewhere"})
    assert before == REGISTRY


def test_register_is_not_public():
    import recsys.models

    assert "register" not in recsys.models.__all__
    assert not hasattr(recsys.models, "register")


def test_a_new_model_is_its_maths(shop):
    """The sketch of docs/interface.md: one scoring hook gives every public method."""
    from recsys._engine.sparse import dense_scores

    class CoCounts(Recommender):
        def _fit(self, data, features):
            binary = (self.seen_ > 0).astype(np.float32)
            self.co_ = (binary.T @ binary).tocsr()

        def _scores(self, query):
            return dense_scores(self._histories(query) @ self.co_)

    model = CoCounts().fit(shop.interactions)
    users = top_customers(shop.interactions, 3)
    recs = model.recommend(users, k=5)
    assert (recs.lengths == 5).all()
    seen = {u: set(model.items_.ids[model.seen_rows(model.users_.to_index([u])).indices])
            for u in users}
    assert all(not (set(recs.to_dict()[u]) & seen[u]) for u in users)
    item = model.items_.ids[0].item()
    assert item not in model.recommend_for_basket([item], k=5).item_ids()
    assert item not in model.similar_items(item, k=5).item_ids()
    assert CoCounts.__name__ not in REGISTRY


def test_every_registered_model_has_a_contract_in_its_test_module():
    contracts = variants.contracts()
    assert sorted(REGISTRY) == sorted(contracts)
    for name, contract in contracts.items():
        family = REGISTRY[name].__module__.rsplit(".", 1)[1]
        assert contract.__module__.endswith(f"test_{family}") or family in contract.__module__ \
            or contract.__module__.endswith("test_content_hybrid"), (name, contract.__module__)
