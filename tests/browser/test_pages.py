"""The HTML the library writes, and the docs site, as a browser shows them at 1,200 and 800
pixels: never wider than the window (a wide table scrolls in its own box), every image
loaded, no script error; screenshots kept in benchmarks/results/screenshots/ (not committed).
A deliberately overflowing table is caught (the check is checked)."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

import recsys
from tests.browser.chromium import CHROMIUM, check

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (apt-get install "
                                                          "chromium; .ci/run does)")]
WIDTHS = (1200, 800)
SHOTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "screenshots"


def _evaluation_page(shop, folder: Path, ks) -> Path:
    from recsys.evaluation.split import temporal_split
    from recsys.reporting import evaluation_report

    train, test = temporal_split(shop.interactions, last_days=30)
    models = {"Popularity": recsys.Popularity(), "ItemKNN": recsys.ItemKNN(),
              "EASE": recsys.EASE(), "ALS": recsys.ALS(random_state=0)}
    table = recsys.evaluate(models, train, test, k=ks, n_bootstrap=50, random_state=0,
                            metrics=["ndcg", "recall", "precision", "hit_rate", "coverage"])
    page = folder / f"evaluation-{'-'.join(map(str, ks))}.html"
    page.write_text(evaluation_report(table), encoding="utf-8")
    return page


def _readout_page(shop, folder: Path) -> Path:
    from recsys.campaign import make_picks
    from recsys.experiment import analyze, simulate_response
    from recsys.reporting.experiment import experiment_report

    model = recsys.ItemKNN().fit(shop.interactions)
    sent = make_picks({"knn": model, "popular": recsys.Popularity().fit(shop.interactions)},
                      shop.customers["customer_id"], k=3, salt="browser",
                      arms={"knn": 0.45, "popular": 0.45, "control": 0.1},
                      products=shop.products)
    start = shop.orders["timestamp"].max().normalize() + pd.Timedelta(days=1)
    orders, _ = simulate_response(sent.assignments, start=start, conversion_uplift=0.03,
                                  seed=0)
    result = analyze(sent.assignments, orders, start, start + pd.Timedelta(days=14))
    page = folder / "readout.html"
    page.write_text(experiment_report(result), encoding="utf-8")
    return page


def _assert_reads_well(page: Path, name: str, served=None) -> None:
    for width in WIDTHS:
        found = check(page, width, SHOTS / f"{name}-{width}.png", served)
        assert not found["overflow"], (name, width, found)
        assert found["broken"] == 0 and found["errors"] == [], (name, width, found)


@pytest.fixture(scope="module")
def shop():
    return recsys.make_shop(seed=0)


@pytest.mark.parametrize("ks", [(10,), (5, 10, 20)], ids=["one k", "several k"])
def test_the_evaluation_report_reads_well(shop, tmp_path, ks):
    page = _evaluation_page(shop, tmp_path, ks)
    _assert_reads_well(page, f"evaluation-synthetic-{len(ks)}k")
    assert check(page, 1200)["images"] >= 2  # the plots are there


def test_the_campaign_readout_reads_well(shop, tmp_path):
    _assert_reads_well(_readout_page(shop, tmp_path), "readout-synthetic")


@pytest.mark.realdata
def test_reports_on_online_retail_read_well(tmp_path):
    path = Path(os.environ.get("RECSYS_DATA_DIR", "../shared/data")) / "online-retail.csv.gz"
    if not path.exists():
        pytest.skip("Online Retail is not under RECSYS_DATA_DIR")
    shop = recsys.read_online_retail(path)
    _assert_reads_well(_evaluation_page(shop, tmp_path, (10,)), "evaluation-online-retail")


def test_an_overflowing_table_is_caught(tmp_path):
    """The test of the test: a table wider than the window makes the page overflow."""
    wide = pd.DataFrame({f"a rather long column name {i}": [123456.789] for i in range(40)})
    page = tmp_path / "wide.html"
    page.write_text(f"<html><head><title>x</title></head><body>{wide.to_html()}</body></html>")
    assert check(page, 800)["overflow"]
    broken = tmp_path / "broken.html"
    broken.write_text("<html><head></head><body><img src='missing.png'>"
                      "<script>undefined_function()</script></body></html>")
    found = check(broken, 800)
    assert found["broken"] == 1 and found["errors"]


def test_the_docs_site_reads_well(tmp_path):
    pytest.importorskip("mkdocs")
    site = tmp_path / "site"
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(site)], cwd=root, capture_output=True, text=True,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    served = (site, f"http://127.0.0.1:{server.server_address[1]}")
    try:  # over HTTP, as mkdocs serve shows it (the search index is fetched)
        for page, name in ((site / "index.html", "docs-home"),
                           (site / "reference" / "data" / "index.html", "docs-api-data"),
                           (site / "cli-reference" / "index.html", "docs-cli")):
            _assert_reads_well(page, name, served)
    finally:
        server.shutdown()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    """Serves the site's files, logging nothing."""

    def log_message(self, *args) -> None:
        pass
