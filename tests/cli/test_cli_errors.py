"""Every command over a table of bad arguments: the exit code (1 data/IO, 2 usage) and one
message naming the option, never a traceback; ids read from files round-trip exactly."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest

import recsys
from recsys.cli.main import main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    model = folder / "m.npz"
    recsys.Popularity().fit(recsys.make_shop(n_customers=200, n_products=40).interactions).save(
        model)
    np.save(folder / "x.npy", np.arange(3))
    (folder / "trunc.csv.gz").write_bytes(
        gzip.compress(b"customer_id,product_id\n" + b"1,2\n" * 5000)[:60])
    (folder / "ragged.csv").write_text("customer_id,product_id\n1,2\n4,5,6,7\n")
    (folder / "bad.json").write_text("{not json")
    (folder / "list.json").write_text(json.dumps([1, 2]))
    (folder / "afile").write_text("x")
    return folder


def _code(argv) -> int:
    try:
        return main(argv)
    except SystemExit as stop:  # argparse's usage errors
        return int(stop.code)


BAD = [
    # (argv with {d} for the files' folder, exit code, a word of the message)
    ("fit --model ALS --param bogus=1 --out {d}/o.npz", 1, "bogus"),
    ("fit --model Nope --out {d}/o.npz", 1, "unknown model"),
    ("fit --model Popularity --orders {d}/trunc.csv.gz --out {d}/o.npz", 1, "ends early"),
    ("fit --model Popularity --orders {d}/ragged.csv --out {d}/o.npz", 1, "--sep"),
    ("fit --model Popularity --orders {d}/missing.csv --out {d}/o.npz", 1, "no file"),
    ("fit --model Popularity --out {d}/afile/o.npz", 1, "cannot write"),
    ("recommend --model {d}/x.npy --all-users", 1, ".npy"),
    ("recommend --model {d}/m.npz -k abc --all-users", 2, "-k"),
    ("recommend --model {d}/m.npz --all-users --out {d}/afile/r.csv", 1, "cannot write"),
    ("recommend --model {d}/m.npz --all-users --out {d}/r.xlsx", 1, "output type"),
    ("recommend --model {d}/m.npz --users-file {d}/missing.csv", 1, "no file"),
    ("info {d}/x.npy", 1, "not a recsys model file"),
    ("info {d}/ragged.csv", 1, "not a recsys model file"),
    ("evaluate --models Popularity --split sideways", 2, "--split"),
    ("evaluate --models EASE(bogus=2)", 1, "bogus"),
    ("segments --clusters 100000", 1, "--clusters"),
    ("segments --as-of garbage", 1, "--as-of"),
    ("picks --as-of garbage --out {d}/p.csv", 1, "--as-of"),
    ("picks --constraints {d}/missing.json --out {d}/p.csv", 1, "no such file"),
    ("picks --constraints {d}/bad.json --out {d}/p.csv", 1, "not valid JSON"),
    ("picks --constraints {d}/list.json --out {d}/p.csv", 1, "object of settings"),
    ("picks --category-cap 0 --out {d}/p.csv", 1, "--category-cap"),
    ("picks --promoted BOGUS --out {d}/p.csv", 1, "--promoted"),
    ("picks -k 0 --out {d}/p.csv", 1, "k must be"),
    ("picks --chunk-size 0 --out {d}/p.csv", 1, "chunk_size"),
    ("picks --format tall --out {d}/p.csv", 2, "--format"),
    ("picks --price-min abc --out {d}/p.csv", 2, "--price-min"),
    ("picks --model ALS --param bogus=1 --out {d}/p.csv", 1, "bogus"),
    ("picks --out {d}/p.xlsx", 1, ".csv or .parquet"),
    ("rules --min-confidence 2", 1, "--min-confidence"),
    ("rules --min-support abc", 2, "--min-support"),
    ("rules --max-len 0", 1, "--max-len"),
    ("measure --assignments {d}/missing.csv --orders {d}/missing.csv --from 2026-01-01 "
     "--to 2026-02-01", 1, "no file"),
    ("demo --customers -5", 1, "n_customers"),
]


@pytest.mark.parametrize(("argv", "code", "word"), BAD, ids=[b[0][:60] for b in BAD])
def test_bad_arguments_exit_with_a_message_and_no_traceback(files, capsys, argv, code, word):
    assert _code(argv.format(d=files).split()) == code
    err = capsys.readouterr().err
    assert word in err and "Traceback" not in err


def test_ids_read_from_files_round_trip_exactly(tmp_path, capsys):
    """Leading zeros and 20-digit ids survive fit -> recommend --all-users; plain integers
    stay integers."""
    orders = tmp_path / "orders.csv"
    pd.DataFrame({
        "customer_id": ["0010001", "0010002", "0010001", "12345678901234567890"] * 3,
        "product_id": ["A", "B", "B", "C"] * 3,
    }).to_csv(orders, index=False)
    model, out = tmp_path / "m.npz", tmp_path / "r.csv"
    assert main(["fit", "--model", "Popularity", "--orders", str(orders), "--out", str(model)]) == 0
    assert main(["recommend", "--model", str(model), "--all-users", "--out", str(out)]) == 0
    got = set(pd.read_csv(out, dtype=str)["query"])
    assert got == {"0010001", "0010002", "12345678901234567890"}
    plain = tmp_path / "plain.csv"
    pd.DataFrame({"customer_id": [17850, 13047], "product_id": ["A", "B"]}).to_csv(plain,
                                                                                   index=False)
    assert main(["fit", "--model", "Popularity", "--orders", str(plain), "--out", str(model)]) == 0
    assert recsys.load(model).users_.kind == "int"
