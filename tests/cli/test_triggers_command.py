"""``recsys triggers``: the audience file equals the library's answer, suppressed customers
are in no output, and --model writes each customer's picks with the anchor first."""

from __future__ import annotations

import numpy as np
import pandas as pd

import recsys
from recsys.campaign import abandoned_carts
from recsys.cli.main import main


def test_the_audience_and_its_picks_from_an_event_log(tmp_path, capsys):
    rng = np.random.default_rng(3)
    shop = recsys.make_shop(n_customers=200, n_products=40, seed=3)
    n = 3000
    log = pd.DataFrame({"customer_id": rng.integers(1, 150, n),
                        "product_id": rng.choice(shop.interactions.items.ids, n),
                        "event": rng.choice(["view", "cart", "purchase"], n),
                        "timestamp": pd.Timestamp("2026-03-01") + pd.to_timedelta(
                            rng.integers(0, 5 * 86_400, n), unit="s")})
    log.to_csv(tmp_path / "events.csv", index=False)
    recsys.ItemKNN().fit(shop.interactions).save(tmp_path / "knn.npz")
    pd.DataFrame({"customer_id": [3, 4, 5]}).to_csv(tmp_path / "optouts.csv", index=False)
    assert main(["triggers", "--events", str(tmp_path / "events.csv"), "--within", "2d",
                 "--suppress", str(tmp_path / "optouts.csv"), "--out",
                 str(tmp_path / "audience.csv"), "--model", str(tmp_path / "knn.npz"), "-k", "3",
                 "--picks-out", str(tmp_path / "picks.csv")]) == 0
    said = capsys.readouterr().out
    assert "abandoned-cart:" in said and "suppressed customers left out" in said
    audience = pd.read_csv(tmp_path / "audience.csv", dtype={"product_id": str})
    expected = abandoned_carts(log, within="2d", suppress=[3, 4, 5])
    assert audience[["customer_id", "rank", "product_id"]].values.tolist() == \
        expected[["customer_id", "rank", "product_id"]].values.tolist()
    picks = pd.read_csv(tmp_path / "picks.csv")
    assert not set(picks["customer_id"]) & {3, 4, 5}
    firsts = picks[picks["rank"] == 1].set_index("customer_id")["product_id"]
    mains = audience[audience["rank"] == 1].set_index("customer_id")["product_id"]
    assert firsts.sort_index().equals(mains.sort_index())
    assert picks.groupby("customer_id").size().max() == 3


def test_bad_options_are_named(tmp_path, capsys):
    pd.DataFrame({"customer_id": [1], "product_id": ["a"], "event": ["cart"],
                  "timestamp": ["2026-03-01"]}).to_csv(tmp_path / "events.csv", index=False)
    events = ["triggers", "--events", str(tmp_path / "events.csv")]
    assert main([*events, "--kind", "basket"]) == 1
    assert "--kind" in capsys.readouterr().err
    assert main([*events, "--within", "soon"]) == 1
    assert "--within" in capsys.readouterr().err
    assert main([*events, "--model", "m.npz"]) == 1
    assert "--picks-out" in capsys.readouterr().err
    assert main([*events, "--trigger", "price-drop"]) == 1
    assert "--products-list" in capsys.readouterr().err
