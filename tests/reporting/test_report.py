"""`recsys evaluate` and its HTML report; the report renders in headless Chromium when installed."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from recsys.cli.main import main
from recsys.cli.models import parse_models
from tests.conftest import need_file


def test_parse_models():
    models = parse_models("ALS(factors=8,alpha=2.5),ItemKNN(similarity=bm25), Popularity")
    assert list(models) == ["ALS(factors=8,alpha=2.5)", "ItemKNN(similarity=bm25)", "Popularity"]
    assert models["ALS(factors=8,alpha=2.5)"].alpha == 2.5
    assert models["ItemKNN(similarity=bm25)"].similarity == "bm25"


def test_bad_model_spec_exits_1(capsys):
    assert main(["evaluate", "--models", "Magic(x=1)"]) == 1
    assert "unknown model 'Magic'" in capsys.readouterr().err


def render(path) -> str:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or \
        shutil.which("google-chrome")
    if browser is None:
        pytest.skip("Chromium is not installed")
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=5000", "--dump-dom", f"file://{path}"],
        capture_output=True, text=True, timeout=120, check=False)
    return done.stdout


def test_evaluate_writes_a_report_with_plots(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    report = tmp_path / "report.html"
    table = tmp_path / "table.csv"
    assert main(["evaluate", "--models", "Popularity,ItemKNN(k=20),EASE(l2=50)", "-k", "5,10",
                 "--bootstrap", "20", "--report", str(report), "--out", str(table)]) == 0
    out = capsys.readouterr().out
    assert "ndcg@10" in out and "wrote" in out
    page = report.read_text()
    assert page.count("data:image/png;base64,") == 3
    assert "EASE(l2=50)" in page
    dom = render(report)
    match = re.search(r'data-images="(\d+)/(\d+)"', dom)
    assert match, dom[:500]
    loaded, total = map(int, match.groups())
    assert total == 3 and loaded == 3


@pytest.mark.realdata
@pytest.mark.slow
def test_evaluate_online_retail_report(tmp_path):
    pytest.importorskip("matplotlib")
    need_file("online-retail.csv.gz")
    report = tmp_path / "retail.html"
    assert main(["evaluate", "--dataset", "online-retail", "--models",
                 "Popularity,ItemKNN(similarity=bm25,k=100),ALS(factors=64)", "-k", "10",
                 "--bootstrap", "50", "--report", str(report)]) == 0
    dom = render(report)
    match = re.search(r'data-images="(\d+)/(\d+)"', dom)
    assert match and match.group(1) == match.group(2) != "0"
