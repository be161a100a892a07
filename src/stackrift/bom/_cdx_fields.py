"""CycloneDX (JSON shape) field readers shared by the component mapping (:mod:`._cdx_map`) and
scan's direct path (:mod:`stackrift.advisories.sbom_targets`); no models are imported here, so the
direct path loads none."""

from __future__ import annotations

from typing import Any

PROP_BLOC = "stackrift:bloc"
PROP_COUNTRY = "stackrift:country"
PROP_ENTITY_LIST = "stackrift:entity-list"
PROP_LINEAGE = "stackrift:lineage"
PROP_BASE_MODELS = "stackrift:base-models"
PROP_RELATION = "stackrift:base-model-relation"
PROP_HF_ID = "stackrift:hf-id"
PROP_TYPE = "stackrift:type"
PROP_VENDOR = "stackrift:vendor"
PROP_SUPPLIER_COUNTRY = "stackrift:supplier-country"


def is_cyclonedx_json(head: bytes) -> bool:
    """Whether a file's first bytes are those of a CycloneDX JSON document."""
    return head.lstrip().startswith(b"{") and (b'"bomFormat"' in head or
                                               b"cyclonedx.org/schema/bom" in head)


def text(value: Any) -> str | None:
    """A string field stripped, ``None`` when empty or not a string."""
    return value.strip() or None if isinstance(value, str) else None


def properties(node: dict[str, Any]) -> dict[str, str]:
    """A component's ``properties`` by name (the first value of a repeated name wins)."""
    props: dict[str, str] = {}
    for prop in node.get("properties") or ():
        if isinstance(prop, dict) and isinstance(prop.get("name"), str):
            props.setdefault(prop["name"], str(prop.get("value") or ""))
    return props


def entity_name(node: Any) -> str | None:
    """The name of an organizational entity (supplier, provider, manufacturer)."""
    return text(node.get("name")) if isinstance(node, dict) else None
