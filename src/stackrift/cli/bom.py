"""``bom`` and ``scan``: bills of materials read and written, and matched against advisories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from stackrift.choices import BomFormat, ScanFormat
from stackrift.cli.entry import EXIT_FINDINGS
from stackrift.cli.gate import FailOn, UnknownAs
from stackrift.cli.options import (
    AsOf,
    DbOption,
    InputFormat,
    OutputPath,
    VexFiles,
    check_gate,
    command_group,
    parse_as_of,
)
from stackrift.cli.output import note, write_report, write_report_pieces
from stackrift.findings import Severity, fails_gate

if TYPE_CHECKING:
    from stackrift.advisories.scan import ScanResult, StoreInfo
    from stackrift.bom.artefacts import ArtefactFinding
    from stackrift.bom.base import BomDocument

app = command_group()

Target = Annotated[Path | None, typer.Argument(
    help="SBOM/AI-BOM, lock file, requirements file, model folder or site-packages.")]
FromEnvironment = Annotated[bool, typer.Option(
    "--env", help="Read the running Python environment instead of a TARGET.")]


@app.command()
def bom(
    target: Target = None,
    output_format: Annotated[BomFormat, typer.Option(
        "--format", "-f", case_sensitive=False, help="SBOM format to write.")]
    = BomFormat.CYCLONEDX_JSON,
    spec_version: Annotated[str, typer.Option(
        "--spec-version", help="CycloneDX version to write (1.5, 1.6, 1.7).")] = "1.6",
    output: OutputPath = None,
    env: FromEnvironment = False,
    input_format: InputFormat = None,
    catalog: Annotated[Path | None, typer.Option(
        "--catalog", envvar="STACKRIFT_CATALOG",
        help="Catalogue folder (default: the packaged one).")] = None,
    as_of: AsOf = None,
    fail_on: FailOn = Severity.HIGH,
) -> None:
    """Read any SBOM, lock file or model folder; write CycloneDX or SPDX 3 with provenance."""
    from stackrift.bom.export import export, summary
    from stackrift.bom.targets import load_target
    from stackrift.catalog.catalogue import load_catalogue

    document = load_target(target, env=env, input_format=input_format)
    result = export(document, output_format, load_catalogue(catalog),
                    spec_version=spec_version, as_of=parse_as_of(as_of))
    write_report(result.text, output)
    unsafe = _print_artefacts(result.artefacts, fail_on)
    note(summary(result))
    if unsafe:
        raise typer.Exit(EXIT_FINDINGS)


def _print_artefacts(findings: Sequence[ArtefactFinding], fail_on: Severity) -> bool:
    """Print model-artefact findings to stderr; whether any reaches ``fail_on``."""
    for finding in findings:
        note(f"{finding.severity.value.upper()}: {finding.path}: {finding.message}")
    return any(f.severity.at_least(fail_on) for f in findings)


@app.command()
def scan(
    target: Annotated[Path | None, typer.Argument(help="CycloneDX or SPDX SBOM, requirements.txt, "
                                                  "pylock.toml, poetry.lock, uv.lock, "
                                                  "Pipfile.lock.")] = None,
    env: Annotated[bool, typer.Option("--env", help="Scan the running Python environment "
                                      "instead of a TARGET.")] = False,
    db: DbOption = None,
    output_format: Annotated[ScanFormat, typer.Option(
        "--format", "-f", case_sensitive=False,
        help="Output: terminal (a table; 'table' is its older name), json, sarif or "
        "cyclonedx-vex.")] = ScanFormat.TERMINAL,
    output: OutputPath = None,
    fail_on: FailOn = Severity.HIGH,
    unknown_as: UnknownAs = Severity.HIGH,
    vex: VexFiles = None,
    waivers: Annotated[Path | None, typer.Option("--waivers", help="Waivers YAML: id, reason, "
                                                 "optional purl and expires.")] = None,
    input_format: InputFormat = None,
    as_of: AsOf = None,
) -> None:
    """Match an SBOM's or lock file's components against the advisory store."""
    from stackrift.gcpause import paused_gc

    check_gate(fail_on, unknown_as)
    day = parse_as_of(as_of)
    # the modules' objects, then tens of thousands of components, records, matches and their
    # JSON stay alive until the report is written: collector passes over them would cost more
    # than the scan itself
    with paused_gc():
        from stackrift.analyses.vulnerabilities import run_scan
        from stackrift.bom.targets import load_target
        from stackrift.catalog.catalogue import load_catalogue

        document = load_target(target, env=env, input_format=input_format)
        catalogue = load_catalogue()
        result = run_scan(document, db=db, catalogue=catalogue, vex=vex or (), waivers=waivers,
                          as_of=day)
        table = output_format in (ScanFormat.TERMINAL, ScanFormat.TABLE)
        # the table prints the caveats itself; other formats carry them in the document
        _store_notices(result.store, caveats=not table or output is not None)
        if table:
            _write_table(result, output, unknown_as)
        elif output_format is ScanFormat.JSON:
            from stackrift.advisories.scan import scan_json_pieces

            write_report_pieces(scan_json_pieces(result), output)
        else:
            write_report(_scan_document(result, document, output_format, day, catalogue.version,
                                        fail_on, unknown_as), output)
    # A model file or folder scanned for advisories must not hide an unsafe pickle in it.
    unsafe = _print_artefacts(document.metadata.get("artefact_findings") or (), fail_on)
    # a component that could not be assessed counts as an unknown severity, never as clean
    severities = [m.severity for m in result.matches] + [Severity.UNKNOWN] * len(
        result.not_assessed)
    if unsafe or any(fails_gate(s, fail_on, unknown_as) for s in severities):
        raise typer.Exit(EXIT_FINDINGS)


def _scan_document(result: ScanResult, document: BomDocument, output_format: ScanFormat,
                   day: date, knowledge: str, fail_on: Severity, unknown_as: Severity) -> str:
    """The scan as CycloneDX VEX or SARIF (JSON is written in pieces: scan_json_pieces)."""
    if output_format is ScanFormat.CYCLONEDX_VEX:
        from stackrift.report.cyclonedx_vex import render

        return render(result, day)
    from stackrift.analyses.vulnerabilities import scan_report
    from stackrift.report.base import renderer

    report = scan_report(result, document, day, knowledge, fail_on, unknown_as)
    return renderer("sarif").render(report)


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


def _store_notices(info: StoreInfo, *, caveats: bool) -> None:
    """Say on standard error when no store existed and which one the starter pack filled."""
    if info.created:
        note(f"no advisory store existed: created {info.path} with the packaged starter pack "
             "only", style="bold yellow")
    if info.note:
        note(info.note, style="bold yellow")
    for caveat in info.caveats if caveats else ():
        note(f"caveat: {caveat}", style="yellow")
