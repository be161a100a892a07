"""Provenance: where every layer of every AI system comes from, and which of it is restricted.

Each component is resolved against the provenance catalogue (purl, Hugging Face organisation, CPE,
vendor or product name, supplier country; strongest evidence first). Model weights take the origin
of the root of their base-model lineage, so a fine-tune of a Chinese base model published by a US
team counts as Chinese weights. The cloud layer is the site's provider (or its local operator) and
the country the data sits in.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, assert_never

from stackrift.analyses.base import AnalysisContext, AnalysisResult, register
from stackrift.catalog.catalogue import Catalogue, LineageStep, Resolution, SiteResolution
from stackrift.catalog.model import Layer, ListStatus, StackLayer, Vendor, bloc_of
from stackrift.estate.loader import LoadedEstate
from stackrift.estate.model import Bloc, Component, ComponentType, Criticality, Estate, System
from stackrift.findings import Citation, Finding, Severity, Subject, SubjectKind, finding_id
from stackrift.summaries import BarChart, Table, summary_json

NAME = "provenance"


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


REPORTED_LAYERS = (
    StackLayer.ACCELERATOR,
    StackLayer.RUNTIME,
    StackLayer.FRAMEWORK,
    StackLayer.MODEL,
    StackLayer.CLOUD,
)
BLOC_ORDER = (Bloc.US, Bloc.CN, Bloc.EU, Bloc.OTHER, Bloc.UNKNOWN)

_BY_PRODUCT_LAYER = {
    Layer.ACCELERATOR: StackLayer.ACCELERATOR,
    Layer.RUNTIME: StackLayer.RUNTIME,
    Layer.FRAMEWORK: StackLayer.FRAMEWORK,
    Layer.LIBRARY: StackLayer.FRAMEWORK,
    Layer.MODEL: StackLayer.MODEL,
    Layer.CLOUD: StackLayer.CLOUD,
    Layer.DATASET: StackLayer.OTHER,
}
_BY_TYPE = {
    ComponentType.ACCELERATOR: StackLayer.ACCELERATOR,
    ComponentType.DRIVER: StackLayer.RUNTIME,
    ComponentType.RUNTIME: StackLayer.RUNTIME,
    ComponentType.FIRMWARE: StackLayer.RUNTIME,
    ComponentType.FRAMEWORK: StackLayer.FRAMEWORK,
    ComponentType.LIBRARY: StackLayer.FRAMEWORK,
    ComponentType.MODEL: StackLayer.MODEL,
    ComponentType.CLOUD_SERVICE: StackLayer.CLOUD,
}
_BASE_MODEL = Citation(
    source="Hugging Face model cards",
    section="base_model metadata (fine-tune, adapter, quantisation, merge)",
    url="https://huggingface.co/docs/hub/model-cards",
)
_ENTITY_LIST = Citation(
    source="15 CFR Part 744, Supplement No. 4",
    section="Entity List",
    url="https://www.ecfr.gov/current/title-15/subtitle-B/chapter-VII/subchapter-C/part-744/"
    "appendix-Supplement%20No.%204%20to%20Part%20744",
)


def layer_of(component: Component, resolution: Resolution) -> StackLayer:
    """The stack layer of a component: the catalogued product's layer, else its declared type."""
    if component.type is ComponentType.MODEL:
        return StackLayer.MODEL  # a model component is weights even when the family is a service
    if resolution.product is not None:
        return _BY_PRODUCT_LAYER[resolution.product.layer]
    return _BY_TYPE.get(component.type, StackLayer.OTHER)


