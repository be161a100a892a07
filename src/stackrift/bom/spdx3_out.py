"""SPDX 3.0.1 JSON-LD writer with the AI and Dataset profiles.

Models become ``ai_AIPackage``, datasets ``dataset_DatasetPackage``, everything else
``software_Package``; lineage is a ``descendantOf`` relationship, training data ``trainedOn``,
dependencies ``dependsOn``, licences ``hasDeclaredLicense``. Provenance goes into ``comment``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import orjson

from stackrift import __version__
from stackrift.bom.base import BomDocument
from stackrift.bom.provenance import ComponentProvenance
from stackrift.estate.model import Component, ComponentType

CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
_HASH_ALG = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384",
             "SHA-512": "sha512", "SHA3-256": "sha3_256", "SHA3-384": "sha3_384",
             "SHA3-512": "sha3_512", "BLAKE2b-256": "blake2b256", "BLAKE2b-384": "blake2b384",
             "BLAKE2b-512": "blake2b512", "BLAKE3": "blake3"}


def _iri(namespace: str, kind: str, key: str) -> str:
    # Percent-encoding keeps distinct keys distinct (no two ids may share an IRI).
    return f"{namespace}/{kind}/{quote(key, safe='')}"


def build(document: BomDocument, provenance: Mapping[str, ComponentProvenance] | None = None,
          as_of: str | None = None) -> dict[str, Any]:
    """The SPDX 3.0.1 JSON-LD graph for a document (deterministic IRIs and timestamps)."""
    provenance = provenance or {}
    digest = hashlib.sha256(orjson.dumps([c.model_dump(mode="json")
                                          for c in document.components])).hexdigest()[:16]
    namespace = f"urn:stackrift:spdx:{digest}"
    created = f"{as_of or '1970-01-01'}T00:00:00Z"
    tool_id = f"{namespace}/tool/stackrift"
    creation = "_:creationinfo"
    graph: list[dict[str, Any]] = [
        {"type": "CreationInfo", "@id": creation, "specVersion": "3.0.1", "created": created,
         "createdBy": [f"{namespace}/agent/stackrift"], "createdUsing": [tool_id]},
        {"type": "Organization", "spdxId": f"{namespace}/agent/stackrift",
         "creationInfo": creation, "name": "StackRift"},
        {"type": "Tool", "spdxId": tool_id, "creationInfo": creation,
         "name": f"stackrift {__version__}"},
    ]
    ids = {c.id: _iri(namespace, "package", c.id) for c in document.components}
    agents: dict[str, str] = {}
    relationships: list[dict[str, Any]] = []

    def relate(source: str, kind: str, targets: list[str]) -> None:
        if targets:
            relationships.append({"type": "Relationship", "creationInfo": creation,
                                  "spdxId": _iri(namespace, "relationship",
                                                 f"{kind}-{len(relationships)}"),
                                  "from": source, "relationshipType": kind, "to": targets})

    for component in document.components:
        element = _element(component, ids[component.id], creation,
                           provenance.get(component.id))
        if component.vendor:
            agent = agents.get(component.vendor)
            if agent is None:
                agent = _iri(namespace, "agent", component.vendor)
                agents[component.vendor] = agent
                graph.append({"type": "Organization", "spdxId": agent, "creationInfo": creation,
                              "name": component.vendor})
            element["suppliedBy"] = agent
        graph.append(element)
        if component.license:
            licence_id = _iri(namespace, "license", component.license)
            if not any(e.get("spdxId") == licence_id for e in graph):
                graph.append({"type": "simplelicensing_LicenseExpression",
                              "spdxId": licence_id, "creationInfo": creation,
                              "simplelicensing_licenseExpression": component.license})
            relate(ids[component.id], "hasDeclaredLicense", [licence_id])
        bases = []
        for reference in component.base_models:
            if reference not in ids:
                ids[reference] = _iri(namespace, "package", reference)
                graph.append({"type": "ai_AIPackage", "spdxId": ids[reference],
                              "creationInfo": creation, "name": reference,
                              "software_downloadLocation": f"https://huggingface.co/{reference}",
                              "comment": f"stackrift:reference={reference}"})
            bases.append(ids[reference])
        relate(ids[component.id], "descendantOf", bases)
    kinds = {"depends-on": "dependsOn", "trained-on": "trainedOn", "tested-on": "testedOn"}
    for dependency in document.dependencies:
        if dependency.ref in ids:
            relate(ids[dependency.ref], kinds.get(dependency.kind, "dependsOn"),
                   [ids[t] for t in dependency.depends_on if t in ids])
    graph.extend(relationships)
    package_ids = [ids[c.id] for c in document.components]
    graph.append({"type": "SpdxDocument", "spdxId": f"{namespace}/document",
                  "creationInfo": creation, "name": f"StackRift AI-BOM of {document.path}",
                  "profileConformance": ["core", "software", "ai", "dataset",
                                         "simpleLicensing"],
                  "rootElement": package_ids[:1] or [tool_id],
                  "element": sorted(e["spdxId"] for e in graph if "spdxId" in e)})
    return {"@context": CONTEXT, "@graph": graph}


def _element(component: Component, spdx_id: str, creation: str,
             found: ComponentProvenance | None) -> dict[str, Any]:
    kind = {ComponentType.MODEL: "ai_AIPackage",
            ComponentType.DATASET: "dataset_DatasetPackage"}.get(component.type,
                                                                  "software_Package")
    element: dict[str, Any] = {"type": kind, "spdxId": spdx_id, "creationInfo": creation,
                               "name": component.name}
    if component.version:
        element["software_packageVersion"] = component.version
    if component.purl:
        element["software_packageUrl"] = component.purl
    if component.description:
        element["description"] = component.description
    if component.hf_id:
        prefix = "datasets/" if component.type is ComponentType.DATASET else ""
        element["software_downloadLocation"] = f"https://huggingface.co/{prefix}{component.hf_id}"
    if component.cpe:
        element["externalIdentifier"] = [{"type": "ExternalIdentifier",
                                          "externalIdentifierType": "cpe23",
                                          "identifier": component.cpe}]
    hashes = [{"type": "Hash", "algorithm": _HASH_ALG[h.alg], "hashValue": h.value}
              for h in component.hashes if h.alg in _HASH_ALG]
    if hashes:
        element["verifiedUsing"] = hashes
    if kind == "dataset_DatasetPackage":
        element["dataset_datasetType"] = ["other"]
    if kind == "software_Package":
        element["software_primaryPurpose"] = {
            ComponentType.APPLICATION: "application", ComponentType.FRAMEWORK: "framework",
            ComponentType.FIRMWARE: "firmware", ComponentType.OPERATING_SYSTEM:
            "operatingSystem", ComponentType.DRIVER: "library"}.get(component.type, "library")
    notes = [f"stackrift:id={component.id}", f"stackrift:type={component.type.value}"]
    if component.supplier_country:
        notes.append(f"stackrift:supplier-country={component.supplier_country}")
    if found is not None:
        notes += [f"stackrift:bloc={found.bloc.value}",
                  f"stackrift:country={found.country or 'unknown'}",
                  f"stackrift:entity-list={found.entity_list_text()}"]
        if found.lineage:
            notes.append(f"stackrift:lineage={found.lineage_text()}")
    element["comment"] = "; ".join(notes)
    return element


def to_jsonld(graph: Mapping[str, Any]) -> str:
    return orjson.dumps(graph, option=orjson.OPT_INDENT_2).decode() + "\n"
