"""The stored JSON report read for the pages: findings filtered, and the systems, data flows,
vendors and sites the report's own tables and findings name.

Nothing is analysed here: every value shown comes from the report the library wrote. Tables are
recognised by their columns (a ``flow`` column, a ``vendor`` column, ``site`` with ``country``),
so a page about one object gathers every row of every table that names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stackrift.findings import Severity
from stackrift.report._view import safe_url as report_safe_url

SEVERITY_ORDER: tuple[str, ...] = tuple(s.value for s in sorted(Severity, key=lambda s: -s.rank))
"""Critical down to info, as every report lists them."""


@dataclass(frozen=True)
class ReportTable:
    """One summary table of one analysis."""

    analysis: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def column(self, name: str) -> int | None:
        return self.columns.index(name) if name in self.columns else None

    def rows_where(self, name: str, values: Iterable[str]) -> ReportTable:
        """This table with only the rows whose ``name`` cell is one of ``values``."""
        index, wanted = self.column(name), set(values)
        rows = () if index is None else tuple(r for r in self.rows if str(r[index]) in wanted)
        return ReportTable(self.analysis, self.title, self.columns, rows)


@dataclass(frozen=True)
class FindingFilter:
    """The findings table's filters, from the page's query parameters."""

    severity: str = ""
    analysis: str = ""
    system: str = ""
    text: str = ""

    def matches(self, finding: Mapping[str, Any]) -> bool:
        if self.severity and finding.get("severity") != self.severity:
            return False
        if self.analysis and finding.get("analysis") != self.analysis:
            return False
        if self.system and self.system not in subject_ids(finding, "system"):
            return False
        return not self.text or self.text.casefold() in searchable_text(finding)

    def active(self) -> bool:
        return bool(self.severity or self.analysis or self.system or self.text)


@dataclass(frozen=True)
class FlowLine:
    """A data flow of the transfers table: from one country to another, with its verdict."""

    flow: str
    origin: str
    destination: str
    verdict: str


@dataclass(frozen=True)
class ReportData:
    """A finished assessment's JSON report and the look-ups its pages need."""

    document: Mapping[str, Any]
    findings: tuple[Mapping[str, Any], ...]
    tables: tuple[ReportTable, ...]
    by_id: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, document: Mapping[str, Any]) -> ReportData:
        findings = tuple(f for f in document.get("findings", ()) if isinstance(f, Mapping))
        return cls(document, findings, tuple(_tables(document)),
                   {str(f.get("id")): f for f in findings})

    def severity_counts(self) -> dict[str, int]:
        counts = self.document.get("summary", {}).get("by_severity", {})
        return {s: int(counts.get(s, 0)) for s in SEVERITY_ORDER}

    def analyses(self) -> list[str]:
        return sorted({str(f.get("analysis", "")) for f in self.findings})

    def tables_with(self, *columns: str) -> list[ReportTable]:
        return [t for t in self.tables if all(c in t.columns for c in columns)]

    def about(self, kind: str, ids: Iterable[str]) -> list[Mapping[str, Any]]:
        """Findings whose subject or related subjects include one of ``ids`` of ``kind``."""
        wanted = set(ids)
        return [f for f in self.findings if wanted & subject_ids(f, kind)]

    def systems(self) -> dict[str, str]:
        """System id → name, from the findings' subjects and the tables' ``system`` columns."""
        found = _named_subjects(self.findings, "system")
        for table in self.tables_with("system"):
            index = table.columns.index("system")
            found.update({str(r[index]): found.get(str(r[index]), "") for r in table.rows
                          if r[index]})
        return dict(sorted(found.items()))

    def flows(self) -> dict[str, str]:
        found = _named_subjects(self.findings, "data_flow")
        for table in self.tables_with("flow"):
            index = table.columns.index("flow")
            found.update({str(r[index]): found.get(str(r[index]), "") for r in table.rows
                          if r[index]})
        return dict(sorted(found.items()))

    def vendors(self) -> dict[str, set[str]]:
        """Vendor → the components the report attributes to it."""
        found: dict[str, set[str]] = {}
        for table in self.tables_with("vendor"):
            vendor, component = table.columns.index("vendor"), table.column("component")
            for row in table.rows:
                if row[vendor]:
                    parts = found.setdefault(str(row[vendor]), set())
                    if component is not None and row[component]:
                        parts.add(str(row[component]))
        return dict(sorted(found.items(), key=lambda item: item[0].casefold()))

    def sites_by_country(self) -> dict[str, list[tuple[str, ...]]]:
        """Country → its sites' rows (site, provider, region, …), from the sites table."""
        grouped: dict[str, list[tuple[str, ...]]] = {}
        for table in self.tables_with("site", "country"):
            site, country = table.columns.index("site"), table.columns.index("country")
            for row in table.rows:
                key = str(row[country] or "unknown")
                grouped.setdefault(key, []).append(
                    (str(row[site]), *(_cell(row[i]) for i in range(len(row))
                                       if i not in {site, country})))
        return dict(sorted(grouped.items()))

    def flow_lines(self) -> list[FlowLine]:
        lines = {}
        for table in self.tables_with("flow", "origin", "destination", "verdict"):
            f, o, d, v = (table.columns.index(c)
                          for c in ("flow", "origin", "destination", "verdict"))
            for row in table.rows:
                lines[str(row[f])] = FlowLine(str(row[f]), str(row[o] or "unknown"),
                                              str(row[d] or "unknown"),
                                              str(row[v] or "undetermined"))
        return sorted(lines.values(), key=lambda line: line.flow)


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    return str(value)


