"""CycloneDX XML (1.0–1.7) reader: hardened parsing, XSD validation, then the shared mapping.

The parser never expands entities, loads DTDs or touches the network, refuses documents with a
DOCTYPE, and keeps libxml2's size limits (``huge_tree`` off). Documents are validated against
the official XSD of their namespace's version (bundled with ``cyclonedx-python-lib``).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, cast

from lxml import etree

from stackrift.bom._cdx_map import to_document
from stackrift.bom._cdx_schema import _schema_dir
from stackrift.bom._common import read_bytes
from stackrift.bom.base import BomDocument, register_reader
from stackrift.errors import InvalidInputError, Location, Problem, text_position

_NAMESPACE = re.compile(r"^http://cyclonedx\.org/schema/bom/(1\.[0-7])$")
MAX_PROBLEMS = 25


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           load_dtd=False, dtd_validation=False, remove_comments=True,
                           remove_pis=True)


@cache
def _schema(version: str) -> etree.XMLSchema:
    path = _schema_dir() / f"bom-{version}.SNAPSHOT.xsd"
    document = etree.parse(str(path), _parser())
    return etree.XMLSchema(document)


def _local(element: Any) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element: Any, name: str) -> Any:
    found = _children(element, name)
    return found[0] if found else None


def _children(element: Any, name: str) -> list[Any]:
    if element is None:
        return []
    namespace = element.tag[:element.tag.index("}") + 1] if element.tag[:1] == "{" else ""
    return list(element.iterchildren(namespace + name))


def _text(element: Any, name: str) -> str | None:
    found = _child(element, name)
    return found.text.strip() if found is not None and found.text and found.text.strip() else None


def _entity(element: Any) -> dict[str, Any] | None:
    if element is None:
        return None
    entity: dict[str, Any] = {"name": _text(element, "name")}
    address = _child(element, "address")
    if address is not None:
        entity["address"] = {"country": _text(address, "country")}
    return entity


def _licences(element: Any) -> list[dict[str, Any]]:
    holder = _child(element, "licenses")
    if holder is None:
        return []
    found: list[dict[str, Any]] = []
    for child in holder:
        if _local(child) == "expression" and child.text:
            found.append({"expression": child.text.strip()})
        elif _local(child) == "license":
            found.append({"license": {"id": _text(child, "id"), "name": _text(child, "name")}})
    return found


def _properties(element: Any) -> list[dict[str, str]]:
    holder = _child(element, "properties")
    if holder is None:
        return []
    return [{"name": p.get("name", ""), "value": (p.text or "").strip()}
            for p in _children(holder, "property")]


def _component(element: Any, service: bool = False) -> dict[str, Any]:
    node: dict[str, Any] = {"type": element.get("type"), "bom-ref": element.get("bom-ref")}
    for key in ("name", "version", "description", "group", "publisher", "author", "cpe", "purl"):
        node[key] = _text(element, key)
    node["supplier"] = _entity(_child(element, "supplier"))
    node["manufacturer"] = _entity(_child(element, "manufacturer"))
    node["provider"] = _entity(_child(element, "provider"))
    hashes = _child(element, "hashes")
    node["hashes"] = [{"alg": h.get("alg"), "content": (h.text or "").strip()}
                      for h in (_children(hashes, "hash") if hashes is not None else [])]
    node["licenses"] = _licences(element)
    node["properties"] = _properties(element)
    refs = _child(element, "externalReferences")
    node["externalReferences"] = [{"type": r.get("type"), "url": _text(r, "url")}
                                  for r in (_children(refs, "reference")
                                            if refs is not None else [])]
    pedigree = _child(element, "pedigree")
    ancestors = _child(pedigree, "ancestors") if pedigree is not None else None
    if ancestors is not None:
        node["pedigree"] = {"ancestors": [_component(c) for c in _children(ancestors,
                                                                            "component")]}
    nested = _child(element, "components")
    node["components"] = [_component(c) for c in (_children(nested, "component")
                                                   if nested is not None else [])]
    services = _child(element, "services")
    node["services"] = [_component(s, True) for s in (_children(services, "service")
                                                      if services is not None else [])]
    card = _child(element, "modelCard")
    parameters = _child(card, "modelParameters") if card is not None else None
    if parameters is not None:
        values: dict[str, Any] = {key: _text(parameters, key) for key in
                                  ("task", "architectureFamily", "modelArchitecture")}
        datasets = _child(parameters, "datasets")
        if datasets is not None:
            values["datasets"] = [
                {"ref": (d.text or "").strip()} if _local(d) == "ref"
                else {"type": _text(d, "type"), "name": _text(d, "name")}
                for d in datasets if _local(d) in ("ref", "dataset")]
        node["modelCard"] = {"modelParameters": values}
    data = _children(element, "data")
    if data and not service:
        node["data"] = [{"type": _text(d, "type")} for d in data]
    return node


def to_json_shape(root: Any) -> dict[str, Any]:
    """The parts of a CycloneDX XML document the mapping needs, in the JSON document's shape."""
    data: dict[str, Any] = {"serialNumber": root.get("serialNumber")}
    metadata = _child(root, "metadata")
    subject = _child(metadata, "component") if metadata is not None else None
    data["metadata"] = {"component": _component(subject)} if subject is not None else {}
    holder = _child(root, "components")
    data["components"] = [_component(c) for c in (_children(holder, "component")
                                                  if holder is not None else [])]
    holder = _child(root, "services")
    data["services"] = [_component(s, True) for s in (_children(holder, "service")
                                                      if holder is not None else [])]
    holder = _child(root, "dependencies")
    data["dependencies"] = [
        {"ref": d.get("ref"), "dependsOn": [t.get("ref") for t in _children(d, "dependency")]}
        for d in (_children(holder, "dependency") if holder is not None else [])]
    return data


