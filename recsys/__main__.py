"""``python -m recsys`` runs the command line."""

import sys

from recsys.cli.main import main

sys.exit(main())
