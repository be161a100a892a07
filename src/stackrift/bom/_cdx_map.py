"""CycloneDX (JSON shape) to estate components; shared by the JSON and XML readers.

The XML reader converts the elements it needs into the same dictionary shape, so both formats are
mapped by one piece of code.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

from stackrift.bom._cdx_fields import (
    PROP_BASE_MODELS,
    PROP_HF_ID,
    PROP_RELATION,
    PROP_SUPPLIER_COUNTRY,
    PROP_TYPE,
    PROP_VENDOR,
    entity_name,
    properties,
    text,
)
from stackrift.bom._common import (
    IdAllocator,
    country_code,
    hash_alg,
    hf_id_from_purl,
    hf_id_from_url,
)
from stackrift.bom.base import BomDocument, Dependency
from stackrift.estate.model import Component, ComponentType, Hash, LineageRelation

_HASHES: TypeAdapter[tuple[Hash, ...]] = TypeAdapter(tuple[Hash, ...])

CDX_TO_TYPE = {
    "application": ComponentType.APPLICATION,
    "framework": ComponentType.FRAMEWORK,
    "library": ComponentType.LIBRARY,
    "container": ComponentType.OTHER,
    "platform": ComponentType.RUNTIME,
    "operating-system": ComponentType.OPERATING_SYSTEM,
    "device": ComponentType.OTHER,
    "device-driver": ComponentType.DRIVER,
    "firmware": ComponentType.FIRMWARE,
    "file": ComponentType.OTHER,
    "machine-learning-model": ComponentType.MODEL,
    "data": ComponentType.DATASET,
    "cryptographic-asset": ComponentType.CRYPTOGRAPHIC_ASSET,
}

def licence_of(node: dict[str, Any]) -> str | None:
    """One SPDX-style licence string from a CycloneDX ``licenses`` array."""
    parts: list[str] = []
    for choice in node.get("licenses") or ():
        if not isinstance(choice, dict):
            continue
        if text(choice.get("expression")):
            parts.append(str(choice["expression"]).strip())
            continue
        licence = choice.get("license")
        if isinstance(licence, dict):
            name = text(licence.get("id")) or text(licence.get("name"))
            if name:
                parts.append(name)
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return " AND ".join(f"({p})" if " " in p else p for p in parts)


def hashes_of(node: dict[str, Any]) -> tuple[Hash, ...]:
    pairs = {(hash_alg(str(h["alg"])), str(h["content"]).strip().lower())
             for h in node.get("hashes") or ()
             if isinstance(h, dict) and h.get("alg") and h.get("content")}
    if not pairs:
        return ()
    # One validation call per component: pydantic-core builds the records in Rust, which is
    # what keeps 1,000-component SBOMs with eight hashes each near the cost of parsing them.
    return _HASHES.validate_python([{"alg": a, "value": v} for a, v in sorted(pairs)])


def _entity(node: Any) -> tuple[str | None, str | None]:
    """Name and address country of an organizational entity."""
    if not isinstance(node, dict):
        return None, None
    address = node.get("address")
    country = country_code(address.get("country")) if isinstance(address, dict) else None
    return entity_name(node), country


def _hf_id(node: dict[str, Any], model: bool, props: dict[str, str]) -> str | None:
    if props.get(PROP_HF_ID):
        return props[PROP_HF_ID]
    purl = text(node.get("purl"))
    if purl and hf_id_from_purl(purl):
        return hf_id_from_purl(purl)
    if not model:
        return None
    for ref in node.get("externalReferences") or ():
        if isinstance(ref, dict) and isinstance(ref.get("url"), str):
            found = hf_id_from_url(ref["url"])
            if found:
                return found
    name = text(node.get("name")) or ""
    group = text(node.get("group"))
    if group and "/" not in name:
        name = f"{group}/{name}"
    if name.count("/") == 1 and " " not in name:
        return name
    return None


@dataclass
class _State:
    ids: IdAllocator = field(default_factory=IdAllocator)
    components: list[Component] = field(default_factory=list)
    by_ref: dict[str, str] = field(default_factory=dict)  # bom-ref -> component id
    cdx_types: dict[str, str] = field(default_factory=dict)
    data_kinds: dict[str, str] = field(default_factory=dict)
    datasets: list[tuple[str, str]] = field(default_factory=list)  # (model id, dataset ref)
    model_cards: dict[str, dict[str, str]] = field(default_factory=dict)
    pending_lineage: dict[str, list[str]] = field(default_factory=dict)  # id -> ancestor refs
    provenance: dict[str, dict[str, str]] = field(default_factory=dict)


def _component(node: dict[str, Any], state: _State, service: bool = False) -> str | None:
    name = text(node.get("name"))
    if name is None:
        return None
    cdx_type = "service" if service else str(node.get("type") or "library")
    props = properties(node)
    kind = (ComponentType.CLOUD_SERVICE if service
            else CDX_TO_TYPE.get(cdx_type, ComponentType.OTHER))
    if props.get(PROP_TYPE):
        with contextlib.suppress(ValueError):
            kind = ComponentType(props[PROP_TYPE])
    version = text(node.get("version"))
    group = text(node.get("group"))
    ref = text(node.get("bom-ref"))
    fallback = "/".join(filter(None, (group, name))) + (f"@{version}" if version else "")
    cid = state.ids.take(ref, fallback)
    if ref:
        state.by_ref[ref] = cid
    supplier, supplier_country = _entity(node.get("supplier") or node.get("provider"))
    manufacturer, manufacturer_country = _entity(node.get("manufacturer"))
    vendor = (props.get(PROP_VENDOR) or supplier or manufacturer or text(node.get("publisher"))
              or text(node.get("author")))
    relation = None
    if props.get(PROP_RELATION):
        try:
            relation = LineageRelation(props[PROP_RELATION])
        except ValueError:
            relation = None
    component = Component(
        id=cid, type=kind, name=name, vendor=vendor, version=version,
        purl=text(node.get("purl")), cpe=text(node.get("cpe")),
        hf_id=_hf_id(node, kind is ComponentType.MODEL, props),
        base_models=tuple(filter(None, props.get(PROP_BASE_MODELS, "").split(" "))),
        base_model_relation=relation,
        supplier_country=(supplier_country or manufacturer_country
                          or country_code(props.get(PROP_SUPPLIER_COUNTRY))),
        license=licence_of(node), hashes=hashes_of(node),
        description=text(node.get("description")))
    state.components.append(component)
    state.cdx_types[cid] = cdx_type
    provenance = {k: v for k, v in props.items() if k.startswith("stackrift:")}
    if provenance:
        state.provenance[cid] = provenance
    for data in node.get("data") or ():
        if isinstance(data, dict) and isinstance(data.get("type"), str):
            state.data_kinds[cid] = data["type"]
            break
    card = node.get("modelCard")
    if isinstance(card, dict):
        params = card.get("modelParameters")
        if isinstance(params, dict):
            found = {key: str(params[key]) for key in ("task", "architectureFamily",
                                                       "modelArchitecture")
                     if isinstance(params.get(key), str) and params[key].strip()}
            if found:
                state.model_cards[cid] = found
        for dataset in (params.get("datasets") or ()) if isinstance(params, dict) else ():
            if isinstance(dataset, dict) and isinstance(dataset.get("ref"), str):
                state.datasets.append((cid, dataset["ref"]))
            elif isinstance(dataset, dict):
                # An inline componentData: its own "type" says what kind of data it is.
                inline = _component({**dataset, "type": "data",
                                     "data": [{"type": dataset.get("type") or "dataset"}]},
                                    state)
                if inline:
                    state.datasets.append((cid, inline))
    pedigree = node.get("pedigree")
    if isinstance(pedigree, dict) and not component.base_models:
        ancestors = []
        for ancestor in pedigree.get("ancestors") or ():
            if isinstance(ancestor, dict):
                ancestor_id = _component(ancestor, state)
                if ancestor_id:
                    ancestors.append(ancestor_id)
        if ancestors and kind is ComponentType.MODEL:
            state.pending_lineage[cid] = ancestors
    for child in node.get("components") or ():
        if isinstance(child, dict):
            _component(child, state)
    for child in node.get("services") or ():
        if isinstance(child, dict):
            _component(child, state, service=True)
    return cid


def to_document(data: dict[str, Any], path: str, fmt: str, version: str) -> BomDocument:
    """Map a CycloneDX document (JSON shape) onto a :class:`BomDocument`."""
    state = _State()
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    subject = metadata.get("component") if isinstance(metadata, dict) else None
    subject_id = _component(subject, state) if isinstance(subject, dict) else None
    for node in data.get("components") or ():
        if isinstance(node, dict):
            _component(node, state)
    for node in data.get("services") or ():
        if isinstance(node, dict):
            _component(node, state, service=True)
    components = state.components
    if state.pending_lineage:
        replaced = {c.id: c for c in components}
        for cid, ancestors in state.pending_lineage.items():
            replaced[cid] = replaced[cid].model_copy(
                update={"base_models": tuple(ancestors)})
        components = [replaced[c.id] for c in components]
    dependencies: list[Dependency] = []
    for entry in data.get("dependencies") or ():
        raw_ref = entry.get("ref") if isinstance(entry, dict) else None
        if not isinstance(raw_ref, str):
            continue
        ref = state.by_ref.get(raw_ref) or raw_ref
        targets = tuple(state.by_ref.get(t, t) for t in entry.get("dependsOn") or ()
                        if isinstance(t, str))
        dependencies.append(Dependency(ref, targets))
    trained: dict[str, list[str]] = {}
    for model_id, dataset in state.datasets:
        trained.setdefault(model_id, []).append(state.by_ref.get(dataset, dataset))
    dependencies.extend(Dependency(m, tuple(d), kind="trained-on") for m, d in trained.items())
    return BomDocument(
        path=path, format=fmt, spec_version=version, components=tuple(components),
        dependencies=tuple(dependencies),
        metadata={"subject": subject_id, "serial_number": data.get("serialNumber"),
                  "cyclonedx_types": state.cdx_types, "data_kinds": state.data_kinds,
                  "model_cards": state.model_cards,
                  "provenance": state.provenance})
