"""``assess``, ``demo`` and ``validate``: an estate checked, assessed and reported."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from stackrift.choices import ReportFormat, SummaryFormat
from stackrift.cli.entry import EXIT_FINDINGS
from stackrift.cli.gate import FailOn, UnknownAs
from stackrift.cli.options import (
    AsOf,
    DbOption,
    EstateFile,
    ExtraRules,
    OutputPath,
    ReportFormatOption,
    SummaryFormatOption,
    VexFiles,
    check_gate,
    command_group,
    parse_as_of,
)
from stackrift.cli.output import note, note_sarif_limits, out, write_report, write_summary
from stackrift.findings import Severity

if TYPE_CHECKING:
    from stackrift.report.base import Renderer
    from stackrift.report.model import Report

app = command_group()

ESTATE_PARTS = ("entities", "sites", "systems", "components", "data_flows")


@app.command()
def validate(
    estate: EstateFile,
    output_format: SummaryFormatOption = SummaryFormat.TERMINAL,
    output: OutputPath = None,
) -> None:
    """Check an estate file; print every problem as FILE:LINE:COL and exit 2 if there are any."""
    from stackrift.estate.loader import load_estate

    loaded = load_estate(estate)
    counts = {k: len(getattr(loaded.estate, k)) for k in ESTATE_PARTS}
    text = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items())
    write_summary(output_format, output, text=f"{estate}: valid estate ({text})",
                  data=lambda: {"file": str(estate), "valid": True, "counts": counts})


@app.command()
def assess(
    estate: EstateFile,
    as_of: AsOf = None,
    output_format: ReportFormatOption = ReportFormat.TERMINAL,
    output: OutputPath = None,
    fail_on: FailOn = Severity.HIGH,
    unknown_as: UnknownAs = Severity.HIGH,
    analysis: Annotated[list[str] | None, typer.Option(
        "--analysis", "-a", help="Run only these analyses (repeatable).")] = None,
    db: DbOption = None,
    rules: ExtraRules = None,
    vex: VexFiles = None,
    waivers: Annotated[Path | None, typer.Option(
        "--waivers", help="Waivers file: each needs a reason and may expire.")] = None,
    baseline: Annotated[Path | None, typer.Option(
        "--baseline", help="A previous JSON report: the summary says what changed.")] = None,
    frameworks: Annotated[list[Path] | None, typer.Option(
        "--frameworks", help="Extra compliance framework folder (repeatable).")] = None,
    controls: Annotated[Path | None, typer.Option(
        "--controls", help="Controls file: obligations met, partly met, missing; the control "
        "plan.")] = None,
    oscal: Annotated[Path | None, typer.Option(
        "--oscal", help="Folder of OSCAL catalogues (SP 800-53 Rev 5) for control titles.")] = None,
) -> None:
    """Run every analysis on an estate and render one report."""
    from stackrift.analyses.base import AnalysisContext
    from stackrift.analyses.compliance import ComplianceOptions
    from stackrift.analyses.vulnerabilities import VulnerabilityOptions
    from stackrift.catalog.catalogue import load_catalogue
    from stackrift.cli.compliance import oscal_folder
    from stackrift.estate.loader import load_estate
    from stackrift.gcpause import paused_gc
    from stackrift.pipeline import assess as run_assess

    check_gate(fail_on, unknown_as)
    # the estate, knowledge, findings and report all live until the report is written:
    # collector passes over them would find nothing to free
    with paused_gc():
        context = AnalysisContext.default(
            parse_as_of(as_of), catalogue=load_catalogue(), db=db,
            rules_dirs=tuple(rules or ()),
            options=[VulnerabilityOptions(vex=tuple(vex or ()), waivers=waivers),
                     ComplianceOptions(frameworks=tuple(frameworks or ()), controls=controls,
                                       oscal_dir=oscal_folder(oscal))],
        )
        report = run_assess(load_estate(estate), context,
                            only=frozenset(analysis) if analysis else None,
                            fail_on=fail_on, unknown_as=unknown_as)
        if baseline is not None:
            report = _with_baseline(report, baseline)
        write_report(_renderer(output_format, output).render(report), output)
    if output_format is ReportFormat.SARIF:
        note_sarif_limits(report)
    if report.failing():
        raise typer.Exit(EXIT_FINDINGS)


def _with_baseline(report: Report, baseline: Path) -> Report:
    from stackrift.report.executive import compare_with_baseline, load_baseline

    return dataclasses.replace(report, baseline=compare_with_baseline(
        report.findings, load_baseline(baseline), str(baseline)))


def _renderer(output_format: ReportFormat, output: Path | None) -> Renderer:
    from stackrift.report.base import renderer
    from stackrift.report.terminal import TerminalRenderer

    if output_format is ReportFormat.TERMINAL and output is None:
        # Colour and full width only for a person at a terminal; files and pipes get plain text.
        console = out()
        return TerminalRenderer(color=console.is_terminal and not console.no_color,
                                width=console.width if console.is_terminal else None)
    return renderer(output_format.value)


DEFAULT_DEMO_FORMATS = [ReportFormat.HTML, ReportFormat.JSON, ReportFormat.MD]


@app.command()
def demo(
    output_dir: Annotated[Path, typer.Option(
        "-o", "--output-dir", "--output", help="Folder for the reports.")] = Path("stackrift-demo"),
    output_format: Annotated[list[ReportFormat] | None, typer.Option(
        "--format", "-f", case_sensitive=False,
        help="Report format to write (repeatable); default html, json and md.")] = None,
    as_of: AsOf = None,
) -> None:
    """Assess the bundled demo estate and write its reports (HTML, JSON and Markdown by default).

    Each report is written as report.EXT into the -o folder.
    """
    from stackrift.demo import run_demo

    formats = tuple(f.value for f in output_format or DEFAULT_DEMO_FORMATS)
    written = run_demo(output_dir, parse_as_of(as_of), formats=formats)
    for path in written:
        note(f"wrote {path}")
    html = next((p for p in written if p.suffix == ".html"), None)
    if html is not None:
        note(f"open {html.resolve().as_uri()} in a browser to read the report")
