"""The provenance checks: one small policy class per rule, composed with ``AllOf``/``FirstOf``.

A policy looks at one subject (a component, a site or a system, already resolved against the
catalogue) in a :class:`Scope` (the systems using it, the as-of date, the catalogue) and returns
its findings; no finding means the subject passes. ``AllOf`` reports every member's findings;
``FirstOf`` holds alternatives, strongest first, and reports only the first member that finds
something (an uncatalogued component is either placed by its supplier country or unresolved,
never both). The provenance analysis composes the default policies below; a test or a new rule
composes its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, assert_never

from stackrift.catalog.catalogue import Catalogue, Evidence, Resolution, SiteEvidence
from stackrift.catalog.model import ListStatus, StackLayer, Vendor
from stackrift.estate.model import Bloc, Component, Criticality, System
from stackrift.findings import Citation, Finding, Severity, Subject, SubjectKind, finding_id

if TYPE_CHECKING:
    from stackrift.analyses.provenance import ComponentProvenance, SystemProvenance
    from stackrift.catalog.catalogue import LineageStep, SiteResolution

NAME = "provenance"
BLOC_ORDER = (Bloc.US, Bloc.CN, Bloc.EU, Bloc.OTHER, Bloc.UNKNOWN)
UNVERIFIED = "unverified"  # a Citation's confidence: Literal["verified", "unverified"]


def layer_label(layer: StackLayer) -> str:
    """How provenance reports a layer (its reports predate the shared enum's values)."""
    match layer:
        case StackLayer.ACCELERATOR:
            return "hardware"
        case StackLayer.MODEL:
            return "model weights"
        case StackLayer.RUNTIME | StackLayer.FRAMEWORK | StackLayer.CLOUD | StackLayer.OTHER:
            return layer.value
        case StackLayer.COUNTRY:
            return "hosting country"
        case _:
            assert_never(layer)


class Rule(StrEnum):
    """The provenance rules; each is reported by one policy class."""

    ENTITY_LISTED_VENDOR = "entity-listed-vendor"
    ENTITY_LISTED_ORIGIN = "entity-listed-origin"
    MILITARY_COMPANY_1260H = "military-company-1260h"
    UNRELIABLE_ENTITY_LIST = "unreliable-entity-list"
    LINEAGE_ORIGIN = "lineage-origin"
    SUPPLIER_COUNTRY_ONLY = "supplier-country-only"
    UNRESOLVED_COMPONENT = "unresolved-component"
    LOCAL_OPERATOR = "local-operator"
    ENTITY_LISTED_CLOUD = "entity-listed-cloud"
    UNRESOLVED_SITE = "unresolved-site"
    SITE_MISMATCH = "site-mismatch"
    MIXED_STACK = "mixed-stack"


class HostRole(StrEnum):
    """Who hosts a site: the cloud brand or the local company operating the region."""

    PROVIDER = "provider"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Scope:
    """What a check knows besides its subject."""

    systems: tuple[System, ...]
    as_of: date
    catalogue: Catalogue

    @property
    def related(self) -> tuple[Subject, ...]:
        return tuple(Subject(kind=SubjectKind.SYSTEM, id=s.id, name=s.name) for s in self.systems)

    @property
    def system_ids(self) -> list[str]:
        return [s.id for s in self.systems]

    def exposure(self) -> Severity:
        """High in a system, critical in a critical one, medium when no system uses it yet."""
        if not self.systems:
            return Severity.MEDIUM
        if any(s.criticality is Criticality.CRITICAL for s in self.systems):
            return Severity.CRITICAL
        return Severity.HIGH


T_contra = TypeVar("T_contra", contravariant=True)
T = TypeVar("T")


class Policy(Protocol[T_contra]):
    """One check of one kind of subject: the findings it raises (none when the subject passes)."""

    def check(self, subject: T_contra, scope: Scope) -> list[Finding]: ...


class AllOf(Generic[T]):
    """Every member's findings."""

    def __init__(self, *members: Policy[T]) -> None:
        self.members = members

    def check(self, subject: T, scope: Scope) -> list[Finding]:
        return [finding for member in self.members for finding in member.check(subject, scope)]


class FirstOf(Generic[T]):
    """Alternatives, strongest first: the findings of the first member that has any."""

    def __init__(self, *members: Policy[T]) -> None:
        self.members = members

    def check(self, subject: T, scope: Scope) -> list[Finding]:
        for member in self.members:
            findings = member.check(subject, scope)
            if findings:
                return findings
        return []


# -- shared wording ---------------------------------------------------------------------------

ENTITY_LIST = Citation(
    source="15 CFR Part 744, Supplement No. 4",
    section="Entity List",
    url="https://www.ecfr.gov/current/title-15/subtitle-B/chapter-VII/subchapter-C/part-744/"
    "appendix-Supplement%20No.%204%20to%20Part%20744",
)
BASE_MODEL = Citation(
    source="Hugging Face model cards",
    section="base_model metadata (fine-tune, adapter, quantisation, merge)",
    url="https://huggingface.co/docs/hub/model-cards",
)


def finding(rule: Rule, *ids: str, **fields: Any) -> Finding:
    """A provenance finding whose id is built from ``rule`` and the subjects' ``ids``."""
    return Finding(id=finding_id(NAME, rule.value, *ids), analysis=NAME, rule=rule.value,
                   **fields)


def component_subject(component: Component) -> Subject:
    return Subject(kind=SubjectKind.COMPONENT, id=component.id, name=component.name)


def entity_list_citations(vendor: Vendor) -> tuple[Citation, ...]:
    return tuple(c for c in (vendor.entity_list.citation, ENTITY_LIST) if c is not None)


def in_force(start: date | None, until: date | None, as_of: date) -> bool:
    return (start is None or start <= as_of) and (until is None or as_of < until)


def entity_listed(vendor: Vendor | None, as_of: date) -> bool:
    return vendor is not None and vendor.entity_list.listed_on(as_of)


def unverified(citation: Citation | None) -> bool:
    return citation is not None and citation.confidence == UNVERIFIED


def chain_text(chain: Sequence[LineageStep]) -> list[str]:
    """Each step of a lineage as ``reference (vendor, country)``."""
    out = []
    for step in chain:
        res = step.resolution
        who = res.vendor.name if res.vendor else "vendor not catalogued"
        out.append(f"{step.reference} ({who}, {res.country or 'country unknown'})")
    return out


# -- components -------------------------------------------------------------------------------


class EntityListedComponent:
    """The component's vendor, or a developer its weights descend from, is on the Entity List."""

    recommendation = (
        "Check whether any item subject to the EAR reaches {vendor} through this use (support "
        "contracts, updates, co-development, resale); involve export-control counsel, and plan a "
        "substitute from the same equivalence class if the dependency is material."
    )

    def check(self, subject: ComponentProvenance, scope: Scope) -> list[Finding]:
        steps: list[tuple[str, Resolution, tuple[LineageStep, ...]]] = [
            (subject.component.id, subject.resolution, ())]
        for path in subject.paths or (subject.lineage,):
            steps += [(s.reference, s.resolution, path) for s in path[1:]]
        findings = []
        seen: set[str] = set()
        for depth, (reference, res, path) in enumerate(steps):
            vendor = res.vendor
            if vendor is None or vendor.id in seen or not entity_listed(vendor, scope.as_of):
                continue
            seen.add(vendor.id)
            findings.append(self._finding(subject.component, vendor, reference, res,
                                          path if depth else None, scope))
        return findings

    def _finding(self, component: Component, vendor: Vendor, reference: str, res: Resolution,
                 path: tuple[LineageStep, ...] | None, scope: Scope) -> Finding:
        """``path`` is the lineage when the listed party is an origin, None for the vendor."""
        status = vendor.entity_list
        what = (f"{component.name} descends from {reference} by {vendor.name}" if path is not None
                else f"{component.name} comes from {vendor.name}")
        used = (f"used by {', '.join(scope.system_ids)}" if scope.systems
                else "not used by any system")
        rule = Rule.ENTITY_LISTED_ORIGIN if path is not None else Rule.ENTITY_LISTED_VENDOR
        return finding(
            rule, component.id, vendor.id, severity=scope.exposure(),
            title=f"{what}, on the US Entity List since {status.since} ({used})",
            subject=component_subject(component),
            evidence=self._evidence(vendor, res, path, scope),
            recommendation=self.recommendation.format(vendor=vendor.name),
            citations=entity_list_citations(vendor), related=scope.related)

    @staticmethod
    def _evidence(vendor: Vendor, res: Resolution, path: tuple[LineageStep, ...] | None,
                  scope: Scope) -> dict[str, Any]:
        status = vendor.entity_list
        evidence: dict[str, Any] = {
            "vendor": vendor.name, "vendor_id": vendor.id, "country": vendor.country,
            "listed_since": status.since.isoformat() if status.since else None,
            "listing_note": status.note, "resolved_by": res.evidence.value,
            "resolution_detail": res.detail,
            "product": res.product.name if res.product else None,
            "systems": scope.system_ids, "as_of": scope.as_of.isoformat(),
        }
        if path is not None:
            evidence["lineage"] = chain_text(path)
        controls = [
            {"id": c.id, "regime": c.regime, "destinations": list(c.destinations),
             "from": c.licence_required_from.isoformat() if c.licence_required_from else None,
             "citation": str(c.citation),
             "in_force": in_force(c.licence_required_from, c.licence_required_until, scope.as_of)}
            for c in (res.product.controls if res.product else ())
        ]
        if controls:
            evidence["export_controls"] = controls
        if unverified(status.citation):
            evidence["citation_confidence"] = UNVERIFIED
        return evidence


@dataclass(frozen=True)
class VendorList:
    """A government list other than the Entity List that a vendor can be on."""

    rule: Rule
    attribute: str
    label: str
    severity: Severity
    recommendation: str
    citation: Citation

    def listing(self, vendor: Vendor, scope: Scope) -> tuple[Vendor, ListStatus] | None:
        """The vendor (or the nearest catalogued parent) whose listing is in force."""
        current: Vendor | None = vendor
        seen: set[str] = set()
        while current is not None and current.id not in seen:
            seen.add(current.id)
            status: ListStatus | None = getattr(current, self.attribute)
            if status is not None and status.listed_on(scope.as_of):
                return current, status
            current = scope.catalogue.vendors.get(current.parent) if current.parent else None
        return None

    def finding(self, subject: Subject, ids: tuple[str, ...], what: str, vendor: Vendor,
                listed: tuple[Vendor, ListStatus], scope: Scope) -> Finding:
        holder, status = listed
        who = f", whose parent {holder.name} is" if holder.id != vendor.id else ", which is"
        since = f" since {status.since}" if status.since else ""
        weak = unverified(status.citation)
        evidence: dict[str, Any] = {
            "vendor": vendor.name, "listed_party": holder.name,
            "listed_since": status.since.isoformat() if status.since else None,
            "listing_note": status.note, "systems": scope.system_ids,
            "as_of": scope.as_of.isoformat(),
        }
        if weak:
            evidence["citation_confidence"] = UNVERIFIED
        return finding(
            self.rule, *ids,
            severity=Severity.LOW if weak or not scope.systems else self.severity,
            title=f"{what}{who} on {self.label}{since}"
            + (" (listing unverified)" if weak else ""),
            subject=subject, evidence=evidence, recommendation=self.recommendation,
            citations=tuple(c for c in (status.citation, self.citation) if c is not None),
            related=scope.related)


MILITARY_1260H = VendorList(
    rule=Rule.MILITARY_COMPANY_1260H,
    attribute="military_company_1260h",
    label="the US Department of Defense list of Chinese military companies (s.1260H)",
    severity=Severity.MEDIUM,
    recommendation=(
        "Not an export ban: the US Department of Defense may not contract with listed "
        "companies directly from 2026-06-30 and indirectly from 2027-06-30 (FY2024 NDAA "
        "s.805). Check whether the system serves US defence contracts, and expect investor "
        "and customer scrutiny; plan a substitute where that matters."
    ),
    citation=Citation(
        source="William M. (Mac) Thornberry NDAA for FY2021, s.1260H; FY2024 NDAA s.805",
        section="list of Chinese military companies operating in the United States",
        checked_on=date(2026, 12, 3),
    ),
)
UNRELIABLE_ENTITY = VendorList(
    rule=Rule.UNRELIABLE_ENTITY_LIST,
    attribute="unreliable_entity_list",
    label="China's Unreliable Entity List",
    severity=Severity.MEDIUM,
    recommendation=(
        "China may bar a listed company from China-related import and export and from new "
        "investment in China: check whether systems in China or serving Chinese users depend "
        "on it, and plan a substitute there."
    ),
    citation=Citation(
        source="Provisions on the Unreliable Entity List (MOFCOM Order No. 4 of 2020)",
        section="Art 10 (measures against listed entities)",
        checked_on=date(2026, 12, 3),
        confidence="unverified",
        unverified_reason="Art 10 as cited by the ministry's spokesperson on 2025-02-13; the "
        "order number and text were not retrieved",
    ),
)
VENDOR_LISTS = (MILITARY_1260H, UNRELIABLE_ENTITY)


@dataclass(frozen=True)
class ComponentOnVendorList:
    """The component's vendor, or a developer its weights descend from, is on ``vendor_list``
    (directly or through a catalogued parent) on the as-of date; one finding per listed party."""

    vendor_list: VendorList

    def check(self, subject: ComponentProvenance, scope: Scope) -> list[Finding]:
        name = subject.component.name
        sources: dict[str, tuple[Vendor, str]] = {}
        if subject.resolution.vendor is not None:
            vendor = subject.resolution.vendor
            sources[vendor.id] = (vendor, f"{name} comes from {vendor.name}")
        for origin in subject.origins if subject.is_model else ():
            if origin.vendor is not None and origin.vendor.id not in sources:
                sources[origin.vendor.id] = (
                    origin.vendor, f"{name}'s weights descend from {origin.vendor.name}")
        findings = []
        reported: set[str] = set()
        for vendor, what in sources.values():
            listed = self.vendor_list.listing(vendor, scope)
            if listed is None or listed[0].id in reported:
                continue
            reported.add(listed[0].id)
            findings.append(self.vendor_list.finding(
                component_subject(subject.component), (subject.component.id, listed[0].id),
                what, vendor, listed, scope))
        return findings


class WeightsFromAnotherBloc:
    """A model published from one bloc whose weights originate (by lineage) in another."""

    def check(self, subject: ComponentProvenance, scope: Scope) -> list[Finding]:
        publisher = subject.resolution
        if not subject.is_model or len(subject.lineage) < 2 or publisher.bloc is Bloc.UNKNOWN:
            return []
        differing = [
            path for path in (subject.paths or (subject.lineage,))
            if len(path) > 1 and path[-1].resolution.bloc not in (publisher.bloc, Bloc.UNKNOWN)
        ]
        if not differing:
            return []
        origin = differing[0][-1].resolution
        component = subject.component
        relation = component.base_model_relation
        return [finding(
            Rule.LINEAGE_ORIGIN, component.id, severity=Severity.MEDIUM,
            title=(f"Model {component.name} is published from the {publisher.bloc.value} bloc "
                   f"but its weights originate in the {origin.bloc.value} bloc"),
            subject=component_subject(component),
            evidence={
                "chain": chain_text(differing[0]), "publisher_country": publisher.country,
                "publisher_bloc": publisher.bloc.value,
                "origin": origin.vendor.name if origin.vendor else None,
                "origin_country": origin.country, "origin_bloc": origin.bloc.value,
                "origin_resolved_by": origin.evidence.value,
                "relation": relation.value if relation else None,
                "systems": scope.system_ids,
                "other_origins": [chain_text(path)[-1] for path in differing[1:]],
            },
            recommendation=(
                "Treat the model as having the origin of its base weights in procurement, "
                "export-control and AI-governance records; keep the base model's licence, "
                "card and hash with the fine-tune."),
            citations=(BASE_MODEL,), related=scope.related)]


class SupplierCountryOnly:
    """No catalogued vendor, but the estate's supplier country places the component."""

    def check(self, subject: ComponentProvenance, scope: Scope) -> list[Finding]:
        res, component = subject.resolution, subject.component
        if res.resolved or res.evidence is not Evidence.SUPPLIER_COUNTRY:
            return []
        given = repr(component.vendor) if component.vendor else "(none given)"
        return [finding(
            Rule.SUPPLIER_COUNTRY_ONLY, component.id, severity=Severity.INFO,
            title=(f"{component.name}: vendor {given} is not catalogued; bloc taken from "
                   f"supplier country {res.country}"),
            subject=component_subject(component),
            evidence={"vendor": component.vendor, "supplier_country": res.country,
                      "bloc": res.bloc.value, "reason": res.detail},
            recommendation=(
                "Nothing to do for in-house components; for a third party, add its purl, "
                "CPE or Hugging Face id so that the catalogue can identify it."),
            related=scope.related)]


class UnresolvedComponent:
    """Nothing identifies the component: its origin is unknown and counts as such."""

    def check(self, subject: ComponentProvenance, scope: Scope) -> list[Finding]:
        res, component = subject.resolution, subject.component
        if res.resolved:
            return []
        given = {k: v for k, v in (("vendor", component.vendor), ("product", component.product),
                                   ("purl", component.purl), ("cpe", component.cpe),
                                   ("hf_id", component.hf_id)) if v}
        return [finding(
            Rule.UNRESOLVED_COMPONENT, component.id, severity=Severity.LOW,
            title=f"{component.name}: origin unknown (not resolved against the catalogue)",
            subject=component_subject(component),
            evidence={"reason": res.detail, "given": given},
            recommendation=(
                "Add the vendor, a purl, CPE or Hugging Face id, or supplier_country, so that "
                "the component's origin can be established; until then it counts as unknown."),
            related=scope.related)]


# -- sites ------------------------------------------------------------------------------------


def site_subject(site: SiteResolution) -> Subject:
    return Subject(kind=SubjectKind.SITE, id=site.site_id)


class LocalOperator:
    """A local company, not the cloud brand, operates the site's region."""

    def check(self, subject: SiteResolution, scope: Scope) -> list[Finding]:
        provider, operator = subject.provider, subject.operator
        if not subject.local_operator or operator is None or provider is None:
            return []
        return [finding(
            Rule.LOCAL_OPERATOR, subject.site_id, severity=Severity.INFO,
            title=(f"Site {subject.site_id}: {provider.name} region "
                   f"{subject.region.code if subject.region else ''} is operated by "
                   f"{operator.name} ({operator.country})"),
            subject=site_subject(subject),
            evidence={"provider": provider.name, "provider_country": provider.country,
                      "operator": operator.name, "operator_country": operator.country,
                      "hosting_country": subject.country, "detail": subject.detail,
                      "systems": scope.system_ids},
            recommendation=(
                "Contract with and assess the local operator as the data processor: its "
                "jurisdiction, not the brand's, governs compelled disclosure and access."),
            related=scope.related)]


class EntityListedHost:
    """The site's provider, or a different operator, is on the Entity List."""

    def check(self, subject: SiteResolution, scope: Scope) -> list[Finding]:
        findings = []
        for role, vendor in ((HostRole.PROVIDER, subject.provider),
                             (HostRole.OPERATOR, subject.operator)):
            if vendor is None or not entity_listed(vendor, scope.as_of):
                continue
            if (role is HostRole.OPERATOR and subject.provider is not None
                    and vendor.id == subject.provider.id):
                continue  # the brand operates its own region: reported once, as provider
            since = vendor.entity_list.since
            findings.append(finding(
                Rule.ENTITY_LISTED_CLOUD, subject.site_id, vendor.id,
                severity=scope.exposure(),
                title=(f"Site {subject.site_id} is hosted by {vendor.name}, on the US Entity "
                       f"List since {since}"),
                subject=site_subject(subject),
                evidence={"role": role.value, "vendor": vendor.name,
                          "listed_since": since.isoformat() if since else None,
                          "systems": scope.system_ids, "as_of": scope.as_of.isoformat()},
                recommendation=(
                    "Review which EAR items (software, support, updates) reach the provider "
                    "through this hosting, with export-control counsel."),
                citations=entity_list_citations(vendor), related=scope.related))
        return findings


class UnresolvedSite:
    """The site's region is not catalogued, so its country and operator cannot be checked."""

    def check(self, subject: SiteResolution, scope: Scope) -> list[Finding]:
        if subject.evidence not in (SiteEvidence.PROVIDER, SiteEvidence.NONE):
            return []
        return [finding(
            Rule.UNRESOLVED_SITE, subject.site_id, severity=Severity.LOW,
            title=f"Site {subject.site_id}: region not catalogued ({subject.detail})",
            subject=site_subject(subject),
            evidence={"reason": subject.detail, "declared_country": subject.country},
            recommendation=(
                "Give the provider's name as catalogued and its region code, so that the "
                "hosting country and operator can be checked."),
            related=scope.related)]


class SiteMismatch:
    """The estate and the catalogue disagree about the site (country or operator)."""

    def check(self, subject: SiteResolution, scope: Scope) -> list[Finding]:
        return [finding(
            Rule.SITE_MISMATCH, subject.site_id, str(index), severity=Severity.LOW,
            title=f"Site {subject.site_id}: {note}", subject=site_subject(subject),
            evidence={"note": note, "detail": subject.detail},
            recommendation="Correct the estate or report the catalogue entry.",
            related=scope.related)
            for index, note in enumerate(subject.notes, start=1)]


@dataclass(frozen=True)
class HostOnVendorList:
    """The site's provider or operator is on ``vendor_list`` on the as-of date."""

    vendor_list: VendorList

    def check(self, subject: SiteResolution, scope: Scope) -> list[Finding]:
        hosts = {v.id: v for v in (subject.provider, subject.operator) if v is not None}
        findings = []
        for vendor in hosts.values():
            listed = self.vendor_list.listing(vendor, scope)
            if listed is not None:
                findings.append(self.vendor_list.finding(
                    site_subject(subject), (subject.site_id, listed[0].id),
                    f"Site {subject.site_id} is hosted by {vendor.name}", vendor, listed, scope))
        return findings


# -- systems ----------------------------------------------------------------------------------


class MixedStack:
    """A system whose layers come from more than one known bloc (medium when US and CN)."""

    def check(self, subject: SystemProvenance, scope: Scope) -> list[Finding]:
        blocs = subject.known_blocs
        if len(blocs) < 2:
            return []
        sources = self._sources(subject, scope.as_of)
        system = subject.system
        both = {Bloc.US, Bloc.CN} <= blocs
        by_bloc: dict[str, list[str]] = defaultdict(list)
        for cp in subject.components:
            by_bloc[cp.bloc.value].append(cp.component.id)
        return [finding(
            Rule.MIXED_STACK, system.id, severity=Severity.MEDIUM if both else Severity.LOW,
            title=(f"{system.name} mixes layers from the "
                   f"{' and '.join(b.value for b in BLOC_ORDER if b in blocs)} blocs"),
            subject=Subject(kind=SubjectKind.SYSTEM, id=system.id, name=system.name),
            evidence={
                "layers": {layer_label(layer): [b.value for b in found]
                           for layer, found in subject.layers.items()},
                "components_by_bloc": dict(sorted(by_bloc.items())),
                "site": subject.site.detail if subject.site else None,
                "us_and_cn": both,
            },
            recommendation=(
                "A system spanning the US and Chinese stacks is exposed to both sides' export "
                "controls and supply shocks: document why each layer was chosen and keep a "
                "single-bloc fallback for the critical path." if both
                else "Record the mix; it matters for sovereignty and supplier-concentration "
                "reviews rather than for export controls."),
            citations=tuple(sources[k] for k in sorted(sources)))]

    @staticmethod
    def _sources(subject: SystemProvenance, as_of: date) -> dict[str, Citation]:
        """What makes the mix matter: Entity List listings in force and product export
        controls of the system's own components."""
        sources: dict[str, Citation] = {}
        for cp in subject.components:
            for res in (cp.resolution, *cp.origins):
                vendor = res.vendor
                if entity_listed(vendor, as_of) and vendor and vendor.entity_list.citation:
                    citation = vendor.entity_list.citation
                    sources.setdefault(str(citation), citation)
            for control in cp.resolution.product.controls if cp.resolution.product else ():
                if in_force(control.licence_required_from, control.licence_required_until, as_of):
                    sources.setdefault(str(control.citation), control.citation)
        return sources


def component_policies() -> Policy[ComponentProvenance]:
    """The checks of every component."""
    return AllOf(
        EntityListedComponent(),
        ComponentOnVendorList(MILITARY_1260H),
        ComponentOnVendorList(UNRELIABLE_ENTITY),
        WeightsFromAnotherBloc(),
        FirstOf(SupplierCountryOnly(), UnresolvedComponent()),
    )


def site_policies() -> Policy[SiteResolution]:
    """The checks of every site."""
    return AllOf(
        LocalOperator(),
        EntityListedHost(),
        UnresolvedSite(),
        SiteMismatch(),
        HostOnVendorList(MILITARY_1260H),
        HostOnVendorList(UNRELIABLE_ENTITY),
    )


def system_policies() -> Policy[SystemProvenance]:
    """The checks of every system."""
    return AllOf(MixedStack())
