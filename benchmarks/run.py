"""Run every benchmark, then rewrite the results section of benchmarks/README.md.

    python benchmarks/run.py --data-dir ../shared/data          # full: minutes; updates README
    python benchmarks/run.py --quick                             # CI: small cases, asserts answers
    python benchmarks/run.py --only rules,metrics
    python benchmarks/run.py --from-json                         # README from the last results

Each benchmark script writes JSON to benchmarks/results/<name>.json; a failed correctness
check (different itemsets, different metric values, a model disagreeing with its peer) makes
the script, and this runner, exit non-zero. Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import machine, table  # noqa: E402

START, END = "<!-- results:start -->", "<!-- results:end -->"


#: scripts run by hand, not part of the suite (before_after.py compares two checkouts)
STANDALONE = {"run.py", "before_after.py"}


def scripts() -> list[Path]:
    return sorted(p for p in HERE.glob("*.py")
                  if not p.name.startswith("_") and p.name not in STANDALONE)


def summarise(data: dict) -> str:
    rows = data.get("rows", [])
    columns = [tuple(c) for c in data.get("columns", [])]
    if not columns and rows:
        columns = [(k, k) for k, v in rows[0].items() if not isinstance(v, (list, dict))]
    return table(rows, columns)


def update_readme(results: dict[str, dict], command: str) -> None:
    readme = HERE / "README.md"
    text = readme.read_text() if readme.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    info = machine()
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    parts = [START, "",
             f"Last full run: {info['date']} on {info['cpus']} cores ({info['machine']}, "
             f"{info['system']}); {versions}.", "", f"Command: `{command}`", ""]
    for name, data in results.items():
        parts += [f"### {name}", "", summarise(data), ""]
    parts.append(END)
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        text = head + "\n".join(parts) + tail
    else:
        text = text.rstrip() + "\n\n" + "\n".join(parts) + "\n"
    readme.write_text(text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--only", default=None, help="comma-separated benchmark names")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite README.md")
    parser.add_argument("--from-json", action="store_true",
                        help="do not run anything: rebuild README.md from the last JSON results")
    args, extra = parser.parse_known_args(argv)
    out_dir = HERE / "results" / ("quick" if args.quick else "full")
    if args.from_json:
        found = {p.stem: json.loads(p.read_text()) for p in sorted(out_dir.glob("*.json"))}
        update_readme(found, "python benchmarks/run.py --data-dir ../shared/data "
                             "(each script's JSON in benchmarks/results/full/)")
        return 0
    wanted = set(args.only.split(",")) if args.only else None
    failed, results = [], {}
    for script in scripts():
        name = script.stem
        if wanted and name not in wanted:
            continue
        out = out_dir / f"{name}.json"
        cmd = [sys.executable, str(script), "--json", str(out)]
        if args.quick:
            cmd.append("--quick")
        if args.data_dir:
            cmd += ["--data-dir", args.data_dir]
        cmd += extra
        print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
        start = time.perf_counter()
        code = subprocess.run(cmd, check=False, env=os.environ.copy()).returncode
        print(f"== {name}: exit {code} in {time.perf_counter() - start:.0f} s", flush=True)
        if code != 0:
            failed.append(name)
        if out.exists():
            results[name] = json.loads(out.read_text())
    if not args.quick and not args.no_readme and results:
        command = "python benchmarks/run.py" + (f" --data-dir {args.data_dir}" if args.data_dir
                                                 else "")
        update_readme(results, command)
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
