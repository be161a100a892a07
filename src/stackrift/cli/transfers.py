"""``stackrift transfers``: what the command does, and its arguments read without typer when plain.

As for ``scan`` (:mod:`stackrift.cli.scanning`), building the command line (typer, and the pydantic
adapters it makes for every option) costs a tenth of the whole command on a 2,000-flow estate.
Its arguments are usually plain: one estate file and a few options with valid values.
:func:`plain_arguments` reads exactly those, and :func:`stackrift.cli.entry.main` then runs the
command without typer; anything else (help, an unknown, repeated or attached short option, a
value typer would convert or refuse) gives ``None`` and goes through typer as before, so every
message about the command line stays typer's. The typer command (:mod:`stackrift.cli.rules`)
runs the same :func:`run_transfers_command`. ``tests/cli/test_transfers_direct.py`` compares both
readings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from stackrift.choices import TableFormat
from stackrift.cli.output import json_bytes, out, write_report
from stackrift.cli.values import parse_as_of, plain_tokens


@dataclass(frozen=True)
class TransfersArguments:
    """The values of ``transfers``'s arguments, as the command receives them."""

    estate: Path
    as_of: str | None = None
    output_format: TableFormat = TableFormat.TERMINAL
    output: Path | None = None
    rules: tuple[Path, ...] = ()


# option -> field, for the options that take one value (--rules may be repeated)
_VALUED = {"--as-of": "as_of", "-f": "output_format", "--format": "output_format",
           "-o": "output", "--output": "output", "--rules": "rules"}
_ENVIRONMENT = {"as_of": "STACKRIFT_AS_OF"}
_FORMATS = {f.value: f for f in TableFormat}


def plain_arguments(args: Sequence[str], environ: Mapping[str, str]
                    ) -> TransfersArguments | None:
    """The arguments after ``transfers`` when they are plain (see the module's docstring), else
    ``None``: typer is to read them."""
    read = plain_tokens(args, _VALUED, "rules", _ENVIRONMENT, environ)
    if read is None:
        return None
    return _converted(read.values, read.positional, tuple(Path(v) for v in read.repeated))


def _converted(values: dict[str, str], estate: str | None,
               rules: tuple[Path, ...]) -> TransfersArguments | None:
    """The typed values, or ``None`` when the estate is missing, a value is empty or the format
    is not spelt as typer would give it."""
    if estate is None or not all(values.values()):
        return None
    output_format = _FORMATS.get(values.get("output_format", TableFormat.TERMINAL.value))
    if output_format is None:
        return None
    output = values.get("output")
    return TransfersArguments(estate=Path(estate), as_of=values.get("as_of"),
                              output_format=output_format,
                              output=Path(output) if output else None, rules=rules)


def run_transfers_command(arguments: TransfersArguments) -> int:
    """Run ``transfers``: every flow's verdict, written in the chosen format. Its exit code."""
    from stackrift.gcpause import paused_gc

    a = arguments
    # the modules' objects, then the estate, rule set, facts and verdicts all live until the
    # report is written: collector passes over them would find nothing to free
    with paused_gc():
        from stackrift.estate.implied import with_implied_flows
        from stackrift.estate.loader import load_estate
        from stackrift.rules.engine import load_rule_set
        from stackrift.rules.views import evaluate_all, transfers_json

        loaded = load_estate(a.estate, locate_now=False)  # verdicts name no line
        result = evaluate_all(with_implied_flows(loaded.estate), parse_as_of(a.as_of),
                              load_rule_set(a.rules))
        if a.output_format is TableFormat.JSON:
            # bytes: megabytes of JSON are written without being decoded and encoded again
            write_report(json_bytes(transfers_json(result, str(a.estate))), a.output)
            return 0
    from stackrift.rules.terminal import transfers_renderables  # rich: for text output only

    if a.output_format is TableFormat.MD:
        from stackrift.textout import markdown

        write_report(markdown(transfers_renderables(result, str(a.estate))), a.output)
        return 0
    from stackrift.textsafe import SafeConsole

    # at a terminal, lines wrap to its width; to a file or pipe they are written whole
    console = SafeConsole(soft_wrap=not (out().is_terminal and a.output is None),
                          record=a.output is not None)
    for renderable in transfers_renderables(result, str(a.estate)):
        console.print(renderable)
    if a.output is not None:
        write_report(console.export_text(), a.output)
    return 0
