"""mkdocs hook: the pages made from the code at build time, so they cannot drift from it.

- ``cli-reference.md``: every ``recsys`` command's options, from the argparse definitions;
- ``reference/*.md``: the API reference, one page per public module (mkdocstrings renders
  the docstrings);
- ``benchmarks.md``: ``benchmarks/README.md``, its links made to work on the site;
- ``examples.md``: every script of ``examples/``, its docstring and its code.

Links from the guide to ``../benchmarks/README.md`` and ``../examples/NAME.py`` are rewritten
to those pages.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]

#: the API reference: page name -> (title, the modules it documents)
REFERENCE = {
    "recsys": ("recsys", ["recsys.exceptions"]),
    "data": ("Data", ["recsys.data.interactions", "recsys.data.idmap", "recsys.data.features",
                      "recsys.data.datasets", "recsys.data.funnel"]),
    "models": ("Models", ["recsys.models.base", "recsys.models.popular",
                          "recsys.models.neighbors", "recsys.models.ease",
                          "recsys.models.slist", "recsys.models.graph",
                          "recsys.models.factorization", "recsys.models.rules",
                          "recsys.models.sequential", "recsys.models.repeat",
                          "recsys.models.next_basket", "recsys.models.content",
                          "recsys.models.hybrid", "recsys.models.files"]),
    "ranking": ("Ranking", ["recsys.ranking"]),
    "evaluation": ("Evaluation", ["recsys.evaluation.evaluator", "recsys.evaluation.split",
                                  "recsys.evaluation.metrics"]),
    "tuning": ("Tuning", ["recsys.tuning"]),
    "rules": ("Association rules", ["recsys.rules"]),
    "campaign": ("Campaigns", ["recsys.campaign", "recsys.campaign.triggers",
                               "recsys.campaign.segments", "recsys.campaign.reasons"]),
    "experiment": ("Experiments", ["recsys.experiment"]),
    "customers": ("Customer value", ["recsys.customers"]),
    "privacy": ("Privacy", ["recsys.privacy"]),
    "io": ("Files and databases", ["recsys.io.tables", "recsys.io.database"]),
    "testing": ("Testing a model", ["recsys.testing"]),
}


def on_files(files, config):
    """Add the generated pages to the site."""
    pages = {"cli-reference.md": _cli_reference(), "benchmarks.md": _benchmarks(),
             "examples.md": _examples()}
    for name, (title, modules) in REFERENCE.items():
        pages[f"reference/{name}.md"] = f"# {title}\n\n" + "\n".join(
            f"::: {module}\n" for module in modules)
    for path, text in pages.items():
        files.append(File.generated(config, path, content=text))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Links out of docs/ made into links to the generated pages."""
    depth = page.file.src_uri.count("/")
    up = "../" * depth
    markdown = markdown.replace("](../benchmarks/README.md", f"]({up}benchmarks.md")
    return re.sub(r"\]\(\.\./examples/([a-z_]+)\.py\)",
                  lambda found: f"]({up}examples.md#{found.group(1).replace('_', '-')})",
                  markdown)


def _cli_reference() -> str:
    from recsys.cli.main import COMMANDS, build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001
    out = ["# Command line reference", "",
           "Every command and option, generated from the command line's own definitions.", ""]
    for name, (_, summary) in COMMANDS.items():
        out += [f"## recsys {name}", "", summary, "", "| option | what |", "| --- | --- |"]
        for action in commands[name]._actions:  # noqa: SLF001
            if not action.option_strings or action.dest == "help":
                continue
            flags = ", ".join(f"`{flag}`" for flag in action.option_strings)
            choices = f" (one of: {', '.join(map(str, action.choices))})" if action.choices \
                else ""
            text = (action.help or "").replace("%%", "%").replace("|", "\\|")
            out.append(f"| {flags} | {text}{choices} |")
        out.append("")
    return "\n".join(out)


def _benchmarks() -> str:
    text = (ROOT / "benchmarks" / "README.md").read_text()
    return re.sub(r"\]\((?!http)([^)#]+)(#[^)]*)?\)",
                  lambda m: f"]({_repo_link(m.group(1), m.group(2) or '')})", text)


def _repo_link(target: str, anchor: str) -> str:
    """A link of the benchmarks README as the site can follow it: to the guide's pages, or
    (files of the repository) to this page's top."""
    if target.startswith("../docs/"):
        return target.removeprefix("../docs/") + anchor
    return "#benchmarks"


def _examples() -> str:
    out = ["# Examples", "",
           "Every script of `examples/`, run by CI: `python examples/NAME.py`.", ""]
    for script in sorted((ROOT / "examples").glob("*.py")):
        code = script.read_text()
        doc = ast.get_docstring(ast.parse(code)) or ""
        out += [f"## {script.stem.replace('_', '-')}", "", doc, "",
                f"```python title=\"examples/{script.name}\"", code.rstrip(), "```", ""]
    return "\n".join(out)
