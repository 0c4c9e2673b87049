"""The HTTP service under load: `recsys serve` answering /recommend for one customer at a time,
at fixed request rates, beside a bare FastAPI endpoint that returns a constant on the same
stack (the ceiling of the stack on this machine: as a plain ``def`` endpoint, which FastAPI
runs in its thread pool, and as an ``async def`` one, on the event loop, as recsys serve's
are), all on 127.0.0.1.

Each server runs in its own process (one uvicorn worker); the load comes from this process:
keep-alive connections in threads, requests sent at a fixed rate (open loop: a slow answer
does not slow the schedule, its lateness counts in its latency) for a bounded time. Then the
saturation throughput: as many requests as 8 connections get answered in a bounded time.
Every answer is checked (status 200, the customer asked for, k items); an error fails the run.

    python benchmarks/serve.py --data-dir ../shared/data --json benchmarks/results/serve.json
    python benchmarks/serve.py --quick      # CI: the synthetic shop, 200 requests/s for 2 s
    python benchmarks/serve.py --data-dir ../shared/data --soak 1000000   # memory over 1M requests
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import data_dir, finish

BARE = '''
from fastapi import FastAPI
app = FastAPI()
@app.get("/recommend")
def recommend(customer: str, k: int = 10) -> dict:
    return {"customer": customer, "items": [{"item": "x", "score": 1.0}] * k}
'''


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(argv: list[str], port: int) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=env)
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the server on port {port} did not start")


def _one(connection, customer, k: int) -> tuple[float, bool]:
    start = time.perf_counter()
    connection.request("GET", f"/recommend?customer={customer}&k={k}")
    response = connection.getresponse()
    body = response.read()
    ok = response.status == 200
    if ok:
        answer = json.loads(body)
        ok = str(answer["customer"]) == str(customer) and len(answer["items"]) == k
    return time.perf_counter() - start, ok


def at_rate(port: int, customers: np.ndarray, rate: float, seconds: float,
            threads: int = 8) -> dict:
    """Open-loop load: ``rate`` requests a second for ``seconds``, from ``threads`` keep-alive
    connections; latency measured from each request's scheduled time."""
    n = int(rate * seconds)
    schedule = time.perf_counter() + 0.2 + np.arange(n) / rate
    latencies = np.full(n, np.nan)
    errors = [0]

    def work(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for i in range(offset, n, threads):
            wait = schedule[i] - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            try:
                _, ok = _one(connection, customers[i % len(customers)], 10)
            except (OSError, http.client.HTTPException):
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                ok = False
            latencies[i] = time.perf_counter() - schedule[i]
            errors[0] += not ok

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    ms = latencies * 1000
    return {"requests": n, "p50 ms": float(np.nanmedian(ms)),
            "p99 ms": float(np.nanquantile(ms, 0.99)), "errors": int(errors[0])}


def saturation(port: int, customers: np.ndarray, seconds: float, threads: int = 8) -> float:
    """Requests answered per second by ``threads`` connections asking as fast as they can."""
    done = [0] * threads
    stop = time.perf_counter() + seconds

    def work(t: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        i = t
        while time.perf_counter() < stop:
            _one(connection, customers[i % len(customers)], 10)
            done[t] += 1
            i += threads

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done) / (time.perf_counter() - start)


def _rss(pid: int) -> int:
    """The resident memory of process ``pid``, bytes (Linux)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def soak(port: int, pid: int, customers: np.ndarray, total: int, threads: int = 8) -> dict:
    """``total`` requests from ``threads`` connections as fast as they are answered; the
    server's resident memory after the first tenth (the warm-up) and at the end."""
    warm = total // 10
    sent = [0]
    lock = threading.Lock()
    marks: dict[str, int] = {}
    errors = [0]

    def work(t: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while True:
            with lock:
                if sent[0] >= total:
                    return
                sent[0] += 1
                i = sent[0]
                if i == warm:
                    marks["warm"] = _rss(pid)
            _, ok = _one(connection, customers[i % len(customers)], 10)
            errors[0] += not ok

    start = time.perf_counter()
    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    end = _rss(pid)
    return {"requests": total, "seconds": time.perf_counter() - start, "errors": errors[0],
            "rss after warm-up MiB": marks["warm"] / 2**20, "rss at end MiB": end / 2**20,
            "growth": end / marks["warm"] - 1}


def _model_files(quick: bool, root: Path, folder: Path) -> tuple[dict[str, Path], np.ndarray]:
    import recsys

    shop = recsys.make_shop(seed=0) if quick or not (root / "online-retail.csv.gz").exists() \
        else recsys.read_online_retail(root / "online-retail.csv.gz")
    files = {}
    for name, model in (("ALS", recsys.ALS(random_state=0)), ("Hybrid", recsys.Hybrid())):
        fit = model.fit(shop.interactions, items=shop.items) if model.uses_item_features \
            and shop.items is not None else model.fit(shop.interactions)
        fit.save(folder / f"{name}.npz")
        files[name] = folder / f"{name}.npz"
        if quick:
            break
    return files, shop.interactions.users.ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--soak", type=int, default=0,
                        help="only the soak: this many requests to ALS, memory before and after")
    args = parser.parse_args()
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        print("serve: skipped (the serve extra is not installed: pip install -e '.[serve]')")
        return 0
    rates = (200,) if args.quick else (200, 500, 1000)
    seconds = 2.0 if args.quick else args.seconds
    folder = Path(tempfile.mkdtemp())
    files, customers = _model_files(args.quick, data_dir(args.data_dir), folder)
    customers = np.random.default_rng(0).permutation(customers)
    if args.soak:
        return _soak_only(args, files["ALS"], customers)
    rows, failures = [], []
    ceilings = {}
    for style in ("def", "async def"):  # a thread-pool endpoint, and one on the event loop
        (folder / "bare.py").write_text(BARE.replace("def recommend", f"{style} recommend"))
        port = _port()
        bare = _start([sys.executable, "-m", "uvicorn", "--app-dir", str(folder), "bare:app",
                       "--port", str(port), "--no-access-log", "--log-level", "warning"], port)
        try:
            saturation(port, customers, 1.0)  # warm-up
            ceilings[style] = saturation(port, customers, seconds)
        finally:
            bare.terminate()
            bare.wait()
        rows.append({"server": f"bare FastAPI endpoint (a constant, {style})",
                     "saturation rps": ceilings[style]})
    for name, path in files.items():
        port = _port()
        server = _start([sys.executable, "-m", "recsys", "serve", "--model", str(path),
                         "--port", str(port), "--reload-seconds", "0"], port)
        try:
            saturation(port, customers, 1.0)  # warm-up: connections, first calls, caches
            for rate in rates:
                row = {"server": f"recsys serve {name}", "rate": rate,
                       **at_rate(port, customers, rate, seconds)}
                rows.append(row)
                if row["errors"]:
                    failures.append(f"{name} at {rate}/s: {row['errors']} failed requests")
            best = saturation(port, customers, seconds)
            rows.append({"server": f"recsys serve {name}", "saturation rps": best,
                         "x bare def": best / ceilings["def"],
                         "x bare async": best / ceilings["async def"]})
        finally:
            server.terminate()
            server.wait()
    columns = [("server", "server"), ("rate", "requests/s"), ("requests", "requests"),
               ("p50 ms", "p50 ms"), ("p99 ms", "p99 ms"), ("errors", "errors"),
               ("saturation rps", "saturation rps"), ("x bare def", "x bare (def)"),
               ("x bare async", "x bare (async def)")]
    return finish("serve", args, rows, columns, failures)


def _soak_only(args, path: Path, customers: np.ndarray) -> int:
    port = _port()
    server = _start([sys.executable, "-m", "recsys", "serve", "--model", str(path),
                     "--port", str(port), "--reload-seconds", "0"], port)
    try:
        row = {"server": "recsys serve ALS", **soak(port, server.pid, customers, args.soak)}
    finally:
        server.terminate()
        server.wait()
    failures = [f"{row['errors']} failed requests"] if row["errors"] else []
    if row["growth"] > 0.05:
        failures.append(f"memory grew {row['growth']:.1%} after warm-up (more than 5%)")
    columns = [(key, key) for key in row]
    return finish("serve-soak", args, [row], columns, failures)


if __name__ == "__main__":
    sys.exit(main())
