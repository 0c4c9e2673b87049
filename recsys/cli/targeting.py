"""``recsys picks --target ... --budget ...``: spend the send on the customers a mail changes
most (uplift learnt from a past campaign's assignments), or on any score a file gives."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.cli.common import read_frame
from recsys.customers.targeting import learn_uplift, predicted_uplift
from recsys.customers.value import value_table
from recsys.data.dates import parse_date
from recsys.exceptions import DataError, InvalidParameterError


def add_target_options(parser) -> None:
    """The options of targeting."""
    group = parser.add_argument_group("targeting (who is worth the mail)")
    group.add_argument("--target", default=None, metavar="uplift|value-at-risk|FILE",
                       help="keep the --budget customers with the largest score: 'uplift' "
                            "learns each customer's uplift from a past campaign "
                            "(--past-assignments, --past-send); 'value-at-risk' is each "
                            "customer's expected value they may take elsewhere (CLV over a "
                            "year x the chance they have left, BG/NBD and Gamma-Gamma); or a "
                            "CSV of customer ids and a numeric score column")
    group.add_argument("--budget", default=None, metavar="N|SHARE",
                       help="with --target: how many customers to mail, a count (5000) or a "
                            "share of the audience (20%% or 0.2); the control group is drawn "
                            "inside them")
    group.add_argument("--past-assignments", default=None, metavar="FILE",
                       help="with --target uplift: the assignments file of a past send with a "
                            "control group (recsys picks --control writes it)")
    group.add_argument("--past-send", default=None, metavar="DATE",
                       help="with --target uplift: when that campaign was sent")
    group.add_argument("--past-days", type=float, default=14, metavar="DAYS",
                       help="with --target uplift: the days after the past send an order "
                            "counts as a response (default 14)")


def target_options(args, shop, columns, audience: np.ndarray, as_of) -> dict:
    """make_picks' ``target`` and ``budget`` from the options (empty without --target)."""
    past = (args.past_assignments, args.past_send)
    if args.target is None:
        if args.budget is not None or any(value is not None for value in past):
            raise InvalidParameterError("--budget, --past-assignments and --past-send go with "
                                        "--target; add --target uplift (or a score file).")
        return {}
    budget = _budget(args.budget)
    if args.target == "value-at-risk":
        if any(value is not None for value in past):
            raise InvalidParameterError("--past-assignments and --past-send go with --target "
                                        "uplift, not with value-at-risk.")
        return {"target": _value_at_risk(shop, columns, as_of), "budget": budget}
    if args.target != "uplift":
        if any(value is not None for value in past):
            raise InvalidParameterError("--past-assignments and --past-send go with --target "
                                        "uplift, not with a score file.")
        return {"target": _scores(args.target, args), "budget": budget}
    if None in past:
        raise InvalidParameterError("--target uplift learns from a past campaign: pass "
                                    "--past-assignments FILE and --past-send DATE.")
    customer, _, timestamp = columns
    if timestamp is None:
        raise InvalidParameterError("--target uplift reads the order times: pass --time-col.")
    product = args.item_col if args.orders else "product_id"
    send = parse_date(args.past_send, "--past-send")  # before reading anything
    if as_of is not None and send >= parse_date(as_of, "--as-of"):
        raise InvalidParameterError(f"--past-send {args.past_send} is not before this send "
                                    f"({pd.Timestamp(as_of).date()}): the model learns from a "
                                    f"campaign whose responses are in the orders.")
    assignments = read_frame(args.past_assignments, args.sep, ["customer_id"])
    model = learn_uplift(assignments, shop.orders, send, args.past_days, customer=customer,
                         timestamp=timestamp, product=product)
    scores = predicted_uplift(model, shop.orders, as_of, audience)
    facts = model.campaign_
    print(f"uplift learnt from the send of {args.past_send}: {facts['customers']:,} customers "
          f"({facts['treated_share']:.0%} mailed), bought within {args.past_days:g} days: "
          f"{facts['treated_rate']:.1%} mailed, {facts['control_rate']:.1%} control; learner "
          f"{model.learner_}")
    return {"target": scores, "budget": budget}


def _value_at_risk(shop, columns, as_of) -> pd.Series:
    """Each customer's expected value over the next year times the chance they have left
    (the valuable ones slipping away first)."""
    customer, _, timestamp = columns
    if timestamp is None:
        raise InvalidParameterError("--target value-at-risk reads the order times: pass "
                                    "--time-col.")
    value = value_table(shop.orders, customer=customer, timestamp=timestamp,
                        as_of=None if as_of is None else pd.Timestamp(as_of) - pd.Timedelta(
                            days=1))
    worth = value["clv"] if "clv" in value.columns else value["expected_purchases"]
    risk = worth * (1.0 - value["probability_alive"])
    basis = "CLV" if "clv" in value.columns else "expected purchases (no money columns)"
    print(f"value at risk: BG/NBD{' and Gamma-Gamma' if 'clv' in value.columns else ''} on "
          f"{len(value):,} customers ({basis} over a year x the chance they have left)")
    return risk


def print_target(summary: dict) -> None:
    """What the targeting kept."""
    facts = summary.get("target")
    if facts:
        print(f"targeted: {facts['targeted']:,} customers with the largest score "
              f"({facts['scored']:,} scored, {facts['not_positive']:,} at 0 or below left out)")


def _budget(text) -> int | float | None:
    """``"5000"`` -> 5000, ``"20%"`` or ``"0.2"`` -> 0.2."""
    if text is None:
        return None
    raw = str(text).strip()
    try:
        if raw.endswith("%"):
            share = float(raw[:-1]) / 100
            if not 0 < share <= 1:
                raise ValueError
            return share
        value = float(raw)
    except ValueError:
        raise InvalidParameterError(f"--budget takes a count (5000) or a share (20% or 0.2), "
                                    f"got {text!r}.") from None
    if value >= 1 and value.is_integer():
        return int(value)
    if 0 < value < 1:
        return value
    raise InvalidParameterError(f"--budget takes a count (5000) or a share (20% or 0.2), got "
                                f"{text!r}.")


def _scores(path: str, args) -> pd.Series:
    """A score file: customer ids (``customer_id``, else the first column) and one numeric
    column (``score``, else the only other one)."""
    table = read_frame(path, args.sep, ["customer_id"])
    columns = list(table.columns)
    customer = "customer_id" if "customer_id" in columns else columns[0]
    rest = [c for c in columns if c != customer]
    score = "score" if "score" in rest else (rest[0] if len(rest) == 1 else None)
    if score is None:
        raise DataError(f"--target {path}: expected a customer id column and one score column "
                        f"(or one named 'score'); it has {columns}.")
    values = pd.to_numeric(table[score], errors="coerce")
    if values.isna().any():
        raise DataError(f"--target {path}: {int(values.isna().sum()):,} values of {score!r} "
                        f"are not numbers; every customer needs a numeric score.")
    return pd.Series(values.to_numpy(np.float64), index=table[customer].to_numpy())
