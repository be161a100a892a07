"""Typed records of the compliance domain: frameworks, requirements, crosswalk mappings, controls.

Frameworks and crosswalks are packaged data (``packs/``) or user folders; controls are the user's
own catalogue. Every fact-bearing record carries a :class:`Source` (instrument, section, URL,
``checked_on``, confidence and, when unverified, why).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from stackrift.errors import InvalidInputError, StackRiftError
from stackrift.findings import Citation


class ComplianceError(StackRiftError):
    """Base of every error the compliance package raises on purpose."""


class ComplianceInputError(InvalidInputError, ComplianceError):
    """A framework, crosswalk, control catalogue or OSCAL file is wrong (located problems)."""


class Confidence(StrEnum):
    """Whether a fact was checked against a public source."""

    VERIFIED = "verified"
    UNVERIFIED = "unverified"


class Binding(StrEnum):
    """How a framework binds: a law, a mandatory standard, or something adopted by choice."""

    LAW = "law"
    MANDATORY_STANDARD = "mandatory_standard"
    VOLUNTARY_STANDARD = "voluntary_standard"
    GUIDANCE = "guidance"


class RequirementKind(StrEnum):
    """What sort of thing a requirement asks for."""

    OBLIGATION = "obligation"
    PROHIBITION = "prohibition"
    FILING = "filing"  # a filing or registration with an authority
    CERTIFICATION = "certification"  # a conformity assessment, test or certificate
    CONTROL = "control"  # a control objective of a standard or catalogue
    OUTCOME = "outcome"  # an outcome of a voluntary framework (NIST AI RMF subcategories)


class AiRole(StrEnum):
    """The organisation's role towards an AI system (AI Act vocabulary)."""

    PROVIDER = "provider"
    DEPLOYER = "deployer"
    IMPORTER = "importer"
    DISTRIBUTOR = "distributor"


class RiskClass(StrEnum):
    """EU AI Act risk classes of an AI system."""

    PROHIBITED = "prohibited"
    HIGH = "high"
    LIMITED = "limited"
    MINIMAL = "minimal"
    NOT_IN_SCOPE = "not_in_scope"


class HighRiskRoute(StrEnum):
    """Why an EU AI Act system is high-risk: a stand-alone Annex III use or an Annex I product."""

    ANNEX_III = "annex_iii"
    ANNEX_I = "annex_i"


class Relation(StrEnum):
    """The NIST OLIR relationship of a mapping's source requirement to its target."""

    EQUAL = "equal"
    SUBSET = "subset"  # source is a subset of target: meeting the source covers part of it
    SUPERSET = "superset"  # source is a superset of target: meeting the source covers it
    INTERSECTS = "intersects"


class ControlStatus(StrEnum):
    """How far a declared control is in place."""

    IMPLEMENTED = "implemented"
    PARTIAL = "partial"
    PLANNED = "planned"
    NOT_IMPLEMENTED = "not_implemented"


