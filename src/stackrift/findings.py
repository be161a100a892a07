"""Findings: what analyses produce and renderers print."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# the levels and the gate live apart from the models, so that scan loads no pydantic model
from stackrift.severities import Severity as Severity
from stackrift.severities import fails_gate as fails_gate
from stackrift.severities import gated_severity as gated_severity


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Citation(Frozen):
    """A source for a fact: an instrument and its article, or a publication."""

    source: str = Field(description="Instrument or publication, e.g. 'PIPL' or '90 FR 14046'.")
    section: str | None = Field(default=None, description="Article, section or paragraph.")
    url: str | None = None
    in_force_from: date | None = None
    in_force_until: date | None = None
    confidence: Literal["verified", "unverified"] = "verified"
    checked_on: date | None = Field(
        default=None, description="When the fact was last checked against the source.")
    unverified_reason: str | None = Field(
        default=None, description="Why the fact could not be verified (unverified facts only).")

    def __str__(self) -> str:
        text = f"{self.source} {self.section}" if self.section else self.source
        if self.confidence == "unverified":
            text += " (unverified)"
        return text


class SubjectKind(StrEnum):
    ESTATE = "estate"
    ENTITY = "entity"
    SITE = "site"
    SYSTEM = "system"
    COMPONENT = "component"
    DATA_FLOW = "data_flow"


_COLLECTION = {
    SubjectKind.ENTITY: "entities",
    SubjectKind.SITE: "sites",
    SubjectKind.SYSTEM: "systems",
    SubjectKind.COMPONENT: "components",
    SubjectKind.DATA_FLOW: "data_flows",
}


class Subject(Frozen):
    """The estate object a finding concerns."""

    kind: SubjectKind
    id: str
    name: str | None = None
    field: str | None = Field(default=None, description="The field the finding points at, if any.")

    @property
    def collection(self) -> str | None:
        return _COLLECTION.get(self.kind)

    def __str__(self) -> str:
        return f"{self.kind.value} {self.id}"


class Finding(Frozen):
    """One conclusion of an analysis about one subject, with evidence and sources."""

    id: str = Field(description="Stable id: analysis, rule and subject; equal across runs.")
    analysis: str
    rule: str = Field(description="What kind of finding this is, e.g. 'entity-listed-vendor'.")
    severity: Severity
    title: str
    subject: Subject
    evidence: dict[str, Any] = Field(default_factory=dict)
    recommendation: str | None = None
    citations: tuple[Citation, ...] = ()
    related: tuple[Subject, ...] = Field(default=(), description="Other objects involved.")

    def sort_key(self) -> tuple[int, str, str]:
        return (-self.severity.rank, self.analysis, self.id)


def finding_id(analysis: str, rule: str, *parts: str) -> str:
    """A stable finding id built from the analysis, the rule and the subject's ids."""
    return ":".join((analysis, rule, *parts))
