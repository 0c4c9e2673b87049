"""``recsys picks``: campaign picks for an audience, under business constraints, with reasons."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from recsys._engine.threads import batch_threads
from recsys.campaign import ContactRules, append_contacts, constraints_from_config, make_picks
from recsys.campaign.reasons import item_names
from recsys.cli.audience import customer_segments
from recsys.cli.common import (
    check_columns,
    check_writable,
    command,
    parse_params,
    progress_enabled,
    read_frame,
    read_ids,
    refuse_unused_options,
    split_specs,
    write_frame,
)
from recsys.cli.inputs import add_data_options, load_data, order_columns
from recsys.cli.models import model_from_spec
from recsys.cli.targeting import add_target_options, print_target, target_options
from recsys.customers.send_time import send_times
from recsys.data.dates import data_end, days_before, parse_date
from recsys.data.files import reading
from recsys.exceptions import DataError, InvalidParameterError
from recsys.experiment import minimum_detectable_effect
from recsys.models.base import fit_model
from recsys.models.content import ContentBased
from recsys.models.repeat import BuyAgain


def configure(parser) -> None:
    add_data_options(parser)
    parser.add_argument("--model", default="Hybrid",
                        help="a saved model (.npz) or a model to fit on the orders "
                             "(default Hybrid: ALS checked against popularity at fit, content "
                             "with --products, popularity last; with --param)")
    parser.add_argument("--param", action="append", metavar="KEY=VALUE", help="model parameter")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--segment", help="audience: customers in this RFM segment (e.g. 'at risk')")
    who.add_argument("--customers", help="audience: a CSV with a customer_id column")
    parser.add_argument("--suppress", metavar="FILE", default=None,
                        help="customers never to contact (opted out, unsubscribed, bounced): a "
                             "CSV of ids; they are left out before anything else, the control "
                             "group included, and appear in no output (only their count)")
    parser.add_argument("--contact-log", metavar="FILE", default=None,
                        help="the contact history (customer_id, sent_at, campaign): read for "
                             "--cap, and this run's mailed customers added to it (created when "
                             "absent; rewritten whole or not at all)")
    parser.add_argument("--cap", action="append", metavar="N/DAYS", default=None,
                        help="at most N contacts in DAYS days, from --contact-log (repeat: "
                             "--cap 1/7 --cap 4/30)")
    parser.add_argument("--quiet-days", type=float, default=None, metavar="DAYS",
                        help="leave out customers who bought in the last DAYS days (needs "
                             "--time-col)")
    parser.add_argument("--campaign", default=None,
                        help="this run's name in --contact-log (default: --salt, else the "
                             "--out file's name)")
    parser.add_argument("--consent", metavar="FILE", default=None,
                        help="consent per channel (customer_id, channel, consent yes/no, "
                             "optional updated_at; the latest row counts): with --channel, "
                             "only customers who said yes to it are picked (opt-in)")
    parser.add_argument("--send-time", action="store_true",
                        help="add each customer's preferred weekday and hour to the picks "
                             "(send_weekday, send_hour: from their order times, shrunk towards "
                             "the shop's when they have few; needs --time-col)")
    parser.add_argument("--channel", default=None,
                        help="this campaign's channel as --consent names it (email, sms...)")
    parser.add_argument("--suppress-col", default=None,
                        help="the id column of --suppress (default: the --user-col name, "
                             "customer_id, or the file's only column)")
    parser.add_argument("-k", "--k", type=int, default=10, help="picks per customer (default 10)")
    parser.add_argument("--as-of", default=None, help="reference date for RFM and time rules")
    parser.add_argument("--k-again", type=int, default=0, metavar="N",
                        help="the first N picks per customer are products they bought before, "
                             "when they are due (BuyAgain fitted on the orders), then the "
                             "model's (default 0: none)")
    parser.add_argument("--new-items", type=int, default=0, metavar="N",
                        help="the last N picks per customer are new arrivals (products without "
                             "sales, or first sold within --new-within-days), ranked by what "
                             "they resemble in the customer's history (ContentBased on "
                             "--products); default 0: none")
    parser.add_argument("--new-within-days", type=float, default=None, metavar="DAYS",
                        help="with --new-items: products first sold within this many days "
                             "before the send count as new too (default: only unsold ones)")
    _constraint_options(parser)
    _output_options(parser)
    _experiment_options(parser)
    add_target_options(parser)


def _constraint_options(parser) -> None:
    rules = parser.add_argument_group("constraints (or --constraints FILE)")
    rules.add_argument("--constraints", dest="constraints",
                       help="a TOML or JSON constraints file (see docs/campaigns.md)")
    rules.add_argument("--include-purchased", action="store_true",
                       help="allow products the customer already bought (the default with "
                            "a model that recommends them, such as BuyAgain)")
    rules.add_argument("--purchased-within-days", type=float, default=None,
                       help="exclude only purchases of the last N days")
    rules.add_argument("--available-col", default=None,
                       help="product column that must be true (e.g. in_stock)")
    rules.add_argument("--price-min", type=float, default=None)
    rules.add_argument("--price-max", type=float, default=None)
    rules.add_argument("--category-cap", type=int, default=None, help="max picks per category")
    rules.add_argument("--category-col", default="category")
    rules.add_argument("--promoted", default=None, help="comma-separated promoted product ids")
    rules.add_argument("--promoted-slots", type=int, default=1)
    rules.add_argument("--previous-sends", default=None,
                       help="CSV of earlier sends: customer_id, product_id, sent_at")
    rules.add_argument("--cooldown-days", type=float, default=14)


def _output_options(parser) -> None:
    parser.add_argument("--reason", action="append", metavar="CODE=TEXT", default=None,
                        help="a reason in the shop's words (repeat), e.g. --reason "
                             "'bought_item=Because you listened to {item}'; codes and "
                             "placeholders: docs/campaigns.md")
    parser.add_argument("--no-backfill", action="store_true", help="do not top lists up to k")
    parser.add_argument("--format", choices=("long", "wide"), default="long",
                        help="long: a row per pick; wide: a row per customer (mail-merge)")
    parser.add_argument("--out", required=True, help="output file (.csv or .parquet)")
    parser.add_argument("--chunk-size", type=int, default=20_000)
    parser.add_argument("--no-progress", action="store_true")


def _experiment_options(parser) -> None:
    test = parser.add_argument_group("control group (see docs/experiments.md)")
    test.add_argument("--control", default=None, metavar="SHARE",
                      help="hold out this share as a control group that gets no picks, e.g. 10%%")
    test.add_argument("--arms", default=None, metavar="MODEL=SHARE,...",
                      help="several arms instead of --control, each a model (a name with "
                           "parameters, or a .npz) and its share, plus control, e.g. "
                           "'ItemKNN=45%%,EASE(l2=200)=45%%,control=10%%'")
    test.add_argument("--salt", default=None,
                      help="names the random draw of the groups (e.g. 2026-w48); required with "
                           "--control or --arms")
    test.add_argument("--assignments", default=None,
                      help="where to write every customer's group (default: beside --out, "
                           "<name>.assignments.csv)")
    test.add_argument("--baseline-rate", default=None, metavar="RATE",
                      help="expected conversion without the mail, for the planning line "
                           "(default: the audience's rate over the last --measure-days)")
    test.add_argument("--measure-days", type=float, default=14,
                      help="length of the measurement window, for the planning line (default 14)")


def _read_constraints(path: str) -> dict:
    """The ``--constraints`` file (JSON, or TOML by its suffix) as a dict."""

    with reading(path, "a constraints file (JSON or TOML)"):
        text = Path(path).read_text(encoding="utf-8")
    try:
        if path.lower().endswith(".toml"):
            # tomllib is in the standard library from Python 3.11 only
            import tomllib

            config = tomllib.loads(text)
        else:
            config = json.loads(text)
    except ImportError:  # Python 3.10
        raise DataError("TOML constraints files need Python 3.11+; use JSON.") from None
    except ValueError as exc:  # JSONDecodeError and TOMLDecodeError both are ValueErrors
        kind = "TOML" if path.lower().endswith(".toml") else "JSON"
        raise DataError(f"--constraints {path}: not valid {kind} ({exc}). Example: "
                        f"{{\"category_cap\": 2, \"price_max\": 50}}.") from None
    if not isinstance(config, dict):
        raise DataError(f"--constraints {path}: expected an object of settings such as "
                        f"{{\"category_cap\": 2}}, got {type(config).__name__}.")
    return config


def _model(spec: str, params: dict, shop):
    """A model from a file (``.npz``), a name, or a name with parameters (``EASE(l2=200)``)."""

    model = model_from_spec(spec, params)
    if model.is_fitted:
        return model
    default_hybrid = getattr(model, "components", "") is None  # leaves content out by itself
    if model.uses_item_features and shop.items is None and not default_hybrid:
        raise InvalidParameterError(f"{spec} needs product features: pass --products.")
    return fit_model(model, shop.interactions, shop.items)


@command("picks", configure)
def run(args) -> int:

    shop = load_data(args)
    orders, products = shop.orders, shop.products
    _check_product_options(args, products)  # before any fitting: a typo fails in a second
    columns = order_columns(args)
    customer = columns[0]
    # segments only when asked for, or when the orders have the order ids and times for them
    table = customer_segments(shop, args.as_of, columns, required=bool(args.segment))
    segments = table.set_index(customer)["segment"] if table is not None else None
    audience = _audience(args, segments, shop, customer)
    suppress = _suppressed(args, customer)
    contact = _contact_rules(args, shop, columns)
    experiment = experiment_options(args)
    if experiment:  # the assignments must be writable before the mail file is written
        check_writable(_assignments_path(args), "--assignments")
    if "arms" in experiment:
        model = {arm: _model(arm, {}, shop) for arm in experiment["arms"] if arm != "control"}
    else:
        model = _model(args.model, parse_params(args.param), shop)
    # a buy-again model's picks are past purchases: they are not excluded unless asked
    repeats = any(m.recommends_seen for m in (model.values() if isinstance(model, dict)
                                               else [model]))
    if args.constraints:
        config = _read_constraints(args.constraints)
    else:
        config = {"exclude_purchased": not (args.include_purchased or repeats),
                  "purchased_within_days": args.purchased_within_days,
                  "only_available": args.available_col, "price_min": args.price_min,
                  "price_max": args.price_max, "category_cap": args.category_cap,
                  "category_column": args.category_col,
                  "cooldown_days": args.cooldown_days if args.previous_sends else None,
                  "promoted": args.promoted.split(",") if args.promoted else None,
                  "promoted_slots": args.promoted_slots}
        config = {key: value for key, value in config.items() if value is not None}
    sends = read_frame(args.previous_sends, args.sep, ["customer_id", "product_id"]) \
        if args.previous_sends else None
    constraints = constraints_from_config(config, products=products, orders=orders, sends=sends)
    as_of = args.as_of or (pd.Timestamp(data_end(shop.interactions.timestamps))
                           + pd.Timedelta(days=1) if shop.interactions.timestamps is not None
                           else None)
    experiment.update(_again(args, shop))
    experiment.update(_new_arrivals(args, shop, as_of))
    experiment.update(target_options(args, shop, columns, audience, as_of))
    with batch_threads():  # the command owns its process: one BLAS thread for the batch
        result = make_picks(model, audience, k=args.k, constraints=constraints,
                            products=products,
                            segments=segments, backfill=not args.no_backfill, as_of=as_of,
                            chunk_size=args.chunk_size, out=args.out, format=args.format,
                            show_progress=progress_enabled(args),
                            wording=_wording(args.reason), suppress=suppress,
                            contact=contact, per_customer=_send_time(args, shop, columns),
                            **experiment)
    if result.assignments is not None:
        report_assignments(args, result, shop, as_of)
        model = next(iter(model.values())) if isinstance(model, dict) else model
    print_target(result.summary)
    _print_summary(args, result.summary, model, constraints, products)
    if args.contact_log:
        _log_contacts(args, as_of)
    return 0


def _print_summary(args, s: dict, model, constraints, products) -> None:
    """What the picks file holds (customers, picks, sources, exclusions, top products); exit 1
    when it holds no pick at all."""
    print(f"wrote {args.out}: {s['customers']:,} customers, {s['picks']:,} picks "
          f"({s['backfilled_share']:.1%} back-filled; {s['customers_short_of_k']:,} customers "
          f"short of k), coverage {s['coverage']:.1%} of {len(model.items_):,} products")
    again = (f"; the first {args.k_again} from BuyAgain where due ({s.get('again_picks', 0):,} "
             f"picks from BuyAgain, bought before)" if args.k_again else "")
    if args.new_items:
        again += (f"; the last {args.new_items} new arrivals where any ({s.get('new_picks', 0):,} "
                  f"picks, ranked by ContentBased)")
    ruled = {rule: n for rule, n in s.get("contact_rules", {}).items()}
    if ruled:
        print("contact rules left out: " + "; ".join(f"{rule}: {n:,}" for rule, n in ruled.items()))
    if s.get("suppressed"):
        print(f"suppressed: {s['suppressed']:,} customers of the audience (--suppress), left out "
              f"before anything else: they are in no output")
    print(f"model: {type(model).__name__}{again}; constraints: "
          f"{', '.join(type(c).__name__ for c in constraints) or 'none'}")
    excluded = {**{f"{k} (products)": v for k, v in s["products_excluded"].items()},
                **{f"{k} (candidates)": v for k, v in s["candidates_excluded"].items()}}
    if excluded:
        print("excluded: " + "; ".join(f"{k}: {v:,}" for k, v in excluded.items()))
    names = item_names(products)
    print("top products: " + "; ".join(f"{names.get(i, i)} ({n:,})" for i, n in s["top_products"][:5]))
    if s["picks"] == 0:
        raise DataError(
            f"no customer got a single pick (the file {args.out} has no rows): the constraints "
            f"left no product to pick{' and --no-backfill kept lists empty' if args.no_backfill else ''}"
            f". Loosen them (see 'excluded' above), or check the product table.")


def _wording(pairs: list[str] | None) -> dict[str, str]:
    """``--reason code=text`` options as make_picks' ``wording``."""
    wording = {}
    for pair in pairs or []:
        code, sep, text = pair.partition("=")
        if not sep:
            raise InvalidParameterError(f"--reason takes CODE=TEXT, e.g. 'bought_item=Because "
                                        f"you listened to {{item}}'; got {pair!r}.")
        wording[code.strip()] = text
    return wording


