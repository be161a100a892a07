"""Hygiene: facts the estate leaves unknown that other analyses need.

Every finding names the missing field and the analyses that need it, so that a user knows which
conclusions elsewhere in the report rest on gaps. Nothing here is a compliance conclusion: the
severities are low (a conclusion elsewhere may be wrong or missing) or info (a conclusion is less
precise than it could be).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from stackrift.advisories.matching import version_of
from stackrift.analyses.base import AnalysisContext, AnalysisResult, register
from stackrift.catalog.catalogue import Catalogue
from stackrift.estate.loader import LoadedEstate
from stackrift.estate.model import (
    Component,
    ComponentType,
    DataCategory,
    DataFlow,
    Entity,
    Estate,
    Relationship,
    Site,
    SiteKind,
    System,
)
from stackrift.findings import Finding, Severity, Subject, SubjectKind, finding_id
from stackrift.summaries import Table, summary_json

NAME = "hygiene"

PERSONAL_CATEGORIES = frozenset(
    {
        DataCategory.PERSONAL,
        DataCategory.SENSITIVE_PERSONAL,
        DataCategory.EMPLOYEE_HR,
        DataCategory.COVERED_PERSONAL_IDENTIFIERS,
        DataCategory.PRECISE_GEOLOCATION,
        DataCategory.BIOMETRIC,
        DataCategory.HEALTH,
        DataCategory.FINANCIAL,
        DataCategory.HUMAN_OMIC,
        DataCategory.HUMAN_GENOMIC,
        DataCategory.PAYMENT,
    }
)
"""Categories about identifiable people: volume thresholds (CAC, DOJ) count their subjects."""

SOFTWARE_TYPES = frozenset(
    {
        ComponentType.DRIVER,
        ComponentType.RUNTIME,
        ComponentType.FRAMEWORK,
        ComponentType.LIBRARY,
        ComponentType.APPLICATION,
        ComponentType.FIRMWARE,
        ComponentType.OPERATING_SYSTEM,
    }
)
"""Component types that advisories are published against (by version range)."""


def _gap(
    rule: str,
    severity: Severity,
    subject: Subject,
    title: str,
    missing: str,
    needed_by: tuple[str, ...],
    why: str,
    recommendation: str,
    **extra: Any,
) -> Finding:
    evidence: dict[str, Any] = {"missing": missing, "needed_by": list(needed_by), "why": why}
    evidence.update(extra)
    return Finding(
        id=finding_id(NAME, rule, subject.id),
        analysis=NAME,
        rule=rule,
        severity=severity,
        title=title,
        subject=subject,
        evidence=evidence,
        recommendation=recommendation,
    )


@register
class HygieneAnalysis:
    """Report gaps in the estate that weaken other analyses' conclusions."""

    name: ClassVar[str] = NAME
    title: ClassVar[str] = "Estate hygiene"
    order: ClassVar[int] = 90

    def run(self, estate: LoadedEstate, context: AnalysisContext) -> AnalysisResult:
        """Analyse the estate; deterministic and side-effect free."""
        data = estate.estate
        findings: list[Finding] = []
        for flow in data.data_flows:
            findings.extend(_flow_gaps(flow))
        for system in data.systems:
            findings.extend(_system_gaps(system))
        for component in data.components:
            findings.extend(_component_gaps(component, data, context.catalogue))
        for site in data.sites:
            findings.extend(_site_gaps(site, context.catalogue))
        for entity in data.entities:
            findings.extend(_entity_gaps(entity))
        findings.sort(key=lambda f: f.sort_key())
        return AnalysisResult(tuple(findings), _summary(findings, data))


def _flow_gaps(flow: DataFlow) -> Iterator[Finding]:
    subject = Subject(kind=SubjectKind.DATA_FLOW, id=flow.id, name=flow.name)
    personal = sorted(c.value for c in flow.data_categories if c in PERSONAL_CATEGORIES)
    if personal and flow.subjects is None:
        yield _gap(
            "flow-without-subjects",
            Severity.LOW,
            subject.model_copy(update={"field": "subjects"}),
            f"Data flow {flow.id} carries {', '.join(personal)} data but does not say how many "
            "people it concerns",
            "subjects",
            ("transfers", "rules"),
            "China's export thresholds (CAC 2024 Provisions Arts 7-8) and the US bulk thresholds "
            "(28 CFR 202.205) are counted in individuals; without a count the flow can be neither "
            "cleared nor flagged by volume.",
            "Add 'subjects' (distinct individuals, cumulative since 1 January and over the last "
            "12 months if they differ).",
            categories=personal,
        )
    if DataCategory.PRECISE_GEOLOCATION in flow.data_categories and flow.devices is None:
        yield _gap(
            "flow-without-devices",
            Severity.LOW,
            subject.model_copy(update={"field": "devices"}),
            f"Data flow {flow.id} carries precise geolocation data but does not say from how "
            "many devices",
            "devices",
            ("transfers",),
            "The US bulk threshold for precise geolocation is 1,000 US devices, not persons "
            "(28 CFR 202.205).",
            "Add 'devices' (distinct devices in the preceding 12 months).",
        )
    if personal and not flow.subjects_countries:
        yield _gap(
            "flow-without-subject-countries",
            Severity.LOW,
            subject.model_copy(update={"field": "subjects_countries"}),
            f"Data flow {flow.id} carries personal data but does not say where its subjects live",
            "subjects_countries",
            ("transfers", "rules"),
            "Which data-protection law governs the export (GDPR, PIPL, DOJ rule, ...) follows "
            "from the subjects' countries as well as from the source site.",
            "Add 'subjects_countries' (ISO 3166 codes).",
        )
    if flow.start is None:
        yield _gap(
            "flow-without-start",
            Severity.LOW if personal else Severity.INFO,
            subject.model_copy(update={"field": "start"}),
            f"Data flow {flow.id} has no start date",
            "start",
            ("transfers", "rules"),
            "Volume windows (CAC: cumulative since 1 January; DOJ: preceding 12 months) and rules' "
            "in-force dates are evaluated against when the flow ran.",
            "Add 'start' (and 'end' if the flow has stopped).",
        )


