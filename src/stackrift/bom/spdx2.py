"""SPDX 2.2 / 2.3 JSON reader: packages, checksums, purls/CPEs, suppliers, relationships."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from stackrift.bom._common import (
    IdAllocator,
    hf_id_from_url,
    json_array,
    json_error,
    make_hash,
    read_json,
    unique_hashes,
)
from stackrift.bom.base import BomDocument, Dependency, register_reader
from stackrift.estate.model import Component, ComponentType

VERSIONS = ("SPDX-2.2", "SPDX-2.3")
_PURPOSE = {"APPLICATION": ComponentType.APPLICATION, "FRAMEWORK": ComponentType.FRAMEWORK,
            "LIBRARY": ComponentType.LIBRARY, "OPERATING-SYSTEM": ComponentType.OPERATING_SYSTEM,
            "OPERATING_SYSTEM": ComponentType.OPERATING_SYSTEM, "FIRMWARE": ComponentType.FIRMWARE,
            "DEVICE": ComponentType.OTHER, "CONTAINER": ComponentType.OTHER}
_DEPENDENCY = {"DEPENDS_ON", "DYNAMIC_LINK", "STATIC_LINK", "HAS_PREREQUISITE"}
_REVERSED_DEPENDENCY = {"DEPENDENCY_OF", "RUNTIME_DEPENDENCY_OF", "BUILD_DEPENDENCY_OF",
                        "DEV_DEPENDENCY_OF", "TEST_DEPENDENCY_OF", "OPTIONAL_DEPENDENCY_OF",
                        "PROVIDED_DEPENDENCY_OF", "PREREQUISITE_FOR"}
_NO_VALUE = {"NOASSERTION", "NONE", ""}


def _value(text: Any) -> str | None:
    return text.strip() if isinstance(text, str) and text.strip() not in _NO_VALUE else None


def _agent(text: Any) -> str | None:
    """'Organization: Acme (info@acme)' -> 'Acme'."""
    value = _value(text)
    if value is None:
        return None
    _, _, name = value.partition(":")
    name = (name or value).strip()
    return name.split(" (", 1)[0].strip() or None


@register_reader
class Spdx2Reader:
    """SPDX 2.2/2.3 documents in JSON."""

    format: ClassVar[str] = "spdx-2"

    def accepts(self, path: Path, head: bytes) -> bool:
        # Key order varies; a package or file SPDXID in the first bytes identifies SPDX 2 too.
        return head.lstrip().startswith(b"{") and (b'"spdxVersion"' in head or
                                                   b'"SPDXID"' in head)

    def read(self, path: Path) -> BomDocument:
        raw, data = read_json(path)
        fail = partial(json_error, path, raw)
        if not isinstance(data, dict):
            raise fail([], "an SPDX document must be a JSON object", "an SPDX 2.2/2.3 document")
        version = data.get("spdxVersion")
        if version not in VERSIONS:
            raise fail(["spdxVersion"], f"spdxVersion {version!r} is not supported",
                       f"one of {', '.join(VERSIONS)}")
        array = partial(json_array, path, raw)
        packages = array(data, "packages", [])
        ids = IdAllocator()
        by_spdx: dict[str, str] = {}
        components: list[Component] = []
        elements: list[tuple[str, dict[str, Any], list[str | int]]] = [
            ("package", p, ["packages", i]) for i, p in enumerate(packages)]
        if not packages:
            # A file-only document (e.g. a binary's SBOM) still names what it describes.
            files = array(data, "files", [])
            elements += [("file", f, ["files", i]) for i, f in enumerate(files)]
        for kind, element, where in elements:
            if not isinstance(element, dict):
                raise fail(where, "is not an object", f"a {kind} object")
            spdx_id, name = element.get("SPDXID"), element.get("name") or element.get("fileName")
            if not isinstance(spdx_id, str) or not isinstance(name, str) or not name.strip():
                raise fail(where, f"{kind} without SPDXID or name", "SPDXID and name")
            for key in ("externalRefs", "checksums"):
                array(element, key, where)
            component = self._component(element, ids.take(spdx_id.removeprefix("SPDXRef-"),
                                                           name), name.strip(), kind)
            by_spdx[spdx_id] = component.id
            components.append(component)
        edges: dict[str, set[str]] = {}
        for index, relation in enumerate(array(data, "relationships", [])):
            if not isinstance(relation, dict):
                raise fail(["relationships", index], "is not an object", "a relationship")
            source: Any = relation.get("spdxElementId")
            target: Any = relation.get("relatedSpdxElement")
            relation_type = relation.get("relationshipType")
            if not all(isinstance(v, str | None) for v in (source, target, relation_type)):
                raise fail(["relationships", index], "spdxElementId, relatedSpdxElement and "
                           "relationshipType must be strings", "SPDX element ids and a type")
            if relation_type in _REVERSED_DEPENDENCY:
                source, target = target, source
            elif relation_type not in _DEPENDENCY:
                continue
            if source in by_spdx and target in by_spdx:
                edges.setdefault(by_spdx[source], set()).add(by_spdx[target])
        describes = array(data, "documentDescribes", [])
        for index, described in enumerate(describes):
            if not isinstance(described, str):
                raise fail(["documentDescribes", index], "is not a string",
                           "the SPDXID of a described element")
        return BomDocument(
            path=str(path), format=self.format, spec_version=str(version).removeprefix("SPDX-"),
            components=tuple(components),
            dependencies=tuple(Dependency(k, tuple(sorted(v))) for k, v in edges.items()),
            metadata={"name": data.get("name"), "namespace": data.get("documentNamespace"),
                      "describes": [by_spdx[d] for d in describes if d in by_spdx]})

    @staticmethod
    def _component(element: dict[str, Any], cid: str, name: str, kind: str) -> Component:
        purl = cpe = None
        for ref in element.get("externalRefs") or []:
            if not isinstance(ref, dict):
                continue
            ref_type, locator = ref.get("referenceType"), _value(ref.get("referenceLocator"))
            if ref_type == "purl" and purl is None:
                purl = locator
            elif ref_type in ("cpe23Type", "cpe22Type") and cpe is None:
                cpe = locator
        hashes = unique_hashes(make_hash(str(c["algorithm"]), str(c["checksumValue"]))
                               for c in element.get("checksums") or []
                               if isinstance(c, dict) and c.get("algorithm")
                               and c.get("checksumValue"))
        purpose = element.get("primaryPackagePurpose")
        kind_type = (_PURPOSE.get(str(purpose), ComponentType.LIBRARY) if kind == "package"
                     else ComponentType.OTHER)
        download = _value(element.get("downloadLocation"))
        return Component(
            id=cid, type=kind_type, name=name, version=_value(element.get("versionInfo")),
            vendor=_agent(element.get("supplier")) or _agent(element.get("originator")),
            purl=purl, cpe=cpe, hf_id=hf_id_from_url(download) if download else None,
            license=(_value(element.get("licenseDeclared"))
                     or _value(element.get("licenseConcluded"))),
            hashes=hashes, description=_value(element.get("summary"))
            or _value(element.get("description")))
