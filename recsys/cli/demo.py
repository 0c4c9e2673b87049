"""``recsys demo``: the whole job on the synthetic shop, in under a minute."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from recsys.campaign import ExcludePurchased, abandoned_carts, make_picks, trigger_picks
from recsys.campaign.reasons import item_names, reason
from recsys.cli.common import command
from recsys.customers.targeting import customer_features, learn_uplift, predicted_uplift
from recsys.data.datasets import make_shop
from recsys.data.funnel import make_events
from recsys.evaluation.evaluator import evaluate
from recsys.evaluation.split import temporal_split
from recsys.experiment import analyze, simulate_response
from recsys.models import REGISTRY
from recsys.models.base import fit_model
from recsys.ranking import Query


def configure(parser) -> None:
    parser.add_argument("--customers", type=int, default=2000, help="customers in the shop")
    parser.add_argument("--products", type=int, default=400, help="products in the shop")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic shop")
    parser.add_argument("-k", "--k", type=int, default=5, help="picks shown per customer")
    parser.add_argument("--test-days", type=float, default=60,
                        help="days at the end held out for the evaluation (default 60)")


def demo_models() -> dict:
    """One instance of every registered model, with its demo parameters."""

    def build(cls):
        if hasattr(cls, "_demo"):
            return cls._demo()
        return cls(**getattr(cls, "demo_params", {}))

    return {name: build(cls) for name, cls in sorted(REGISTRY.items())}




@command("demo", configure)
def run(args) -> int:

    start = time.perf_counter()
    shop = make_shop(n_customers=args.customers, n_products=args.products, seed=args.seed)
    names = item_names(shop.products)
    summary = shop.summary()
    print(f"recsys demo: {summary['name']} (make_shop(seed={args.seed}))")
    print(f"  {summary['customers']:,} customers, {summary['products']:,} products, "
          f"{summary['orders']:,} orders, {summary['order lines']:,} order lines, "
          f"{summary['from']} .. {summary['to']}")

    train, test = temporal_split(shop.interactions, last_days=args.test_days)
    print(f"\nFitting on orders before the last {args.test_days:g} days "
          f"({len(train):,} lines; {len(test):,} held out)")
    models = demo_models()
    for name, model in models.items():
        fit_model(model, train, shop.items)
        print(f"  {name:<18} {model.fit_seconds_:6.2f} s")

    table = evaluate(models, train, test, k=10,
                     metrics=["ndcg", "recall", "precision", "hit_rate", "coverage"],
                     items=shop.items, n_bootstrap=100, random_state=0)
    wide = table.pivot(index="model", columns="metric", values="value")
    wide = wide[["ndcg", "recall", "precision", "hit_rate", "coverage"]]
    wide.columns = [f"{c}@10" for c in wide.columns]
    wide = wide.sort_values("ndcg@10", ascending=False)
    n_users = int(table["n_users"].iloc[0])
    print(f"\nEvaluation on the held-out period ({n_users:,} customers who came back; "
          f"95% bootstrap CI of ndcg@10 in brackets)")
    ci = table[table.metric == "ndcg"].set_index("model")
    wide.insert(1, "ndcg CI", [f"[{ci.loc[m, 'ci_low']:.3f}, {ci.loc[m, 'ci_high']:.3f}]"
                               for m in wide.index])
    print(wide.to_string(float_format=lambda v: f"{v:.3f}"))

    best_name = wide.index[0]
    best = models[best_name]
    frequent = shop.customers.loc[shop.customers["segment"] == "frequent", "customer_id"]
    chosen = [c for c in frequent.tolist() if c in best.users_][:3]
    recs = best.recommend(chosen, k=args.k)
    print(f"\nTop {args.k} picks from the best model ({best_name}) for three customers:")
    for pos, customer in enumerate(chosen):
        history = best.seen_[best.users_.to_index([customer])[0]].indices
        bought = ", ".join(names[i] for i in best.items_.to_ids(history[:3]))
        more = f" and {len(history) - 3} more" if len(history) > 3 else ""
        print(f"  customer {customer} (bought {bought}{more})")
        for rank, item in enumerate(recs.item_ids(pos), start=1):
            _, text = reason(best.explain(item, user=customer), names)
            print(f"    {rank}. {names[item]:<42} {text}")

    _show_repeats(models, best_name, train, test, shop, names, args.k)
    _show_cart(models, shop, names, args.k, reason)
    _show_abandoned_carts(models.get("ItemKNN", best), shop, names)
    _show_targeting(shop, *_show_campaign(best, shop))
    print(f"\nDone in {time.perf_counter() - start:.1f} s. Next: docs/index.md, "
          f"examples/, and 'recsys --help'.")
    return 0


def _show_repeats(models, best_name, train, test, shop, names, k) -> None:
    """Repeat purchases: the evaluation with bought products allowed, and buy-again picks
    with their reasons at the first day of the held-out period."""

    chosen = {name: models[name] for name in ("BuyAgain", "NextBasket", best_name, "Popularity")
              if name in models}
    table = evaluate(chosen, train, test, k=10, metrics=["ndcg", "recall"], items=shop.items,
                     exclude_seen=False, n_bootstrap=0)
    wide = table.pivot(index="model", columns="metric", values="value")[["ndcg", "recall"]]
    wide.columns = [f"{c}@10" for c in wide.columns]
    print("\nRepeats allowed (products bought before may be recommended, as a shop's "
          "replenishment mail does):")
    print(wide.sort_values("ndcg@10", ascending=False).to_string(
        float_format=lambda v: f"{v:.3f}"))
    again = models.get("BuyAgain")
    if again is None:
        return
    as_of = np.datetime64(train.timestamps.max(), "D") + np.timedelta64(1, "D")
    frequent = shop.customers.loc[shop.customers["segment"] == "frequent", "customer_id"]
    customer = next(c for c in frequent.tolist() if c in again.users_)
    print(f"\nBuy-again picks for customer {customer} on {as_of}:")
    frame = again.recommend(customer, k=k, as_of=as_of).to_frame()
    codes, texts = _again_reasons(again, customer, frame["item"].to_numpy(), as_of)
    for rank, (item, text) in enumerate(zip(frame["item"], texts, strict=True), start=1):
        print(f"    {rank}. {names[item]:<42} {text if codes[rank - 1] == 'buy_again' else 'Popular now'}")


def _again_reasons(model, customer, items, as_of):
    """The reason code and text of each buy-again pick."""

    query = Query.of_users(model.users_.to_index([customer]), as_of)
    found = model.anchors(query, model.items_.to_index(items)[None, :])
    return found.codes[0], found.anchors[0]


def _show_cart(models, shop, names, k, reason) -> None:
    basket_model = models.get("AssociationRules") or next(
        m for m in models.values() if m.supports_baskets)
    counts = basket_model.item_counts_
    top = int(np.argmax(counts))
    cart = [basket_model.items_.ids[top].item()]
    recs = basket_model.recommend_for_basket(cart, k=k)
    label = type(basket_model).__name__
    print(f"\nA cart holding '{names[cart[0]]}' ({label}):")
    for rank, item in enumerate(recs.item_ids(0), start=1):
        _, text = reason(basket_model.explain(item, basket=cart), names)
        print(f"    {rank}. {names[item]:<42} {text}")



def _show_abandoned_carts(model, shop, names) -> None:
    """The web shop's events behind the orders (make_events), and the abandoned-cart mail of
    the last week: who left what in the cart, and the reminder's picks."""
    log = make_events(shop.orders, shop.products, seed=0)
    carts = abandoned_carts(log, within="7d", names=names)
    kinds = log["event"].value_counts()
    print(f"\nThe event log behind the orders: {len(log):,} events ("
          f"{', '.join(f'{n:,} {kind}s' for kind, n in kinds.items())}; "
          f"{int(log['customer_id'].isna().sum()):,} anonymous)")
    if carts.empty:
        return
    picks = trigger_picks(model, carts, k=3, names=names)
    customer = picks["customer_id"].iloc[0]
    print(f"Abandoned carts in the last week: {carts['customer_id'].nunique():,} customers. "
          f"The reminder for customer {customer}:")
    for row in picks[picks["customer_id"] == customer].itertuples():
        print(f"    {row.rank}. {names.get(row.product_id, row.product_id):<42} {row.reason}")
    print("  (recsys triggers --events log.csv --within 7d --model m.npz --picks-out "
          "reminders.csv: docs/events.md)")


