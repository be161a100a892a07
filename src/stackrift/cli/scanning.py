"""``stackrift scan``: what the command does, and its arguments read without typer when plain.

Building the command line (typer, and the pydantic adapters it makes for every option) costs more
CPU time than scanning a 1,000-component SBOM. A scan's arguments are usually plain: one file and
a few options with valid values. :func:`plain_arguments` reads exactly those, and
:func:`stackrift.cli.entry.main` then runs the command without typer; anything else (help, an
unknown, repeated or attached option, a value typer would convert or refuse, ``--env``) gives
``None`` and goes through typer as before, so every message about the command line stays typer's.
``tests/cli/test_scan_direct.py`` compares both readings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stackrift.choices import ScanFormat
from stackrift.cli.entry import EXIT_FINDINGS
from stackrift.cli.output import (
    note,
    note_sarif_limits,
    print_artefacts,
    write_report,
    write_report_pieces,
)
from stackrift.cli.values import check_gate, parse_as_of, plain_tokens
from stackrift.severities import Severity, fails_gate

if TYPE_CHECKING:
    from datetime import date

    from stackrift.advisories.matcher import Target
    from stackrift.advisories.scan import ScanResult, StoreInfo
    from stackrift.bom.base import BomDocument

@dataclass(frozen=True)
class ScanArguments:
    """The values of ``scan``'s arguments, as the command receives them."""

    target: Path | None = None
    env: bool = False
    db: str | None = None
    output_format: ScanFormat = ScanFormat.TERMINAL
    output: Path | None = None
    fail_on: Severity = Severity.HIGH
    unknown_as: Severity = Severity.HIGH
    vex: tuple[Path, ...] = ()
    waivers: Path | None = None
    input_format: str | None = None
    as_of: str | None = None


# option -> field, for the options that take one value (--vex may be repeated)
_VALUED = {"--db": "db", "-f": "output_format", "--format": "output_format", "-o": "output",
           "--output": "output", "--fail-on": "fail_on", "--unknown-severity-as": "unknown_as",
           "--vex": "vex", "--waivers": "waivers", "--input-format": "input_format",
           "--as-of": "as_of"}
_ENVIRONMENT = {"db": "STACKRIFT_DB", "as_of": "STACKRIFT_AS_OF"}
_FORMATS = {f.value: f for f in ScanFormat}
_SEVERITIES = {s.value: s for s in Severity}


def plain_arguments(args: Sequence[str], environ: Mapping[str, str]) -> ScanArguments | None:
    """The arguments after ``scan`` when they are plain (see the module's docstring), else
    ``None``: typer is to read them."""
    read = plain_tokens(args, _VALUED, "vex", _ENVIRONMENT, environ)
    if read is None:
        return None
    return _converted(read.values, read.positional, tuple(Path(v) for v in read.repeated))


def _converted(values: dict[str, str], target: str | None,
               vex: tuple[Path, ...]) -> ScanArguments | None:
    """The typed values, or ``None`` when a value is empty or a choice is not spelt as typer
    would give it."""
    if not all(values.values()):
        return None
    output_format = _FORMATS.get(values.get("output_format", ScanFormat.TERMINAL.value))
    fail_on = _SEVERITIES.get(values.get("fail_on", Severity.HIGH.value))
    unknown_as = _SEVERITIES.get(values.get("unknown_as", Severity.HIGH.value))
    if output_format is None or fail_on is None or unknown_as is None:
        return None
    output, waivers = values.get("output"), values.get("waivers")
    return ScanArguments(
        target=Path(target) if target is not None else None, db=values.get("db"),
        output_format=output_format, output=Path(output) if output else None, fail_on=fail_on,
        unknown_as=unknown_as, vex=vex, waivers=Path(waivers) if waivers else None,
        input_format=values.get("input_format"), as_of=values.get("as_of"))