def _system_gaps(system: System) -> Iterator[Finding]:
    subject = Subject(kind=SubjectKind.SYSTEM, id=system.id, name=system.name)
    if system.site is None:
        yield _gap(
            "system-without-site",
            Severity.LOW,
            subject.model_copy(update={"field": "site"}),
            f"System {system.id} does not say where it runs",
            "site",
            ("provenance", "transfers", "conflicts"),
            "The cloud layer's bloc, the hosting country and which laws can compel access all "
            "follow from the site.",
            "Add 'site' naming one of the estate's sites.",
        )
    if system.owner is None:
        yield _gap(
            "system-without-owner",
            Severity.LOW,
            subject.model_copy(update={"field": "owner"}),
            f"System {system.id} has no owning entity",
            "owner",
            ("transfers", "conflicts"),
            "Controller duties, covered-person status and the applicable national law depend on "
            "the owning legal entity and its country.",
            "Add 'owner' naming one of the estate's entities.",
        )
    if not system.components:
        yield _gap(
            "system-without-components",
            Severity.LOW,
            subject.model_copy(update={"field": "components"}),
            f"System {system.id} lists no components",
            "components",
            ("provenance", "vulnerabilities", "concentration"),
            "Without components the system's stack cannot be attributed to any bloc or vendor.",
            "List the system's accelerators, runtimes, frameworks and models under 'components'.",
        )
    if not system.users_countries:
        yield _gap(
            "system-without-user-countries",
            Severity.INFO,
            subject.model_copy(update={"field": "users_countries"}),
            f"System {system.id} does not say where its users are",
            "users_countries",
            ("rules",),
            "Whether the EU AI Act or China's generative-AI and labelling rules reach a system "
            "depends on where it is offered.",
            "Add 'users_countries'.",
        )


def _component_gaps(
    component: Component, estate: Estate, catalogue: Catalogue
) -> Iterator[Finding]:
    subject = Subject(kind=SubjectKind.COMPONENT, id=component.id, name=component.name)
    software = component.type in SOFTWARE_TYPES
    # the version inside a purl or CPE is the component's version
    if software and version_of(component.version, component.purl, component.cpe) is None:
        yield _gap(
            "component-without-version",
            Severity.LOW,
            subject.model_copy(update={"field": "version"}),
            f"Component {component.id} has no version",
            "version",
            ("vulnerabilities",),
            "Advisories apply to version ranges; without a version every advisory for the "
            "package is either a false alarm or missed.",
            "Add 'version' (or a purl with @version).",
        )
    identified = any((component.purl, component.cpe, component.hf_id, component.vendor))
    if not identified and component.supplier_country is None:
        yield _gap(
            "component-without-origin",
            Severity.LOW,
            subject.model_copy(update={"field": "vendor"}),
            f"Component {component.id} has no vendor, purl, CPE, Hugging Face id or supplier "
            "country",
            "vendor/purl/cpe/hf_id/supplier_country",
            ("provenance",),
            "Provenance cannot attribute the component to any vendor or bloc, so it counts as "
            "unknown in every system that uses it.",
            "Add at least the vendor, or a purl / CPE / Hugging Face id.",
        )
    elif software and component.purl is None and component.cpe is None:
        yield _gap(
            "component-without-package-id",
            Severity.INFO,
            subject.model_copy(update={"field": "purl"}),
            f"Component {component.id} has no purl or CPE",
            "purl/cpe",
            ("vulnerabilities",),
            "Advisory feeds are matched by package URL (OSV) or CPE (NVD, CNVD via CVE); a "
            "name alone is matched less reliably.",
            "Add 'purl' (e.g. pkg:pypi/NAME@VERSION) or 'cpe'.",
        )
    if component.type is ComponentType.MODEL:
        yield from _model_gaps(component, subject, estate, catalogue)


