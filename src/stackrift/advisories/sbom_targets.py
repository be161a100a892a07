"""Scan targets read straight from a CycloneDX JSON SBOM, for ``stackrift scan``.

The reader (:mod:`stackrift.bom.cyclonedx_json`) builds a validated estate component for every SBOM
component, most of which a scan never looks at. This path checks the document exactly as the
reader does (same parse, schema and ``bom-ref`` errors), then walks the components in the reader's
order, handing out the same component ids, and builds the targets from the few fields a target
holds: no estate model is built or imported. ``tests/advisories/test_sbom_targets.py`` compares
both paths on the real SBOMs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stackrift.advisories.matcher import Target, new_target
from stackrift.advisories.matching import cpe_parts, version_of
from stackrift.bom._cdx_fields import (
    PROP_BASE_MODELS,
    PROP_VENDOR,
    entity_name,
    is_cyclonedx_json,
    properties,
    text,
)
from stackrift.bom._cdx_schema import check
from stackrift.bom._common import HEAD_BYTES, UTF8_BOM, IdAllocator, read_json
from stackrift.gcpause import paused_gc


def cyclonedx_targets(path: Path) -> list[Target] | None:
    """The targets of ``path`` when format detection would read it as CycloneDX JSON (the first
    reader tried); ``None`` otherwise, and when the file cannot be read: ``read_bom`` then reads
    or reports it. A malformed CycloneDX JSON document raises the reader's errors."""
    try:
        if path.is_dir():
            return None
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES).removeprefix(UTF8_BOM)
    except OSError:
        return None
    if not is_cyclonedx_json(head):
        return None
    with paused_gc():
        raw, data = read_json(path)
        check(path, raw, data)
        return _Walk().document(data)


class _Walk:
    """:func:`stackrift.bom._cdx_map.to_document`'s traversal, keeping what a target needs."""

    def __init__(self) -> None:
        self.ids = IdAllocator()
        self.targets: list[Target] = []

    def document(self, data: dict[str, Any]) -> list[Target]:
        metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        subject = metadata.get("component") if isinstance(metadata, dict) else None
        if isinstance(subject, dict):
            self.component(subject)
        self.listed(data)
        return self.targets

    def listed(self, node: dict[str, Any]) -> None:
        """The components and services listed in ``node`` (the document or a component)."""
        for section in ("components", "services"):
            for child in node.get(section) or ():
                if isinstance(child, dict):
                    self.component(child)

    def component(self, node: dict[str, Any]) -> None:
        if node.keys() <= _PLAIN:
            self.plain(node)
            return
        name = text(node.get("name"))
        if name is None:
            return
        props = properties(node)
        version = text(node.get("version"))
        ref = text(node.get("bom-ref"))
        cid = self.ids.take(ref, "" if ref else _fallback(text(node.get("group")), name, version))
        vendor = props.get(PROP_VENDOR) or _vendor(node)
        self.targets.append(_target(cid, name, version, text(node.get("purl")),
                                    text(node.get("cpe")), vendor))
        self.nested(node, props)

    def plain(self, node: dict[str, Any]) -> None:
        """:meth:`component` of a component holding none of the fields that name a vendor or
        nest components (most SBOM components): the same steps, fewer calls."""
        name = node.get("name")
        if not isinstance(name, str) or not (name := name.strip()):
            return
        version, ref, purl, cpe = (node.get("version"), node.get("bom-ref"), node.get("purl"),
                                   node.get("cpe"))
        version = version.strip() or None if isinstance(version, str) else None
        ref = ref.strip() or None if isinstance(ref, str) else None
        cid = self.ids.take(ref, "" if ref else _fallback(text(node.get("group")), name, version))
        self.targets.append(_target(cid, name, version,
                                    purl.strip() or None if isinstance(purl, str) else None,
                                    cpe.strip() or None if isinstance(cpe, str) else None, None))

    def nested(self, node: dict[str, Any], props: dict[str, str]) -> None:
        """The components inside one, in the reader's order."""
        card = node.get("modelCard")
        if isinstance(card, dict):
            params = card.get("modelParameters")
            for dataset in (params.get("datasets") or ()) if isinstance(params, dict) else ():
                if isinstance(dataset, dict) and not isinstance(dataset.get("ref"), str):
                    self.component(dataset)  # an inline dataset is a component of its own
        pedigree = node.get("pedigree")
        if isinstance(pedigree, dict) and not any(props.get(PROP_BASE_MODELS, "").split(" ")):
            for ancestor in pedigree.get("ancestors") or ():
                if isinstance(ancestor, dict):
                    self.component(ancestor)
        self.listed(node)


# fields that neither name a vendor nor hold components (see :meth:`_Walk.plain`)
_PLAIN = frozenset({"type", "bom-ref", "name", "version", "group", "purl", "cpe", "description",
                    "scope", "hashes", "licenses", "copyright", "externalReferences"})


def _fallback(group: str | None, name: str, version: str | None) -> str:
    """The id of a component without a usable ``bom-ref`` (``IdAllocator.take`` reads it only
    when the reference is absent)."""
    return "/".join(filter(None, (group, name))) + (f"@{version}" if version else "")


def _target(cid: str, name: str, version: str | None, purl: str | None, cpe: str | None,
            vendor: str | None) -> Target:
    """As stackrift.advisories.scan.component_target (an SBOM component has no product)."""
    parts = cpe_parts(cpe) if cpe else None
    return new_target(purl or cid, name, version_of(version, purl, cpe), purl,
                      vendor or (parts[0] if parts else None), parts[1] if parts else None)


def _vendor(node: dict[str, Any]) -> str | None:
    return (entity_name(node.get("supplier") or node.get("provider"))
            or entity_name(node.get("manufacturer")) or text(node.get("publisher"))
            or text(node.get("author")))