@dataclass(frozen=True)
class ComponentProvenance:
    """One component's resolution and, for models, the origin of its weights."""

    component: Component
    resolution: Resolution
    layer: StackLayer
    lineage: tuple[LineageStep, ...]
    paths: tuple[tuple[LineageStep, ...], ...] = ()
    """Every lineage path to a root (a merge has several); ``lineage`` is the first."""

    @property
    def origin(self) -> Resolution:
        """Whose weights these are: the root of the lineage (the component itself otherwise)."""
        return self.lineage[-1].resolution if self.lineage else self.resolution

    @property
    def origins(self) -> tuple[Resolution, ...]:
        """The roots of every lineage path (one for a plain fine-tune, several for a merge)."""
        if not self.paths:
            return (self.origin,)
        return tuple(path[-1].resolution for path in self.paths)

    @property
    def bloc(self) -> Bloc:
        """The bloc this component counts for: weights origin for models, vendor otherwise."""
        return self.origin.bloc if self.layer is StackLayer.MODEL else self.resolution.bloc

    @property
    def blocs(self) -> tuple[Bloc, ...]:
        """Every bloc the component draws on (all weight origins for a merged model)."""
        if self.layer is not StackLayer.MODEL:
            return (self.resolution.bloc,)
        found = {o.bloc for o in self.origins}
        return tuple(b for b in BLOC_ORDER if b in found)


@dataclass(frozen=True)
class SystemProvenance:
    """Blocs per layer for one system."""

    system: System
    site: SiteResolution | None
    components: tuple[ComponentProvenance, ...]
    layers: dict[StackLayer, tuple[Bloc, ...]]

    @property
    def known_blocs(self) -> set[Bloc]:
        return {b for blocs in self.layers.values() for b in blocs if b is not Bloc.UNKNOWN}


def _cloud_bloc(site: SiteResolution) -> Bloc:
    """The bloc of the company whose law governs the hosting: the operator, else the provider."""
    company = site.operator or site.provider
    if company is not None:
        return company.bloc
    return bloc_of(site.country)  # on-prem: the host country's law


def _citations(vendor: Vendor) -> tuple[Citation, ...]:
    status = vendor.entity_list
    return tuple(c for c in (status.citation, _ENTITY_LIST) if c is not None)


def _in_force(start: date | None, until: date | None, as_of: date) -> bool:
    return (start is None or start <= as_of) and (until is None or as_of < until)


def _listed(vendor: Vendor | None, as_of: date) -> bool:
    return vendor is not None and vendor.entity_list.listed_on(as_of)


def _chain_text(chain: tuple[LineageStep, ...]) -> list[str]:
    out = []
    for step in chain:
        res = step.resolution
        who = res.vendor.name if res.vendor else "vendor not catalogued"
        out.append(f"{step.reference} ({who}, {res.country or 'country unknown'})")
    return out


def _confidence(res: Resolution) -> str:
    """'unverified' when any catalogue fact the resolution rests on is weakly sourced."""
    if res.vendor is None:
        return "n/a"
    weak = [res.vendor.confidence, res.product.confidence if res.product else "verified"]
    citation = res.vendor.entity_list.citation
    if citation is not None:
        weak.append(citation.confidence)
    return "unverified" if "unverified" in weak else "verified"


def _finding(
    rule: str,
    *ids: str,
    severity: Severity,
    title: str,
    subject: Subject,
    evidence: dict[str, Any],
    recommendation: str,
    citations: tuple[Citation, ...] = (),
    related: tuple[Subject, ...] = (),
) -> Finding:
    """A provenance finding whose id is built from ``rule`` and the subjects' ``ids``."""
    return Finding(
        id=finding_id(NAME, rule, *ids),
        analysis=NAME,
        rule=rule,
        severity=severity,
        title=title,
        subject=subject,
        evidence=evidence,
        recommendation=recommendation,
        citations=citations,
        related=related,
    )


def _component_subject(component: Component) -> Subject:
    return Subject(kind=SubjectKind.COMPONENT, id=component.id, name=component.name)


def _system_subjects(systems: list[System]) -> tuple[Subject, ...]:
    return tuple(Subject(kind=SubjectKind.SYSTEM, id=s.id, name=s.name) for s in systems)


