"""The JSON report: stable, documented (docs/report.schema.json), deterministic.

Keys are sorted, dates are ISO 8601 (``YYYY-MM-DD``), findings come most severe first, then by
analysis and id. ``schema_version`` changes only when a key is removed or changes meaning; new keys
may be added without a change.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import PurePath
from typing import Any, ClassVar

import orjson
from pydantic import BaseModel

from stackrift.errors import Location
from stackrift.findings import Citation, Finding, Subject
from stackrift.report.base import register
from stackrift.report.model import Report

SCHEMA_VERSION = 1


def _subject(subject: Subject) -> dict[str, Any]:
    return {"kind": subject.kind.value, "id": subject.id, "name": subject.name,
            "field": subject.field}


def _citation(citation: Citation) -> dict[str, Any]:
    return {"source": citation.source, "section": citation.section, "url": citation.url,
            "in_force_from": citation.in_force_from, "in_force_until": citation.in_force_until,
            "confidence": citation.confidence}


def _location(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {"file": location.file, "line": location.line, "column": location.column}


def finding_document(finding: Finding, location: Location | None) -> dict[str, Any]:
    """One finding as it appears in the JSON report's ``findings`` list."""
    return {
        "id": finding.id,
        "analysis": finding.analysis,
        "rule": finding.rule,
        "severity": finding.severity.value,
        "title": finding.title,
        "subject": _subject(finding.subject),
        "evidence": finding.evidence,
        "recommendation": finding.recommendation,
        "citations": [_citation(c) for c in finding.citations],
        "related": [_subject(s) for s in finding.related],
        "location": _location(location),
    }


def executive_document(report: Report) -> dict[str, Any]:
    """The executive summary: top risks, and the changes since a baseline when one was given."""
    from stackrift.report.executive import top_risks

    baseline = report.baseline
    return {
        "top_risks": [{"severity": r.severity.value, "sentence": r.sentence,
                       "headline": r.headline, "action": r.action, "analysis": r.analysis,
                       "rule": r.rule, "finding_ids": list(r.finding_ids),
                       "systems": list(r.systems)} for r in top_risks(report)],
        "baseline": None if baseline is None else {
            "source": baseline.source, "added": list(baseline.added),
            "resolved": list(baseline.resolved),
            "changed": [{"id": i, "was": was, "now": now} for i, was, now in baseline.changed]},
    }


def report_document(report: Report) -> dict[str, Any]:
    """The whole report as a JSON-ready dictionary (dates still as :class:`datetime.date`)."""
    findings = report.findings
    return {
        "executive_summary": executive_document(report),
        "schema_version": SCHEMA_VERSION,
        "tool_version": report.tool_version,
        "as_of": report.as_of,
        "catalogue_version": report.catalogue_version,
        "knowledge": report.knowledge.to_json() if report.knowledge else None,
        "estate": {"path": report.estate.path, "organisation": report.estate.organisation,
                   "counts": dict(report.estate.counts)},
        "findings": [finding_document(f, report.locations.get(f.id)) for f in findings],
        "summary": {
            "by_severity": report.severity_counts(),
            "by_analysis": {s.name: len(s.findings) for s in report.sections},
            "total": len(findings),
            "failing": len(report.failing()),
            "fail_on": report.fail_on.value,
            "unknown_severity_as": report.unknown_as.value,
        },
        "analyses": {
            s.name: {"title": s.title, "order": index, "finding_count": len(s.findings),
                     "summary": s.summary}
            for index, s in enumerate(report.sections)
        },
    }


def _default(value: Any) -> Any:
    """Values orjson does not know; sets are sorted so output stays deterministic."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=lambda v: orjson.dumps(v, default=_default))
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def dumps(document: Any) -> str:
    """Deterministic, indented JSON text ending in a newline."""
    return dumps_bytes(document).decode() + "\n"


def dumps_bytes(document: Any) -> bytes:
    """:func:`dumps` as UTF-8, without the final newline."""
    option = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
    return orjson.dumps(document, default=_default, option=option)


@register
class JsonRenderer:
    """``--format json``: the machine-readable report."""

    format: ClassVar[str] = "json"
    extension: ClassVar[str] = "json"

    def render(self, report: Report) -> str:
        return dumps(report_document(report))
