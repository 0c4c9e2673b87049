"""``recsys info model.npz``: what a saved model holds."""

from __future__ import annotations

import json

from recsys.cli.common import command
from recsys.models.files import read_manifest


def configure(parser) -> None:
    parser.add_argument("model", help="a model file written by model.save / recsys fit")
    parser.add_argument("--json", action="store_true", help="print the manifest as JSON")
    parser.add_argument("--personal-data", action="store_true",
                        help="what personal data the file holds: customers, histories, "
                             "pseudonyms or not, the data window, erasures (never who)")


@command("info", configure)
def run(args) -> int:

    manifest = read_manifest(args.model)
    if args.json:
        print(json.dumps(manifest, indent=2, default=str))
        return 0
    if args.personal_data:
        return _personal_data(args.model, manifest)
    arrays = manifest.get("arrays", {})
    print(f"model:          {manifest['model']}")
    print(f"parameters:     {json.dumps(manifest.get('params', {}), default=str)}")
    print(f"users:          {arrays.get('users', [0])[0]:,}")
    print(f"items:          {arrays.get('items', [0])[0]:,}")
    print(f"recsys version: {manifest.get('recsys_version')}  (format {manifest.get('format')})")
    print(f"created:        {manifest.get('created')}")
    if manifest.get("fit_seconds") is not None:
        print(f"fit time:       {manifest['fit_seconds']:.2f} s")
    print(f"sha256:         {manifest.get('sha256')}")
    print(f"signed:         {'yes' if manifest.get('signature') else 'no'}")
    return 0


def _personal_data(path: str, manifest: dict) -> int:
    """The personal data a model file holds, in words (never an id)."""
    facts = manifest.get("personal_data")
    if not isinstance(facts, dict):
        print(f"{path}: written before recsys recorded personal data: it holds "
              f"{manifest.get('arrays', {}).get('users', [0])[0]:,} customer ids and their "
              f"histories; re-fit it to record the rest.")
        return 0
    window = facts.get("data_window")
    kept = facts.get("max_age_days")
    print(f"customers:      {facts.get('customers', 0):,} "
          f"({'pseudonyms: keyed hashes of their ids' if facts.get('pseudonymous') else 'their own ids'})")
    histories = "what each customer bought (seen items), kept for picks" \
        if facts.get("histories") else "none"
    print(f"histories:      {histories}")
    print(f"data window:    {' .. '.join(window) if window else 'unknown (no times)'}"
          f"{f' (retention: {kept:g} days)' if kept else ''}")
    erasures = facts.get("erasures") or []
    print(f"erasures:       {len(erasures)} recorded")
    return 0
