"""The ``recsys`` command line: :mod:`recsys.cli.main` builds the parser and runs a command,
:mod:`recsys.cli.common` holds what the commands share, each other module is one command (or
two close ones: ``serve`` holds ``fit`` and ``recommend``)."""
