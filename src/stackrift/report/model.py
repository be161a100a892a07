"""The assembled report every renderer receives."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from stackrift.errors import Location
from stackrift.findings import Finding, Severity
from stackrift.knowledge.sets import KnowledgeStamp


@dataclass(frozen=True)
class EstateSummary:
    """What was assessed: the file and how much was in it."""

    path: str
    organisation: str
    counts: dict[str, int]


@dataclass(frozen=True)
class AnalysisSection:
    """One analysis's part of the report."""

    name: str
    title: str
    findings: tuple[Finding, ...]
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """Everything an output format needs; deterministic for the same inputs."""

    tool_version: str
    as_of: date
    catalogue_version: str
    estate: EstateSummary
    sections: tuple[AnalysisSection, ...]
    fail_on: Severity = Severity.HIGH
    locations: dict[str, Location] = field(default_factory=dict)
    """Where each finding's subject is defined in the estate file, keyed by finding id."""
    knowledge: KnowledgeStamp | None = None
    """The knowledge set (catalogue, rule packs, scenarios, country groups) the report used."""

    @property
    def findings(self) -> tuple[Finding, ...]:
        """All findings, most severe first, then by analysis and id."""
        return tuple(
            sorted((f for s in self.sections for f in s.findings), key=lambda f: f.sort_key())
        )

    def severity_counts(self) -> dict[str, int]:
        counts = Counter(f.severity for f in self.findings)
        return {s.value: counts.get(s, 0) for s in reversed(Severity)}

    def failing(self) -> tuple[Finding, ...]:
        """Findings at or above the fail-on threshold (they make ``assess`` exit 1)."""
        return tuple(f for f in self.findings if f.severity.at_least(self.fail_on))

    def section(self, name: str) -> AnalysisSection | None:
        return next((s for s in self.sections if s.name == name), None)
