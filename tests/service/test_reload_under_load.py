"""The model file replaced ten times while clients keep asking (twice a damaged file, once an
unsigned one while the service holds a key): no request fails, every answer equals, item for
item, the in-process answer of the model version it names, and the bad files are refused and
counted."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import recsys
from tests.service.test_service import _free_port

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

KEY = "a signing key of thirty-two bytes"


def _versions(folder, shop, customers):
    """Seven good signed files (ItemKNN on different slices of the customers), a damaged
    one and an unsigned one; the expected answers of each good version."""
    files, expected = [], {}
    users = shop.interactions.users.ids
    for i in range(7):
        keep = (shop.interactions.user_index % 7) != i  # a seventh of the customers left out
        path = folder / f"good{i}.npz"
        model = recsys.ItemKNN(k=10 + 5 * i).fit(shop.interactions.select(keep))
        model.save(path, key=KEY)
        version = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        loaded = recsys.load(path, key=KEY)
        expected[version] = {int(c): loaded.recommend([c], k=5).item_ids() for c in customers}
        files.append(path)
    damaged = folder / "damaged.npz"
    damaged.write_bytes(files[0].read_bytes()[:4000])
    unsigned = folder / "unsigned.npz"
    recsys.ItemKNN().fit(shop.interactions).save(unsigned)
    assert users.size
    return files, damaged, unsigned, expected


def _client(port, customers, stop, seen, failures):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    i = 0
    while not stop.is_set():
        customer = customers[i % len(customers)]
        i += 1
        try:
            connection.request("GET", f"/recommend?customer={customer}&k=5")
            response = connection.getresponse()
            body = json.loads(response.read())
        except (OSError, http.client.HTTPException, ValueError) as exc:
            failures.append(repr(exc))
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            continue
        if response.status != 200:
            failures.append(f"{response.status}: {body}")
            continue
        seen.append((customer, body["model"], [row["item"] for row in body["items"]]))


@pytest.mark.slow
def test_replacing_the_model_under_load_never_fails_a_request(tmp_path):
    shop = recsys.make_shop(n_customers=600, n_products=80, seed=4)
    customers = [int(c) for c in shop.interactions.users.ids[:40]]
    files, damaged, unsigned, expected = _versions(tmp_path, shop, customers)
    served = tmp_path / "served.npz"
    served.write_bytes(files[0].read_bytes())
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "recsys", "serve", "--model", str(served), "--port", str(port),
         "--reload-seconds", "0.05"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "RECSYS_MODEL_KEY": KEY, "OMP_NUM_THREADS": "1"})
    try:
        _wait(port)
        stop, seen, failures = threading.Event(), [], []
        clients = [threading.Thread(target=_client, args=(port, customers, stop, seen,
                                                          failures)) for _ in range(2)]
        for client in clients:
            client.start()
        plan = [files[1], files[2], damaged, files[3], unsigned, files[4], damaged, files[5],
                files[6], files[0]]
        for i, source in enumerate(plan):  # each replaced as recsys writes: one rename
            staged = tmp_path / f"staged{i}.npz"
            staged.write_bytes(source.read_bytes())
            os.replace(staged, served)
            time.sleep(0.6)
        stop.set()
        for client in clients:
            client.join(timeout=30)
        metrics = _get(port, "/metrics")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    assert failures == []
    assert len(seen) > 200
    wrong = [(c, v) for c, v, items in seen if v not in expected or expected[v][c] != items]
    assert wrong == []
    assert len({version for _, version, _ in seen}) >= 6  # the swaps happened under load
    assert 'recsys_model_failed_reloads_total{model="default"} 3' in metrics


def _wait(port: int) -> None:
    for _ in range(200):
        try:
            if _get(port, "/readyz"):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _get(port: int, path: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    return connection.getresponse().read().decode()
