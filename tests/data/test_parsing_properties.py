"""Property tests of the readers added for data nobody here wrote: amounts written in either
convention read back as the numbers they spell; a log's newest rows are never called outlying,
a far later one always is; text ids that spell integers match those integers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys.data.amounts import parse_amounts
from recsys.data.dates import far_after_the_rest
from recsys.data.ids import match_ids
from recsys.exceptions import DataError

cents = st.integers(0, 10**9)


def _written(value_cents: int, decimal: str, grouped: bool, currency: str) -> str:
    whole, part = divmod(value_cents, 100)
    digits = f"{whole:,}" if grouped else str(whole)
    if decimal == ",":
        digits = digits.replace(",", ".")
    return f"{currency}{digits}{decimal}{part:02d}"


@settings(max_examples=150, deadline=None)
@given(st.lists(cents, min_size=1, max_size=30), st.sampled_from([".", ","]), st.booleans(),
       st.sampled_from(["", "£", "€ ", "$"]))
def test_amounts_in_either_convention_read_as_written(values, decimal, grouped, currency):
    texts = [_written(v, decimal, grouped, currency) for v in values]
    try:
        got = parse_amounts(pd.Series(texts), "price")
    except DataError as exc:  # only a column that reads both ways with different amounts
        assert "ambiguous" in str(exc)
        return
    assert np.allclose(got, np.array(values) / 100, rtol=0, atol=1e-6)


@settings(max_examples=100, deadline=None)
@given(st.integers(20, 3000), st.sampled_from(["uniform", "growing", "bursty"]),
       st.integers(0, 10**6))
def test_a_logs_newest_rows_are_never_outlying_and_a_far_later_one_is(n, shape, seed):
    rng = np.random.default_rng(seed)
    days = {"uniform": rng.uniform(0, 365, n),
            "growing": 365 - rng.exponential(40, n).clip(0, 365),
            "bursty": np.where(rng.random(n) < 0.9, rng.uniform(300, 365, n),
                               rng.uniform(0, 365, n))}[shape]
    times = (np.datetime64("2024-01-01", "ns")
             + (days * 86400e9).astype("timedelta64[ns]"))
    assert not far_after_the_rest(times).any()
    typo = np.r_[times, np.datetime64("2099-01-01", "ns")]
    assert far_after_the_rest(typo).tolist() == [False] * n + [True]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-(10**12), 10**12), min_size=1, max_size=50, unique=True),
       st.lists(st.integers(-(10**12), 10**12), min_size=1, max_size=50))
def test_text_ids_spelling_integers_match_those_integers(known, asked):
    as_text = np.array([str(v) for v in known])
    expected = pd.Index(known).get_indexer(asked)
    assert match_ids(as_text, np.array(asked, dtype=np.int64)).tolist() == expected.tolist()
    assert match_ids(np.array(known, dtype=np.int64), np.array([str(v) for v in asked])
                     ).tolist() == expected.tolist()


@pytest.mark.parametrize("padded", ["0010", "+5", "1e3", " 7"])
def test_text_ids_that_spell_no_plain_integer_are_refused_against_integers(padded):
    with pytest.raises(DataError, match="plain integer"):
        match_ids(np.array([padded, "12"]), np.array([10, 12], dtype=np.int64))
