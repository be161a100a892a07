"""CycloneDX writers (JSON and XML, spec 1.5–1.7): an ML-BOM with provenance as properties.

Models carry a ``modelCard`` (training datasets), datasets are ``data`` components, suppliers
carry their address country (1.6+), and the catalogue's findings travel as namespaced properties:
``stackrift:bloc``, ``stackrift:country``, ``stackrift:entity-list``, ``stackrift:lineage``.
Output is deterministic: components keep document order, everything else is sorted, and the
serial number is derived from the content.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from functools import cache
from typing import Any

import orjson
from lxml import etree

from stackrift import __version__
from stackrift.bom._cdx_fields import (
    PROP_BASE_MODELS,
    PROP_BLOC,
    PROP_COUNTRY,
    PROP_ENTITY_LIST,
    PROP_HF_ID,
    PROP_LINEAGE,
    PROP_RELATION,
    PROP_SUPPLIER_COUNTRY,
    PROP_TYPE,
)
from stackrift.bom._cdx_map import CDX_TO_TYPE
from stackrift.bom.base import BomDocument
from stackrift.bom.provenance import ComponentProvenance
from stackrift.errors import UsageError
from stackrift.estate.model import Component, ComponentType
from stackrift.textsafe import xml_text

WRITE_VERSIONS = ("1.5", "1.6", "1.7")
PROP_EVIDENCE = "stackrift:evidence"
PROP_ORIGIN = "stackrift:weights-origin"
PROP_QUANTITY = "stackrift:quantity"

TYPE_TO_CDX = {
    ComponentType.ACCELERATOR: "device",
    ComponentType.DRIVER: "device-driver",
    ComponentType.RUNTIME: "platform",
    ComponentType.FRAMEWORK: "framework",
    ComponentType.LIBRARY: "library",
    ComponentType.MODEL: "machine-learning-model",
    ComponentType.DATASET: "data",
    ComponentType.APPLICATION: "application",
    ComponentType.FIRMWARE: "firmware",
    ComponentType.OPERATING_SYSTEM: "operating-system",
    ComponentType.CRYPTOGRAPHIC_ASSET: "cryptographic-asset",
    ComponentType.OTHER: "library",
}
_HASH_ALGS = {"MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512", "SHA3-256", "SHA3-384",
              "SHA3-512", "BLAKE2b-256", "BLAKE2b-384", "BLAKE2b-512", "BLAKE3"}
_HASH_VALUE = re.compile(r"^(?:[a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{64}|[a-f0-9]{96}|[a-f0-9]{128})$")


@cache
def _spdx_ids() -> frozenset[str]:
    from stackrift.bom._cdx_schema import _load

    return frozenset(_load("spdx.SNAPSHOT.schema.json")["enum"])


def _licences(text: str) -> list[dict[str, Any]]:
    if text in _spdx_ids():
        return [{"license": {"id": text}}]
    if re.search(r"\s(AND|OR|WITH)\s", text):
        return [{"expression": text}]
    return [{"license": {"name": text}}]


def _cdx_type(component: Component, document: BomDocument, version: str) -> str:
    if component.type is ComponentType.CRYPTOGRAPHIC_ASSET and version < "1.6":
        return "library"  # the type arrived in 1.6; stackrift:type keeps it
    original = (document.metadata.get("cyclonedx_types") or {}).get(component.id)
    if isinstance(original, str) and original != "service" and \
            CDX_TO_TYPE.get(original) is component.type:
        return original
    return TYPE_TO_CDX[component.type]


def _props(values: Mapping[str, str | None]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in sorted(values.items()) if v]


def _provenance_props(found: ComponentProvenance | None, as_of: str) -> dict[str, str | None]:
    if found is None:
        return {}
    origin = found.origin
    return {PROP_BLOC: found.bloc.value, PROP_COUNTRY: found.country,
            PROP_EVIDENCE: f"{found.evidence}: {found.detail}",
            PROP_ENTITY_LIST: found.entity_list_text(),
            PROP_LINEAGE: found.lineage_text() or None,
            PROP_ORIGIN: (f"{origin.country or 'unknown'} ({origin.bloc.value})"
                          if origin else None)}


def _component(component: Component, document: BomDocument, version: str,
               provenance: Mapping[str, ComponentProvenance], as_of: str,
               datasets: Mapping[str, list[str]], by_id: Mapping[str, Component]
               ) -> dict[str, Any]:
    cdx_type = _cdx_type(component, document, version)
    node: dict[str, Any] = {"type": cdx_type, "bom-ref": component.id}
    props: dict[str, str | None] = {}
    if CDX_TO_TYPE.get(cdx_type) is not component.type:
        props[PROP_TYPE] = component.type.value
    if component.vendor:
        supplier: dict[str, Any] = {"name": component.vendor}
        if component.supplier_country and version >= "1.6":
            supplier["address"] = {"country": component.supplier_country}
        node["supplier"] = supplier
    if component.supplier_country and "address" not in node.get("supplier", {}):
        props[PROP_SUPPLIER_COUNTRY] = component.supplier_country
    node["name"] = component.name
    if component.version:
        node["version"] = component.version
    if component.description:
        node["description"] = component.description
    hashes = [{"alg": h.alg, "content": h.value} for h in component.hashes
              if h.alg in _HASH_ALGS and _HASH_VALUE.match(h.value)]
    if hashes:
        node["hashes"] = hashes
    if component.license:
        node["licenses"] = _licences(component.license)
    if component.cpe:
        node["cpe"] = component.cpe
    if component.purl:
        node["purl"] = component.purl
    if component.base_models:
        node["pedigree"] = {"ancestors": [_ancestor(ref, by_id) for ref in component.base_models]}
        props[PROP_BASE_MODELS] = " ".join(component.base_models)
    if component.base_model_relation:
        props[PROP_RELATION] = component.base_model_relation.value
    if component.hf_id:
        props[PROP_HF_ID] = component.hf_id
        if component.type is ComponentType.MODEL:
            node["externalReferences"] = [{"type": "website",
                                           "url": f"https://huggingface.co/{component.hf_id}"}]
    if component.quantity is not None:
        props[PROP_QUANTITY] = str(component.quantity)
    props.update(_provenance_props(provenance.get(component.id), as_of))
    if _props(props):
        node["properties"] = _props(props)
    if cdx_type == "machine-learning-model":
        card: dict[str, Any] = {}
        refs = [r for r in datasets.get(component.id, []) if r in by_id]
        card_meta = (document.metadata.get("model_cards") or {}).get(component.id) or {}
        parameters: dict[str, Any] = {}
        for key in ("task", "architectureFamily", "modelArchitecture"):
            if card_meta.get(key):
                parameters[key] = str(card_meta[key])
        if refs:
            parameters["datasets"] = [{"ref": r} for r in refs]
        if parameters:
            card["modelParameters"] = parameters
        card["properties"] = [{"name": "stackrift:model-card-source",
                               "value": str(card_meta.get("source") or "bill of materials")}]
        node["modelCard"] = card
    if cdx_type == "data":
        kind = (document.metadata.get("data_kinds") or {}).get(component.id) or "dataset"
        node["data"] = [{"type": kind, "name": component.name}]
    return node


def _ancestor(reference: str, by_id: Mapping[str, Component]) -> dict[str, Any]:
    base = by_id.get(reference)
    name = base.name if base else reference
    node: dict[str, Any] = {"type": "machine-learning-model", "name": name}
    hf_id = base.hf_id if base else (reference if reference.count("/") == 1 else None)
    if hf_id:
        node["externalReferences"] = [{"type": "website", "url": f"https://huggingface.co/{hf_id}"}]
    return node


def _service(component: Component, provenance: Mapping[str, ComponentProvenance],
             as_of: str) -> dict[str, Any]:
    node: dict[str, Any] = {"bom-ref": component.id}
    if component.vendor:
        node["provider"] = {"name": component.vendor}
    node["name"] = component.name
    if component.version:
        node["version"] = component.version
    if component.description:
        node["description"] = component.description
    if component.license:
        node["licenses"] = _licences(component.license)
    props = _provenance_props(provenance.get(component.id), as_of)
    if component.supplier_country:
        props[PROP_SUPPLIER_COUNTRY] = component.supplier_country
    if _props(props):
        node["properties"] = _props(props)
    return node


def build(document: BomDocument, version: str = "1.6",
          provenance: Mapping[str, ComponentProvenance] | None = None,
          as_of: str | None = None) -> dict[str, Any]:
    """The CycloneDX document (JSON shape) for a :class:`BomDocument`."""
    if version not in WRITE_VERSIONS:
        raise UsageError(f"--spec-version {version} is not supported for writing; expected one "
                         f"of {', '.join(WRITE_VERSIONS)} (machine-learning models need 1.5+)")
    provenance = provenance or {}
    as_of_text = as_of or "the catalogue date"
    by_id = {c.id: c for c in document.components}
    datasets: dict[str, list[str]] = {}
    for dependency in document.dependencies:
        if dependency.kind == "trained-on":
            datasets.setdefault(dependency.ref, []).extend(dependency.depends_on)
    components, services = [], []
    for component in document.components:
        if component.type is ComponentType.CLOUD_SERVICE:
            services.append(_service(component, provenance, as_of_text))
        else:
            components.append(_component(component, document, version, provenance, as_of_text,
                                         datasets, by_id))
    edges: dict[str, set[str]] = {}
    for dependency in document.dependencies:
        if dependency.kind == "depends-on" and dependency.ref in by_id:
            edges.setdefault(dependency.ref, set()).update(
                d for d in dependency.depends_on if d in by_id and d != dependency.ref)
    bom: dict[str, Any] = {"bomFormat": "CycloneDX", "specVersion": version, "version": 1,
                           "metadata": {"tools": {"components": [
                               {"type": "application", "name": "stackrift",
                                "version": __version__}]}}}
    if as_of:
        bom["metadata"]["timestamp"] = f"{as_of}T00:00:00Z"
    if components:
        bom["components"] = components
    if services:
        bom["services"] = services
    if edges:
        bom["dependencies"] = [{"ref": ref, "dependsOn": sorted(targets)}
                               for ref, targets in sorted(edges.items())]
    digest = orjson.dumps(bom, option=orjson.OPT_SORT_KEYS)
    serial = uuid.uuid5(uuid.NAMESPACE_URL, "stackrift:" + digest.hex())
    return {"bomFormat": "CycloneDX", "specVersion": version,
            "serialNumber": f"urn:uuid:{serial}",
            **{k: v for k, v in bom.items() if k not in ("bomFormat", "specVersion")}}


def to_json(bom: Mapping[str, Any]) -> str:
    return orjson.dumps(bom, option=orjson.OPT_INDENT_2).decode() + "\n"


# -- XML -------------------------------------------------------------------------------------------

def _sub(parent: etree._Element, ns: str, tag: str, text: str | None = None,
         **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}",
                               {k: xml_text(v) for k, v in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _xml_props(parent: etree._Element, ns: str, props: list[dict[str, str]]) -> None:
    if props:
        holder = _sub(parent, ns, "properties")
        for prop in props:
            _sub(holder, ns, "property", prop["value"], name=prop["name"])


def _xml_licences(parent: etree._Element, ns: str, licences: list[dict[str, Any]]) -> None:
    holder = _sub(parent, ns, "licenses")
    for choice in licences:
        if "expression" in choice:
            _sub(holder, ns, "expression", choice["expression"])
        else:
            licence = _sub(holder, ns, "license")
            key = "id" if "id" in choice["license"] else "name"
            _sub(licence, ns, key, choice["license"][key])


def _xml_refs(parent: etree._Element, ns: str, refs: list[dict[str, str]]) -> None:
    holder = _sub(parent, ns, "externalReferences")
    for ref in refs:
        _sub(_sub(holder, ns, "reference", type=ref["type"]), ns, "url", ref["url"])


def _xml_entity(parent: etree._Element, ns: str, tag: str, entity: dict[str, Any]) -> None:
    element = _sub(parent, ns, tag)
    _sub(element, ns, "name", entity["name"])
    if "address" in entity:
        _sub(_sub(element, ns, "address"), ns, "country", entity["address"]["country"])


def _xml_component(parent: etree._Element, ns: str, node: dict[str, Any]) -> None:
    attributes = {"type": node["type"]}
    if "bom-ref" in node:
        attributes["bom-ref"] = node["bom-ref"]
    element = _sub(parent, ns, "component", **attributes)
    if "supplier" in node:
        _xml_entity(element, ns, "supplier", node["supplier"])
    for key in ("name", "version", "description"):
        if key in node:
            _sub(element, ns, key, node[key])
    if "hashes" in node:
        holder = _sub(element, ns, "hashes")
        for h in node["hashes"]:
            _sub(holder, ns, "hash", h["content"], alg=h["alg"])
    if "licenses" in node:
        _xml_licences(element, ns, node["licenses"])
    for key in ("cpe", "purl"):
        if key in node:
            _sub(element, ns, key, node[key])
    if "pedigree" in node:
        ancestors = _sub(_sub(element, ns, "pedigree"), ns, "ancestors")
        for ancestor in node["pedigree"]["ancestors"]:
            _xml_component(ancestors, ns, ancestor)
    if "externalReferences" in node:
        _xml_refs(element, ns, node["externalReferences"])
    _xml_props(element, ns, node.get("properties", []))
    if "modelCard" in node:
        card = _sub(element, ns, "modelCard")
        parameters = node["modelCard"].get("modelParameters")
        if parameters:
            holder = _sub(card, ns, "modelParameters")
            for key in ("task", "architectureFamily", "modelArchitecture"):
                if key in parameters:
                    _sub(holder, ns, key, parameters[key])
            if "datasets" in parameters:
                sets = _sub(holder, ns, "datasets")
                for ref in parameters["datasets"]:
                    _sub(sets, ns, "ref", ref["ref"])
        _xml_props(card, ns, node["modelCard"].get("properties", []))
    for data in node.get("data", []):
        holder = _sub(element, ns, "data")
        _sub(holder, ns, "type", data["type"])
        _sub(holder, ns, "name", data["name"])


def _xml_service(parent: etree._Element, ns: str, node: dict[str, Any]) -> None:
    element = _sub(parent, ns, "service", **{"bom-ref": node["bom-ref"]})
    if "provider" in node:
        _xml_entity(element, ns, "provider", node["provider"])
    for key in ("name", "version", "description"):
        if key in node:
            _sub(element, ns, key, node[key])
    if "licenses" in node:
        _xml_licences(element, ns, node["licenses"])
    _xml_props(element, ns, node.get("properties", []))


def to_xml(bom: Mapping[str, Any]) -> str:
    """Serialise a document built by :func:`build` as CycloneDX XML of the same version."""
    ns = f"http://cyclonedx.org/schema/bom/{bom['specVersion']}"
    root = etree.Element(f"{{{ns}}}bom", {"serialNumber": bom["serialNumber"], "version": "1"},
                         nsmap={None: ns})  # type: ignore[dict-item]
    metadata = _sub(root, ns, "metadata")
    if "timestamp" in bom["metadata"]:
        _sub(metadata, ns, "timestamp", bom["metadata"]["timestamp"])
    tools = _sub(_sub(metadata, ns, "tools"), ns, "components")
    for tool in bom["metadata"]["tools"]["components"]:
        _xml_component(tools, ns, tool)
    if bom.get("components"):
        holder = _sub(root, ns, "components")
        for node in bom["components"]:
            _xml_component(holder, ns, node)
    if bom.get("services"):
        holder = _sub(root, ns, "services")
        for node in bom["services"]:
            _xml_service(holder, ns, node)
    if bom.get("dependencies"):
        holder = _sub(root, ns, "dependencies")
        for dependency in bom["dependencies"]:
            element = _sub(holder, ns, "dependency", ref=dependency["ref"])
            for target in dependency["dependsOn"]:
                _sub(element, ns, "dependency", ref=target)
    text: bytes = etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")
    return text.decode("utf-8")