def _check_product_options(args, products) -> None:
    """--available-col, and --category-col when a category cap uses it, name columns of the
    product table (or there is none to name them in)."""

    options = ["--available-col"]
    if args.category_cap is not None or "category_col" in getattr(args, "given", ()):
        options.append("--category-col")
    named = [o for o in options if getattr(args, o[2:].replace("-", "_"))]
    if not named:
        return
    if products is None:
        raise DataError(f"{' and '.join(named)} name columns of the product table; pass "
                        f"--products with those columns.")
    check_columns(products, args, "the product table (--products)", named)


def _again(args, shop) -> dict:
    """``again=`` and ``k_again=`` for make_picks from ``--k-again``."""

    if not args.k_again:
        return {}
    if not 0 < args.k_again <= args.k:
        raise InvalidParameterError(
            f"--k-again {args.k_again}: expected 1 to --k ({args.k}) replenishment picks per "
            f"customer; pass e.g. --k-again 3 with -k 10, or leave --k-again out.")
    return {"again": fit_model(BuyAgain(), shop.interactions), "k_again": args.k_again}


def _new_arrivals(args, shop, as_of) -> dict:
    """``new=``, ``k_new=`` and ``new_products=`` for make_picks from ``--new-items``."""

    if not args.new_items:
        if args.new_within_days is not None:
            raise InvalidParameterError("--new-within-days goes with --new-items; add it.")
        return {}
    if not 0 < args.new_items <= args.k:
        raise InvalidParameterError(f"--new-items {args.new_items}: expected 1 to --k "
                                    f"({args.k}) new arrivals per customer.")
    if shop.items is None:
        raise InvalidParameterError("--new-items ranks new products by what they resemble: "
                                    "pass --products with their names or categories.")
    data = shop.interactions
    sold = np.zeros(len(shop.items.items), bool)
    where = shop.items.items.to_index(data.items.ids, missing="mask")
    sold[where[where >= 0]] = np.bincount(data.item_index, minlength=data.n_items)[where >= 0] > 0
    new = ~sold
    if args.new_within_days is not None:
        if data.timestamps is None:
            raise InvalidParameterError("--new-within-days needs order times: pass --time-col.")
        since = days_before(parse_date(as_of, "--as-of"), args.new_within_days)
        first = pd.Series(data.timestamps).groupby(data.item_index).min()
        recent = data.items.ids[first.index[first.to_numpy() >= since]]
        new[shop.items.items.to_index(recent, missing="mask")] = True
    return {"new": fit_model(ContentBased(), data, shop.items), "k_new": args.new_items,
            "new_products": shop.items.items.ids[new]}


