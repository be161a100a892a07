"""Command-line interface. Thin: parses arguments, calls the library, maps errors to exit codes.

One module per command group, listed in :data:`stackrift.cli.app.COMMANDS` and imported only
when used; shared options in :mod:`stackrift.cli.options`; one output writer in
:mod:`stackrift.cli.output`; :func:`stackrift.cli.entry.main` alone exits. Exit codes: 0 nothing
at or above --fail-on; 1 findings at or above it; 2 bad input or usage; 3 internal error.
"""

from stackrift.cli.entry import EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, main

__all__ = ["EXIT_FINDINGS", "EXIT_INPUT", "EXIT_INTERNAL", "EXIT_OK", "main"]
