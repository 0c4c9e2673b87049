"""Batch outputs appear whole or not at all: a killed, interrupted or failing run leaves the
previous file byte-identical and no temporary file behind; the wide layout is rectangular."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

import recsys
from recsys.campaign import make_picks
from recsys.cli.main import main


def _picks_command(out, *extra):
    return [sys.executable, "-m", "recsys", "picks", "-k", "5", "--chunk-size", "40",
            "--no-progress", "--out", str(out), *extra]


def _leftovers(folder):
    return [name for name in os.listdir(folder) if name.endswith(".part")]


@pytest.mark.slow
def test_picks_killed_at_any_point_leave_the_previous_file_byte_identical(tmp_path):
    out = tmp_path / "picks.csv"
    out.write_text("customer_id,rank,product_id\n1,1,previous\n")
    previous = out.read_bytes()
    outcomes = set()
    for delay in (0.1, 0.5, 0.9, 1.3, 1.7, 2.2):  # while starting, computing, writing
        run = subprocess.Popen(_picks_command(out), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=120)
        outcomes.add(run.returncode)
        assert run.returncode in (0, 143, -signal.SIGTERM), err  # -15: before main started
        assert "Traceback" not in err and _leftovers(tmp_path) == []
        if out.read_bytes() != previous:  # the file was complete before the signal came
            assert len(pd.read_csv(out)) == 5 * 1996 and out.read_bytes().endswith(b"\n")
            out.write_bytes(previous)
    assert 143 in outcomes  # at least one signal landed while the command ran


@pytest.mark.slow
def test_ctrl_c_while_picks_are_written_says_so_in_one_line(tmp_path):
    out = tmp_path / "picks.csv"
    out.write_text("previous\n")
    run = subprocess.Popen(_picks_command(out), stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not _leftovers(tmp_path) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # until the output is being written
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=120)
    if run.returncode == 0:
        pytest.skip("the run finished before the signal")
    assert run.returncode == 130 and "interrupted" in err and "Traceback" not in err
    assert err.strip().count("\n") == 0  # one line
    assert _leftovers(tmp_path) == []
    if out.read_text() != "previous\n":  # on a busy machine the file may have been finished
        assert len(pd.read_csv(out)) == 5 * 1996


def test_a_failing_run_leaves_the_previous_file(tmp_path, capsys):
    out = tmp_path / "rules.csv"
    out.write_text("previous\n")
    assert main(["rules", "--orders", str(tmp_path / "missing.csv"), "--out", str(out)]) == 1
    assert out.read_text() == "previous\n" and _leftovers(tmp_path) == []


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_make_picks_to_a_file_that_fails_midway_leaves_no_file(tmp_path, monkeypatch, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    shop = recsys.make_shop(n_customers=300, n_products=40, seed=2)
    model = recsys.Popularity().fit(shop.interactions)
    out = tmp_path / f"picks{suffix}"
    from recsys.campaign import _output

    calls = []

    def failing_write(self, frame):
        calls.append(len(frame))
        if len(calls) == 2:
            raise OSError("disk full")
        original(self, frame)

    original = _output.Writer.write
    monkeypatch.setattr(_output.Writer, "write", failing_write)
    with pytest.raises(OSError):
        make_picks(model, shop.interactions.users.ids, k=3, chunk_size=50, out=out)
    assert not out.exists() and _leftovers(tmp_path) == []


def test_the_wide_layout_is_rectangular_when_some_customers_get_fewer_picks(tmp_path):
    """Chunks whose customers all get fewer than k picks still write k columns."""
    shop = recsys.make_shop(n_customers=300, n_products=40, seed=2)
    model = recsys.AssociationRules(min_support=0.01).fit(shop.interactions)
    out = tmp_path / "wide.csv"
    make_picks(model, shop.interactions.users.ids, k=8, chunk_size=7, backfill=False,
               out=out, format="wide")
    lines = out.read_text().splitlines()
    widths = {line.count(",") for line in lines}
    assert len(widths) == 1, widths
    header = lines[0].split(",")
    assert header[0] == "customer_id" and "item_8" in header and "reason_8" in header


def test_an_interrupted_command_removes_temporary_files_wherever_it_landed(tmp_path, monkeypatch):
    """An interruption between a temporary file's creation and the code that would clean it
    up: the command line's handler still removes it."""
    from recsys.cli.main import main
    from recsys.io import atomic as _atomic

    made = []

    def interrupted(args):
        made.append(_atomic.temporary_beside(tmp_path / "picks.csv"))
        raise KeyboardInterrupt

    from recsys.cli.common import REGISTERED
    from recsys.cli.main import command_of

    configure, _ = command_of("picks")
    monkeypatch.setitem(REGISTERED, "picks", (configure, interrupted))
    assert main(["picks", "--out", str(tmp_path / "picks.csv")]) == 130
    assert made and not made[0].exists() and _leftovers(tmp_path) == []


def test_an_interruption_inside_the_creating_call_still_removes_the_file(tmp_path, monkeypatch):
    """Ctrl-C landing right after the operating system created the temporary file, before
    the call that creates it returned: the file is already known and removed on the way out."""
    from recsys.io import atomic as _atomic

    real_open = os.open

    def open_then_interrupted(*args, **kwargs):
        real_open(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "open", open_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        _atomic.temporary_beside(tmp_path / "picks.csv")
    monkeypatch.undo()
    assert len(_leftovers(tmp_path)) == 1  # created, then interrupted
    _atomic.discard_pending()
    assert _leftovers(tmp_path) == []


def test_a_chunk_written_after_an_abort_creates_no_file(tmp_path):
    """A thread still finishing a chunk when an interrupted run cleans up writes nothing."""
    from recsys.campaign._output import Writer

    frame = pd.DataFrame({"customer_id": [1], "rank": [1], "product_id": ["a"]})
    writer = Writer(tmp_path / "picks.csv", "long")
    writer.abort()
    writer.write(frame)
    assert os.listdir(tmp_path) == []
