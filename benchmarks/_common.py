"""Shared benchmark plumbing: isolated worker runs, peak memory, machine facts, JSON, tables.

Every measured run happens in a fresh worker process (``python <script> --worker JSON``), so
one library's imports, caches and heap never flatter or burden another's; the parent runs
each (case, engine) a few times and keeps the median time.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _status(key: str) -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def reset_peak() -> int:
    """Start a fresh peak-RSS window (Linux); returns the current RSS in bytes."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    return _status("VmRSS:")


def peak_since(base: int) -> int:
    """Peak RSS growth in bytes since ``reset_peak`` returned ``base``."""
    peak = _status("VmHWM:")
    if not peak:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return max(0, peak - base)


def measure(prepare: Callable[[], object], run: Callable[[object], dict]) -> dict:
    """Time ``run(prepare())`` and its peak memory above what ``prepare`` left behind."""
    state = prepare()
    base = reset_peak()
    start = time.perf_counter()
    result = run(state)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_bytes": peak_since(base), **result}


def in_worker(script: str, payload: dict, env: dict | None = None, timeout: float = 3600) -> dict:
    """Run ``script --worker payload`` in a fresh interpreter; returns its JSON answer."""
    cmd = [sys.executable, script, "--worker", json.dumps(payload)]
    full_env = {**os.environ, **(env or {})}
    done = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=timeout,
                          check=False)
    if done.returncode != 0:
        return {"error": (done.stderr or done.stdout).strip().splitlines()[-1:] or ["failed"]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_runs(script: str, payload: dict, repeat: int) -> dict:
    """Median seconds (and the max peak memory) over ``repeat`` worker runs."""
    runs = [in_worker(script, payload) for _ in range(repeat)]
    failed = [r for r in runs if "error" in r]
    if failed:
        return failed[0]
    out = dict(runs[0])
    out["seconds"] = statistics.median(r["seconds"] for r in runs)
    out["runs"] = [round(r["seconds"], 4) for r in runs]
    out["peak_bytes"] = max(r["peak_bytes"] for r in runs)
    return out


def machine() -> dict:
    import numpy
    import pandas
    import scipy

    versions = {"python": platform.python_version(), "numpy": numpy.__version__,
                "scipy": scipy.__version__, "pandas": pandas.__version__}
    for name in ("implicit", "mlxtend", "sklearn", "ranx", "fim", "efficient_apriori"):
        try:
            module = __import__(name)
            versions[name] = getattr(module, "__version__", "installed")
        except ImportError:
            pass
    try:
        import recsys

        versions["recsys"] = recsys.__version__
    except ImportError:
        pass
    return {"cpus": os.cpu_count(), "machine": platform.machine(), "system": platform.system(),
            "date": time.strftime("%Y-%m-%d"), "versions": versions}


def write_json(path: str | None, payload: dict) -> None:
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(payload, indent=1, default=str))


def table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    """A markdown table of ``rows`` with (key, header) columns."""
    head = "| " + " | ".join(h for _, h in columns) + " |"
    rule = "| " + " | ".join("---" for _ in columns) + " |"
    body = []
    for row in rows:
        cells = []
        for key, _ in columns:
            value = row.get(key, "")
            if isinstance(value, float):
                value = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
            cells.append(str(value))
        body.append("| " + " | ".join(cells) + " |")
    return "\n".join([head, rule, *body])


def finish(name: str, args, rows: list[dict], columns: list[tuple[str, str]],
           failures: list[str], **extra) -> int:
    """Print the table, write the JSON (with its columns, for run.py) and return the exit code:
    1 when an answer was wrong."""
    print()
    print(table(rows, columns))
    write_json(args.json, {"benchmark": name, "quick": args.quick, "machine": machine(),
                           "columns": columns, "rows": rows, "failures": failures, **extra})
    if failures:
        print("\nFAILED:\n" + "\n".join(failures))
        return 1
    return 0


def mib(n: float) -> float:
    return n / 2**20


def data_dir(arg: str | None) -> Path:
    return Path(arg or os.environ.get("RECSYS_DATA_DIR", ROOT.parent / "shared" / "data"))


#: the file or folder each public data set is read from, under the data directory
DATA_FILES = {"online-retail": "online-retail.csv.gz", "movielens": "ml-latest-small",
              "fimi": "fimi-retail.dat.gz"}


def present(cases: list[str], root: Path) -> list[str]:
    """The cases whose data is at hand (the synthetic ones always), saying which are skipped."""
    kept = []
    for case in cases:
        if case in DATA_FILES and not (root / DATA_FILES[case]).exists():
            print(f"skip {case}: no data under {root}")
            continue
        kept.append(case)
    return kept


def make_large(n_users: int, n_items: int, n_rows: int, seed: int = 0):
    """Purchases with long-tail popularity and 200 taste clusters, as Interactions
    (the generator of the 1,000,000-customer cases)."""
    import numpy as np

    from recsys.data import IdMap, Interactions

    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.9
    popularity = popularity[rng.permutation(n_items)]
    cum_pop = np.cumsum(popularity) / popularity.sum()
    n_clusters = 200
    cluster_items = rng.integers(0, n_items, size=(n_clusters, 500))
    user = rng.integers(0, n_users, size=n_rows).astype(np.int32)
    cluster = (user.astype(np.int64) * 2654435761 % n_clusters).astype(np.int64)
    from_cluster = rng.random(n_rows) < 0.6
    item = np.searchsorted(cum_pop, rng.random(n_rows)).astype(np.int32)
    picks = cluster_items[cluster, (rng.random(n_rows) ** 2 * 500).astype(np.int64)]
    item = np.where(from_cluster, picks, item).astype(np.int32)
    return Interactions(item_index=item, items=IdMap.from_sorted(np.arange(n_items), "item_id"),
                        user_index=user, users=IdMap.from_sorted(np.arange(n_users), "user_id"))
