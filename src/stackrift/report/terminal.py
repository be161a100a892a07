"""The terminal report (rich): a header, a section per analysis, and the fail-on verdict.

Plain text by default (files, pipes, tests); the CLI asks for colour when standard output is a
terminal. Every text from the estate goes in as :class:`rich.text.Text`, never as markup, so a
name such as ``[bold]`` is printed as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from stackrift.findings import Finding, Severity
from stackrift.report._view import (
    SEVERITIES_DESC,
    BarChartView,
    ChartView,
    HeatmapView,
    TableView,
    format_cell,
    format_number,
    read_summary,
    section_severity_counts,
)
from stackrift.report.base import register
from stackrift.report.executive import top_risks
from stackrift.report.model import AnalysisSection, Report
from stackrift.textout import render_text

BAR_WIDTH = 24
# A console is for a summary: long lists are cut (most severe findings first) with a line saying
# how much more there is; the json, md and html formats always carry everything.
MAX_FINDINGS = 100
MAX_ROWS = 40
NARROW = 110  # below this many columns findings are listed as blocks instead of a table


def _more(hidden: int, what: str) -> Text:
    return Text(f"… and {hidden} more {what} (all of them are in --format json, md or html)",
                style="dim")


# Terminal colour names rather than the reports' hex colours: a 16-colour terminal keeps their
# meaning, and each severity is also written out in words.
SEVERITY_STYLES = {"critical": "bold white on red", "high": "bold red", "unknown": "bold magenta",
                   "medium": "yellow",
                   "low": "cyan", "info": "dim"}


def _severity(value: str) -> Text:
    return Text(value.upper(), style=SEVERITY_STYLES[value])


def _counts_line(counts: dict[str, int]) -> Text:
    line = Text()
    for i, severity in enumerate(s.value for s in SEVERITIES_DESC):
        if i:
            line.append("  ")
        style = SEVERITY_STYLES[severity] if counts[severity] else "dim"
        line.append(f"{counts[severity]} {severity}", style=style)
    return line


def _with_note(table: Table, rows: int, limit: int | None) -> RenderableType:
    if limit is None or rows <= limit:
        return table
    return Group(table, _more(rows - limit, "rows"))


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


def _subject_id(finding: Finding) -> str:
    return f"{finding.subject.kind.value} {finding.subject.id}"


def _findings_table(findings: tuple[Finding, ...], report: Report) -> Table:
    """One row per finding; the subject's kind and id never wrap, descriptive columns do."""
    table = Table(show_lines=False, expand=False, title_justify="left")
    table.add_column("Severity", no_wrap=True)
    table.add_column("Subject", no_wrap=True)
    table.add_column("Finding", ratio=3)
    table.add_column("Sources", ratio=2)
    table.add_column("Where", no_wrap=True)
    for finding in findings:
        location = report.locations.get(finding.id)
        where = f"line {location.line}" if location and location.line else ""
        table.add_row(_severity(finding.severity.value), Text(_subject_id(finding)),
                      Text(finding.title), Text("; ".join(_sources(finding))), Text(where))
    return table


def _findings_list(findings: tuple[Finding, ...], report: Report) -> RenderableType:
    """For narrow terminals: each finding as a short block, ids on a line of their own."""
    blocks: list[RenderableType] = []
    for finding in findings:
        location = report.locations.get(finding.id)
        head = Text.assemble(_severity(finding.severity.value), "  ", _subject_id(finding))
        if location and location.line:
            head.append(f"  (line {location.line})", style="dim")
        body = Text(finding.title)
        sources = "; ".join(_sources(finding))
        if sources:
            body.append(f"\nSources: {sources}", style="dim")
        blocks.append(Group(head, Padding(body, (0, 0, 0, 2))))
    return Group(*blocks)


def _summary_table(view: TableView, limit: int | None) -> RenderableType:
    """The first column holds the row's id or label, so it never wraps; the others may."""
    table = Table(title=Text(view.title), title_justify="left", title_style="bold")
    for index, column in enumerate(view.columns):
        table.add_column(Text(column), no_wrap=index == 0)
    for row in view.rows[:limit]:
        table.add_row(*(Text(format_cell(c)) for c in row))
    return _with_note(table, len(view.rows), limit)


