"""``main()``: runs the command line and is the only place that exits.

It maps the library's errors to the documented exit codes:

====  =====================================================================
0     nothing at or above ``--fail-on``
1     findings at or above it (or: no plan exists, knowledge sets differ…)
2     bad input or usage
3     internal error
====  =====================================================================

Tracebacks appear only with ``-v`` (or ``STACKRIFT_DEBUG=1``). Loads nothing but the standard
library until it knows a command is to run: ``stackrift --version`` answers at once.
"""

from __future__ import annotations

import atexit
import errno
import gc
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import NoReturn, TextIO, TypeVar, cast

from stackrift import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _fail(code: int, lines: list[str]) -> NoReturn:
    from stackrift.cli.output import note

    for line in lines:
        note(line)
    raise SystemExit(code)


def _usage_error(exc: Exception) -> NoReturn:
    """Unknown option, bad value, missing argument: the message, escaped, and exit 2."""
    show = getattr(exc, "show", None)
    if callable(show):  # the message quotes the arguments given: shown escaped
        import io

        shown = io.StringIO()
        show(file=shown)
        _fail(EXIT_INPUT, [shown.getvalue().rstrip("\n")])
    _fail(EXIT_INPUT, [str(exc)])


def print_version() -> None:
    sys.stdout.write(f"stackrift {__version__}\n")


def _report_error(exc: Exception, verbose: bool) -> NoReturn:
    """Map an error to its exit code and user-facing lines (the traceback only with ``-v``)."""
    import traceback

    from stackrift.errors import InputError, StackRiftError

    if verbose:
        traceback.print_exc()
    if isinstance(exc, InputError):
        _fail(EXIT_INPUT, exc.diagnostics())
    if isinstance(exc, StackRiftError):
        _fail(EXIT_INTERNAL, exc.diagnostics())
    _fail(EXIT_INTERNAL, [f"internal error: {type(exc).__name__}: {exc}",
                          "run again with -v for the traceback and report it"])


_Arguments = TypeVar("_Arguments")


def _run_if_plain(args: list[str], verbose: bool,
                  read: Callable[[Sequence[str], Mapping[str, str]], _Arguments | None],
                  run: Callable[[_Arguments], int]) -> None:
    """Run a command whose arguments ``read`` finds plain (``scan``: :mod:`stackrift.cli.scanning`,
    ``transfers``: :mod:`stackrift.cli.transfers`), ending the process as the typer path would.
    Returns only without running it: typer is to read the arguments."""
    arguments = read(args, os.environ)
    if arguments is not None:
        _run_without_typer(lambda: run(arguments), verbose)


def _run_without_typer(command: Callable[[], int], verbose: bool) -> NoReturn:
    """Run a command whose arguments were read without typer, ending the process as the typer
    path would: the same exit codes and messages, ``aborted`` on end of input, 130 on an
    interrupt, 1 on a closed output pipe."""
    from stackrift.knowledge.sets import select_knowledge

    select_knowledge(None)  # what the root command does without --knowledge
    try:
        code = command()
    except EOFError:
        sys.stderr.write("\n")
        _fail(EXIT_INPUT, ["aborted"])
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            _report_error(exc, verbose)
        from typer._click.utils import PacifyFlushWrapper

        sys.stdout = cast(TextIO, PacifyFlushWrapper(sys.stdout))
        sys.stderr = cast(TextIO, PacifyFlushWrapper(sys.stderr))
        raise SystemExit(1) from None
    except Exception as exc:
        _report_error(exc, verbose)
    raise SystemExit(code)


def main(argv: list[str] | None = None) -> NoReturn:
    """Console-script entry point: the only place that exits."""
    if argv is None:  # the process ends with this command
        # Its last step would be a full collector pass over every object still alive (~0.4 s
        # after a 50,000-component scan) only to find the few cycles: they go with the process.
        atexit.register(gc.freeze)
    args = sys.argv[1:] if argv is None else argv
    verbose = "-v" in args or "--verbose" in args or bool(os.environ.get("STACKRIFT_DEBUG"))
    if [a for a in args if a not in ("-v", "--verbose")] == ["--version"]:
        print_version()  # answered before the command line (typer) is even loaded
        raise SystemExit(EXIT_OK)
    from stackrift.gcpause import paused_gc, raise_collection_threshold

    raise_collection_threshold()
    if args[:1] == ["scan"]:
        from stackrift.cli import scanning

        _run_if_plain(args[1:], verbose, scanning.plain_arguments, scanning.run_scan_command)
    elif args[:1] == ["transfers"]:
        from stackrift.cli import transfers

        _run_if_plain(args[1:], verbose, transfers.plain_arguments,
                      transfers.run_transfers_command)

    with paused_gc():  # thousands of long-lived objects: no collector pass needs to see them
        import typer

        from stackrift.cli.app import app

    try:
        code = app(args=args, prog_name="stackrift", standalone_mode=False)
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        _fail(EXIT_INPUT, ["aborted"])
    except typer.TyperException as exc:
        _usage_error(exc)
    except Exception as exc:
        _report_error(exc, verbose)
    raise SystemExit(code if isinstance(code, int) else EXIT_OK)
