"""Customer ids are personal data: errors and warnings count them and never name them, unless
RECSYS_SHOW_IDS=1 asks (to debug on a machine where the logs stay private)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys import DataError, UnknownIdError
from recsys.campaign import make_picks
from recsys.cli.main import main
from recsys.data.ids import match_ids


@pytest.fixture(scope="module")
def model():
    shop = recsys.make_shop(n_customers=200, n_products=40, seed=2)
    return recsys.Popularity().fit(shop.interactions)


def test_an_unknown_customer_is_counted_not_named(model, monkeypatch):
    monkeypatch.delenv("RECSYS_SHOW_IDS", raising=False)
    with pytest.raises(UnknownIdError) as error:
        model.recommend([987654], k=3)
    assert "987654" not in str(error.value) and "1 of 1 user ids" in str(error.value)
    assert error.value.ids == [987654]  # the program can still see which
    monkeypatch.setenv("RECSYS_SHOW_IDS", "1")
    with pytest.raises(UnknownIdError, match="987654"):
        model.recommend([987654], k=3)


def test_mismatched_id_types_are_refused_without_naming_anyone(monkeypatch):
    monkeypatch.delenv("RECSYS_SHOW_IDS", raising=False)
    with pytest.raises(DataError) as error:
        match_ids(np.array([10, 20]), np.array(["0077001", "20"]))
    assert "0077001" not in str(error.value) and "RECSYS_SHOW_IDS" in str(error.value)


def test_a_campaign_warning_names_no_customer(model, monkeypatch):
    monkeypatch.delenv("RECSYS_SHOW_IDS", raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make_picks(model, ["c-4242"], k=2)
    said = " ".join(str(w.message) for w in caught)
    assert "strs" in said and "c-4242" not in said and "10001" not in said


def test_the_command_line_names_no_customer(model, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("RECSYS_SHOW_IDS", raising=False)
    model.save(tmp_path / "m.npz")
    pd.DataFrame({"customer_id": [31337]}).to_csv(tmp_path / "who.csv", index=False)
    code = main(["recommend", "--model", str(tmp_path / "m.npz"), "--users-file",
                 str(tmp_path / "who.csv"), "--on-unknown", "raise"])
    err = capsys.readouterr().err
    assert code == 1 and "31337" not in err and "RECSYS_SHOW_IDS" in err