def _show_campaign(model, shop) -> tuple:
    """Mail picks with a control group, simulate two weeks of orders with a known effect, and
    read the campaign out as ``recsys measure`` would."""

    audience = shop.customers["customer_id"]
    sent = make_picks(model, audience, k=3, constraints=[ExcludePurchased()], control=0.2,
                      salt="demo", products=shop.products)
    start = shop.orders["timestamp"].max().normalize() + np.timedelta64(1, "D")
    end = start + np.timedelta64(14, "D")
    effect = _lapsed_effect(shop.orders, start)
    orders, truth = simulate_response(sent.assignments, start=start, conversion_uplift=effect,
                                      value_uplift=0.05, products=shop.products["product_id"],
                                      seed=0)
    result = analyze(sent.assignments, orders, start, end, by_segment=False)
    arms = result.arms
    print(f"\nA simulated campaign: {sent.summary['customers']:,} customers mailed 3 picks, "
          f"{sent.summary['control']:,} held out as control (salt 'demo');\n14 days of orders "
          f"drawn with a known effect (conversion +{effect.mean() * 100:.0f} points on average, "
          f"most for lapsed customers; order value +5%):")
    print(f"  {'arm':<10}{'customers':>10}{'conversion':>12}{'revenue/customer':>18}"
          f"{'bought a pick':>15}")
    for arm, row in arms.iterrows():
        print(f"  {arm:<10}{int(row['customers']):>10,}{row['conversion_rate']:>12.1%}"
              f"{row['revenue_per_customer']:>18.2f}{row['picked_product_rate']:>15.1%}")
    overall = result.overall().set_index("metric")
    for metric in ("conversion_rate", "revenue_per_customer"):
        r = overall.loc[metric]
        scale, unit = (100, " points") if metric == "conversion_rate" else (1, "")
        print(f"  uplift in {metric:<21} {r['uplift'] * scale:+.2f}{unit} [{r['ci_low'] * scale:+.2f}, "
              f"{r['ci_high'] * scale:+.2f}], p = {r['p_value']:.3f} (true: "
              f"{truth[metric] * scale:+.2f}{unit})")
    print("  (recsys picks --control 10% --salt ... then recsys measure: docs/experiments.md)")
    return sent.assignments, orders, start, effect


