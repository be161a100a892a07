"""Findings to a STIX 2.1 bundle, built with the stix2 library.

``vulnerability`` objects carry CVE, GHSA, CNVD and CNNVD references; ``software`` observables come
from SBOM components (purl in the StackRift property extension, CPE in ``cpe``); malicious model
files become ``indicator`` objects on their SHA-256; ``infrastructure`` objects stand for the
estate's systems, linked by ``relationship`` objects. Every object carries a TLP 2.0 marking (the
OASIS marking-definition ids) and its releasability facts in the StackRift extension, which
``intel release`` reads. Ids are deterministic, and timestamps are the as-of date, so exporting the
same findings again gives the same bundle.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
import stix2

from stackrift.findings import Finding
from stackrift.intel.model import Caveat, Tlp, sco_id, stix_id
from stackrift.intel.sources import ComponentInfo, ExportSource, SystemInfo, evidence_list

EXTENSION_ID = stix_id("extension-definition", "stackrift-release-facts", "1")
EXTENSION_SCHEMA = "https://github.com/stackrift/stackrift/blob/main/docs/intel.md#release-facts"
_ARTEFACT_RULES = frozenset({"dangerous-import", "unknown-import", "unresolved-import"})
# No URLs: STIX asks a referenced URL to carry a hash of its content, which a live advisory page
# cannot have; the source name and id are what tools join on.
_REFERENCE_SOURCES = (("CVE-", "cve"), ("GHSA-", "ghsa"), ("CNVD-", "cnvd"), ("CNNVD-", "cnnvd"))


def timestamp(day: date) -> str:
    """Midnight UTC of the as-of date: reports carry no wall-clock time."""
    return f"{day.isoformat()}T00:00:00.000Z"


def external_reference(vuln_id: str) -> dict[str, str]:
    """The STIX external reference for an advisory id (source names as threat-intel tools use)."""
    for prefix, source in _REFERENCE_SOURCES:
        if vuln_id.startswith(prefix):
            return {"source_name": source, "external_id": vuln_id}
    return {"source_name": "osv", "external_id": vuln_id}


@dataclass
class _Builder:
    source: ExportSource
    tlp: Tlp
    identity_id: str
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    software_by_key: dict[str, str] = field(default_factory=dict)

    @property
    def stamp(self) -> str:
        return timestamp(self.source.as_of)

    def facts(self, **values: Any) -> dict[str, Any]:
        """The StackRift property extension: releasability facts, nulls left out (STIX has none)."""
        kept = {k: v for k, v in values.items() if v not in (None, [], "")}
        return {EXTENSION_ID: {"extension_type": "property-extension", "tlp": self.tlp.value,
                               **kept}}

    def add(self, obj: Any) -> str:
        document: dict[str, Any] = orjson.loads(obj.serialize())
        self.objects[document["id"]] = document
        return str(document["id"])

    def common(self, kind: str, *key: str) -> dict[str, Any]:
        return {"id": stix_id(kind, *key), "created": self.stamp, "modified": self.stamp,
                "created_by_ref": self.identity_id, "object_marking_refs": [self.tlp.marking_id],
                "allow_custom": True}

    def relate(self, kind: str, source_ref: str, target_ref: str, why: str) -> None:
        self.add(stix2.v21.Relationship(
            relationship_type=kind, source_ref=source_ref, target_ref=target_ref,
            description=why, **self.common("relationship", kind, source_ref, target_ref)))


def _system(builder: _Builder, system: SystemInfo) -> str:
    return builder.add(stix2.v21.Infrastructure(
        name=system.name, description=f"StackRift estate system {system.id}",
        infrastructure_types=["unknown"],
        extensions=builder.facts(estate_id=system.id, site_country=system.site_country,
                                 owner_country=system.owner_country),
        **builder.common("infrastructure", system.id)))


def _software(builder: _Builder, component: ComponentInfo) -> str:
    key = component.purl or component.cpe or f"{component.name}@{component.version}"
    if key in builder.software_by_key:
        return builder.software_by_key[key]
    values = {k: v for k, v in (("name", component.name), ("version", component.version),
                                ("vendor", component.vendor), ("cpe", component.cpe)) if v}
    software = stix2.v21.Software(
        id=sco_id("software", key), object_marking_refs=[builder.tlp.marking_id],
        extensions=builder.facts(purl=component.purl, estate_id=component.id,
                                 supplier_country=component.supplier_country),
        allow_custom=True, **values)
    builder.software_by_key[key] = builder.add(software)
    return builder.software_by_key[key]


def _component_of(builder: _Builder, finding: Finding) -> ComponentInfo | None:
    evidence = finding.evidence
    purl = evidence.get("purl")
    for component in builder.source.components:
        if component.id == finding.subject.id or (purl and component.purl == purl):
            return component
    name = evidence.get("name") or evidence.get("component")
    if not name:
        return None
    return ComponentInfo(finding.subject.id, str(name), evidence.get("version"), None,
                         purl if isinstance(purl, str) else None, None, None)


def _public_on(evidence: dict[str, Any]) -> str | None:
    """The earliest date any source published the advisory (a published advisory is public)."""
    published = evidence.get("published")
    dates = sorted(str(v) for v in published.values() if v) if isinstance(published, dict) else []
    return dates[0] if dates else None


def _vulnerability(builder: _Builder, finding: Finding, systems: dict[str, str]) -> None:
    evidence = finding.evidence
    ids = sorted(set(evidence_list(evidence, "ids")) | {str(evidence.get("group") or "")} - {""})
    group = str(evidence.get("group") or (ids[0] if ids else finding.id))
    component = _component_of(builder, finding)
    vulnerability = builder.add(stix2.v21.Vulnerability(
        name=group, description=finding.title,
        external_references=[external_reference(i) for i in ids] or None,
        extensions=builder.facts(
            finding_id=finding.id, severity=finding.severity.value, public_on=_public_on(evidence),
            # a finding may say outright that the vulnerability is undisclosed (own research)
            public=False if evidence.get("disclosed") is False else None,
            vendor=component.vendor if component else None,
            vendor_country=component.supplier_country if component else None,
            product=component.name if component else None),
        **builder.common("vulnerability", group)))
    software = _software(builder, component) if component else None
    for system_id in evidence_list(evidence, "systems"):
        target = systems.get(system_id)
        if target is None:
            continue
        builder.relate("has", target, vulnerability, f"{system_id} runs an affected component")
        if software:
            builder.relate("consists-of", target, software, f"{system_id} includes the component")


def _indicator(builder: _Builder, finding: Finding, sha256: str, systems: dict[str, str]) -> None:
    indicator = builder.add(stix2.v21.Indicator(
        name=f"Unsafe model artefact {finding.evidence.get('file')}",
        description=finding.title, indicator_types=["malicious-activity"],
        pattern=f"[file:hashes.'SHA-256' = '{sha256}']", pattern_type="stix",
        valid_from=builder.stamp,
        extensions=builder.facts(finding_id=finding.id, severity=finding.severity.value),
        **builder.common("indicator", "sha256", sha256)))
    target = systems.get(finding.subject.id)
    if target:
        builder.relate("related-to", indicator, target, "the file was found in this system's "
                       "model artefacts")


def _preamble(builder: _Builder) -> None:
    organisation = builder.source.organisation
    builder.add(stix2.v21.Identity(
        id=builder.identity_id, name=organisation, identity_class="organization",
        description="The organisation whose estate StackRift assessed", created=builder.stamp,
        modified=builder.stamp, object_marking_refs=[builder.tlp.marking_id]))
    builder.add(stix2.v21.ExtensionDefinition(
        id=EXTENSION_ID, created_by_ref=builder.identity_id, created=builder.stamp,
        modified=builder.stamp, name="StackRift release facts",
        description="Facts per object that StackRift's release rules read: TLP level, estate "
        "ids, supplier and vendor countries, the date a vulnerability became public.",
        schema=EXTENSION_SCHEMA, version="1.0.0", extension_types=["property-extension"]))
    builder.objects[builder.tlp.marking_id] = builder.tlp.marking_definition()


def export_bundle(source: ExportSource, tlp: Tlp = Tlp.AMBER) -> dict[str, Any]:
    """The STIX 2.1 bundle for ``source``'s findings, as a JSON-ready dictionary."""
    builder = _Builder(source, tlp, stix_id("identity", source.organisation))
    _preamble(builder)
    systems = {s.id: _system(builder, s) for s in source.systems}
    for system_id in sorted({i for f in source.findings
                             for i in evidence_list(f.evidence, "systems")} - set(systems)):
        systems[system_id] = _system(builder, SystemInfo(system_id, system_id, None, None))
    hashes = dict(source.artefact_hashes)
    for finding in source.findings:
        if finding.analysis == "vulnerabilities" and finding.rule == "known-vulnerability":
            _vulnerability(builder, finding, systems)
        elif finding.analysis == "artefacts" and finding.id in hashes:
            _indicator(builder, finding, hashes[finding.id], systems)
    for component in source.components:
        if component.purl or component.cpe:
            _software(builder, component)
    return bundle_of(builder.objects.values())


def bundle_of(objects: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A bundle whose id follows from its objects' ids (same objects, same bundle)."""
    ordered = sorted(objects, key=lambda o: (o["type"] != "identity", o["type"], o["id"]))
    key = hashlib.sha256("\n".join(o["id"] for o in ordered).encode()).hexdigest()
    return {"type": "bundle", "id": stix_id("bundle", key), "objects": ordered}


def bundle_text(bundle: dict[str, Any]) -> str:
    """Deterministic JSON text of a bundle."""
    return orjson.dumps(bundle, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode() + "\n"


def export_caveats(source: ExportSource) -> tuple[Caveat, ...]:
    """What the export could not include."""
    return source.caveats