def _model_gaps(
    component: Component, subject: Subject, estate: Estate, catalogue: Catalogue
) -> Iterator[Finding]:
    if component.base_model_relation is not None and not component.base_models:
        yield _gap(
            "model-without-base",
            Severity.LOW,
            subject.model_copy(update={"field": "base_models"}),
            f"Model {component.id} is a {component.base_model_relation.value} but names no base "
            "model",
            "base_models",
            ("provenance",),
            "A fine-tune, quantisation, adapter or merge keeps its base model's origin; without "
            "the base the weights' origin is unknown.",
            "Add 'base_models' (a component id or a Hugging Face id such as Qwen/Qwen2.5-7B).",
        )
        return
    if component.base_models and component.base_model_relation is None:
        yield _gap(
            "model-without-relation",
            Severity.INFO,
            subject.model_copy(update={"field": "base_model_relation"}),
            f"Model {component.id} names a base model but not how it derives from it",
            "base_model_relation",
            ("provenance",),
            "Whether the model is a fine-tune, a quantisation, an adapter or a merge matters for "
            "licence and AI Act GPAI-modifier questions.",
            "Add 'base_model_relation' (finetune, quantized, adapter, merge, distillation).",
        )
    if component.base_models:
        chain = catalogue.lineage(component, estate.components)
        root = chain[-1]
        if not root.resolution.resolved and root.resolution.country is None:
            yield _gap(
                "model-lineage-unresolved",
                Severity.LOW,
                subject.model_copy(update={"field": "base_models"}),
                f"Model {component.id}: the root of its lineage ({root.reference}) is not in the "
                "catalogue",
                "base model origin",
                ("provenance",),
                "The weights' origin is that of the root base model; it could not be resolved.",
                "Refer to the base model by its Hugging Face id, or give it a vendor or "
                "supplier_country.",
                chain=[step.reference for step in chain],
            )
    elif (
        component.hf_id is not None
        and catalogue.product_by_hf_repo(component.hf_id) is None
        and catalogue.vendor_by_hf_org(component.hf_id.split("/", 1)[0]) is None
    ):
        yield _gap(
            "model-lineage-unknown",
            Severity.INFO,
            subject.model_copy(update={"field": "base_models"}),
            f"Model {component.id} ({component.hf_id}) is from an organisation the catalogue does "
            "not know and names no base model",
            "base_models",
            ("provenance",),
            "Most published models are fine-tunes; if this one is, its weights take the base "
            "model's origin.",
            "Add 'base_models' if it derives from another model, or 'supplier_country'.",
        )


def _site_gaps(site: Site, catalogue: Catalogue) -> Iterator[Finding]:
    if site.kind is not SiteKind.CLOUD_REGION:
        return
    subject = Subject(kind=SubjectKind.SITE, id=site.id, name=site.name)
    missing = [f for f in ("provider", "region") if getattr(site, f) is None]
    if missing:
        yield _gap(
            "cloud-site-incomplete",
            Severity.LOW,
            subject.model_copy(update={"field": missing[0]}),
            f"Cloud site {site.id} has no {' or '.join(missing)}",
            "/".join(missing),
            ("provenance", "conflicts"),
            "The provider and region code identify the operator and the data's country in the "
            "catalogue (e.g. AWS cn-northwest-1 is operated by NWCD).",
            "Add the provider's name and its region code.",
        )


def _entity_gaps(entity: Entity) -> Iterator[Finding]:
    if entity.relationship is not Relationship.GROUP or entity.parent is None:
        return
    if entity.ownership_pct is None:
        subject = Subject(kind=SubjectKind.ENTITY, id=entity.id, name=entity.name)
        yield _gap(
            "entity-without-ownership",
            Severity.LOW,
            subject.model_copy(update={"field": "ownership_pct"}),
            f"Entity {entity.id} has a parent but no ownership percentage",
            "ownership_pct",
            ("transfers", "rules"),
            "US covered-person status tests 50% ownership (28 CFR 202.211) and PADFA tests 20% "
            "control; intra-group exemptions depend on the group's stake.",
            "Add 'ownership_pct' (the parent's stake) and any 'other_owners'.",
        )


def _summary(findings: list[Finding], estate: Estate) -> dict[str, Any]:
    by_rule: dict[str, int] = {}
    needed: dict[str, int] = {}
    for finding in findings:
        by_rule[finding.rule] = by_rule.get(finding.rule, 0) + 1
        for analysis in finding.evidence.get("needed_by", []):
            needed[analysis] = needed.get(analysis, 0) + 1
    return {
        **summary_json(tables=[
            Table.of("Gaps by kind", ["gap", "count"],
                     [[rule, count] for rule, count in sorted(by_rule.items())]),
            Table.of("Gaps by the analysis that needs the fact", ["analysis", "gaps"],
                     [[name, count] for name, count in sorted(needed.items())]),
        ]),
        "records": {
            "data_flows": len(estate.data_flows),
            "systems": len(estate.systems),
            "components": len(estate.components),
            "sites": len(estate.sites),
            "entities": len(estate.entities),
        },
    }