def _duplicate_refs(path: Path, root: Any) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for element in root.iter():
        if _local(element) in ("component", "service") and element.get("bom-ref"):
            ref = element.get("bom-ref")
            if ref in seen:
                problems.append(Problem(Location(str(path), element.sourceline or 0, 1),
                                        f"bom-ref '{ref}' is already used on line {seen[ref]}",
                                        "bom-ref values unique within the BOM"))
            else:
                seen[ref] = element.sourceline or 0
    return problems


@register_reader
class CycloneDxXmlReader:
    """Reads CycloneDX XML, validated against the XSD of the document's namespace."""

    format: ClassVar[str] = "cyclonedx-xml"

    def accepts(self, path: Path, head: bytes) -> bool:
        return head.lstrip().startswith(b"<") and b"cyclonedx.org/schema/bom" in head

    def read(self, path: Path) -> BomDocument:
        raw = read_bytes(path)
        try:
            root = etree.fromstring(raw, _parser())
        except etree.XMLSyntaxError as exc:
            position: Any = exc.position
            line, column = (int(position[0]), int(position[1])) if position else (0, 0)
            raise InvalidInputError.single(path, f"malformed XML: {exc.msg}",
                                           "well-formed XML", line, column + 1) from None
        tree = root.getroottree()
        if cast(Any, tree.docinfo).doctype:
            found = raw.find(b"<!DOCTYPE")  # not found in a UTF-16 document: its start
            line, column = text_position(raw, found) if found >= 0 else (1, 1)
            raise InvalidInputError.single(path, "a DOCTYPE declaration is not allowed",
                                           "a CycloneDX document without DTD or entities",
                                           line, column)
        namespace = etree.QName(root).namespace or ""
        match = _NAMESPACE.match(namespace)
        if _local(root) != "bom" or match is None:
            raise InvalidInputError.single(
                path, f"root element is {{{namespace}}}{_local(root)}", "a <bom> element in a "
                "CycloneDX namespace (http://cyclonedx.org/schema/bom/1.0 … 1.7)",
                int(cast(Any, root).sourceline or 1), 1)
        version = match.group(1)
        schema = _schema(version)
        if not schema.validate(tree):
            problems = [Problem(Location(str(path), e.line, e.column + 1 if e.column else 1),
                                re.sub(r"\{http://cyclonedx\.org/schema/bom/[0-9.]+\}", "",
                                       e.message),
                                f"what the CycloneDX {version} XSD allows")
                        for e in list(cast(Any, schema.error_log))[:MAX_PROBLEMS]]
            raise InvalidInputError(problems)
        duplicates = _duplicate_refs(path, root)
        if duplicates:
            raise InvalidInputError(duplicates)
        return to_document(to_json_shape(root), str(path), self.format, version)
