"""Compare models with confidence intervals and a paired test against a baseline.

Run: python examples/compare_models.py
"""

import recsys
from recsys.evaluation import compare, evaluate
from recsys.evaluation.split import temporal_split

shop = recsys.make_shop(seed=1)
train, test = temporal_split(shop.interactions, last_days=60)
models = {
    "Popularity": recsys.Popularity(),
    "ItemKNN": recsys.ItemKNN(similarity="bm25", k=50),
    "EASE": recsys.EASE(l2=200.0),
}
table = evaluate(models, train, test, k=(5, 10, 20), metrics=["ndcg", "recall", "map"],
                 n_bootstrap=300, random_state=0)
print(table[table["k"] == 10].round(4).to_string(index=False))

result = compare(models, train, test, baseline="Popularity", metric="ndcg", k=10)
print(result[["model", "value", "baseline_value", "diff", "ci_low", "ci_high", "p_value",
              "wins", "losses"]].round(4).to_string(index=False))

# The metrics one by one, on the same recommendations (per user on request).
recs = models["EASE"].recommend(test.users.ids[sorted(set(test.user_index.tolist()))], k=10,
                                on_unknown="skip")
print("ndcg@10", round(recsys.metrics.ndcg_at_k(recs, test, k=10), 4),
      "map@10", round(recsys.metrics.map_at_k(recs, test, k=10), 4),
      "map@10 (over |R|, as ranx)",
      round(recsys.metrics.map_at_k(recs, test, k=10, denominator="relevant"), 4))
