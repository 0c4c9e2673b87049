"""Every column option of every command names a column of what the command reads, or the
command stops with exit 1 and a message naming the option, before any fitting: a misspelled
column is never silently ignored (a metric that quietly disappears, a default used instead)."""

from __future__ import annotations

import pandas as pd
import pytest

import recsys
from recsys.cli.main import build_parser, main


def _column_options() -> list[tuple[str, str]]:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    return [(name, option) for name, sub in commands.items() for action in sub._actions
            for option in action.option_strings if option.endswith(("-col", "-cols"))]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("columns")
    shop = recsys.make_shop(n_customers=120, n_products=30, seed=4)
    orders = shop.orders.assign(timestamp=shop.orders["timestamp"].astype(str))
    orders.to_csv(folder / "orders.csv", index=False)
    shop.products.to_csv(folder / "products.csv", index=False)
    recsys.Popularity().fit(shop.interactions).save(folder / "model.npz")
    recsys.Popularity().fit(shop.interactions).save(folder / "forget.npz")
    customers = shop.interactions.users.ids
    pd.DataFrame({"customer_id": customers[:20]}).to_csv(folder / "users.csv", index=False)
    pd.DataFrame({"customer_id": customers, "group": ["treatment", "control"] * (
        len(customers) // 2) + ["treatment"] * (len(customers) % 2)}).to_csv(
        folder / "assignments.csv", index=False)
    orders.assign(event="cart").to_csv(folder / "events.csv", index=False)
    return folder


def _base(command: str, f) -> list[str]:
    orders = ["--orders", str(f / "orders.csv"), "--basket-col", "order_id", "--time-col",
              "timestamp"]
    products = ["--products", str(f / "products.csv")]
    return {
        "fit": ["fit", "--model", "Popularity", "--out", str(f / "out.npz"), *orders, *products],
        "evaluate": ["evaluate", "--models", "Popularity", *orders, *products],
        "picks": ["picks", "--model", "Popularity", "--out", str(f / "picks.csv"), *orders,
                  *products, "--category-cap", "2"],
        "segments": ["segments", *orders, *products],
        "tune": ["tune", "--model", "Popularity", "--budget", "1", *orders, *products],
        "measure": ["measure", "--assignments", str(f / "assignments.csv"), "--orders",
                    str(f / "orders.csv"), "--from", "2025-06-01", "--to", "2025-07-01"],
        "rules": ["rules", "--orders", str(f / "orders.csv"), "--basket-col", "order_id"],
        "recommend": ["recommend", "--model", str(f / "model.npz"), "--users-file",
                      str(f / "users.csv")],
        "serve": ["serve", "--model", str(f / "model.npz"), *products],
        "forget": ["forget", "--model", str(f / "forget.npz"), "--customers",
                   str(f / "users.csv"), *orders, *products],
        "triggers": ["triggers", "--events", str(f / "events.csv"), "--suppress",
                     str(f / "users.csv"), "--out", str(f / "audience.csv")],
    }[command]


@pytest.mark.parametrize(("command", "option"), _column_options(),
                         ids=[f"{c} {o}" for c, o in _column_options()])
def test_a_column_option_naming_no_column_stops_the_command(files, capsys, command, option):
    code = main([*_base(command, files), option, "no_such_column"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert option in err and "Traceback" not in err


def test_the_command_line_runs_with_the_right_columns(files, capsys):
    """The base lines themselves are right: the failures above are the option's doing."""
    for command in ("fit", "rules", "recommend", "measure", "triggers"):
        assert main(_base(command, files)) == 0, capsys.readouterr().err


def test_column_options_with_a_built_in_data_set_are_refused(capsys):
    assert main(["segments", "--dataset", "synthetic", "--user-col", "shopper"]) == 1
    assert "--user-col" in capsys.readouterr().err
    assert main(["segments", "--text-cols", "title"]) == 1
    assert "--text-cols" in capsys.readouterr().err


def test_measure_takes_an_order_made_of_two_columns(files, tmp_path, capsys):
    orders = pd.read_csv(files / "orders.csv").drop(columns=["order_id"])
    orders["day"] = orders["timestamp"].str[:10]
    orders.to_csv(tmp_path / "orders.csv", index=False)
    code = main(["measure", "--assignments", str(files / "assignments.csv"), "--orders",
                 str(tmp_path / "orders.csv"), "--from", "2025-06-01", "--to", "2025-07-01",
                 "--basket-col", "customer_id,day", "--out", str(tmp_path / "uplift.csv")])
    assert code == 0, capsys.readouterr().err
    table = pd.read_csv(tmp_path / "uplift.csv")
    assert {"orders_per_customer", "average_order_value"} <= set(table["metric"])
