"""The ``compliance`` group: obligations per system across regimes and the smallest control set."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stackrift.choices import ComplianceFormat, TableFormat
from stackrift.cli.options import AsOf, EstateFile, OutputPath, command_group
from stackrift.cli.output import note, write_json, write_tables

if TYPE_CHECKING:
    from rich.table import Table as RichTable

    from stackrift.compliance.views import ComplianceOutcome
    from stackrift.summaries import Table

app = command_group(no_args_is_help=True, help="Certification obligations per system across "
                    "regimes, and the smallest control set that meets them.")

# SP 800-53 Rev 5 OSCAL catalogue, used when present and no --oscal is given
DEFAULT_OSCAL = Path("../shared/data/oscal/sp800-53-rev5")

FrameworkDirs = Annotated[list[Path] | None, typer.Option(
    "--frameworks", help="Extra framework/crosswalk folder (repeatable).")]
OscalDir = Annotated[Path | None, typer.Option(
    "--oscal", help="Folder of OSCAL catalogues (SP 800-53 Rev 5) for control titles; default "
    f"{DEFAULT_OSCAL} when present.")]
FormatOption = Annotated[ComplianceFormat, typer.Option(
    "--format", "-f", case_sensitive=False, help="Output: terminal (text), json, md, oscal "
    "(OSCAL JSON: assessment results; for plan, a plan of action and milestones) or xlsx "
    "(a workbook, one row per system and requirement).")]
ControlsFile = Annotated[Path | None, typer.Option(
    "--controls", help="Controls file (controls.yaml) or OSCAL component definition (JSON): "
    "implemented controls and evidence.")]


def oscal_folder(given: Path | None) -> Path | None:
    """``--oscal``, else the shared SP 800-53 folder when it exists (else titles are not read
    and the run says so)."""
    if given is not None:
        return given
    return DEFAULT_OSCAL if DEFAULT_OSCAL.is_dir() else None


def _run(estate: Path, as_of: str | None, frameworks: list[Path] | None, oscal: Path | None,
         controls: Path | None, *, with_plan: bool, with_status: bool = True
         ) -> ComplianceOutcome:
    from stackrift.cli.options import parse_as_of
    from stackrift.compliance.views import run_compliance
    from stackrift.estate.loader import load_estate

    outcome = run_compliance(load_estate(estate, locate_now=False).estate, parse_as_of(as_of),
                             frameworks=tuple(frameworks or ()), controls=controls,
                             oscal_dir=oscal_folder(oscal), with_plan=with_plan,
                             with_status=with_status)
    for caveat in outcome.caveats:
        note(f"caveat: {caveat}")
    return outcome


def _write_bytes(data: bytes, path: Path | None) -> None:
    """A binary document to ``path`` atomically, or to standard output when it is no terminal."""
    import sys

    from stackrift.cli.output import write_atomic
    from stackrift.errors import UsageError

    if path is None:
        if sys.stdout.isatty():
            raise UsageError("an XLSX workbook is binary; expected -o FILE or a pipe")
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        return
    write_atomic(path, data)
    note(f"wrote {path}")


def _export(fmt: ComplianceFormat, output: Path | None, outcome: ComplianceOutcome,
            estate: Path, as_of: str | None, *, plan: bool) -> bool:
    """Write the OSCAL or XLSX form of ``outcome``; False for the table formats."""
    from stackrift.cli.options import parse_as_of

    day = parse_as_of(as_of)
    if fmt is ComplianceFormat.OSCAL:
        from stackrift.compliance.oscal_export import assessment_results, plan_of_action

        document = plan_of_action if plan else assessment_results
        write_json(document(outcome, estate_name=estate.name, as_of=day), output)
        return True
    if fmt is ComplianceFormat.XLSX:
        from stackrift.compliance.xlsx_export import workbook

        _write_bytes(workbook(outcome, estate_name=estate.name, as_of=day), output)
        return True
    return False


def _rich(table: Table) -> RichTable:
    from rich.table import Table as RichTable

    from stackrift.textsafe import markup

    shown = RichTable(title=markup(table.title))
    for i, column in enumerate(table.columns):
        shown.add_column(column, no_wrap=i < 2)  # system and id columns are never cut
    for row in table.rows:
        shown.add_row(*(markup("" if cell is None else str(cell)) for cell in row))
    return shown


def _write(fmt: ComplianceFormat, output: Path | None, tables: list[Table],
           data: dict[str, Any]) -> None:
    write_tables(TableFormat(fmt.value), output,
                 data=lambda: {**data, "tables": [t.to_json() for t in tables]},
                 renderables=lambda: [_rich(t) for t in tables])


@app.command("obligations")
def obligations(
    estate: EstateFile,
    as_of: AsOf = None,
    output_format: FormatOption = ComplianceFormat.TERMINAL,
    output: OutputPath = None,
    frameworks: FrameworkDirs = None,
    oscal: OscalDir = None,
    controls: ControlsFile = None,
) -> None:
    """Which obligations, filings and certifications apply to each system, where and from when.

    Requirements that depend on a fact the estate does not record are listed as undetermined
    with the missing fact. With --controls, how far declared controls meet each obligation.
    """
    from stackrift.compliance.views import (
        DISCLAIMER,
        applicable_rows_table,
        caveat_table,
        obligation_rows_table,
        obligation_table,
        reuse_table,
        status_table,
        undetermined_table,
    )

    # the workbook names the controls of the smallest set covering each obligation
    outcome = _run(estate, as_of, frameworks, oscal, controls,
                   with_plan=controls is not None and output_format is ComplianceFormat.XLSX)
    if _export(output_format, output, outcome, estate, as_of, plan=False):
        return
    tables = [obligation_table(outcome.verdicts)]
    if output_format is ComplianceFormat.JSON:
        tables.append(obligation_rows_table(outcome.verdicts))
    else:  # text: thousands of undetermined rows read better (and draw faster) grouped
        tables += [applicable_rows_table(outcome.verdicts), undetermined_table(outcome.verdicts)]
    if outcome.statuses is not None:
        tables += [status_table(outcome.statuses), reuse_table(outcome.statuses)]
    if outcome.caveats:
        tables.append(caveat_table(outcome.caveats))
    _write(output_format, output, tables,
           {"estate": str(estate), "disclaimer": DISCLAIMER, "caveats": list(outcome.caveats)})


@app.command("plan")
def plan(
    estate: EstateFile,
    controls: Annotated[Path, typer.Option(
        "--controls", help="Controls file (controls.yaml) or OSCAL component definition "
        "(JSON): the candidate controls and costs.")],
    as_of: AsOf = None,
    output_format: FormatOption = ComplianceFormat.TERMINAL,
    output: OutputPath = None,
    frameworks: FrameworkDirs = None,
    oscal: OscalDir = None,
) -> None:
    """The cheapest control set that meets every obligation at once, against one per framework.

    Obligations no control covers and those left undetermined by missing facts are listed.
    """
    from stackrift.compliance.views import DISCLAIMER, caveat_table, plan_tables

    outcome = _run(estate, as_of, frameworks, oscal, controls, with_plan=True,
                   with_status=output_format in (ComplianceFormat.OSCAL, ComplianceFormat.XLSX))
    if _export(output_format, output, outcome, estate, as_of, plan=True):
        return
    assert outcome.plan is not None  # with_plan and a controls file always give one
    comparison = outcome.plan
    tables = plan_tables(comparison)
    if outcome.caveats:
        tables.append(caveat_table(outcome.caveats))
    _write(output_format, output, tables, {
        "estate": str(estate), "disclaimer": DISCLAIMER, "caveats": list(outcome.caveats),
        "joint_cost": comparison.joint.cost, "separate_cost": comparison.separate_cost,
        "saving": comparison.saving, "all_optimal": comparison.all_optimal})
