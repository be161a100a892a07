"""The HTML report: one self-contained file that needs no network to view.

CSS is inline, charts are inline SVG drawn in Python, and a Content Security Policy forbids every
fetch, so the file can be mailed or archived and opened offline. One small inline script (allowed
by its SHA-256 hash, nothing else may run) filters and sorts the findings table and opens the
collapsed part a link points into; without it the report is a plain, complete document. Estate
names are user input: the template autoescapes and the SVG module escapes every text it draws.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from typing import ClassVar

import jinja2
from markupsafe import Markup

from stackrift.findings import Citation, Finding, Subject
from stackrift.report._svg import bar_chart, chart_svg
from stackrift.report._view import (
    SEVERITIES_DESC,
    SEVERITY_COLOURS,
    VERDICT_COLOURS,
    ChartView,
    SummaryView,
    TableView,
    citation_text,
    evidence_items,
    format_cell,
    read_summary,
    safe_url,
    section_severity_counts,
    severity_chart,
    subject_text,
)
from stackrift.report.base import register
from stackrift.report.executive import TopRisk, top_risks
from stackrift.report.model import AnalysisSection, Report

DISCLAIMER = (
    "This report is not legal advice. It states what StackRift concluded from the estate file and "
    "its catalogue as of the date shown, and shows its sources so that a lawyer can check them."
)


@dataclass(frozen=True)
class _Chart:
    title: str
    svg: Markup


@dataclass(frozen=True)
class _Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[tuple[str, bool], ...], ...]
    """Each cell as (text, is a number) so numbers can be right-aligned."""


@dataclass(frozen=True)
class _Citation:
    text: str
    url: str | None
    in_force: str


@dataclass(frozen=True)
class _Finding:
    anchor: str
    finding: Finding
    subject: str
    location: str
    evidence: list[tuple[str, str]]
    citations: list[_Citation]
    related: list[str]


@dataclass(frozen=True)
class _Section:
    anchor: str
    name: str
    title: str
    counts: dict[str, int]
    charts: list[_Chart]
    tables: list[_Table]
    problems: tuple[str, ...]
    findings: list[_Finding]


@dataclass(frozen=True)
class _Risk:
    risk: TopRisk
    link: str


@dataclass(frozen=True)
class _IndexEntry:
    """An estate object or vendor with an anchor of its own and links to its findings."""

    anchor: str
    label: str
    findings: list[tuple[str, str, str]]
    """(anchor, severity, title) per finding."""


def _script() -> tuple[Markup, str]:
    """The report's one script and the CSP source that allows exactly it."""
    text = (resources.files("stackrift.report") / "templates" / "report.js").read_text(
        encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return Markup(text), f"'sha256-{digest}'"  # noqa: S704 - our own packaged file


def _subject_label(subject: Subject) -> str:
    label = f"{subject.kind.value.replace('_', ' ')} {subject.id}"
    return label + (f" ({subject.name})" if subject.name and subject.name != subject.id else "")


def _index(report: Report, numbering: dict[str, str]) -> dict[str, list[_IndexEntry]]:
    """Systems, data flows, sites, components and vendors, each linking to its findings."""
    groups: dict[str, dict[str, tuple[str, list[Finding]]]] = {}
    for finding in report.findings:
        for subject in (finding.subject, *finding.related):
            if subject.collection is None:
                continue
            key = f"{subject.kind.value}:{subject.id}"
            entry = groups.setdefault(subject.kind.value, {}).setdefault(
                key, (_subject_label(subject), []))
            if finding not in entry[1]:
                entry[1].append(finding)
        vendor = finding.evidence.get("vendor")
        if finding.analysis == "provenance" and isinstance(vendor, str) and vendor:
            entry = groups.setdefault("vendor", {}).setdefault(
                f"vendor:{vendor}", (f"vendor {vendor}", []))
            if finding not in entry[1]:
                entry[1].append(finding)
    return {kind: [_IndexEntry(anchor(kind.replace("_", "-"), key.split(":", 1)[1]), label,
                               [(numbering[f.id], f.severity.value, f.title) for f in found])
                   for key, (label, found) in sorted(entries.items())]
            for kind, entries in sorted(groups.items())}


def anchor(prefix: str, name: str) -> str:
    """An HTML id made only of safe characters."""
    return f"{prefix}-{re.sub(r'[^A-Za-z0-9_-]+', '-', name).strip('-') or 'x'}"


def _in_force(citation: Citation) -> str:
    if citation.in_force_from and citation.in_force_until:
        return f"in force {citation.in_force_from} to {citation.in_force_until}"
    if citation.in_force_from:
        return f"in force from {citation.in_force_from}"
    if citation.in_force_until:
        return f"in force until {citation.in_force_until}"
    return ""


def _charts(charts: tuple[ChartView, ...]) -> list[_Chart]:
    return [_Chart(c.title, chart_svg(c)) for c in charts]


def _tables(tables: tuple[TableView, ...]) -> list[_Table]:
    return [_Table(t.title, t.columns,
                   tuple(tuple((format_cell(c), isinstance(c, int | float)) for c in row)
                         for row in t.rows))
            for t in tables]


def _section(section: AnalysisSection, report: Report, numbering: dict[str, str]) -> _Section:
    view: SummaryView = read_summary(section.summary)
    findings = []
    for finding in section.findings:
        location = report.locations.get(finding.id)
        findings.append(_Finding(
            numbering[finding.id], finding, subject_text(finding),
            str(location) if location else "",
            evidence_items(finding),
            [_Citation(citation_text(c), safe_url(c.url), _in_force(c)) for c in finding.citations],
            [f"{s.kind.value} {s.id}" + (f" ({s.name})" if s.name and s.name != s.id else "")
             for s in finding.related]))
    return _Section(anchor("analysis", section.name), section.name, section.title,
                    section_severity_counts(section), _charts(view.charts), _tables(view.tables),
                    view.problems, findings)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("stackrift.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


_INDEX_TITLES = {"system": "Systems", "data_flow": "Data flows", "site": "Sites",
                 "component": "Components", "entity": "Entities", "vendor": "Vendors"}


@register
class HtmlRenderer:
    """``--format html``: a self-contained page with charts, for people."""

    format: ClassVar[str] = "html"
    extension: ClassVar[str] = "html"

    def render(self, report: Report) -> str:
        numbering = {f.id: f"finding-{i + 1}" for i, f in enumerate(report.findings)}
        template = _environment().get_template("report.html.j2")
        script, script_source = _script()
        findings = report.findings
        return template.render(
            script=script,
            script_source=script_source,
            top_risks=[_Risk(r, numbering[r.finding_ids[0]]) for r in top_risks(report)],
            index=_index(report, numbering),
            all_findings=[(numbering[f.id], f, subject_text(f)) for f in findings],
            verdict_colours=VERDICT_COLOURS,
            index_titles=_INDEX_TITLES,
            report=report,
            severities=[s.value for s in SEVERITIES_DESC],
            severity_colours=SEVERITY_COLOURS,
            counts=report.severity_counts(),
            severity_chart=bar_chart(severity_chart(report), width=440),
            sections=[_section(s, report, numbering) for s in report.sections],
            failing=len(report.failing()),
            disclaimer=DISCLAIMER,
        )
