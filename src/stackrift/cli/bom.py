"""``bom`` and ``scan``: bills of materials read and written, and matched against advisories."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
    command_group,
    parse_as_of,
)
from stackrift.cli.output import note, print_artefacts, write_report
from stackrift.findings import Severity

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
    unsafe = print_artefacts(result.artefacts, fail_on)
    note(summary(result))
    if unsafe:
        raise typer.Exit(EXIT_FINDINGS)


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
    from stackrift.cli.scanning import ScanArguments, run_scan_command

    code = run_scan_command(ScanArguments(target, env, db, output_format, output, fail_on,
                                          unknown_as, tuple(vex or ()), waivers, input_format,
                                          as_of))
    if code:
        raise typer.Exit(code)