def _audience(args, segments, shop, customer: str) -> np.ndarray:
    """Who gets picks: a segment, the ids of a --customers file, or every customer."""
    if args.segment:
        audience = segments.index[segments == args.segment].to_numpy()
        if len(audience) == 0:
            raise DataError(f"no customer is in segment {args.segment!r}; segments: "
                            f"{sorted(segments.unique())}.")
        return audience
    if args.customers:
        table = read_frame(args.customers, args.sep, [customer, "customer_id"])
        column = next((c for c in (customer, "customer_id") if c in table.columns), None)
        if column is None:
            raise DataError(f"--customers {args.customers} needs a {customer!r} column (the "
                            f"--user-col) or a customer_id column; it has {list(table.columns)}.")
        return table[column].to_numpy()
    if segments is not None:
        return segments.index.to_numpy()
    return shop.interactions.users.ids


def _suppressed(args, customer: str):
    """The ids of the --suppress file (read as text: '0010' is never customer 10), or None."""
    if args.suppress is None:
        refuse_unused_options(args, ["--suppress-col"], "no --suppress file is given")
        return None
    return read_ids(args, args.suppress, "--suppress", args.suppress_col, customer)


def _contact_rules(args, shop, columns) -> ContactRules | None:
    """Consent per channel (--consent, --channel), the frequency caps (--cap over
    --contact-log) and the quiet period (--quiet-days)."""
    if args.campaign and not args.contact_log:
        raise InvalidParameterError("--campaign names this run in --contact-log: pass "
                                    "--contact-log FILE, or leave --campaign out.")
    caps = [_cap(text) for text in args.cap or ()]
    if (args.consent is None) != (args.channel is None):
        raise InvalidParameterError("--consent (the consent table) and --channel (this "
                                    "campaign's, e.g. email) go together.")
    consent = read_frame(args.consent, args.sep, ["customer_id"]) if args.consent else None
    if not caps and args.quiet_days is None and consent is None:
        return None
    history = None
    if caps:
        if not args.contact_log:
            raise InvalidParameterError("--cap counts earlier contacts: pass --contact-log FILE "
                                        "(the history each run adds to).")
        history = read_frame(args.contact_log, None, ["customer_id"]) \
            if Path(args.contact_log).exists() else pd.DataFrame(columns=["customer_id", "sent_at"])
    customer, _, timestamp = columns
    if args.quiet_days is not None and timestamp is None:
        raise InvalidParameterError("--quiet-days needs the orders' times: pass --time-col.")
    return ContactRules(history=history, caps=caps, quiet_days=args.quiet_days,
                        orders=shop.orders if args.quiet_days is not None else None,
                        order_customer=customer, order_time=timestamp or "timestamp",
                        consent=consent, channel=args.channel)


