"""The command line: demo, fit/recommend/info, usage errors and RecsysError exits."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from recsys.cli.main import main


def test_demo_prints_picks_and_evaluation(capsys):
    assert main(["demo", "--customers", "400", "--products", "80"]) == 0
    out = capsys.readouterr().out
    assert "Top 5 picks" in out and "Evaluation" in out and "ndcg@10" in out
    assert "A cart holding" in out
    assert "A simulated campaign" in out and "uplift in conversion_rate" in out


def test_fit_recommend_info_round_trip(tmp_path, capsys, shop):
    orders = tmp_path / "orders.csv"
    shop.orders.to_csv(orders, index=False)
    model = tmp_path / "pop.npz"
    assert main(["fit", "--model", "popularity", "--orders", str(orders),
                 "--basket-col", "order_id", "--time-col", "timestamp",
                 "--param", "window_days=60", "--out", str(model)]) == 0
    assert main(["info", str(model)]) == 0
    assert "Popularity" in capsys.readouterr().out
    picks = tmp_path / "picks.csv"
    user = int(shop.orders["customer_id"].iloc[0])
    assert main(["recommend", "--model", str(model), "--users", f"{user},999999",
                 "--on-unknown", "fallback", "-k", "4", "--out", str(picks)]) == 0
    frame = pd.read_csv(picks)
    assert frame["query"].tolist() == [user] * 4 + [999999] * 4
    assert set(frame["source"]) == {"Popularity", "popularity"}


def test_recsys_error_exits_1_without_traceback(tmp_path, capsys):
    assert main(["info", str(tmp_path / "missing.npz")]) == 1
    err = capsys.readouterr().err
    assert "no model file" in err and "Traceback" not in err


def test_unknown_users_exit_1(tmp_path, capsys, shop):
    model = tmp_path / "pop.npz"
    assert main(["fit", "--model", "Popularity", "--out", str(model)]) == 0
    assert main(["recommend", "--model", str(model), "--users", "123456789"]) == 1
    assert "unknown" in capsys.readouterr().err


def test_usage_errors_exit_2():
    with pytest.raises(SystemExit) as err:
        main(["fit"])
    assert err.value.code == 2
    with pytest.raises(SystemExit) as err:
        main(["no-such-command"])
    assert err.value.code == 2
    assert main([]) == 2


@pytest.mark.parametrize("cmd", [[], ["demo"], ["fit"], ["recommend"], ["info"], ["rules"],
                                 ["evaluate"], ["picks"], ["segments"]])
def test_help_everywhere(cmd, capsys):
    with pytest.raises(SystemExit) as err:
        main([*cmd, "--help"])
    assert err.value.code == 0
    assert "usage: recsys" in capsys.readouterr().out


def test_console_script_runs():
    result = subprocess.run([sys.executable, "-m", "recsys", "--version"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0 and result.stdout.startswith("recsys ")


def test_rules_command(tmp_path, capsys, shop):
    lines = tmp_path / "lines.csv"
    shop.orders.to_csv(lines, index=False)
    out = tmp_path / "rules.csv"
    assert main(["rules", "--orders", str(lines), "--basket-col", "order_id", "--item-col",
                 "product_id", "--min-support", "0.005", "--top", "5", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "frequent itemsets" in text and "if bought" in text
    rules = pd.read_csv(out)
    assert {"antecedents", "consequents", "support", "confidence", "lift"} <= set(rules.columns)
    assert main(["rules", "--orders", str(lines), "--item-col", "nope"]) == 1


@pytest.mark.parametrize("source", ["orders", "fimi"])
def test_rules_update_equals_mining_all_orders(tmp_path, capsys, shop, source):
    """recsys rules --save, then --update with the new orders only: the rules written equal
    those of --save on all the orders."""
    orders = shop.orders.sort_values(["timestamp", "order_id"])
    cut = orders["timestamp"].quantile(0.8)
    parts = {"old": orders[orders["timestamp"] <= cut], "new": orders[orders["timestamp"] > cut],
             "all": orders}
    paths = {}
    for name, part in parts.items():
        if source == "orders":
            paths[name] = tmp_path / f"{name}.csv"
            part.to_csv(paths[name], index=False)
        else:
            paths[name] = tmp_path / f"{name}.dat"
            baskets = part.groupby("order_id", sort=False)["product_id"].agg(
                lambda s: " ".join(x[1:] for x in s))
            paths[name].write_text("\n".join(baskets) + "\n")
    option = f"--{source}"
    common = ["--min-support", "0.003", "--top", "3"]
    model = tmp_path / "rules.npz"
    assert main(["rules", option, str(paths["old"]), *common, "--save", str(model)]) == 0
    assert main(["rules", option, str(paths["new"]), "--update", str(model),
                 "--out", str(tmp_path / "updated.csv")]) == 0
    assert "added" in capsys.readouterr().out
    assert main(["rules", option, str(paths["all"]), *common, "--save", str(tmp_path / "a.npz"),
                 "--out", str(tmp_path / "all.csv")]) == 0
    updated, whole = pd.read_csv(tmp_path / "updated.csv"), pd.read_csv(tmp_path / "all.csv")
    assert len(whole) > 0
    pd.testing.assert_frame_equal(updated, whole)
    # a model saved from --min-support auto says it cannot be updated, and the update says why
    assert main(["rules", option, str(paths["old"]), "--save", str(model)]) == 0
    assert "cannot take new orders" in capsys.readouterr().out
    assert main(["rules", option, str(paths["new"]), "--update", str(model)]) == 1
    assert "--min-support" in capsys.readouterr().err


def test_cart_recommendation(tmp_path, capsys):
    model = tmp_path / "rules.npz"
    assert main(["fit", "--model", "AssociationRules", "--param", "min_support=0.003",
                 "--out", str(model)]) == 0
    assert main(["recommend", "--model", str(model), "--basket", "P0001,P0002", "-k", "3"]) == 0
    assert "AssociationRules" in capsys.readouterr().out


def test_options_that_name_missing_or_unusable_columns_say_so(tmp_path, capsys, shop):
    orders = tmp_path / "orders.csv"
    shop.orders.drop(columns=["timestamp"]).to_csv(orders, index=False)
    products = tmp_path / "products.csv"
    shop.products.to_csv(products, index=False)
    assert main(["fit", "--model", "ContentBased", "--orders", str(orders), "--products",
                 str(products), "--text-cols", "name,descripton", "--out",
                 str(tmp_path / "m.npz")]) == 1
    err = capsys.readouterr().err
    assert "--text-cols" in err and "'descripton'" in err
    code = main(["evaluate", "--orders", str(orders), "--split", "leave-last",
                 "--models", "Popularity"])
    assert code in (1, 2)
    assert "--time-col" in capsys.readouterr().err
    lines = tmp_path / "lines.csv"
    shop.orders.to_csv(lines, index=False)
    assert main(["info", str(lines)]) == 1
    assert "not a recsys model file" in capsys.readouterr().err


@pytest.mark.parametrize("sep", ["\t", ";", "|"])
def test_text_tables_with_other_delimiters_are_read(tmp_path, capsys, shop, sep):
    """A tab-, semicolon- or pipe-separated log arrives as columns, told by its header line
    or by --sep, on every command that reads one."""
    lines = tmp_path / "lines.txt"
    shop.orders.to_csv(lines, index=False, sep=sep)
    out = tmp_path / "rules.csv"
    assert main(["rules", "--orders", str(lines), "--basket-col", "order_id",
                 "--min-support", "0.01", "--out", str(out)]) == 0
    word = {"\t": "tab", ";": "semicolon", "|": "pipe"}[sep]
    model = tmp_path / "m.npz"
    assert main(["fit", "--model", "Popularity", "--orders", str(lines), "--sep", word,
                 "--out", str(model)]) == 0
    picks = tmp_path / "picks.csv"
    assert main(["picks", "--orders", str(lines), "--sep", word, "--basket-col", "order_id",
                 "--time-col", "timestamp", "--segment", "champions", "-k", "2",
                 "--out", str(picks)]) == 0
    assert len(pd.read_csv(picks)) > 0
    capsys.readouterr()
    assert main(["fit", "--model", "Popularity", "--orders", str(lines), "--sep", "ab",
                 "--out", str(model)]) in (1, 2)
    assert "--sep" in capsys.readouterr().err


def test_a_basket_can_be_a_customer_on_a_day(tmp_path, capsys):
    """A grocery log with no order ids: one member on one day is a basket, for rules, fit and
    RFM segments alike."""
    rng = np.random.default_rng(0)
    n = 3000
    member = rng.integers(0, 150, n)
    day = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 60, n), unit="D")
    item = np.where(rng.random(n) < 0.5, "milk", rng.choice(["bread", "eggs", "tea", "jam"], n))
    log = pd.DataFrame({"member": member, "date": day.strftime("%Y-%m-%d"), "item": item})
    path = tmp_path / "grocery.csv"
    log.to_csv(path, index=False)
    common = ["--orders", str(path), "--item-col", "item", "--basket-col", "member,date"]
    out = tmp_path / "rules.csv"
    assert main(["rules", *common, "--min-support", "0.01", "--min-lift", "0",
                 "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) > 0
    table = tmp_path / "rfm.csv"
    assert main(["segments", *common, "--user-col", "member", "--time-col", "date",
                 "--out", str(table)]) == 0
    rfm_table = pd.read_csv(table).set_index("member")
    visits = log.drop_duplicates(["member", "date"]).groupby("member").size()
    assert (rfm_table["frequency"] == visits.reindex(rfm_table.index)).all()
    capsys.readouterr()
    assert main(["segments", "--orders", str(path), "--item-col", "item", "--user-col",
                 "member", "--time-col", "date", "--basket-col", "member,day"]) == 1
    assert "'day'" in capsys.readouterr().err


def test_date_format_reads_day_first_dates(tmp_path, capsys, shop):
    """dd/mm/yyyy dates that all read both ways are refused, naming --date-format; with it,
    they read day-first."""
    orders = shop.orders.copy()
    orders["timestamp"] = pd.to_datetime(orders["timestamp"]).dt.strftime("%d/%m/%Y")
    small = orders[pd.to_datetime(orders["timestamp"], format="%d/%m/%Y").dt.day <= 12]
    path = tmp_path / "lines.csv"
    small.to_csv(path, index=False)
    model = tmp_path / "m.npz"
    args = ["fit", "--model", "Popularity", "--orders", str(path), "--time-col", "timestamp",
            "--param", "window_days=30", "--out", str(model)]
    assert main(args) == 1
    assert "--date-format" in capsys.readouterr().err
    assert main(args + ["--date-format", "%d/%m/%Y"]) == 0


def _grocery_log(rng, n=4000) -> pd.DataFrame:
    """One row per item bought; a basket is a member on a day; dd-mm-yyyy dates."""
    member = rng.integers(1000, 1300, n)
    day = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    goods = np.array(["whole milk", "rolls/buns", "soda", "yogurt", "other vegetables",
                      "tropical fruit", "bottled water", "sausage", "citrus fruit", "pastry"])
    item = goods[np.minimum(rng.geometric(0.25, n) - 1, len(goods) - 1)]
    return pd.DataFrame({"Member_number": member, "Date": day.strftime("%d-%m-%Y"),
                         "itemDescription": item})


def test_a_grocery_log_runs_through_every_command(tmp_path, capsys):
    path = tmp_path / "groceries.csv"
    _grocery_log(np.random.default_rng(1)).to_csv(path, index=False)
    data = ["--orders", str(path), "--user-col", "Member_number", "--item-col",
            "itemDescription", "--basket-col", "Member_number,Date", "--time-col", "Date",
            "--date-format", "%d-%m-%Y"]
    assert main(["rules", "--orders", str(path), "--item-col", "itemDescription",
                 "--basket-col", "Member_number,Date", "--min-support", "0.005"]) == 0
    model = tmp_path / "knn.npz"
    assert main(["fit", "--model", "ItemKNN", *data, "--out", str(model)]) == 0
    assert main(["recommend", "--model", str(model), "--users", "1000,1001", "-k", "3"]) == 0
    assert main(["evaluate", *data, "--models", "Popularity,ItemKNN", "--test-days", "30"]) == 0
    assert main(["segments", *data]) == 0
    picks = tmp_path / "picks.csv"
    assert main(["picks", *data, "-k", "3", "--out", str(picks)]) == 0
    assert len(pd.read_csv(picks)) > 0
    # without --date-format the dates read right (days above 12 tell the order) or are refused
    no_format = [a for a in data if a not in ("--date-format", "%d-%m-%Y")]
    assert main(["segments", *no_format]) == 0
    capsys.readouterr()


def test_play_counts_in_a_tab_separated_file_get_picks(tmp_path, capsys):
    """No orders, no dates: picks for every user, none already played, each with a reason."""
    rng = np.random.default_rng(2)
    plays = pd.DataFrame({"userID": rng.integers(0, 200, 5000),
                          "artistID": rng.zipf(1.6, 5000) % 300, "weight": rng.integers(1, 500, 5000)})
    plays = plays.drop_duplicates(["userID", "artistID"])
    path = tmp_path / "user_artists.dat"
    plays.to_csv(path, index=False, sep="\t")
    out = tmp_path / "picks.csv"
    assert main(["picks", "--orders", str(path), "--sep", "\\t", "--user-col", "userID",
                 "--item-col", "artistID", "--weight-col", "weight", "-k", "10",
                 "--out", str(out)]) == 0
    picks = pd.read_csv(out)
    assert (picks.groupby("customer_id").size() == 10).all()
    assert set(picks["customer_id"]) == set(plays["userID"])
    played = set(zip(plays["userID"], plays["artistID"], strict=True))
    assert not any((u, i) in played for u, i in zip(picks["customer_id"], picks["product_id"],
                                                     strict=True))
    assert picks["reason"].notna().all() and (picks["reason"].str.len() > 0).all()
    capsys.readouterr()


def test_product_table_with_its_own_id_column(tmp_path, capsys, shop):
    orders, products = tmp_path / "orders.csv", tmp_path / "products.csv"
    shop.orders.to_csv(orders, index=False)
    shop.products.rename(columns={"product_id": "sku", "name": "title"}).to_csv(products,
                                                                                index=False)
    out = tmp_path / "picks.csv"
    base = ["picks", "--orders", str(orders), "--products", str(products), "-k", "2",
            "--out", str(out)]
    assert main(base) == 1
    assert "--product-id-col" in capsys.readouterr().err
    assert main(base + ["--product-id-col", "sku", "--name-col", "title"]) == 0
    picks = pd.read_csv(out)
    titles = dict(zip(shop.products["product_id"], shop.products["name"], strict=True))
    assert (picks["name"] == picks["product_id"].map(titles)).all()


def test_picks_with_k_again_put_due_purchases_first(tmp_path, capsys):
    out = tmp_path / "picks.csv"
    assert main(["picks", "--dataset", "synthetic", "-k", "5", "--k-again", "2",
                 "--no-progress", "--out", str(out)]) == 0
    assert "the first 2 from BuyAgain" in capsys.readouterr().out
    picks = pd.read_csv(out)
    again = picks[picks["reason_code"] == "buy_again"]
    assert len(again) and (again["rank"] <= 2).all() and (again["source"] == "BuyAgain").all()
    assert (picks[picks["reason_code"] != "buy_again"]["source"] != "BuyAgain").all()
    assert main(["picks", "--dataset", "synthetic", "-k", "2", "--k-again", "3",
                 "--out", str(out)]) == 1
    assert "--k-again 3" in capsys.readouterr().err


def test_tune_searches_saves_the_best_and_writes_the_trials(tmp_path, capsys):
    best, trials = tmp_path / "best.npz", tmp_path / "trials.csv"
    assert main(["tune", "--dataset", "synthetic", "--model", "EASE,ItemKNN", "--budget", "3",
                 "--engine", "random", "--no-progress", "--out", str(best),
                 "--results", str(trials)]) == 0
    out = capsys.readouterr().out
    assert "best trial:" in out and "6 trials" in out and "Popularity" in out
    table = pd.read_csv(trials)
    assert len(table) == 6 and set(table["model"]) == {"EASE", "ItemKNN"}
    import recsys

    model = recsys.load(best)
    returned = next(line for line in out.splitlines() if line.startswith("returned: "))
    assert returned.split()[1] == type(model).__name__
    assert main(["tune", "--dataset", "synthetic", "--budget", "0", "--out", str(best)]) == 1
    assert "--budget 0" in capsys.readouterr().err
