"""The terminal report (rich): a header, a section per analysis, and the fail-on verdict.

Plain text by default (files, pipes, tests); the CLI asks for colour when standard output is a
terminal. Every text from the estate goes in as :class:`rich.text.Text`, never as markup, so a
name such as ``[bold]`` is printed as written.
"""

from __future__ import annotations

import io
from typing import ClassVar

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from stackrift.findings import Finding
from stackrift.report._view import (
    SEVERITIES_DESC,
    SEVERITY_COLOURS,
    BarChartView,
    ChartView,
    HeatmapView,
    TableView,
    format_cell,
    format_number,
    read_summary,
    section_severity_counts,
    subject_text,
)
from stackrift.report.base import register
from stackrift.report.model import AnalysisSection, Report

BAR_WIDTH = 24
# A console is for a summary: long lists are cut (most severe findings first) with a line saying
# how much more there is; the json, md and html formats always carry everything.
MAX_FINDINGS = 100
MAX_ROWS = 40


def _more(hidden: int, what: str) -> Text:
    return Text(f"… and {hidden} more {what} (all of them are in --format json, md or html)",
                style="dim")


def _severity(value: str) -> Text:
    return Text(value.upper(), style=f"bold {SEVERITY_COLOURS[value]}")


def _counts_line(counts: dict[str, int]) -> Text:
    line = Text()
    for i, severity in enumerate(s.value for s in SEVERITIES_DESC):
        if i:
            line.append("  ")
        style = f"bold {SEVERITY_COLOURS[severity]}" if counts[severity] else "dim"
        line.append(f"{counts[severity]} {severity}", style=style)
    return line


def _with_note(table: Table, rows: int) -> RenderableType:
    if rows <= MAX_ROWS:
        return table
    return Group(table, _more(rows - MAX_ROWS, "rows"))


def _header(report: Report) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    estate = report.estate
    grid.add_row("Estate", Text(f"{estate.organisation} ({estate.path})"))
    grid.add_row("Contents", Text(", ".join(f"{n} {k.replace('_', ' ')}"
                                            for k, n in estate.counts.items())))
    grid.add_row("As of", Text(report.as_of.isoformat()))
    grid.add_row("Catalogue", Text(report.catalogue_version))
    if report.knowledge is not None:
        grid.add_row("Knowledge", Text(str(report.knowledge)))
    grid.add_row("Findings", _counts_line(report.severity_counts()))
    return Panel(grid, title=f"StackRift {report.tool_version} assessment", title_align="left")


def _sources(finding: Finding) -> list[str]:
    """Short source names, each once; the full citations are in the other formats."""
    names: list[str] = []
    for citation in finding.citations:
        name = citation.source + (" (unverified)" if citation.confidence == "unverified" else "")
        if name not in names:
            names.append(name)
    return names


def _findings_table(findings: tuple[Finding, ...], report: Report) -> Table:
    table = Table(show_lines=False, expand=True, title_justify="left")
    table.add_column("Severity", no_wrap=True)
    table.add_column("Finding", ratio=3)
    table.add_column("Subject", ratio=2)
    table.add_column("Sources", ratio=2)
    table.add_column("Where", no_wrap=True)
    for finding in findings:
        location = report.locations.get(finding.id)
        where = f"line {location.line}" if location and location.line else ""
        sources = "; ".join(_sources(finding))
        table.add_row(_severity(finding.severity.value), Text(finding.title),
                      Text(subject_text(finding)), Text(sources), Text(where))
    return table


def _summary_table(view: TableView) -> RenderableType:
    table = Table(title=Text(view.title), title_justify="left", title_style="bold")
    for column in view.columns:
        table.add_column(Text(column))
    for row in view.rows[:MAX_ROWS]:
        table.add_row(*(Text(format_cell(c)) for c in row))
    return _with_note(table, len(view.rows))


def _bar_table(chart: BarChartView) -> RenderableType:
    table = Table(title=Text(chart.title), title_justify="left", title_style="bold")
    table.add_column("")
    for series in chart.series:
        table.add_column(Text(series.name or "value"), justify="right")
    table.add_column("", no_wrap=True)
    scale = chart.maximum() or 1.0
    for i, label in enumerate(chart.labels[:MAX_ROWS]):
        values = [s.values[i] for s in chart.series]
        total = sum(v or 0.0 for v in values) if chart.stacked else max(
            [0.0, *(v for v in values if v is not None)])
        bar = "█" * round(BAR_WIDTH * total / scale)
        table.add_row(Text(label), *(Text("?" if v is None else format_number(v)) for v in values),
                      Text(bar, style="cyan"))
    return _with_note(table, len(chart.labels))


def _heatmap_table(chart: HeatmapView) -> RenderableType:
    table = Table(title=Text(chart.title), title_justify="left", title_style="bold")
    table.add_column("")
    for label in chart.x_labels:
        table.add_column(Text(label), justify="right")
    for r, label in enumerate(chart.y_labels[:MAX_ROWS]):
        table.add_row(Text(label), *(Text(chart.text(r, c) or "–")
                                     for c in range(len(chart.x_labels))))
    return _with_note(table, len(chart.y_labels))


def _chart(chart: ChartView) -> RenderableType:
    return _bar_table(chart) if isinstance(chart, BarChartView) else _heatmap_table(chart)


def _section(section: AnalysisSection, report: Report) -> list[RenderableType]:
    view = read_summary(section.summary)
    parts: list[RenderableType] = [
        Rule(Text(section.title, style="bold"), align="left"),
        _counts_line(section_severity_counts(section)),
    ]
    if section.findings:
        parts.append(_findings_table(section.findings[:MAX_FINDINGS], report))
        if len(section.findings) > MAX_FINDINGS:
            parts.append(_more(len(section.findings) - MAX_FINDINGS, "findings of lower or "
                               "equal severity"))
    else:
        parts.append(Text("No findings.", style="dim"))
    parts.extend(_summary_table(t) for t in view.tables)
    parts.extend(_chart(c) for c in view.charts)
    parts.extend(Text(f"! {p}", style="yellow") for p in view.problems)
    return parts


def _verdict(report: Report) -> Text:
    failing = len(report.failing())
    threshold = report.fail_on.value
    if failing:
        return Text(f"{failing} finding{'s' if failing != 1 else ''} at or above '{threshold}' "
                    f"(--fail-on): exit code 1.", style="bold red")
    return Text(f"No finding at or above '{threshold}' (--fail-on): exit code 0.",
                style="bold green")


@register
class TerminalRenderer:
    """``--format terminal``: a readable summary for a console."""

    format: ClassVar[str] = "terminal"
    extension: ClassVar[str] = "txt"

    def __init__(self, *, color: bool = False, width: int = 120) -> None:
        self.color = color
        self.width = width

    def render(self, report: Report) -> str:
        buffer = io.StringIO()
        console = Console(file=buffer, width=self.width, force_terminal=self.color,
                          color_system="standard" if self.color else None,
                          no_color=not self.color, highlight=False, emoji=False, markup=False,
                          soft_wrap=False)
        parts: list[RenderableType] = [_header(report)]
        for section in report.sections:
            parts.extend(_section(section, report))
        if not report.sections:
            parts.append(Text("No analysis ran.", style="dim"))
        parts.append(Padding(_verdict(report), (1, 0, 0, 0)))
        console.print(Group(*parts))
        return buffer.getvalue()