def _send_time(args, shop, columns):
    """--send-time: each customer's weekday and hour, as columns of their picks."""
    if not args.send_time:
        return None
    customer, _, timestamp = columns
    if timestamp is None:
        raise InvalidParameterError("--send-time reads the order times: pass --time-col.")
    when = send_times(shop.orders, customer=customer, timestamp=timestamp)
    return when[["weekday_name", "hour"]].set_axis(["send_weekday", "send_hour"], axis=1)


def _cap(text: str) -> tuple[int, float]:
    """``"4/30"`` -> (4, 30.0)."""
    contacts, _, days = text.partition("/")
    try:
        return int(contacts), float(days)
    except ValueError:
        raise InvalidParameterError(f"--cap {text!r}: write N/DAYS, e.g. --cap 1/7 (one contact "
                                    f"in 7 days).") from None


def _log_contacts(args, as_of) -> None:
    """Add this run's mailed customers (those in the picks file) to --contact-log."""
    mailed = read_frame(args.out, None, ["customer_id"])["customer_id"]
    campaign = args.campaign or args.salt or Path(args.out).stem
    added = append_contacts(args.contact_log, mailed, as_of or pd.Timestamp.now(), campaign)
    print(f"contact log {args.contact_log}: {added:,} contacts added (campaign {campaign!r})")


