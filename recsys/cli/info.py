"""``recsys info model.npz``: what a saved model holds."""

from __future__ import annotations

import json

from recsys.cli.common import command
from recsys.models.files import read_manifest


def configure(parser) -> None:
    parser.add_argument("model", help="a model file written by model.save / recsys fit")
    parser.add_argument("--json", action="store_true", help="print the manifest as JSON")


@command("info", configure)
def run(args) -> int:

    manifest = read_manifest(args.model)
    if args.json:
        print(json.dumps(manifest, indent=2, default=str))
        return 0
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

