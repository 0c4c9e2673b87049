"""Open a page in headless Chromium and read back what a person would notice: whether the
page is wider than the window (a horizontal scroll bar), whether every image loaded, and what
the page's scripts reported as errors; and take a screenshot.

No driver is needed: the page is copied with two small scripts added (one at the top that
records errors, one that writes the findings into the page's title once it has loaded), and
Chromium's ``--dump-dom`` prints the page as it ended. The copy stands beside the page, so
its relative links (a docs site's style sheets) load as they would."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

#: the browser, when the machine has one (Debian's chromium package; CI installs it)
CHROMIUM = next((found for name in ("chromium", "chromium-browser", "google-chrome")
                 if (found := shutil.which(name))), None)

#: flags for a quiet headless run on a machine without a network or a sandbox
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=5000"]

_FIRST = ("<script>window.__errors=[];window.addEventListener('error',function(e){"
          "window.__errors.push(String(e.message||e.target&&(e.target.src||e.target.href||e.target.tagName)||'error'))},true);"
          "var __error=console.error;console.error=function(){window.__errors.push("
          "Array.prototype.join.call(arguments,' '));__error.apply(console,arguments)};"
          "</script>")
_LAST = ("<script>window.addEventListener('load',function(){setTimeout(function(){"
         "var d=document.documentElement;var imgs=[].slice.call(document.images);"
         "document.title=JSON.stringify({scroll:d.scrollWidth,width:d.clientWidth,"
         "images:imgs.length,broken:imgs.filter(function(i){return !(i.complete&&"
         "i.naturalWidth>0)}).length,errors:window.__errors})},50)});</script>")


def check(page: Path, width: int, screenshot: Path | None = None,
          served: tuple[Path, str] | None = None) -> dict:
    """What ``page`` shows at ``width`` pixels: ``overflow`` (wider than the window),
    ``images``, ``broken`` (images that did not load), ``errors`` (script errors and
    console.error calls). ``served``: (a folder, the http:// address it is served at), for
    pages that fetch (a docs site's search index does not load from file://)."""
    if CHROMIUM is None:
        raise RuntimeError("no Chromium on this machine (apt-get install chromium)")
    text = page.read_text(encoding="utf-8")
    head = re.search(r"<head[^>]*>", text)
    probe_text = (text[:head.end()] + _FIRST + text[head.end():]) if head else _FIRST + text
    probe_text = probe_text.replace("</body>", _LAST + "</body>") if "</body>" in probe_text \
        else probe_text + _LAST
    probe = page.with_name(f"_probe_{page.name}")  # beside it: relative links still load
    probe.write_text(probe_text, encoding="utf-8")
    try:
        with tempfile.TemporaryDirectory(prefix="recsys-browser-") as profile:
            dom = _run([*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},900",
                        "--dump-dom", _address(probe, served)])
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                _run([*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},1400",
                      f"--screenshot={screenshot}", _address(page, served)])
    finally:
        probe.unlink()
    title = re.search(r"<title>(.*?)</title>", dom, re.S)
    found = json.loads(html.unescape(title.group(1))) if title else None
    if not isinstance(found, dict):
        raise RuntimeError(f"the page did not report back (no load event?): {dom[:300]!r}")
    found["overflow"] = found["scroll"] > found["width"]
    return found


def _address(page: Path, served: tuple[Path, str] | None) -> str:
    if served is None:
        return page.as_uri()
    folder, base = served
    return f"{base.rstrip('/')}/{page.relative_to(folder).as_posix()}"


def _run(argv: list[str]) -> str:
    done = subprocess.run([CHROMIUM, *argv], capture_output=True, text=True, timeout=120,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chromium failed ({done.returncode}): {done.stderr[-500:]}")
    return done.stdout
