"""The Markdown report: the same content as the HTML one, for wikis, tickets and pull requests.

Charts become tables (Markdown has no drawing); every text from the estate is escaped so that a
name cannot inject links, HTML or table cells.
"""

from __future__ import annotations

from typing import ClassVar

from stackrift.findings import Citation, Finding, Severity
from stackrift.report._view import (
    SEVERITIES_DESC,
    BarChartView,
    ChartView,
    HeatmapView,
    TableView,
    citation_text,
    evidence_items,
    format_cell,
    format_number,
    read_summary,
    safe_url,
    section_severity_counts,
    subject_text,
)
from stackrift.report.base import register
from stackrift.report.executive import top_risks
from stackrift.report.html import DISCLAIMER
from stackrift.report.model import AnalysisSection, Report
from stackrift.textsafe import md, plain

__all__ = ["MarkdownRenderer", "md"]  # md lives in textsafe; sarif and tests import it here


def _table(columns: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return [*lines, ""]


def _summary_table(view: TableView) -> list[str]:
    rows = [[md(format_cell(c)) for c in row] for row in view.rows]
    return [f"### {md(view.title)}", "", *_table([md(c) for c in view.columns], rows)]


def _chart(chart: ChartView) -> list[str]:
    lines = [f"### {md(chart.title)}", ""]
    if isinstance(chart, BarChartView):
        columns = ["", *(md(s.name or "value") for s in chart.series)]
        if chart.stacked:
            columns.append("total")
        rows = []
        for i, label in enumerate(chart.labels):
            values = [s.values[i] for s in chart.series]
            row = [md(label), *("unknown" if v is None else format_number(v) for v in values)]
            if chart.stacked:
                row.append(format_number(sum(v or 0.0 for v in values)))
            rows.append(row)
        return lines + _table(columns, rows)
    heat: HeatmapView = chart
    rows = [[md(label), *(md(heat.text(r, c)) or "–" for c in range(len(heat.x_labels)))]
            for r, label in enumerate(heat.y_labels)]
    return lines + _table(["", *(md(x) for x in heat.x_labels)], rows)


def _citation(citation: Citation) -> str:
    text = md(citation_text(citation))
    url = safe_url(citation.url)
    if url:
        text = f"[{text}](<{url.replace('>', '%3E').replace(' ', '%20')}>)"
    dates = [f"from {citation.in_force_from}" if citation.in_force_from else "",
             f"until {citation.in_force_until}" if citation.in_force_until else ""]
    in_force = " ".join(d for d in dates if d)
    return f"{text} (in force {in_force})" if in_force else text


def _finding(finding: Finding, report: Report) -> list[str]:
    lines = [f"#### {finding.severity.value.upper()}: {md(finding.title)}", "",
             f"- Subject: {md(subject_text(finding))}"]
    location = report.locations.get(finding.id)
    if location:
        lines.append(f"- Defined at: `{str(location).replace('`', '')}`")
    lines.append(f"- Finding id: `{finding.id.replace('`', '')}`")
    for key, value in evidence_items(finding):
        lines.append(f"- {md(key)}: {md(value)}")
    if finding.related:
        lines.append("- Also involved: " + ", ".join(md(f"{s.kind.value} {s.id}")
                                                     for s in finding.related))
    if finding.recommendation:
        lines.append(f"- **Recommendation:** {md(finding.recommendation)}")
    if finding.citations:
        lines.append("- Sources:")
        lines.extend(f"  {i}. {_citation(c)}" for i, c in enumerate(finding.citations, 1))
    return [*lines, ""]


def _section(section: AnalysisSection, report: Report) -> list[str]:
    view = read_summary(section.summary)
    counts = section_severity_counts(section)
    lines = [f"## {md(section.title)}", "",
             ", ".join(f"{n} {s}" for s, n in counts.items()) + ".", ""]
    for table in view.tables:
        lines += _summary_table(table)
    for chart in view.charts:
        lines += _chart(chart)
    for problem in view.problems:
        lines += [f"> Not drawn: {md(problem)}", ""]
    lines += ["### Findings", ""]
    if not section.findings:
        lines += ["No findings.", ""]
    for finding in section.findings:
        lines += _finding(finding, report)
    return lines


def _executive(report: Report, verdict: str) -> list[str]:
    """What to do first, and what changed since the baseline, before any detail."""
    lines = ["## Executive summary", "", verdict, ""]
    risks = top_risks(report)
    if risks:
        lines += ["What to do first:", ""]
        lines += [f"{i}. **{r.severity.value.upper()}** {md(r.sentence)} "
                  f"(finding `{r.finding_ids[0].replace('`', '')}`)"
                  for i, r in enumerate(risks, 1)]
        lines.append("")
    baseline = report.baseline
    if baseline is not None:
        lines += [f"Since the baseline `{baseline.source.replace('`', '')}`: "
                  f"{len(baseline.added)} new, {len(baseline.resolved)} resolved, "
                  f"{len(baseline.changed)} changed severity.", ""]
        lines += [f"- new: `{i.replace('`', '')}`" for i in baseline.added]
        lines += [f"- resolved: `{i.replace('`', '')}`" for i in baseline.resolved]
        lines += [f"- {was} → {now}: `{i.replace('`', '')}`" for i, was, now in baseline.changed]
        if lines[-1]:
            lines.append("")
    return lines


@register
class MarkdownRenderer:
    """``--format md``: a Markdown report."""

    format: ClassVar[str] = "md"
    extension: ClassVar[str] = "md"

    def render(self, report: Report) -> str:
        estate = report.estate
        failing = len(report.failing())
        verdict = (f"**{failing} finding{'s' if failing != 1 else ''} at or above "
                   f"`{report.fail_on.value}`: the assessment fails.**" if failing else
                   f"No finding at or above `{report.fail_on.value}`: the assessment passes.")
        if any(f.severity is Severity.UNKNOWN for f in report.findings):
            verdict += f" Unknown severity counts as `{report.unknown_as.value}`."
        lines = [
            f"# StackRift assessment: {md(estate.organisation)}", "",
            f"- As of: {report.as_of.isoformat()}",
            f"- Catalogue: {md(report.catalogue_version)}",
            f"- Knowledge: {md(str(report.knowledge)) if report.knowledge else 'not recorded'}",
            f"- Estate file: {md(estate.path)}",
            "- Estate: " + ", ".join(f"{n} {md(k.replace('_', ' '))}"
                                     for k, n in estate.counts.items()),
            f"- Tool: StackRift {md(report.tool_version)}", "",
            *_executive(report, verdict),
            "## Summary", "",
        ]
        severities = [s.value for s in SEVERITIES_DESC]
        rows = [[md(s.title), *(str(section_severity_counts(s)[v]) for v in severities),
                 str(len(s.findings))] for s in report.sections]
        totals = report.severity_counts()
        rows.append(["**all**", *(str(totals[v]) for v in severities),
                     str(len(report.findings))])
        lines += _table(["analysis", *severities, "total"], rows)
        for section in report.sections:
            lines += _section(section, report)
        lines += ["---", "", f"*Not legal advice.* {DISCLAIMER}", ""]
        return plain("\n".join(lines))  # also text placed in code spans, unescaped
