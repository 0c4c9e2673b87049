"""The mining engine: hand-computed golden values, brute force, and mlxtend."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys import DataError, Interactions, InvalidParameterError
from recsys.rules.mining import RULE_METRICS, association_rules, estimate_memory, frequent_itemsets
from tests.conftest import need_file

GROCERY = [
    ["bread", "milk"],
    ["bread", "diapers", "beer", "eggs"],
    ["milk", "diapers", "beer", "cola"],
    ["bread", "milk", "diapers", "beer"],
    ["bread", "milk", "diapers", "cola"],
]


def as_dict(frame):
    return {s: round(v, 12) for s, v in zip(frame["itemsets"], frame["support"], strict=True)}


def rule_table(rules):
    return {(a, c): row for a, c, row in zip(rules["antecedents"], rules["consequents"],
                                               rules[list(RULE_METRICS)].to_numpy(), strict=True)}


def test_golden_grocery_supports():
    fi = frequent_itemsets(GROCERY, min_support=0.4)
    got = as_dict(fi)
    f = frozenset
    expected = {
        f({"bread"}): 0.8, f({"milk"}): 0.8, f({"diapers"}): 0.8, f({"beer"}): 0.6,
        f({"cola"}): 0.4,
        f({"bread", "milk"}): 0.6, f({"bread", "diapers"}): 0.6, f({"milk", "diapers"}): 0.6,
        f({"diapers", "beer"}): 0.6, f({"bread", "beer"}): 0.4, f({"milk", "beer"}): 0.4,
        f({"milk", "cola"}): 0.4, f({"diapers", "cola"}): 0.4,
        f({"bread", "milk", "diapers"}): 0.4, f({"milk", "diapers", "beer"}): 0.4,
        f({"bread", "diapers", "beer"}): 0.4, f({"milk", "diapers", "cola"}): 0.4,
    }
    assert got == expected
    assert fi["count"].tolist() == [round(s * 5) for s in fi["support"]]


def test_golden_grocery_rules():
    rules = association_rules(frequent_itemsets(GROCERY, min_support=0.4), "confidence", 0.0)
    table = rule_table(rules)
    f = frozenset
    names = list(RULE_METRICS)

    def get(a, c, m):
        return table[(f(a), f(c))][names.index(m)]

    assert get({"milk", "diapers"}, {"beer"}, "support") == pytest.approx(0.4)
    assert get({"milk", "diapers"}, {"beer"}, "confidence") == pytest.approx(2 / 3)
    assert get({"milk", "diapers"}, {"beer"}, "lift") == pytest.approx((2 / 3) / 0.6)
    assert get({"diapers"}, {"beer"}, "confidence") == pytest.approx(0.75)
    assert get({"diapers"}, {"beer"}, "lift") == pytest.approx(1.25)
    assert get({"beer"}, {"diapers"}, "confidence") == pytest.approx(1.0)
    assert get({"beer"}, {"diapers"}, "conviction") == math.inf
    assert get({"bread"}, {"milk"}, "leverage") == pytest.approx(0.6 - 0.64)
    # every itemset of 2 gives 2 rules, of 3 gives 6
    assert len(rules) == 8 * 2 + 4 * 6


def brute_force(baskets, min_count, max_len=4):
    sets = [set(b) for b in baskets]
    items = sorted(set().union(*sets))
    out = {}
    for size in range(1, max_len + 1):
        for combo in combinations(items, size):
            count = sum(1 for b in sets if b.issuperset(combo))
            if count >= min_count:
                out[frozenset(combo)] = count
    return out


baskets_strategy = st.lists(st.lists(st.integers(0, 8), min_size=1, max_size=6), min_size=1,
                            max_size=30)


@settings(max_examples=120, deadline=None)
@given(baskets_strategy, st.integers(1, 6))
def test_itemsets_equal_brute_force(baskets, min_count):
    fi = frequent_itemsets(baskets, min_count=min_count, max_len=4)
    got = dict(zip(fi["itemsets"], fi["count"], strict=True))
    assert got == brute_force(baskets, min_count)


@settings(max_examples=40, deadline=None)
@given(baskets_strategy, st.sampled_from([0.05, 0.1, 0.15, 0.2, 0.3, 0.5]))
def test_itemsets_and_rules_equal_mlxtend(baskets, min_support):
    ours = frequent_itemsets(baskets, min_support=min_support)
    theirs = frequent_itemsets(baskets, min_support=min_support, engine="mlxtend")
    assert as_dict(ours) == as_dict(theirs)
    from mlxtend.frequent_patterns import association_rules as mlx_rules

    if len(ours) == 0 or ours["length"].max() < 2:
        return
    mine = rule_table(association_rules(ours, "confidence", 0.0))
    ref = mlx_rules(theirs[["support", "itemsets"]], num_itemsets=len(baskets),
                    metric="confidence", min_threshold=0.0)
    ref_table = rule_table(ref)
    assert mine.keys() == ref_table.keys()
    for key, row in mine.items():
        np.testing.assert_allclose(row, ref_table[key], rtol=0, atol=1e-9)


def test_interactions_with_and_without_baskets(shop):
    by_basket = frequent_itemsets(shop.interactions, min_support=0.01, max_len=2)
    assert by_basket["support"].min() >= 0.01
    no_baskets = Interactions.from_frame(shop.orders, user="customer_id", item="product_id")
    by_user = frequent_itemsets(no_baskets, min_support=0.01, max_len=2)
    top = by_user.iloc[0]
    assert top["count"] == int((no_baskets.matrix("user")[:, no_baskets.items.to_index(
        list(top["itemsets"]))].toarray() > 0).all(axis=1).sum())


def test_explosion_is_refused_before_it_happens():
    rng = np.random.default_rng(0)
    dense = [list(rng.choice(300, size=60, replace=False)) for _ in range(400)]
    with pytest.raises(InvalidParameterError, match="max_memory|min_support"):
        frequent_itemsets(dense, min_support=0.01, max_memory=2**20)
    estimate = estimate_memory(dense, min_support=0.01)
    assert estimate["frequent_items"] == 300 and estimate["pair_bound"] > 0


def test_bad_arguments():
    with pytest.raises(InvalidParameterError, match="exactly one"):
        frequent_itemsets(GROCERY)
    with pytest.raises(InvalidParameterError, match="min_support"):
        frequent_itemsets(GROCERY, min_support=1.5)
    with pytest.raises(InvalidParameterError, match="engine"):
        frequent_itemsets(GROCERY, min_support=0.5, engine="spark")
    with pytest.raises(DataError, match="list of baskets"):
        frequent_itemsets(pd.DataFrame({"a": [1]}), min_support=0.5)
    with pytest.raises(InvalidParameterError, match="metric"):
        association_rules(frequent_itemsets(GROCERY, min_support=0.4), metric="magic")
    with pytest.raises(DataError, match="no frequent itemsets"):
        association_rules(frequent_itemsets(GROCERY, min_support=1.0))


@pytest.mark.realdata
@pytest.mark.slow
def test_fimi_retail_equals_mlxtend_at_0_002():
    from recsys import read_fimi

    data = read_fimi(need_file("fimi-retail.dat.gz"))
    ours = frequent_itemsets(data, min_support=0.002)
    theirs = frequent_itemsets(data, min_support=0.002, engine="mlxtend")
    assert len(ours) == len(theirs) == 2691
    assert as_dict(ours) == as_dict(theirs)


def test_add_ons_come_only_from_positively_associated_rules():
    """A rule with lift below 1 (bought together less often than chance) is no add-on: the
    model drops such rules by default and keeps them only when asked (min_lift=None)."""
    import recsys

    shop = recsys.make_shop(n_customers=400, n_products=60, seed=4)
    default = recsys.AssociationRules(min_support=0.004, min_confidence=0.01).fit(shop.interactions)
    every = recsys.AssociationRules(min_support=0.004, min_confidence=0.01,
                                    min_lift=None).fit(shop.interactions)
    assert len(default.rules_) and (default.rules_["lift"] > 1).all()
    assert (every.rules_["lift"] <= 1).any()
    assert len(every.rules_) == len(default.rules_) + int((every.rules_["lift"] <= 1).sum())


def test_decayed_support_counts_match_a_hand_count():
    import pandas as pd

    from recsys import AssociationRules, Interactions

    end = pd.Timestamp("2024-03-31")
    # baskets: {a, b} today, {a, b} 10 days ago, {a, c} 10 days ago, {a, c} 20 days ago
    rows = [("o1", "a", 0), ("o1", "b", 0), ("o2", "a", 10), ("o2", "b", 10),
            ("o3", "a", 10), ("o3", "c", 10), ("o4", "a", 20), ("o4", "c", 20)]
    frame = pd.DataFrame(rows, columns=["order", "product", "age"])
    frame["when"] = end - pd.to_timedelta(frame["age"], unit="D")
    data = Interactions.from_frame(frame, user=None, item="product", basket="order",
                                   timestamp="when")
    plain = AssociationRules(min_support=0.25, min_confidence=0.0, min_lift=None).fit(data)
    decayed = AssociationRules(min_support=0.25, min_confidence=0.0, min_lift=None,
                               half_life_days=10.0).fit(data)
    rules = {(min(a), min(c)): row for a, c, row in zip(
        decayed.rules_["antecedents"], decayed.rules_["consequents"],
        decayed.rules_.to_dict("records"), strict=True)}
    total = 1 + 0.5 + 0.5 + 0.25
    # a -> b: support (1 + 0.5) / total, confidence (1 + 0.5) / total weight of a (all)
    assert rules["a", "b"]["support"] == pytest.approx(1.5 / total)
    assert rules["a", "b"]["confidence"] == pytest.approx(1.5 / total)
    assert rules["a", "c"]["confidence"] == pytest.approx(0.75 / total)
    # the same rules either way (frequency decided on plain counts); plain: a->b = a->c
    assert len(plain.rules_) == len(decayed.rules_)
    assert plain.rules_["confidence"].nunique() == 2  # a->x 0.5 each; b->a, c->a 1.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), min_size=1, max_size=9), min_size=1, max_size=40),
       st.integers(1, 4), st.integers(1, 40), st.integers(1, 30), st.integers(1, 60))
def test_tiny_chunks_mine_the_same_itemsets(baskets, min_count, probes, hits, cells):
    """Every chunking of the miner (probe parts, kept hits, table chunks) finds the same counts."""
    import recsys.rules.miner as miner

    whole = frequent_itemsets(baskets, min_count=min_count)
    saved = miner.PROBES, miner.HITS, miner.CELLS
    miner.PROBES, miner.HITS, miner.CELLS = probes, hits, cells
    try:
        chunked = frequent_itemsets(baskets, min_count=min_count)
    finally:
        miner.PROBES, miner.HITS, miner.CELLS = saved
    assert dict(zip(chunked["itemsets"], chunked["count"], strict=True)) == \
        dict(zip(whole["itemsets"], whole["count"], strict=True))
    assert dict(zip(whole["itemsets"], whole["count"], strict=True)) == \
        brute_force(baskets, min_count, max_len=9)


@pytest.mark.parametrize(("budget_mib", "fits"), [(24, False), (48, None), (64, None),
                                                  (96, None), (256, True)])
def test_mining_stays_within_max_memory_or_refuses(budget_mib, fits):
    """What mining allocates (numpy buffers and Python objects, traced) stays under
    ``max_memory`` whenever it does not refuse; a small budget refuses, a large one mines."""
    import tracemalloc

    rng = np.random.default_rng(5)
    popularity = 1 / np.arange(1, 801) ** 0.8
    baskets = [rng.choice(800, size=int(rng.integers(2, 25)), replace=False,
                          p=popularity / popularity.sum()).tolist() for _ in range(20_000)]
    data = Interactions.from_baskets(baskets)
    data.matrix("basket")  # the input's cached matrix belongs to the input, not to mining
    tracemalloc.start()
    try:
        found = frequent_itemsets(data, min_support=0.002, max_memory=budget_mib * 2**20)
        mined = True
    except InvalidParameterError as error:
        assert "max_memory" in str(error)
        mined = False
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak <= budget_mib * 2**20
    if fits is not None:
        assert mined == fits
    if mined:
        assert len(found) > 10_000