def _assignments_path(args) -> str:
    return args.assignments or str(Path(args.out).with_suffix("")) + ".assignments.csv"


def parse_share(text: str, option: str) -> float:
    """``"10%"`` or ``"0.1"`` -> 0.1, or a usage error naming the option."""
    raw = str(text).strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise InvalidParameterError(f"{option} takes a share such as 10% or 0.1, got {text!r}.") \
            from None
    if not 0 < value < 1 or value != value:
        raise InvalidParameterError(f"{option} must be between 0 and 100%, got {text!r}.")
    return value


def experiment_options(args) -> dict:
    """make_picks keywords from --control / --arms / --salt (empty without a control group)."""

    if args.control is None and args.arms is None:
        if args.salt is not None:
            raise InvalidParameterError("--salt goes with --control or --arms; add one of them.")
        return {}
    if args.control is not None and args.arms is not None:
        raise InvalidParameterError("pass --control or --arms, not both.")
    if not args.salt:
        raise InvalidParameterError("--control/--arms need --salt (e.g. --salt 2026-w48): the "
                                    "same salt gives the same groups on every run.")
    if args.control is not None:
        return {"control": parse_share(args.control, "--control"), "salt": args.salt}
    arms = {}
    for part in split_specs(args.arms):
        spec, sep, share = part.rpartition("=")
        if not sep or not spec.strip():
            raise InvalidParameterError(f"--arms: {part!r} is not MODEL=SHARE (e.g. EASE=45%).")
        if spec.strip() in arms:
            raise InvalidParameterError(f"--arms names {spec.strip()!r} twice; name each arm "
                                        f"once (two settings of one model: EASE(l2=100)=45%,"
                                        f"EASE(l2=300)=45%).")
        arms[spec.strip()] = parse_share(share, f"--arms {spec.strip()}")
    return {"arms": arms, "salt": args.salt}