class Frozen(BaseModel):
    """Base of the records: immutable, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(Frozen):
    """Where a fact comes from and how sure we are of it."""

    title: str = Field(min_length=1)
    section: str | None = None
    url: str | None = None
    checked_on: date
    confidence: Confidence
    unverified_reason: str | None = None

    @model_validator(mode="after")
    def _reason_for_unverified(self) -> Source:
        if self.confidence is Confidence.UNVERIFIED and not self.unverified_reason:
            raise ValueError("an unverified source needs an unverified_reason")
        return self

    def citation(self, *, in_force_from: date | None = None,
                 in_force_until: date | None = None) -> Citation:
        return Citation(source=self.title, section=self.section, url=self.url,
                        in_force_from=in_force_from, in_force_until=in_force_until,
                        confidence=self.confidence.value, checked_on=self.checked_on,
                        unverified_reason=self.unverified_reason)


class Conditions(Frozen):
    """Facts a system must have for a requirement to apply; all given fields must hold.

    A field left out sets no condition. ``any_of`` adds alternatives of which one must hold."""

    reaches: tuple[str, ...] | None = Field(
        default=None, description="Users or sites in any of these jurisdictions (ISO 3166 codes, "
        "'EU', or subdivisions such as 'US-CO').")
    users_in: tuple[str, ...] | None = None
    sites_in: tuple[str, ...] | None = None
    roles: tuple[AiRole, ...] | None = None
    risk_classes: tuple[RiskClass, ...] | None = None
    high_risk_routes: tuple[HighRiskRoute, ...] | None = None
    generative: bool | None = None
    public_facing: bool | None = None
    interacts_with_people: bool | None = Field(
        default=None, description="People interact with it directly (chat, voice, avatars).")
    opinion_influence: bool | None = Field(
        default=None, description="Public-opinion attributes or social-mobilisation capacity "
        "(China's filing trigger).")
    gpai_provider: bool | None = None
    systemic_risk: bool | None = None
    high_impact: bool | None = Field(default=None, description="Korea's 'high-impact AI'.")
    frontier_compute: bool | None = Field(
        default=None, description="Training compute at or above a law's frontier threshold.")
    recommender: bool | None = Field(
        default=None, description="Recommends, ranks or filters content for users.")
    consequential_decisions: bool | None = None
    federal: bool | None = None
    cii: bool | None = Field(default=None, description="Critical information infrastructure.")
    sectors: tuple[str, ...] | None = None
    mlps_level_at_least: int | None = Field(default=None, ge=1, le=5)
    adopted: str | None = Field(
        default=None, description="The organisation has adopted this (voluntary) framework id.")
    any_of: tuple[Conditions, ...] = ()


class DatedApplication(Frozen):
    """From when a requirement applies, under a rule that is itself law only in a window.

    Amendments that move dates (the EU's 2026 omnibus) add an entry whose ``rule_valid_from`` is
    the amendment's entry into force; the engine uses the entries valid on the as-of date."""

    applies_from: date
    when: Conditions | None = None
    rule_valid_from: date | None = None
    rule_valid_until: date | None = None
    source: Source


class Requirement(Frozen):
    """One obligation, filing, certification, control or outcome of a framework."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._()\-]*$")
    title: str = Field(min_length=1, description="A short title in our own words.")
    kind: RequirementKind
    applies_when: Conditions | None = None
    schedule: tuple[DatedApplication, ...] = ()
    applies_until: date | None = None
    section: str | None = None
    note: str | None = None


# a bare file name: the catalogue is read from the folder the user names, never elsewhere
CatalogFileName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*\.json$")]


class OscalSelection(Frozen):
    """Requirements read at run time from an OSCAL catalogue: the ids selected, nothing copied."""

    catalogs: tuple[CatalogFileName, ...] = Field(
        min_length=1, description="File names (no folders) of the OSCAL JSON catalogues to read "
        "the ids from, in the folder the user names.")
    controls: tuple[str, ...] = Field(min_length=1)
    rationale: str


class Framework(Frozen):
    """A law, standard or guidance document as data: metadata, source, requirements."""

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9\-]*$")
    title: str
    version: str
    publisher: str
    jurisdiction: str | None = None
    binding: Binding
    in_force_from: date | None = None
    in_force_until: date | None = None
    source: Source
    applies_when: Conditions | None = None
    requirements: tuple[Requirement, ...] = ()
    oscal: OscalSelection | None = None
    note: str | None = None
    anchors: dict[str, Any] | None = Field(
        default=None, description="YAML anchors reused further down the file; not read.")


class Mapping(Frozen):
    """A crosswalk relation between two requirements, with rationale and confidence."""

    source: str = Field(description="'framework:requirement' id the relation reads from.")
    target: str
    relation: Relation
    rationale: str = Field(min_length=1)
    confidence: Confidence
    origin: Source | None = Field(
        default=None, description="An official crosswalk; absent for our own mapping.")


class Crosswalk(Frozen):
    """A file of mappings."""

    crosswalk: str = Field(min_length=1)
    title: str
    mappings: tuple[Mapping, ...] = Field(min_length=1)


class Evidence(Frozen):
    """Where a control's evidence is kept and when it was last tested."""

    location: str = Field(min_length=1)
    last_tested: date | None = None


class Control(Frozen):
    """A control the user runs (or plans) and the requirements it satisfies."""

    id: str = Field(min_length=1)
    title: str = ""
    satisfies: tuple[str, ...] = Field(min_length=1)
    systems: tuple[str, ...] | None = Field(
        default=None, description="Systems it is implemented for; absent for all.")
    status: ControlStatus = ControlStatus.IMPLEMENTED
    cost: int = Field(default=1, ge=1, le=1_000_000)
    evidence: tuple[Evidence, ...] = ()


class ControlCatalogue(Frozen):
    """A user's ``controls.yaml``."""

    controls: tuple[Control, ...] = Field(min_length=1)
