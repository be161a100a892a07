"""Shared builders for the compliance tests (small hand-made frameworks and facts)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from stackrift.compliance.conditions import SystemFacts
from stackrift.compliance.loader import ComplianceLibrary, load_library
from stackrift.compliance.model import (
    Binding,
    Confidence,
    Crosswalk,
    Framework,
    Mapping,
    Relation,
    Requirement,
    RequirementKind,
    Source,
)

DATA = Path(__file__).parent / "data"
TODAY = date(2026, 12, 4)
SOURCE = Source(title="tests", checked_on=TODAY, confidence=Confidence.VERIFIED)


def framework(fid: str, *req_ids: str) -> Framework:
    return Framework(id=fid, title=fid, version="1", publisher="tests", binding=Binding.GUIDANCE,
                     source=SOURCE, requirements=tuple(
                         Requirement(id=r, title=r, kind=RequirementKind.OBLIGATION)
                         for r in req_ids))


def mapping(source: str, target: str, relation: Relation) -> Mapping:
    return Mapping(source=source, target=target, relation=relation, rationale="test",
                   confidence=Confidence.UNVERIFIED)


def library(frameworks: list[Framework], mappings: list[Mapping] | None = None
            ) -> ComplianceLibrary:
    crosswalks = (Crosswalk(crosswalk="t", title="t", mappings=tuple(mappings)),) \
        if mappings else ()
    return ComplianceLibrary(tuple(frameworks), crosswalks)


def facts(system_id: str = "s1", **known: Any) -> SystemFacts:
    return SystemFacts(system_id=system_id, **known)


_PACKAGED: ComplianceLibrary | None = None


def packaged() -> ComplianceLibrary:
    """The packaged library without OSCAL titles (read once)."""
    global _PACKAGED
    if _PACKAGED is None:
        _PACKAGED = load_library()
    return _PACKAGED