def _bar_table(chart: BarChartView, limit: int | None) -> RenderableType:
    table = Table(title=Text(chart.title), title_justify="left", title_style="bold")
    table.add_column("", no_wrap=True)
    for series in chart.series:
        table.add_column(Text(series.name or "value"), justify="right")
    table.add_column("", no_wrap=True)
    scale = chart.maximum() or 1.0
    for i, label in enumerate(chart.labels[:limit]):
        values = [s.values[i] for s in chart.series]
        total = sum(v or 0.0 for v in values) if chart.stacked else max(
            [0.0, *(v for v in values if v is not None)])
        bar = "█" * round(BAR_WIDTH * total / scale)
        table.add_row(Text(label), *(Text("?" if v is None else format_number(v)) for v in values),
                      Text(bar, style="cyan"))
    return _with_note(table, len(chart.labels), limit)


def _heatmap_table(chart: HeatmapView, limit: int | None) -> RenderableType:
    table = Table(title=Text(chart.title), title_justify="left", title_style="bold")
    table.add_column("", no_wrap=True)
    for label in chart.x_labels:
        table.add_column(Text(label), justify="right")
    for r, label in enumerate(chart.y_labels[:limit]):
        table.add_row(Text(label), *(Text(chart.text(r, c) or "–")
                                     for c in range(len(chart.x_labels))))
    return _with_note(table, len(chart.y_labels), limit)


def _chart(chart: ChartView, limit: int | None) -> RenderableType:
    if isinstance(chart, BarChartView):
        return _bar_table(chart, limit)
    return _heatmap_table(chart, limit)


@dataclass(frozen=True)
class _Layout:
    """How much fits: a narrow terminal gets findings as blocks; a terminal gets cut lists."""

    narrow: bool
    max_findings: int | None
    max_rows: int | None


def _layout(width: int | None) -> _Layout:
    if width is None:  # a file or pipe: everything, nothing cut
        return _Layout(narrow=False, max_findings=None, max_rows=None)
    return _Layout(narrow=width < NARROW, max_findings=MAX_FINDINGS, max_rows=MAX_ROWS)


def _section(section: AnalysisSection, report: Report, layout: _Layout) -> list[RenderableType]:
    view = read_summary(section.summary)
    parts: list[RenderableType] = [
        Rule(Text(section.title, style="bold"), align="left"),
        _counts_line(section_severity_counts(section)),
    ]
    shown = section.findings[:layout.max_findings]
    if shown:
        parts.append(_findings_list(shown, report) if layout.narrow
                     else _findings_table(shown, report))
        if len(section.findings) > len(shown):
            parts.append(_more(len(section.findings) - len(shown), "findings of lower or "
                               "equal severity"))
    else:
        parts.append(Text("No findings.", style="dim"))
    parts.extend(_summary_table(t, layout.max_rows) for t in view.tables)
    parts.extend(_chart(c, layout.max_rows) for c in view.charts)
    parts.extend(Text(f"! {p}", style="yellow") for p in view.problems)
    return parts


def _first_actions(report: Report) -> RenderableType:
    """The executive summary's top risks, printed last so they stay on screen."""
    risks = top_risks(report)
    if not risks:
        return Text("No finding above info.", style="dim")
    table = Table(title=Text("What to do first", style="bold"), title_justify="left",
                  show_header=False, box=None, padding=(0, 1))
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(ratio=1)
    for number, risk in enumerate(risks, 1):
        table.add_row(f"{number}.", _severity(risk.severity.value), Text(risk.sentence))
    return table


def _baseline(report: Report) -> RenderableType | None:
    changes = report.baseline
    if changes is None:
        return None
    return Text(f"Since the baseline {changes.source}: {len(changes.added)} new, "
                f"{len(changes.resolved)} resolved, {len(changes.changed)} changed severity.")


def _verdict(report: Report) -> Text:
    failing = len(report.failing())
    threshold = report.fail_on.value
    if any(f.severity is Severity.UNKNOWN for f in report.findings):
        threshold += f"', unknown severity counted as '{report.unknown_as.value}"
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

    def __init__(self, *, color: bool = False, width: int | None = None) -> None:
        """``width`` is the terminal's; ``None`` (a file or pipe) gives full-width lines."""
        self.color = color
        self.width = width

    def render(self, report: Report) -> str:
        parts: list[RenderableType] = [_header(report)]
        layout = _layout(self.width)
        for section in report.sections:
            parts.extend(_section(section, report, layout))
        if not report.sections:
            parts.append(Text("No analysis ran.", style="dim"))
        parts.append(Padding(_first_actions(report), (1, 0, 0, 0)))
        changes = _baseline(report)
        if changes is not None:
            parts.append(changes)
        parts.append(Padding(_verdict(report), (1, 0, 0, 0)))
        return render_text(parts, width=self.width, color=self.color)