def _lapsed_effect(orders, start) -> pd.Series:
    """The demo campaign's true effect per customer: most for those who lapsed."""
    lapsed = customer_features(orders, start)["days_since_last"]
    return 0.09 / (1 + np.exp(-(lapsed - lapsed.median()) / 20)) - 0.005


def _show_targeting(shop, assignments, response, start, effect) -> None:
    """Learn from the simulated campaign whom the mail changed; the next send's 20%."""
    orders = pd.concat([shop.orders, response[["customer_id", "product_id", "timestamp"]]],
                       ignore_index=True)
    model = learn_uplift(assignments, orders, start, 14)
    send = start + np.timedelta64(21, "D")
    scores = predicted_uplift(model, orders, send)
    top = scores.nlargest(max(1, len(scores) // 5)).index
    truth = effect.reindex(scores.index).fillna(0.0)
    print(f"\nNext send: mail these 20% for the most uplift ({len(top):,} customers, learnt "
          f"from that campaign's control group and orders; learner {model.learner_}):")
    print(f"  true effect of a mail: {truth[top].mean() * 100:+.1f} points for them, "
          f"{truth.mean() * 100:+.1f} for a random 20%")
    print("  (recsys picks --target uplift --budget 20% --past-assignments ... --past-send ...: "
          "docs/targeting.md)")