def report_assignments(args, result, shop, as_of) -> None:
    """Write the assignments file and print the arms with the smallest detectable effect."""

    table = result.assignments
    target = _assignments_path(args)
    write_frame(table, target)
    sizes = table["group"].value_counts()
    n_control = int(sizes.get("control", 0))
    print(f"wrote {target}: " + ", ".join(f"{g} {n:,}" for g, n in sizes.items()))
    rate = _baseline_rate(args, shop, table["customer_id"], as_of)
    if rate is None or n_control == 0:
        print("planning: pass --baseline-rate (expected conversion) to see the smallest "
              "detectable uplift.")
        return
    n_treated = int(sizes.drop("control", errors="ignore").min())
    effect = minimum_detectable_effect(n_treated, n_control, baseline_rate=rate)
    print(f"planning: with a {rate:.1%} baseline conversion over {args.measure_days:g} days, the "
          f"smallest uplift this split detects (80% power, alpha 0.05) is "
          f"{effect * 100:+.1f} percentage points (see recsys.experiment.sample_size).")


def _baseline_rate(args, shop, customers, as_of) -> float | None:
    """--baseline-rate, else the repeat conversion of the audience over the last
    --measure-days: of its customers who had ordered before that window, the share who
    ordered again in it (a first order in the window is no repeat: counting those took a
    shop of one-time buyers for one that converts 20 times better)."""

    if args.baseline_rate is not None:
        return parse_share(args.baseline_rate, "--baseline-rate")
    data = shop.interactions
    if data.timestamps is None or data.users is None:
        return None
    edge = parse_date(as_of, "--as-of")
    since = days_before(edge, args.measure_days)
    times = data.timestamps
    before, inside = times < since, (times >= since) & (times < edge)
    had_ordered = np.bincount(data.user_index[before], minlength=data.n_users) > 0
    came_back = np.bincount(data.user_index[inside], minlength=data.n_users) > 0
    audience = data.users.to_index(customers.to_numpy(), missing="mask")
    audience = audience[audience >= 0]
    eligible = audience[had_ordered[audience]]
    if len(eligible) == 0:
        return None
    rate = float(came_back[eligible].mean())
    return rate if 0 < rate < 1 else None
