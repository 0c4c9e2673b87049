"""The README's first example runs as written (it is the first code a newcomer copies)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def test_the_ten_lines_run(tmp_path, monkeypatch, capsys):
    block = re.search(r"## Ten lines\s+```python\n(.*?)```", README.read_text(), re.S)
    assert block, "README has no '## Ten lines' python block"
    monkeypatch.chdir(tmp_path)
    exec(compile(block.group(1), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "query" in out and "score" in out
    assert (tmp_path / "als.npz").exists()
