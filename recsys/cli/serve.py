"""``recsys serve``: the recommendation service over HTTP (the ``serve`` extra)."""

from __future__ import annotations

import contextlib
import logging
import os

from recsys.cli.common import (
    Terminated,
    check_columns,
    command,
    read_frame,
    refuse_unused_options,
)
from recsys.exceptions import DataError, InvalidParameterError
from recsys.service.app import make_app
from recsys.service.slots import ModelSlot

#: the column options of --products
COLUMNS = ["--product-id-col", "--category-col", "--price-col", "--available-col"]


def configure(parser) -> None:
    parser.add_argument("--model", action="append", required=True, metavar="[NAME=]FILE",
                        help="a model file to serve (repeat: the first is the default; "
                             "NAME=FILE names it for ?model=NAME)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="the address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="the port (default 8000)")
    parser.add_argument("--token", default=os.environ.get("RECSYS_SERVICE_TOKEN"),
                        help="a bearer token every request but /healthz must carry (default: "
                             "RECSYS_SERVICE_TOKEN when set)")
    parser.add_argument("--products", default=None, help="a product table: names in reasons")
    parser.add_argument("--product-id-col", default="product_id",
                        help="the product id column of --products")
    parser.add_argument("--category-col", default="category",
                        help="the category column of --products, for ?category= and "
                             "?exclude_category= filters (default category, when present)")
    parser.add_argument("--price-col", default="price",
                        help="the price column of --products, for ?min_price= and ?max_price= "
                             "(default price, when present)")
    parser.add_argument("--available-col", default=None,
                        help="the in-stock column of --products (true/false), for ?in_stock=true")
    parser.add_argument("--reload-seconds", type=float, default=2.0,
                        help="check the model files for a new version this often (0: never)")
    parser.add_argument("--log-requests", action="store_true",
                        help="log each request line (they hold customer ids: off by default)")


def _slots(specs: list[str]) -> dict:
    slots = {}
    for spec in specs:
        name, _, path = spec.rpartition("=") if "=" in spec else ("", "", spec)
        name = name or ("default" if not slots else os.path.splitext(os.path.basename(path))[0])
        if name in slots:
            raise InvalidParameterError(f"--model {spec}: the name {name!r} is taken; write "
                                        f"NAME=FILE.", param="model")
        slots[name] = ModelSlot(name, path)
    return slots


@command("serve", configure)
def run(args) -> int:
    products = None  # the options are checked first: a typo is named with or without the extra
    if args.products:
        products = read_frame(args.products, None, [args.product_id_col])
        check_columns(products, args, f"--products {args.products}", COLUMNS,
                      optional=["--category-col", "--price-col"])
    else:
        refuse_unused_options(args, COLUMNS, "no --products file is given")
    try:  # uvicorn is optional (the serve extra): a clear word when it is missing
        import uvicorn
    except ImportError:
        raise DataError('recsys serve needs the serve extra: python -m pip install -e ".[serve]" '
                        '(FastAPI and uvicorn).') from None
    app = make_app(_slots(args.model), products=products, token=args.token,
                   reload_seconds=args.reload_seconds, product_id=args.product_id_col,
                   category=args.category_col, price=args.price_col,
                   available=args.available_col, products_file=args.products)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    print(f"recsys serve: http://{args.host}:{args.port} (docs at /docs; Ctrl-C stops)")
    # uvicorn re-raises the SIGTERM it stopped on: a stop asked for, not a failure
    with contextlib.suppress(Terminated):
        uvicorn.run(app, host=args.host, port=args.port, access_log=args.log_requests,
                    log_level="info", timeout_graceful_shutdown=10)
    return 0
