"""What every report page shares: its style sheet, the script that marks loaded images, and
matplotlib figures as embedded PNG images."""

from __future__ import annotations

import base64
import importlib
import io

#: the style sheet of every report page
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1em; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: right; vertical-align: top; }
.facts td { text-align: left; }
th:first-child, td:first-child { text-align: left; }
.ci { color: #777; font-size: 0.85em; }
.plots img { max-width: 100%; box-sizing: border-box; border: 1px solid #eee; margin: 0.5em 0; }
.note { color: #555; }
.scroll { overflow-x: auto; max-width: 100%; margin: 0.5em 0; }
"""


def scrolling(table_html: str) -> str:
    """A table in its own horizontally scrolling box: a wide table never widens the page."""
    return f'<div class="scroll">{table_html}</div>'


#: marks the page once every image has loaded (or failed), so headless checks can read it
SCRIPT = """
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute("data-images", ok + "/" + imgs.length);
});
"""


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend, or None without matplotlib (the
    report then has its tables only)."""
    try:  # matplotlib is optional (the report extra), and 0.3 s to import: only for plots
        import matplotlib

        matplotlib.use("Agg")
        return importlib.import_module("matplotlib.pyplot")
    except ImportError:
        return None


def png(fig) -> str:
    """``fig`` as a PNG data URI (the figure is closed)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    pyplot().close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
