"""The assembled report every renderer receives."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from stackrift.errors import Location
from stackrift.findings import Finding, Severity, fails_gate
from stackrift.knowledge.sets import KnowledgeStamp


@dataclass(frozen=True)
class EstateSummary:
    """What was assessed: the file and how much was in it."""

    path: str
    organisation: str
    counts: dict[str, int]


@dataclass(frozen=True)
class EstateIndex:
    """Which systems each estate object touches, and how critical each system is.

    Used to rank risks by the systems they hit; keys of ``systems_of`` are ``KIND:ID`` with the
    subject kinds of findings (``component:torch``, ``data_flow:cn-hr-to-de``, ``site:…``).
    """

    criticality: dict[str, str] = field(default_factory=dict)
    systems_of: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class BaselineChanges:
    """What changed since a previous report, by finding id."""

    source: str
    added: tuple[str, ...]
    resolved: tuple[str, ...]
    changed: tuple[tuple[str, str, str], ...]
    """(finding id, severity then, severity now)."""


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
    index: EstateIndex = field(default_factory=EstateIndex)
    baseline: BaselineChanges | None = None
    """Set when the report is compared with a previous one (``assess --baseline``)."""
    unknown_as: Severity = Severity.HIGH
    """What an unknown severity counts as for the fail-on gate."""
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
        return tuple(f for f in self.findings
                     if fails_gate(f.severity, self.fail_on, self.unknown_as))

    def section(self, name: str) -> AnalysisSection | None:
        return next((s for s in self.sections if s.name == name), None)
