"""A system's stack, layer by layer, resolved against the catalogue; and who is a US person.

Shared by the concentration analysis, the stress tests and the planner so that all three see a
system the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import TypeVar

from stackrift.catalog.catalogue import Catalogue, Resolution
from stackrift.catalog.model import ExportControl, Layer, Product, Vendor, bloc_of
from stackrift.catalog.model import StackLayer as StackLayer  # the one enum, owned by the catalogue
from stackrift.estate.model import (
    Bloc,
    Component,
    ComponentType,
    Entity,
    Estate,
    Site,
    SiteKind,
    System,
)
from stackrift.findings import Citation
from stackrift.plan.groups import DestinationMatch, control_in_force, is_gp10, match_destination

CONCENTRATION_LAYERS = (StackLayer.ACCELERATOR, StackLayer.RUNTIME, StackLayer.FRAMEWORK,
                        StackLayer.MODEL, StackLayer.CLOUD, StackLayer.COUNTRY)
"""Layers over which concentration is measured."""

ESSENTIAL_LAYERS = (StackLayer.ACCELERATOR, StackLayer.RUNTIME, StackLayer.MODEL, StackLayer.CLOUD)
"""Layers a system cannot run without. Frameworks are left out: they are open source and can be
forked or pinned, so a vendor cannot take them away the way it can hardware or a region."""

_TYPE_LAYER = {ComponentType.ACCELERATOR: StackLayer.ACCELERATOR,
               ComponentType.DRIVER: StackLayer.RUNTIME, ComponentType.RUNTIME: StackLayer.RUNTIME,
               ComponentType.FRAMEWORK: StackLayer.FRAMEWORK, ComponentType.MODEL: StackLayer.MODEL}
_PRODUCT_LAYER = {Layer.ACCELERATOR: StackLayer.ACCELERATOR, Layer.RUNTIME: StackLayer.RUNTIME,
                  Layer.FRAMEWORK: StackLayer.FRAMEWORK, Layer.MODEL: StackLayer.MODEL}


@dataclass(frozen=True)
class Holder:
    """Who a system depends on in one layer: a vendor (or country) and, when known, a product."""

    layer: StackLayer
    key: str  # vendor id, "unresolved:<name>", or a country code for the country layer
    label: str
    bloc: Bloc
    product: Product | None = None
    component: Component | None = None
    note: str = ""
    vendor: Vendor | None = None


@dataclass(frozen=True)
class SystemStack:
    """One system's holders per layer, with its site."""

    system: System
    site: Site | None
    holders: tuple[Holder, ...]

    def layer(self, layer: StackLayer) -> tuple[Holder, ...]:
        return tuple(h for h in self.holders if h.layer == layer)

    @property
    def country(self) -> str | None:
        return self.site.country if self.site else None


def component_layer(component: Component, resolution: Resolution) -> StackLayer | None:
    """The layer a component counts in: its catalogued product's layer, else its declared type."""
    if resolution.product is not None and resolution.product.layer in _PRODUCT_LAYER:
        return _PRODUCT_LAYER[resolution.product.layer]
    return _TYPE_LAYER.get(component.type)


def _holder(layer: StackLayer, resolution: Resolution, component: Component | None,
            note: str = "", name: str | None = None) -> Holder:
    vendor = resolution.vendor
    if vendor is not None:
        return Holder(layer, vendor.id, vendor.name, vendor.bloc, resolution.product, component,
                      note, vendor)
    label = name or (component.vendor or component.name if component else "unknown")
    return Holder(layer, f"unresolved:{label}", f"{label} (not catalogued)", resolution.bloc,
                  None, component, note)


def cloud_holder(site: Site, catalogue: Catalogue, estate: Estate) -> Holder:
    """The cloud provider of a site; an on-premises site is held by the entity that runs it."""
    if site.provider:
        vendor = catalogue.vendor_by_name(site.provider)
        if vendor is not None:
            return Holder(StackLayer.CLOUD, vendor.id, vendor.name, vendor.bloc, vendor=vendor)
        return Holder(StackLayer.CLOUD, f"unresolved:{site.provider}",
                      f"{site.provider} (not catalogued)", Bloc.UNKNOWN)
    owner = _entity(estate, site.entity) if site.entity else None
    name = owner.name if owner else site.name
    return Holder(StackLayer.CLOUD, f"on-prem:{site.entity or site.id}", f"on-premises ({name})",
                  bloc_of(site.country), note="self-operated")


@dataclass(frozen=True)
class _Lookups:
    """An estate's components, sites and entities by id: the first of each id, as
    :meth:`Estate.component`, :meth:`Estate.site` and :meth:`Estate.entity` find them."""

    components: dict[str, Component]
    sites: dict[str, Site]
    entities: dict[str, Entity]


_Identified = TypeVar("_Identified", Component, Site, Entity)