def run_scan_command(arguments: ScanArguments) -> int:
    """Run ``scan``; its exit code (0, or 1 for findings at or above ``--fail-on``)."""
    from stackrift.gcpause import paused_gc

    a = arguments
    check_gate(a.fail_on, a.unknown_as)
    day = parse_as_of(a.as_of)
    # the modules' objects, then tens of thousands of components, records, matches and their
    # JSON stay alive until the report is written: collector passes over them would cost more
    # than the scan itself
    with paused_gc():
        from stackrift.advisories.scan import scan_store

        document, targets = _scan_input(a)
        if a.output_format is ScanFormat.SARIF:  # its report names the catalogue's version
            from stackrift.advisories.scan import catalogue_keys
            from stackrift.catalog.catalogue import load_catalogue

            catalogue = load_catalogue()
            keys, knowledge = catalogue_keys(catalogue), catalogue.version
        else:
            from stackrift.advisories.scan import active_catalogue_keys

            keys, knowledge = active_catalogue_keys(), ""
        result = scan_store(targets, db=a.db, keys=keys, vex=a.vex, waivers=a.waivers, as_of=day)
        table = a.output_format in (ScanFormat.TERMINAL, ScanFormat.TABLE)
        _store_notices(result.store)
        # the table prints the caveats itself; other formats carry them in the document
        if not table or a.output is not None:
            from stackrift.advisories.scan import caveats

            for caveat in caveats(result):
                note(f"caveat: {caveat}", style="yellow")
        if table:
            _write_table(result, a.output, a.unknown_as)
        elif a.output_format is ScanFormat.JSON:
            from stackrift.advisories.scan import scan_json_pieces

            write_report_pieces(scan_json_pieces(result), a.output)
        else:
            write_report_pieces(_scan_document(result, document, a.output_format, day,
                                               knowledge, a.fail_on, a.unknown_as), a.output)
    # A model file or folder scanned for advisories must not hide an unsafe pickle in it.
    unsafe = document is not None and print_artefacts(
        document.metadata.get("artefact_findings") or (), a.fail_on)
    # a component that could not be assessed counts as an unknown severity, never as clean
    # and so does an input listing no components: nothing looked at is not clean
    severities = [m.severity for m in result.matches] + [Severity.UNKNOWN] * (
        len(result.not_assessed) + (not result.targets))
    if not result.targets and fails_gate(Severity.UNKNOWN, a.fail_on, a.unknown_as):
        note("nothing was scanned: counted as a result of unknown severity for --fail-on "
             "(exit code 1; --unknown-severity-as info accepts an empty input)", style="yellow")
    if unsafe or any(fails_gate(s, a.fail_on, a.unknown_as) for s in severities):
        return EXIT_FINDINGS
    return 0


def _scan_input(a: ScanArguments) -> tuple[BomDocument | None, list[Target]]:
    """What ``scan`` matches: a CycloneDX JSON file's targets read directly (no document: the
    SARIF report alone needs one), else the document's components' targets."""
    if a.target is not None and not a.env and a.input_format is None and \
            a.output_format is not ScanFormat.SARIF:
        from stackrift.advisories.sbom_targets import cyclonedx_targets

        direct = cyclonedx_targets(a.target)
        if direct is not None:
            return None, direct
    from stackrift.advisories.scan import targets_from_document
    from stackrift.bom.targets import load_target

    document = load_target(a.target, env=a.env, input_format=a.input_format)
    return document, targets_from_document(document)


def _scan_document(result: ScanResult, document: BomDocument | None,
                   output_format: ScanFormat, day: date, knowledge: str, fail_on: Severity,
                   unknown_as: Severity) -> Iterable[bytes]:
    """The scan as CycloneDX VEX or SARIF, as UTF-8 text in pieces (SARIF's results are made
    and written a thousand at a time; JSON is written by scan_json_pieces)."""
    if output_format is ScanFormat.CYCLONEDX_VEX:
        from stackrift.report.cyclonedx_vex import render

        return (render(result, day).encode(),)
    assert document is not None  # read whole for SARIF (_scan_input)
    from stackrift.analyses.vulnerabilities import scan_report
    from stackrift.report.sarif import sarif_pieces

    report = scan_report(result, document, day, knowledge, fail_on, unknown_as)
    note_sarif_limits(report)
    return sarif_pieces(report)


def _write_table(result: ScanResult, output: Path | None, unknown_as: Severity) -> None:
    """The table at the terminal's width, or whole into ``output`` (at its natural width)."""
    import io

    from stackrift.advisories.scan import render_table
    from stackrift.textsafe import SafeConsole

    # advisory and SBOM text goes into the table: no markup is interpreted in it
    if output is None:
        render_table(result, SafeConsole(soft_wrap=True, markup=False, highlight=False),
                     unknown_as)
        return
    buffer = io.StringIO()
    render_table(result, SafeConsole(file=buffer, width=160, markup=False, highlight=False),
                 unknown_as)
    write_report(buffer.getvalue(), output)


def _store_notices(info: StoreInfo) -> None:
    """Say on standard error when no store existed and which one the starter pack filled."""
    if info.created:
        note(f"no advisory store existed: created {info.path} with the packaged starter pack "
             "only", style="bold yellow")
    if info.note:
        note(info.note, style="bold yellow")
