"""SPDX 3.0 JSON-LD reader, with the AI and Dataset profiles.

``ai_AIPackage`` elements become models, ``dataset_DatasetPackage`` datasets, other packages
libraries/applications. ``trainedOn``/``testedOn``/``dependsOn`` relationships are kept; when
they join files (as the SPDX AI examples do), each file stands for the package that contains it.
``descendantOf``/``ancestorOf`` between models is base-model lineage.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from stackrift.bom._common import (
    IdAllocator,
    country_code,
    hf_id_from_url,
    json_array,
    json_error,
    make_hash,
    read_json,
    unique_hashes,
)
from stackrift.bom.base import BomDocument, Dependency, register_reader
from stackrift.estate.model import Component, ComponentType

PACKAGE_TYPES = {"ai_AIPackage": ComponentType.MODEL,
                 "dataset_DatasetPackage": ComponentType.DATASET,
                 "software_Package": ComponentType.LIBRARY}
_PURPOSE = {"application": ComponentType.APPLICATION, "framework": ComponentType.FRAMEWORK,
            "library": ComponentType.LIBRARY, "operatingSystem": ComponentType.OPERATING_SYSTEM,
            "firmware": ComponentType.FIRMWARE, "model": ComponentType.MODEL,
            "data": ComponentType.DATASET}
_KINDS = {"dependsOn": "depends-on", "hasDynamicLink": "depends-on",
          "hasStaticLink": "depends-on", "hasOptionalDependency": "depends-on",
          "hasProvidedDependency": "depends-on", "hasPrerequisite": "depends-on",
          "trainedOn": "trained-on", "testedOn": "tested-on"}
_NOTE = re.compile(r"stackrift:([a-z-]+)=([^;]*)")
_HASH = {"sha256": "SHA-256", "sha1": "SHA-1", "sha512": "SHA-512", "sha384": "SHA-384",
         "md5": "MD5", "sha3_256": "SHA3-256", "sha3_384": "SHA3-384", "sha3_512": "SHA3-512",
         "blake2b256": "BLAKE2b-256", "blake2b384": "BLAKE2b-384", "blake2b512": "BLAKE2b-512",
         "blake3": "BLAKE3", "sha224": "SHA-224"}


def _str(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _type(element: dict[str, Any]) -> str:
    value = element.get("type") or element.get("@type") or ""
    return str(value).removeprefix("spdx:")


def _id(element: dict[str, Any]) -> str | None:
    value = element.get("spdxId") or element.get("@id")
    return value if isinstance(value, str) else None


def _targets(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


@register_reader
class Spdx3Reader:
    """SPDX 3.0.x documents serialised as JSON-LD."""

    format: ClassVar[str] = "spdx-3"

    def accepts(self, path: Path, head: bytes) -> bool:
        return head.lstrip().startswith(b"{") and b"spdx.org/rdf/3." in head

    def read(self, path: Path) -> BomDocument:
        raw, data = read_json(path)
        fail = partial(json_error, path, raw)
        if not isinstance(data, dict):
            raise fail([], "an SPDX 3 document must be a JSON object", "a JSON-LD object")
        context = data.get("@context")
        contexts = _targets(context)
        version_match = next((re.search(r"spdx\.org/rdf/(3\.[0-9.]+)/", c) for c in contexts
                              if re.search(r"spdx\.org/rdf/3\.", c)), None)
        if version_match is None:
            raise fail(["@context"] if "@context" in data else [],
                       f"@context {context!r} is not an SPDX 3 context",
                       "https://spdx.org/rdf/3.0.1/spdx-context.jsonld")
        graph = data.get("@graph")
        if not isinstance(graph, list):
            raise fail(["@graph"] if "@graph" in data else [], "@graph is missing or not an array",
                       "an array of SPDX elements")
        elements: dict[str, dict[str, Any]] = {}
        for index, element in enumerate(graph):
            if not isinstance(element, dict) or not _type(element):
                raise fail(["@graph", index], "element without a type", "an object with 'type'")
            self._check_shapes(path, raw, element, ["@graph", index])
            element_id = _id(element)
            if element_id is not None:
                elements[element_id] = element
        relations = [e for e in graph if _type(e) in ("Relationship",
                                                       "LifecycleScopedRelationship")]
        licences = self._licences(elements, relations)
        packages = [e for e in graph if _type(e) in PACKAGE_TYPES]
        if not packages:
            packages = [e for e in graph if _type(e) == "software_File"]
        ids = IdAllocator()
        by_spdx: dict[str, str] = {}
        components: list[Component] = []
        reference_only: dict[str, str] = {}
        for element in packages:
            spdx_id = _id(element) or ""
            notes = dict(_NOTE.findall(str(element.get("comment") or "")))
            name = str(element.get("name") or spdx_id.rsplit("/", 1)[-1])
            if "reference" in notes:
                reference_only[spdx_id] = notes["reference"].strip()
                continue
            cid = ids.take(notes.get("id", "").strip() or None, name)
            by_spdx[spdx_id] = cid
            components.append(self._component(element, cid, name, elements, licences, notes))
        self._attach_files(elements, relations, by_spdx)
        edges: dict[tuple[str, str], set[str]] = {}
        bases: dict[str, list[str]] = {}
        for relation in relations:
            kind = relation.get("relationshipType")
            source = relation.get("from")
            targets = _targets(relation.get("to"))
            if kind in ("descendantOf", "ancestorOf") and isinstance(source, str):
                pairs = ([(source, t) for t in targets] if kind == "descendantOf"
                         else [(t, source) for t in targets])
                for child, parent in pairs:
                    if child in by_spdx:
                        reference = by_spdx.get(parent) or reference_only.get(parent)
                        if reference:
                            bases.setdefault(by_spdx[child], []).append(reference)
                continue
            if kind not in _KINDS or source not in by_spdx:
                continue
            found = {by_spdx[t] for t in targets if t in by_spdx} - {by_spdx[source]}
            if found:
                edges.setdefault((by_spdx[source], _KINDS[kind]), set()).update(found)
        if bases:
            components = [c.model_copy(update={"base_models": tuple(bases[c.id])})
                          if c.id in bases else c for c in components]
        return BomDocument(
            path=str(path), format=self.format, spec_version=version_match.group(1),
            components=tuple(components),
            dependencies=tuple(Dependency(ref, tuple(sorted(targets)), kind=kind)
                               for (ref, kind), targets in edges.items()),
            metadata={})

    @staticmethod
    def _check_shapes(path: Path, raw: bytes, element: dict[str, Any],
                      where: list[str | int]) -> None:
        """Refuse, located, the shapes the reader would otherwise trip over: arrays that are
        not arrays and relationship ends or types that are not text."""
        for key in ("externalIdentifier", "verifiedUsing"):
            json_array(path, raw, element, key, where)
        for key in ("relationshipType", "from", "software_packageUrl"):
            value = element.get(key)
            if value is not None and not isinstance(value, str):
                raise json_error(path, raw, [*where, key], "is not a string", "a string")

    @staticmethod
    def _attach_files(elements: dict[str, dict[str, Any]], relations: list[dict[str, Any]],
                      by_spdx: dict[str, str]) -> None:
        """Let each file stand for the package that (transitively) contains it."""
        parent: dict[str, str] = {}
        for relation in relations:
            if relation.get("relationshipType") == "contains" and \
                    isinstance(relation.get("from"), str):
                for target in _targets(relation.get("to")):
                    parent.setdefault(target, relation["from"])
        for element_id in elements:
            if element_id in by_spdx:
                continue
            seen, current = set(), element_id
            while current in parent and current not in seen and current not in by_spdx:
                seen.add(current)
                current = parent[current]
            if current in by_spdx:
                by_spdx[element_id] = by_spdx[current]

    @staticmethod
    def _licences(elements: dict[str, dict[str, Any]],
                  relations: list[dict[str, Any]]) -> dict[str, str]:
        declared: dict[str, str] = {}
        concluded: dict[str, str] = {}
        for relation in relations:
            kind = relation.get("relationshipType")
            if kind not in ("hasDeclaredLicense", "hasConcludedLicense"):
                continue
            for target in _targets(relation.get("to")):
                licence = elements.get(target, {})
                text = (licence.get("simplelicensing_licenseExpression")
                        or licence.get("name")
                        or (target.rsplit("/", 1)[-1]
                            if target.startswith("https://spdx.org/licenses/") else None))
                if isinstance(text, str) and text not in ("NOASSERTION", "NONE"):
                    holder = declared if kind == "hasDeclaredLicense" else concluded
                    holder.setdefault(str(relation.get("from")), text)
        return {**concluded, **declared}

    @staticmethod
    def _component(element: dict[str, Any], cid: str, name: str,
                   elements: dict[str, dict[str, Any]], licences: dict[str, str],
                   notes: dict[str, str]) -> Component:
        kind = PACKAGE_TYPES.get(_type(element), ComponentType.OTHER)
        purpose = element.get("software_primaryPurpose")
        if kind is ComponentType.LIBRARY and isinstance(purpose, str):
            kind = _PURPOSE.get(purpose, ComponentType.LIBRARY)
        if notes.get("type"):
            kind = next((t for t in ComponentType if t.value == notes["type"].strip()), kind)
        purl = element.get("software_packageUrl")
        cpe = None
        for identifier in element.get("externalIdentifier") or []:
            if not isinstance(identifier, dict):
                continue
            id_type = identifier.get("externalIdentifierType")
            if id_type in ("cpe23", "cpe22") and cpe is None:
                cpe = identifier.get("identifier")
            elif id_type == "packageUrl" and purl is None:
                purl = identifier.get("identifier")
        hashes = unique_hashes(make_hash(_HASH.get(str(h.get("algorithm")),
                                               str(h.get("algorithm"))),
                                         str(h["hashValue"]))
                               for h in element.get("verifiedUsing") or []
                               if isinstance(h, dict) and h.get("hashValue"))
        supplier = elements.get(str(element.get("suppliedBy")), {})
        originators = _targets(element.get("originatedBy"))
        originator = elements.get(originators[0], {}) if originators else {}
        download = element.get("software_downloadLocation")
        hf_id = None
        if isinstance(download, str):
            hf_id = hf_id_from_url(download.replace("huggingface.co/datasets/",
                                                    "huggingface.co/"))
        return Component(
            id=cid, type=kind, name=name,
            version=_str(element.get("software_packageVersion")),
            vendor=_str(supplier.get("name")) or _str(originator.get("name")),
            purl=purl if isinstance(purl, str) else None,
            cpe=cpe if isinstance(cpe, str) else None, hf_id=hf_id,
            supplier_country=country_code(notes.get("supplier-country")),
            license=licences.get(_id(element) or ""), hashes=hashes,
            description=_str(element.get("description")) or _str(element.get("summary")))