def _first_by_id(items: tuple[_Identified, ...]) -> dict[str, _Identified]:
    found: dict[str, _Identified] = {}
    for item in items:
        found.setdefault(item.id, item)
    return found


def _lookups(estate: Estate) -> _Lookups:
    """The look-ups of a (frozen) estate, kept for the last few estates asked: the planner and
    the stress tests ask for every system of the same estates, thousands of times."""
    for known, found in _recent:
        if known is estate:
            return found
    found = _Lookups(_first_by_id(estate.components), _first_by_id(estate.sites),
                     _first_by_id(estate.entities))
    _recent.insert(0, (estate, found))
    del _recent[_RECENT_ESTATES:]
    return found


_RECENT_ESTATES = 4
_recent: list[tuple[Estate, _Lookups]] = []


def _entity(estate: Estate, entity_id: str) -> Entity | None:
    return _lookups(estate).entities.get(entity_id)


def _site(estate: Estate, site_id: str) -> Site | None:
    return _lookups(estate).sites.get(site_id)


def system_stack(estate: Estate, system: System, catalogue: Catalogue) -> SystemStack:
    """Resolve each of a system's components into layer holders; models follow their lineage."""
    holders: list[Holder] = []
    by_id = _lookups(estate).components
    for ref in system.components:
        component = by_id.get(ref)
        if component is None:
            continue
        resolution = catalogue.resolve(component)
        layer = component_layer(component, resolution)
        if layer is None:
            continue
        if layer == StackLayer.MODEL:
            chain = catalogue.lineage(component, estate.components)
            origin = chain[-1].resolution
            note = (f"weights origin via {' -> '.join(s.reference for s in chain)}"
                    if len(chain) > 1 else "")
            holders.append(_holder(layer, origin, component, note, chain[-1].reference))
        else:
            holders.append(_holder(layer, resolution, component))
    site = _site(estate, system.site) if system.site else None
    if site is not None:
        holders.append(cloud_holder(site, catalogue, estate))
        holders.append(Holder(StackLayer.COUNTRY, site.country, site.country,
                              bloc_of(site.country)))
    return SystemStack(system, site, tuple(holders))


class UsNexus(StrEnum):
    """How an entity is tied to the US for EAR purposes, as StackRift defines it.

    ``us_person``: organised in the US (a "U.S. person" under 15 CFR 772.1). ``us_controlled``: a
    foreign entity in which US entities hold at least 50 % through the parent chain (cumulative
    product of stakes); not itself a US person under 772.1, but its US parent's support or
    servicing of a transaction is. ``none``: neither.
    """

    US_PERSON = "us_person"
    US_CONTROLLED = "us_controlled"
    NONE = "none"


def us_nexus(estate: Estate, entity_id: str | None) -> UsNexus:
    """Classify an entity by its country and ownership chain (see :class:`UsNexus`)."""
    entity = _entity(estate, entity_id) if entity_id else None
    if entity is None:
        return UsNexus.NONE
    if entity.country == "US":
        return UsNexus.US_PERSON
    share, current, seen = 1.0, entity, {entity.id}
    while current.parent and current.parent not in seen:
        parent = _entity(estate, current.parent)
        if parent is None:
            break
        share *= (current.ownership_pct if current.ownership_pct is not None else 100.0) / 100.0
        if parent.country == "US":
            return UsNexus.US_CONTROLLED if share >= 0.5 else UsNexus.NONE
        seen.add(parent.id)
        current = parent
    return UsNexus.NONE


def system_entity(estate: Estate, system: System) -> str | None:
    """The entity that uses a system: its owner, else the entity running its site."""
    if system.owner:
        return system.owner
    site = _site(estate, system.site) if system.site else None
    return site.entity if site else None


@dataclass(frozen=True)
class ControlHit:
    """An export control that catches a product at a country on a date."""

    product: Product
    control: ExportControl
    match: DestinationMatch

    @property
    def gp10(self) -> bool:
        return is_gp10(self.control)


def control_hits(product: Product, country: str, as_of: date,
                 headquarters: tuple[str, ...] = ()) -> list[ControlHit]:
    """In-force controls on ``product`` whose destinations cover ``country`` on ``as_of``, or
    whose headquarters rule covers one of the user's ``headquarters`` countries (see
    :func:`headquarters_of`)."""
    hits = []
    for control in product.controls:
        if not control_in_force(control, as_of):
            continue
        match = match_destination(control.destinations, country, as_of)
        if match is None and control.headquarters_destinations:
            match = _headquarters_match(control, headquarters, as_of)
        if match is not None:
            hits.append(ControlHit(product, control, match))
    return hits


def _headquarters_match(control: ExportControl, headquarters: tuple[str, ...],
                        as_of: date) -> DestinationMatch | None:
    for hq in headquarters:
        found = match_destination(control.headquarters_destinations, hq, as_of)
        if found is not None:
            return replace(found, headquarters=hq)
    return None