def _criticality_severity(systems: list[System]) -> Severity:
    """High in a system, critical in a critical one, medium when no system uses it yet."""
    if not systems:
        return Severity.MEDIUM
    if any(s.criticality is Criticality.CRITICAL for s in systems):
        return Severity.CRITICAL
    return Severity.HIGH


@dataclass(frozen=True)
class VendorList:
    """A government list other than the Entity List that a vendor can be on."""

    rule: str
    attribute: str
    label: str
    severity: Severity
    recommendation: str
    citation: Citation


VENDOR_LISTS = (
    VendorList(
        rule="military-company-1260h",
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
    ),
    VendorList(
        rule="unreliable-entity-list",
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
    ),
)


def _listed_status(
    vendor: Vendor, attribute: str, as_of: date, catalogue: Catalogue
) -> tuple[Vendor, ListStatus] | None:
    """The vendor (or the nearest catalogued parent) whose listing is in force on ``as_of``."""
    current: Vendor | None = vendor
    seen: set[str] = set()
    while current is not None and current.id not in seen:
        seen.add(current.id)
        status: ListStatus | None = getattr(current, attribute)
        if status is not None and status.listed_on(as_of):
            return current, status
        current = catalogue.vendors.get(current.parent) if current.parent else None
    return None


def _list_finding(
    spec: VendorList, subject: Subject, ids: tuple[str, ...], what: str, vendor: Vendor,
    listed: tuple[Vendor, ListStatus], systems: list[System], as_of: date,
) -> Finding:
    holder, status = listed
    who = (f", whose parent {holder.name} is" if holder.id != vendor.id else ", which is")
    since = f" since {status.since}" if status.since else ""
    unverified = status.citation is not None and status.citation.confidence == "unverified"
    evidence: dict[str, Any] = {
        "vendor": vendor.name,
        "listed_party": holder.name,
        "listed_since": status.since.isoformat() if status.since else None,
        "listing_note": status.note,
        "systems": [s.id for s in systems],
        "as_of": as_of.isoformat(),
    }
    if unverified:
        evidence["citation_confidence"] = "unverified"
    return _finding(
        spec.rule,
        *ids,
        severity=Severity.LOW if unverified or not systems else spec.severity,
        title=f"{what}{who} on {spec.label}{since}"
        + (" (listing unverified)" if unverified else ""),
        subject=subject,
        evidence=evidence,
        recommendation=spec.recommendation,
        citations=tuple(c for c in (status.citation, spec.citation) if c is not None),
        related=_system_subjects(systems),
    )


def _flagged_lists(
    cp: ComponentProvenance, systems: list[System], context: AnalysisContext,
    catalogue: Catalogue,
) -> list[Finding]:
    """Findings for a component whose vendor, or the developer its model weights descend from,
    is on the s.1260H list or the Unreliable Entity List on the as-of date."""
    sources: dict[str, tuple[Vendor, str]] = {}
    if cp.resolution.vendor is not None:
        vendor = cp.resolution.vendor
        sources[vendor.id] = (vendor, f"{cp.component.name} comes from {vendor.name}")
    for origin in cp.origins if cp.layer is StackLayer.MODEL else ():
        if origin.vendor is not None and origin.vendor.id not in sources:
            sources[origin.vendor.id] = (
                origin.vendor, f"{cp.component.name}'s weights descend from {origin.vendor.name}")
    findings = []
    reported: set[tuple[str, str]] = set()
    for vendor, what in sources.values():
        for spec in VENDOR_LISTS:
            listed = _listed_status(vendor, spec.attribute, context.as_of, catalogue)
            if listed is None or (spec.rule, listed[0].id) in reported:
                continue
            reported.add((spec.rule, listed[0].id))
            findings.append(_list_finding(
                spec, _component_subject(cp.component), (cp.component.id, listed[0].id),
                what, vendor, listed, systems, context.as_of))
    return findings


