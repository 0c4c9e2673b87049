"""The public-API script that mypy type-checks in CI (tests/typing/public_api_usage.py) also
runs: its calls work, not only type-check."""

from __future__ import annotations

import runpy
from pathlib import Path


def test_the_type_checked_usage_runs():
    runpy.run_path(str(Path(__file__).parent / "typing" / "public_api_usage.py"), run_name="__main__")
