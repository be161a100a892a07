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
        for section in ("components", "services"):
            for node in data.get(section) or ():
                if isinstance(node, dict):
                    self.component(node)
        return self.targets

    def component(self, node: dict[str, Any]) -> None:
        name = text(node.get("name"))
        if name is None:
            return
        props = properties(node)
        version = text(node.get("version"))
        group = text(node.get("group"))
        fallback = "/".join(filter(None, (group, name))) + (f"@{version}" if version else "")
        cid = self.ids.take(text(node.get("bom-ref")), fallback)
        vendor = props.get(PROP_VENDOR) or _vendor(node)
        purl, cpe = text(node.get("purl")), text(node.get("cpe"))
        # as stackrift.advisories.scan.component_target (an SBOM component has no product)
        parts = cpe_parts(cpe) if cpe else None
        self.targets.append(new_target(purl or cid, name, version_of(version, purl, cpe), purl,
                                       vendor or (parts[0] if parts else None),
                                       parts[1] if parts else None))
        self.nested(node, props)

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
        for section in ("components", "services"):
            for child in node.get(section) or ():
                if isinstance(child, dict):
                    self.component(child)


def _vendor(node: dict[str, Any]) -> str | None:
    return (entity_name(node.get("supplier") or node.get("provider"))
            or entity_name(node.get("manufacturer")) or text(node.get("publisher"))
            or text(node.get("author")))