def _flagged_hosts(
    site: SiteResolution, systems: list[System], context: AnalysisContext,
    catalogue: Catalogue,
) -> list[Finding]:
    """Findings for a site whose provider or operator is on one of the vendor lists."""
    findings = []
    hosts = {v.id: v for v in (site.provider, site.operator) if v is not None}
    subject = Subject(kind=SubjectKind.SITE, id=site.site_id)
    for vendor in hosts.values():
        for spec in VENDOR_LISTS:
            listed = _listed_status(vendor, spec.attribute, context.as_of, catalogue)
            if listed is not None:
                findings.append(_list_finding(
                    spec, subject, (site.site_id, listed[0].id),
                    f"Site {site.site_id} is hosted by {vendor.name}", vendor, listed, systems,
                    context.as_of))
    return findings


def _measures_table(context: AnalysisContext) -> Table:
    """Every catalogued trade measure with its status on the as-of date."""
    rows = [
        [m.id, m.authority, m.title, m.in_force_from.isoformat(),
         m.status_on(context.as_of).value, str(m.citation), m.confidence]
        for m in context.catalogue.data.measures
    ]
    return Table.of(
        f"Export-control measures on the AI supply chain, status on {context.as_of}",
        ["measure", "authority", "title", "from", "status", "source", "confidence"], rows)


