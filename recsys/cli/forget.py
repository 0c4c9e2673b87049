"""``recsys forget``: erase customers from a model file (rewritten whole or not at all)."""

from __future__ import annotations

from recsys.cli.common import command, read_ids, refuse_unused_options
from recsys.cli.inputs import ORDER_COLUMNS, PRODUCT_COLUMNS, add_data_options, load_data
from recsys.exceptions import DataError
from recsys.models.erasure import needs_training_data
from recsys.models.files import load


def configure(parser) -> None:
    parser.add_argument("--model", required=True, help="the model file to erase customers from "
                                                       "(rewritten in place, atomically)")
    parser.add_argument("--customers", required=True,
                        help="a CSV of the customer ids to erase")
    parser.add_argument("--customers-col", default=None,
                        help="the id column of --customers (default: the --user-col name, "
                             "customer_id, or the file's only column)")
    parser.add_argument("--unknown", choices=("report", "raise"), default="report",
                        help="ids the model never saw: counted (report) or an error (raise)")
    parser.add_argument("--approximate", action="store_true",
                        help="ALS: drop the customers' factors and re-solve the others in two "
                             "warm-started sweeps instead of a refit (near a refit, not equal; "
                             "docs/privacy.md); the other models forget exactly either way")
    add_data_options(parser)


@command("forget", configure)
def run(args) -> int:
    customers = read_ids(args, args.customers, "--customers", args.customers_col, args.user_col)
    model = load(args.model)
    data = items = None
    if args.orders or args.dataset:  # read (and its column options checked) whenever given
        shop = load_data(args)
        data, items = shop.interactions, shop.items
    else:
        refuse_unused_options(args, (*ORDER_COLUMNS, *PRODUCT_COLUMNS),
                              "no --orders (nor --dataset) is given")
        if needs_training_data(model) is not None:
            raise DataError(f"{type(model).__name__} cannot forget from its own state "
                            f"({needs_training_data(model)}): pass the training data with "
                            f"--orders (and its column options).")
    done = model.forget(customers, data=data, items=items, unknown=args.unknown,
                        exact=not args.approximate)
    model.save(args.model)
    print(f"{args.model}: {done['forgotten']:,} customers erased ({done['how']}); "
          f"{done['unknown']:,} of the ids were not in the model")
    return 0
