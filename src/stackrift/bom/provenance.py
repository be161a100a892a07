"""Provenance of BOM components: vendor, country, bloc and Entity List status from the catalogue,
with the evidence that decided it, and base-model lineage followed to the root.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stackrift.bom.base import BomDocument
from stackrift.catalog.catalogue import Catalogue, Resolution
from stackrift.estate.model import Bloc, Component, ComponentType


@dataclass(frozen=True)
class LineageLink:
    """One model in a base-model chain as resolved against the catalogue."""

    reference: str
    vendor: str | None
    country: str | None
    bloc: Bloc
    evidence: str

    def label(self) -> str:
        if self.vendor is None and self.country is None:
            return f"{self.reference} (not catalogued)"
        parts = [p for p in (self.vendor, self.country) if p]
        return f"{self.reference} ({', '.join(parts)})"


@dataclass(frozen=True)
class ComponentProvenance:
    """What the catalogue says about one component, and which evidence said it."""

    component_id: str
    vendor: str | None
    country: str | None
    bloc: Bloc
    evidence: str  # purl | hf-org | cpe | vendor-name | product-name | supplier-country | none
    detail: str
    entity_list: bool | None  # None when the vendor is not catalogued
    entity_list_since: str | None
    catalogue_as_of: str | None = None
    lineage: tuple[LineageLink, ...] = ()

    @property
    def origin(self) -> LineageLink | None:
        """The root of the lineage: whose weights the model ultimately carries."""
        return self.lineage[-1] if len(self.lineage) > 1 else None

    def lineage_text(self) -> str:
        return " -> ".join(link.label() for link in self.lineage)

    def entity_list_text(self) -> str:
        if self.entity_list is None:
            return "unknown (vendor not catalogued)"
        if self.entity_list:
            return f"listed since {self.entity_list_since}" if self.entity_list_since else "listed"
        return f"not listed as of {self.catalogue_as_of}"


def _link(reference: str, resolution: Resolution) -> LineageLink:
    vendor = resolution.vendor.name if resolution.vendor else None
    return LineageLink(reference, vendor, resolution.country, resolution.bloc,
                       resolution.evidence.value)


def provenance_of(component: Component, components: Sequence[Component],
                  catalogue: Catalogue, *,
                  by_id: Mapping[str, Component] | None = None) -> ComponentProvenance:
    """What the catalogue says about ``component``; ``by_id`` indexes ``components`` (first
    record per id), built here when not given."""
    resolution = catalogue.resolve(component)
    vendor = resolution.vendor
    lineage: tuple[LineageLink, ...] = ()
    if component.type is ComponentType.MODEL and component.base_models:
        steps = catalogue.lineage(component, components)
        index = by_id if by_id is not None else first_by_id(components)
        lineage = tuple(_link(_display(step.reference, index), step.resolution)
                        for step in steps)
    return ComponentProvenance(
        component_id=component.id, vendor=vendor.name if vendor else None,
        country=resolution.country, bloc=resolution.bloc, evidence=resolution.evidence.value,
        detail=resolution.detail,
        entity_list=vendor.entity_list.listed if vendor else None,
        entity_list_since=(str(vendor.entity_list.since)
                           if vendor and vendor.entity_list.since else None),
        catalogue_as_of=str(vendor.as_of) if vendor else None, lineage=lineage)


def first_by_id(components: Sequence[Component]) -> dict[str, Component]:
    """Components by id; the first record wins, as a scan from the start would find."""
    by_id: dict[str, Component] = {}
    for component in components:
        by_id.setdefault(component.id, component)
    return by_id


def _display(reference: str, by_id: Mapping[str, Component]) -> str:
    """Show a model by its Hugging Face id when the reference is a component that has one."""
    found = by_id.get(reference)
    if found is not None:
        return found.hf_id or found.name
    return reference


def enrich(document: BomDocument, catalogue: Catalogue) -> dict[str, ComponentProvenance]:
    """Provenance of every component of a document, keyed by component id."""
    components = document.components
    by_id = first_by_id(components)
    return {c.id: provenance_of(c, components, catalogue, by_id=by_id) for c in components}