@register
class ProvenanceAnalysis:
    """Resolve every component and site; report blocs per layer, Entity List hits and lineage."""

    name: ClassVar[str] = NAME
    title: ClassVar[str] = "Provenance"
    order: ClassVar[int] = 10

    def run(self, estate: LoadedEstate, context: AnalysisContext) -> AnalysisResult:
        """Analyse the estate; deterministic and side-effect free."""
        data = estate.estate
        catalogue = context.catalogue
        components = {c.id: self._component(c, data, catalogue) for c in data.components}
        sites = {s.id: catalogue.resolve_site(s) for s in data.sites}
        systems = [self._system(s, components, sites) for s in data.systems]
        users: dict[str, list[System]] = defaultdict(list)
        for system in data.systems:
            for ref in system.components:
                users[ref].append(system)
        site_users: dict[str, list[System]] = defaultdict(list)
        for system in data.systems:
            if system.site:
                site_users[system.site].append(system)

        findings: list[Finding] = []
        for cp in components.values():
            findings.extend(self._entity_listed(cp, users[cp.component.id], context))
            findings.extend(_flagged_lists(cp, users[cp.component.id], context, catalogue))
            findings.extend(self._lineage(cp, users[cp.component.id]))
            findings.extend(self._unresolved(cp, users[cp.component.id]))
        for site in data.sites:
            findings.extend(self._site(sites[site.id], site_users[site.id], context))
            findings.extend(_flagged_hosts(sites[site.id], site_users[site.id], context,
                                           catalogue))
        for sp in systems:
            findings.extend(self._mixed(sp, context.as_of))
        return AnalysisResult(
            tuple(sorted(findings, key=lambda f: f.sort_key())),
            self._summary(components, sites, systems, context),
        )

    # -- resolution -----------------------------------------------------------------------------

    @staticmethod
    def _component(
        component: Component, estate: Estate, catalogue: Catalogue
    ) -> ComponentProvenance:
        resolution = catalogue.resolve(component)
        layer = layer_of(component, resolution)
        lineage: tuple[LineageStep, ...] = ()
        paths: tuple[tuple[LineageStep, ...], ...] = ()
        if component.type is ComponentType.MODEL:
            lineage = tuple(catalogue.lineage(component, estate.components))
            paths = tuple(tuple(p) for p in catalogue.lineages(component, estate.components))
        return ComponentProvenance(component, resolution, layer, lineage, paths)

    @staticmethod
    def _system(
        system: System,
        components: dict[str, ComponentProvenance],
        sites: dict[str, SiteResolution],
    ) -> SystemProvenance:
        members = tuple(components[c] for c in system.components if c in components)
        layers: dict[StackLayer, set[Bloc]] = {layer: set() for layer in REPORTED_LAYERS}
        for cp in members:
            if cp.layer in layers:
                layers[cp.layer].update(cp.blocs)
        site = sites.get(system.site) if system.site else None
        if site is not None:
            layers[StackLayer.CLOUD].add(_cloud_bloc(site))
        ordered = {
            layer: tuple(b for b in BLOC_ORDER if b in blocs) for layer, blocs in layers.items()
        }
        return SystemProvenance(system, site, members, ordered)

    # -- findings -------------------------------------------------------------------------------

    @staticmethod
    def _entity_listed(
        cp: ComponentProvenance, systems: list[System], context: AnalysisContext
    ) -> list[Finding]:
        component = cp.component
        steps: list[tuple[str, Resolution, tuple[LineageStep, ...]]] = [
            (component.id, cp.resolution, ())
        ]
        for path in cp.paths or (cp.lineage,):
            steps += [(s.reference, s.resolution, path) for s in path[1:]]
        findings = []
        seen: set[str] = set()
        for depth, (reference, res, path) in enumerate(steps):
            vendor = res.vendor
            if vendor is None or vendor.id in seen or not _listed(vendor, context.as_of):
                continue
            seen.add(vendor.id)
            status = vendor.entity_list
            via_lineage = depth > 0
            rule = "entity-listed-origin" if via_lineage else "entity-listed-vendor"
            severity = _criticality_severity(systems)
            what = (
                f"{component.name} descends from {reference} by {vendor.name}"
                if via_lineage
                else f"{component.name} comes from {vendor.name}"
            )
            controls = [
                {
                    "id": c.id,
                    "regime": c.regime,
                    "destinations": list(c.destinations),
                    "from": c.licence_required_from.isoformat()
                    if c.licence_required_from
                    else None,
                    "citation": str(c.citation),
                    "in_force": _in_force(
                        c.licence_required_from, c.licence_required_until, context.as_of
                    ),
                }
                for c in (res.product.controls if res.product else ())
            ]
            evidence: dict[str, Any] = {
                "vendor": vendor.name,
                "vendor_id": vendor.id,
                "country": vendor.country,
                "listed_since": status.since.isoformat() if status.since else None,
                "listing_note": status.note,
                "resolved_by": res.evidence,
                "resolution_detail": res.detail,
                "product": res.product.name if res.product else None,
                "systems": [s.id for s in systems],
                "as_of": context.as_of.isoformat(),
            }
            if via_lineage:
                evidence["lineage"] = _chain_text(path)
            if controls:
                evidence["export_controls"] = controls
            if status.citation is not None and status.citation.confidence == "unverified":
                evidence["citation_confidence"] = "unverified"
            used = (
                f"used by {', '.join(s.id for s in systems)}"
                if systems
                else "not used by any system"
            )
            findings.append(
                _finding(
                    rule,
                    component.id, vendor.id,
                    severity=severity,
                    title=f"{what}, on the US Entity List since {status.since} ({used})",
                    subject=_component_subject(component),
                    evidence=evidence,
                    recommendation=(
                        f"Check whether any item subject to the EAR reaches {vendor.name} through "
                        "this use (support contracts, updates, co-development, resale); involve "
                        "export-control counsel, and plan a substitute from the same equivalence "
                        "class if the dependency is material."
                    ),
                    citations=_citations(vendor),
                    related=_system_subjects(systems),
                )
            )
        return findings

    @staticmethod
    def _lineage(cp: ComponentProvenance, systems: list[System]) -> list[Finding]:
        if cp.layer is not StackLayer.MODEL or len(cp.lineage) < 2:
            return []
        publisher = cp.resolution
        if publisher.bloc is Bloc.UNKNOWN:
            return []
        differing = [
            path
            for path in (cp.paths or (cp.lineage,))
            if len(path) > 1 and path[-1].resolution.bloc not in (publisher.bloc, Bloc.UNKNOWN)
        ]
        if not differing:
            return []
        origin = differing[0][-1].resolution
        component = cp.component
        chain = _chain_text(differing[0])
        return [
            _finding(
                "lineage-origin",
                component.id,
                severity=Severity.MEDIUM,
                title=(
                    f"Model {component.name} is published from the {publisher.bloc.value} bloc but "
                    f"its weights originate in the {origin.bloc.value} bloc"
                ),
                subject=_component_subject(component),
                evidence={
                    "chain": chain,
                    "publisher_country": publisher.country,
                    "publisher_bloc": publisher.bloc.value,
                    "origin": origin.vendor.name if origin.vendor else None,
                    "origin_country": origin.country,
                    "origin_bloc": origin.bloc.value,
                    "origin_resolved_by": origin.evidence,
                    "relation": component.base_model_relation.value
                    if component.base_model_relation
                    else None,
                    "systems": [s.id for s in systems],
                    "other_origins": [_chain_text(path)[-1] for path in differing[1:]],
                },
                recommendation=(
                    "Treat the model as having the origin of its base weights in procurement, "
                    "export-control and AI-governance records; keep the base model's licence, "
                    "card and hash with the fine-tune."
                ),
                citations=(_BASE_MODEL,),
                related=_system_subjects(systems),
            )
        ]

    @staticmethod
    def _unresolved(cp: ComponentProvenance, systems: list[System]) -> list[Finding]:
        res, component = cp.resolution, cp.component
        if res.resolved:
            return []
        subject = _component_subject(component)
        related = _system_subjects(systems)
        if res.evidence == "supplier-country":
            return [
                _finding(
                    "supplier-country-only",
                    component.id,
                    severity=Severity.INFO,
                    title=(
                        f"{component.name}: vendor "
                        f"{repr(component.vendor) if component.vendor else '(none given)'} is not "
                        f"catalogued; bloc taken from supplier country {res.country}"
                    ),
                    subject=subject,
                    evidence={
                        "vendor": component.vendor,
                        "supplier_country": res.country,
                        "bloc": res.bloc.value,
                        "reason": res.detail,
                    },
                    recommendation=(
                        "Nothing to do for in-house components; for a third party, add its purl, "
                        "CPE or Hugging Face id so that the catalogue can identify it."
                    ),
                    related=related,
                )
            ]
        return [
            _finding(
                "unresolved-component",
                component.id,
                severity=Severity.LOW,
                title=f"{component.name}: origin unknown (not resolved against the catalogue)",
                subject=subject,
                evidence={
                    "reason": res.detail,
                    "given": {
                        k: v
                        for k, v in (
                            ("vendor", component.vendor),
                            ("product", component.product),
                            ("purl", component.purl),
                            ("cpe", component.cpe),
                            ("hf_id", component.hf_id),
                        )
                        if v
                    },
                },
                recommendation=(
                    "Add the vendor, a purl, CPE or Hugging Face id, or supplier_country, so that "
                    "the component's origin can be established; until then it counts as unknown."
                ),
                related=related,
            )
        ]

    @staticmethod
    def _site(
        site: SiteResolution, systems: list[System], context: AnalysisContext
    ) -> list[Finding]:
        findings = []
        subject = Subject(kind=SubjectKind.SITE, id=site.site_id)
        related = _system_subjects(systems)
        if site.local_operator and site.operator is not None and site.provider is not None:
            findings.append(
                _finding(
                    "local-operator",
                    site.site_id,
                    severity=Severity.INFO,
                    title=(
                        f"Site {site.site_id}: {site.provider.name} region "
                        f"{site.region.code if site.region else ''} is operated by "
                        f"{site.operator.name} ({site.operator.country})"
                    ),
                    subject=subject,
                    evidence={
                        "provider": site.provider.name,
                        "provider_country": site.provider.country,
                        "operator": site.operator.name,
                        "operator_country": site.operator.country,
                        "hosting_country": site.country,
                        "detail": site.detail,
                        "systems": [s.id for s in systems],
                    },
                    recommendation=(
                        "Contract with and assess the local operator as the data processor: its "
                        "jurisdiction, not the brand's, governs compelled disclosure and access."
                    ),
                    related=related,
                )
            )
        for role, vendor in (("provider", site.provider), ("operator", site.operator)):
            if vendor is None or not _listed(vendor, context.as_of):
                continue
            if role == "operator" and site.provider is not None and vendor.id == site.provider.id:
                continue
            findings.append(
                _finding(
                    "entity-listed-cloud",
                    site.site_id, vendor.id,
                    severity=_criticality_severity(systems),
                    title=(
                        f"Site {site.site_id} is hosted by {vendor.name}, on the US Entity List "
                        f"since {vendor.entity_list.since}"
                    ),
                    subject=subject,
                    evidence={
                        "role": role,
                        "vendor": vendor.name,
                        "listed_since": vendor.entity_list.since.isoformat()
                        if vendor.entity_list.since
                        else None,
                        "systems": [s.id for s in systems],
                        "as_of": context.as_of.isoformat(),
                    },
                    recommendation=(
                        "Review which EAR items (software, support, updates) reach the provider "
                        "through this hosting, with export-control counsel."
                    ),
                    citations=_citations(vendor),
                    related=related,
                )
            )
        if site.evidence in ("provider", "none"):
            findings.append(
                _finding(
                    "unresolved-site",
                    site.site_id,
                    severity=Severity.LOW,
                    title=f"Site {site.site_id}: region not catalogued ({site.detail})",
                    subject=subject,
                    evidence={"reason": site.detail, "declared_country": site.country},
                    recommendation=(
                        "Give the provider's name as catalogued and its region code, so that the "
                        "hosting country and operator can be checked."
                    ),
                    related=related,
                )
            )
        for index, note in enumerate(site.notes, start=1):
            findings.append(
                _finding(
                    "site-mismatch",
                    site.site_id, str(index),
                    severity=Severity.LOW,
                    title=f"Site {site.site_id}: {note}",
                    subject=subject,
                    evidence={"note": note, "detail": site.detail},
                    recommendation="Correct the estate or report the catalogue entry.",
                    related=related,
                )
            )
        return findings

    @staticmethod
    def _mixed(sp: SystemProvenance, as_of: date) -> list[Finding]:
        blocs = sp.known_blocs
        if len(blocs) < 2:
            return []
        # The sources that make the mix matter: Entity List listings in force and product
        # export controls of the system's own components.
        sources: dict[str, Citation] = {}
        for cp in sp.components:
            for res in (cp.resolution, *cp.origins):
                vendor = res.vendor
                if vendor is not None and _listed(vendor, as_of) and vendor.entity_list.citation:
                    sources.setdefault(
                        str(vendor.entity_list.citation), vendor.entity_list.citation
                    )
            if cp.resolution.product is not None:
                for control in cp.resolution.product.controls:
                    if _in_force(
                        control.licence_required_from, control.licence_required_until, as_of
                    ):
                        sources.setdefault(str(control.citation), control.citation)
        system = sp.system
        both = {Bloc.US, Bloc.CN} <= blocs
        layers = {layer_label(layer): [b.value for b in sp.layers[layer]]
                  for layer in REPORTED_LAYERS}
        by_bloc: dict[str, list[str]] = defaultdict(list)
        for cp in sp.components:
            by_bloc[cp.bloc.value].append(cp.component.id)
        return [
            _finding(
                "mixed-stack",
                system.id,
                severity=Severity.MEDIUM if both else Severity.LOW,
                title=(
                    f"{system.name} mixes layers from the "
                    f"{' and '.join(b.value for b in BLOC_ORDER if b in blocs)} blocs"
                ),
                subject=Subject(kind=SubjectKind.SYSTEM, id=system.id, name=system.name),
                evidence={
                    "layers": layers,
                    "components_by_bloc": dict(sorted(by_bloc.items())),
                    "site": sp.site.detail if sp.site else None,
                    "us_and_cn": both,
                },
                recommendation=(
                    "A system spanning the US and Chinese stacks is exposed to both sides' export "
                    "controls and supply shocks: document why each layer was chosen and keep a "
                    "single-bloc fallback for the critical path."
                    if both
                    else "Record the mix; it matters for sovereignty and supplier-concentration "
                    "reviews rather than for export controls."
                ),
                citations=tuple(sources[k] for k in sorted(sources)),
            )
        ]

    # -- summary --------------------------------------------------------------------------------

    @staticmethod
    def _summary(
        components: dict[str, ComponentProvenance],
        sites: dict[str, SiteResolution],
        systems: list[SystemProvenance],
        context: AnalysisContext,
    ) -> dict[str, Any]:
        def cell(blocs: tuple[Bloc, ...]) -> str:
            return ", ".join(b.value for b in blocs) if blocs else "-"

        layer_rows = []
        for sp in systems:
            site = sp.site
            hosting = (
                f"{site.provider.name if site.provider else site.evidence} ({site.country})"
                if site
                else "no site"
            )
            layer_rows.append(
                [
                    sp.system.id,
                    hosting,
                    *(cell(sp.layers[layer]) for layer in REPORTED_LAYERS),
                    "yes" if len(sp.known_blocs) > 1 else "no",
                ]
            )
        resolution_rows = []
        for cid in sorted(components):
            cp = components[cid]
            res = cp.resolution
            vendor = res.vendor
            status = (
                vendor.entity_list.describe(context.as_of, vendor.as_of)
                if vendor
                else "vendor not catalogued"
            )
            origin = cp.origin
            # Models are placed by the origin of their weights, everything else by its vendor.
            country = origin.country if cp.layer is StackLayer.MODEL else res.country
            resolution_rows.append(
                [
                    cid,
                    layer_label(cp.layer),
                    vendor.name if vendor else None,
                    res.product.name if res.product else None,
                    f"{cp.bloc.value} ({country or 'country unknown'})",
                    res.evidence,
                    res.detail
                    + (
                        f"; weights from {origin.vendor.name if origin.vendor else 'unknown'} "
                        f"({origin.country or 'country unknown'}) via "
                        f"{' -> '.join(s.reference for s in cp.lineage)}"
                        if len(cp.lineage) > 1
                        else ""
                    ),
                    status,
                    _confidence(res),
                ]
            )
        site_rows = [
            [
                sid,
                s.provider.name if s.provider else None,
                s.region.code if s.region else None,
                s.country,
                s.operator.name if s.operator else None,
                s.evidence,
            ]
            for sid, s in sorted(sites.items())
        ]
        counts: dict[Bloc, list[int]] = {b: [] for b in BLOC_ORDER}
        for sp in systems:
            tally = Counter(cp.bloc for cp in sp.components)
            for bloc in BLOC_ORDER:
                counts[bloc].append(tally.get(bloc, 0))
        series = [(bloc.value, values) for bloc, values in counts.items() if any(values)]
        evidence_counts = Counter(cp.resolution.evidence for cp in components.values())
        return {
            **summary_json(
                tables=[
                    Table.of("Layer blocs per system",
                             ["system", "hosting", *(layer_label(x) for x in REPORTED_LAYERS),
                              "mixed"], layer_rows),
                    Table.of("Component resolution",
                             ["component", "layer", "vendor", "product", "origin", "evidence",
                              "detail", "Entity List", "confidence"], resolution_rows),
                    Table.of("Sites",
                             ["site", "provider", "region", "country", "operator", "evidence"],
                             site_rows),
                    _measures_table(context),
                ],
                charts=[BarChart.of("Bloc composition per system",
                                    [sp.system.id for sp in systems], series, stacked=True)]),
            "resolution": {
                "components": len(components),
                "resolved": sum(1 for cp in components.values() if cp.resolution.resolved),
                "by_evidence": dict(sorted(evidence_counts.items())),
            },
            "systems": {
                sp.system.id: {
                    layer_label(layer): [b.value for b in sp.layers[layer]]
                    for layer in REPORTED_LAYERS
                }
                for sp in systems
            },
        }