def _tables(document: Mapping[str, Any]) -> Iterable[ReportTable]:
    analyses = document.get("analyses", {})
    for name in sorted(analyses, key=lambda n: (analyses[n].get("order", 0), n)):
        for raw in analyses[name].get("summary", {}).get("tables", ()):
            if not isinstance(raw, Mapping) or not isinstance(raw.get("columns"), list):
                continue  # the HTML report lists malformed summaries; pages skip them
            columns = tuple(str(c) for c in raw["columns"])
            rows = tuple(tuple(r) for r in raw.get("rows", ())
                         if isinstance(r, list) and len(r) == len(columns))
            yield ReportTable(name, str(raw.get("title", "")), columns, rows)


def _subjects(finding: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    subject = finding.get("subject")
    if isinstance(subject, Mapping):
        yield subject
    for related in finding.get("related") or ():
        if isinstance(related, Mapping):
            yield related


def subject_ids(finding: Mapping[str, Any], kind: str) -> set[str]:
    return {str(s.get("id")) for s in _subjects(finding) if s.get("kind") == kind}


def _named_subjects(findings: Sequence[Mapping[str, Any]], kind: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for finding in findings:
        for subject in _subjects(finding):
            if subject.get("kind") == kind:
                key = str(subject.get("id"))
                names[key] = names.get(key) or str(subject.get("name") or "")
    return names


def searchable_text(finding: Mapping[str, Any]) -> str:
    """What the text search looks in: id, title, rule, subject and related ids and names."""
    parts = [str(finding.get(k, "")) for k in ("id", "title", "rule", "analysis")]
    for subject in _subjects(finding):
        parts.extend(str(subject.get(k) or "") for k in ("id", "name"))
    return " ".join(parts).casefold()


def evidence_rows(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A finding's evidence as (key, text) rows: nested objects flattened with dotted keys."""
    if isinstance(value, Mapping):
        rows = []
        for key in sorted(value):
            rows.extend(evidence_rows(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return rows
    if isinstance(value, list):
        if all(not isinstance(v, Mapping | list) for v in value):
            return [(prefix, ", ".join(_cell(v) for v in value) or "none")]
        rows = []
        for index, item in enumerate(value):
            rows.extend(evidence_rows(item, f"{prefix}[{index}]"))
        return rows
    return [(prefix or "value", _cell(value))]


def safe_url(url: Any) -> str | None:
    """An http(s) link, else ``None`` (citations are data; no ``javascript:`` links)."""
    return report_safe_url(url) if isinstance(url, str) else None
