"""What a user writes, type-checked by ``mypy`` in CI against the package's annotations (the
public API): a wrong signature, a return type a user cannot use, or a public name gone from
``recsys`` fails the check. Also run as a plain script by tests/test_typing.py."""

from __future__ import annotations

import pandas as pd

import recsys
from recsys import (
    ALS,
    EASE,
    AssociationRules,
    Interactions,
    ItemKNN,
    Popularity,
    Recommendations,
    Recommender,
    make_shop,
)
from recsys.campaign import ExcludePurchased, make_picks
from recsys.evaluation import evaluate
from recsys.evaluation.split import temporal_split
from recsys.ranking import Model
from recsys.testing import check_model


def main() -> None:
    shop = make_shop(n_customers=300, n_products=60, seed=0)
    data: Interactions = shop.interactions
    train, test = temporal_split(data, last_days=14)
    assert train.users is not None and train.items is not None  # None only for basket logs
    models: list[Recommender] = [Popularity(), ItemKNN(), EASE(), ALS(factors=8, iterations=3)]
    for model in models:
        model.fit(train)
    recs: Recommendations = models[1].recommend(train.users.ids[:5], k=5)
    frame: pd.DataFrame = recs.to_frame()
    assert set(frame.columns) >= {"query", "item", "score", "rank"}
    table: pd.DataFrame = evaluate(models, train, test, k=10)
    assert len(table)
    cart = AssociationRules(min_support=0.01).fit(train).recommend_for_basket([train.items.ids[0]], k=3)
    assert isinstance(cart, Recommendations)
    picks = make_picks(models[0], train.users.ids[:10], k=3, constraints=[ExcludePurchased()])
    assert picks.picks is not None and len(picks.picks)  # None when written to a file
    assert isinstance(models[0], Model)
    check_model(Popularity, shop)
    assert "Popularity" in recsys.__all__


if __name__ == "__main__":
    main()