def headquarters_of(estate: Estate, entity_id: str | None) -> tuple[str, ...]:
    """The countries of an entity and of its ultimate parent in the estate: the EAR's test for
    end users "headquartered in, or with an ultimate parent headquartered in" a destination.
    Empty when the entity is unknown."""
    entity = _entity(estate, entity_id) if entity_id else None
    if entity is None:
        return ()
    current, seen = entity, {entity.id}
    while current.parent and current.parent not in seen:
        parent = _entity(estate, current.parent)
        if parent is None:
            break
        seen.add(parent.id)
        current = parent
    return tuple(dict.fromkeys((entity.country, current.country)))


def entity_listed(vendor: Vendor | None, as_of: date) -> bool:
    """Whether the vendor is on the Entity List on ``as_of`` per the catalogue."""
    if vendor is None or not vendor.entity_list.listed:
        return False
    return vendor.entity_list.since is None or vendor.entity_list.since <= as_of


@dataclass(frozen=True)
class AvailabilityCheck:
    """Whether a product can be obtained at a site, per the catalogue's availability record.

    ``available`` is ``None`` when the catalogue does not record it: unknown, not assumed."""

    available: bool | None
    reason: str
    citation: Citation | None = None


def availability_at(product: Product, site: Site | None, catalogue: Catalogue,
                    estate: Estate) -> AvailabilityCheck:
    """Can ``product`` be deployed at ``site``? From the product's ``availability`` record:
    rented in a cloud region only when the provider (and, if listed, the region) offers it;
    installed on premises or in colocation only when it is sold as hardware."""
    record = product.availability
    if record is None:
        return AvailabilityCheck(None, f"how {product.name} is obtained is not recorded")
    cite = record.citation
    if site is None:
        return AvailabilityCheck(None, "the system has no site")
    if site.kind != SiteKind.CLOUD_REGION:
        if record.hardware is None:
            return AvailabilityCheck(None, f"whether {product.name} is sold as hardware is not "
                                     "recorded", cite)
        if record.hardware:
            return AvailabilityCheck(True, f"{product.name} is sold as hardware", cite)
        providers = ", ".join(o.provider for o in record.clouds) or "no recorded provider"
        return AvailabilityCheck(False, f"{product.name} is not sold as hardware; it is rented "
                                 f"from {providers} only", cite)
    vendor = cloud_holder(site, catalogue, estate).vendor
    if vendor is None:
        return AvailabilityCheck(None, f"the provider of {site.id} is not catalogued", cite)
    offers = [o for o in record.clouds if o.provider == vendor.id]
    region = (site.region or "").lower()
    if any(region in {r.lower() for r in o.regions} for o in offers):
        return AvailabilityCheck(True, f"{vendor.name} offers {product.name} in {site.region}",
                                 cite)
    if offers and all(not o.regions for o in offers):
        return AvailabilityCheck(None, f"{vendor.name} offers {product.name}; in which regions "
                                 "is not recorded", cite)
    if offers:
        return AvailabilityCheck(False, f"{vendor.name} does not offer {product.name} in "
                                 f"{site.region}", cite)
    if record.clouds_exhaustive:
        providers = ", ".join(o.provider for o in record.clouds)
        return AvailabilityCheck(False, f"{product.name} is rented from {providers} only", cite)
    return AvailabilityCheck(None, f"whether {vendor.name} offers {product.name} is not "
                             "recorded", cite)


def available_at(product: Product, site: Site | None, catalogue: Catalogue,
                 estate: Estate) -> bool:
    """False only when the catalogue records that the product cannot be had at the site."""
    return availability_at(product, site, catalogue, estate).available is not False


@dataclass(frozen=True)
class Exposure:
    """A listing that makes a product a liability: its vendor (or parent) on the Entity List,
    or the product named in General Prohibition 10 guidance."""

    kind: str  # entity_list | gp10
    text: str
    citation: Citation | None


def listed_exposure(product: Product, catalogue: Catalogue, as_of: date) -> tuple[Exposure, ...]:
    """The product's listings in force on ``as_of`` per the catalogue. (The DoD 1260H list is
    not catalogued yet; when it is, it belongs here.)"""
    found: list[Exposure] = []
    vendor = catalogue.vendors.get(product.vendor)
    seen: set[str] = set()
    while vendor is not None and vendor.id not in seen:
        seen.add(vendor.id)
        if entity_listed(vendor, as_of):
            whose = "" if vendor.id == product.vendor else f" (parent of {product.vendor})"
            found.append(Exposure(
                "entity_list", f"{vendor.name}{whose} is on the US Entity List since "
                f"{vendor.entity_list.since or 'an unrecorded date'}", vendor.entity_list.citation))
            break
        vendor = catalogue.vendors.get(vendor.parent) if vendor.parent else None
    for control in product.controls:
        if is_gp10(control) and control_in_force(control, as_of):
            found.append(Exposure("gp10", f"{product.name} is named in General Prohibition 10 "
                                  f"guidance ({control.id})", control.citation))
    return tuple(found)
