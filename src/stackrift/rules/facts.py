"""Facts the rules test, derived from the estate for each flow, system and site.

A fact whose value the estate does not record is ``None`` (unknown), never a guess; conditions on
unknown facts evaluate to "undetermined" and the engine says which fact was missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from stackrift.estate.model import DataFlow, Entity, Estate, Site, System

FactValue = str | float | bool | frozenset[str] | None
ProviderCountry = Callable[[str], str | None]
"""Maps a cloud provider's name to its headquarters country (None when unknown)."""


@dataclass(frozen=True)
class Endpoint:
    """One end of a flow resolved to a country, an entity and a site where known."""

    id: str
    country: str | None
    entity: Entity | None
    site: Site | None


class EstateIndex:
    """Look-ups over one estate that fact derivation needs repeatedly."""

    def __init__(self, estate: Estate, provider_country: ProviderCountry | None = None, *,
                 memoise_groups: bool = True) -> None:
        self.estate = estate
        self.memoise_groups = memoise_groups
        self.entities = {e.id: e for e in estate.entities}
        self.sites = {s.id: s for s in estate.sites}
        self.systems = {s.id: s for s in estate.systems}
        self.components = {c.id: c for c in estate.components}
        self._provider_country = provider_country
        self._endpoints: dict[str, Endpoint] = {}
        self.flows_by_system: dict[str, list[DataFlow]] = {}
        for flow in estate.data_flows:
            if flow.system is not None:
                self.flows_by_system.setdefault(flow.system, []).append(flow)
        self.memo: dict[tuple[int, str, date], bool] = {}
        self.volume_memo: dict[tuple[int, tuple[str, ...], date], dict[int, str | None]] = {}
        """Per volume test and group: whether each flow of the group counts (see conditions)."""
        self._facts: dict[str, dict[str, FactValue]] = {}
        self._end_facts: dict[tuple[str, str, str | None], EndFacts] = {}
        self._system_origins: dict[str, frozenset[str]] = {}
        self._site_flows: dict[str, list[DataFlow]] | None = None
        self._groups: dict[tuple[str, ...], list[DataFlow]] = {}
        self._group_keys: dict[str, dict[str, tuple[str, ...]]] = {}
        for flow in estate.data_flows:
            origin = self.endpoint(flow.source).country or "?"
            leaves = self.endpoint(flow.destination).country != origin
            exporter = self.exporter(flow)
            recipient = self.recipient(flow)
            exporter_key = exporter.id if exporter else flow.source
            keys = {"exporter": ("exporter", origin, exporter_key),
                    "counterparty": ("counterparty", origin, exporter_key,
                                     recipient.id if recipient else flow.destination)}
            self._group_keys[flow.id] = keys
            if leaves:
                for key in keys.values():
                    self._groups.setdefault(key, []).append(flow)

    def site_flows(self, site_id: str) -> list[DataFlow]:
        """The flows with an end at the site or run by a system hosted there (a flow may be
        listed twice: only the sets of their categories and countries are read)."""
        if self._site_flows is None:
            by_site: dict[str, list[DataFlow]] = {}
            for flow in self.estate.data_flows:
                for end in {flow.source, flow.destination}:
                    by_site.setdefault(end, []).append(flow)
            for system in self.estate.systems:
                if system.site is not None:
                    by_site.setdefault(system.site, []).extend(
                        self.flows_by_system.get(system.id, ()))
            self._site_flows = by_site
        return self._site_flows.get(site_id, [])

    def group(self, flow: DataFlow, per: str) -> list[DataFlow]:
        """Flows leaving the same origin country with the same exporter (``per="exporter"``) or
        the same exporter and recipient (``per="counterparty"``), always including ``flow``."""
        members = self._groups.get(self._group_keys[flow.id][per], [])
        return members if any(f is flow for f in members) else [flow, *members]

    def group_key(self, flow: DataFlow, per: str) -> tuple[str, ...]:
        """The key of the group :meth:`group` returns."""
        return self._group_keys[flow.id][per]

    def group_members(self, flow: DataFlow, per: str) -> list[DataFlow]:
        """The flows of ``flow``'s group that leave its origin country (``flow`` itself only
        when it does)."""
        return self._groups.get(self._group_keys[flow.id][per], [])

    def flow_facts(self, flow: DataFlow) -> dict[str, FactValue]:
        """The flow's facts, computed once per index."""
        if flow.id not in self._facts:
            self._facts[flow.id] = flow_facts(self, flow)
        return self._facts[flow.id]

    def end_facts(self, flow: DataFlow) -> EndFacts:
        """The facts of ``flow``'s ends and recipient, worked out once per such triple."""
        key = (flow.source, flow.destination, flow.recipient)
        found = self._end_facts.get(key)
        if found is None:
            found = self._end_facts[key] = end_facts(self, flow)
        return found

    def system_origin_countries(self, system_id: str) -> frozenset[str]:
        """The countries the flows into a system come from, worked out once per system (each
        of its flows asks)."""
        found = self._system_origins.get(system_id)
        if found is None:
            found = self._system_origins[system_id] = frozenset(
                country for flow in self.flows_by_system.get(system_id, ())
                if (country := self.endpoint(flow.source).country) is not None)
        return found

    def endpoint(self, ref: str) -> Endpoint:
        """A flow end: a site resolves to its country and operating entity; an entity to itself
        (worked out once per end: every flow's facts and groups ask)."""
        found = self._endpoints.get(ref)
        if found is None:
            found = self._endpoints[ref] = self._endpoint(ref)
        return found

    def _endpoint(self, ref: str) -> Endpoint:
        if ref in self.sites:
            site = self.sites[ref]
            entity = self.entities.get(site.entity) if site.entity else None
            return Endpoint(ref, site.country, entity, site)
        entity = self.entities.get(ref)
        return Endpoint(ref, entity.country if entity else None, entity, None)

    def exporter(self, flow: DataFlow) -> Entity | None:
        """The entity the data leaves: the source entity, or the entity running the source site."""
        return self.endpoint(flow.source).entity

    def recipient(self, flow: DataFlow) -> Entity | None:
        """The flow's named recipient, else the destination entity or its site's entity."""
        if flow.recipient is not None:
            return self.entities.get(flow.recipient)
        return self.endpoint(flow.destination).entity

    def provider_country(self, site: Site | None) -> str | None:
        """Home country of the site's cloud provider, when known."""
        if site is None or site.provider is None or self._provider_country is None:
            return None
        return self._provider_country(site.provider)

    def ownership(self, entity: Entity | None, countries: Iterable[str]) -> float | None:
        """Percent of ``entity`` held, directly or indirectly, by persons of ``countries``.

        An entity organised in one of the countries counts as wholly theirs. A stake counts in full
        when its holder is itself at least 50% theirs (the aggregation rule of 28 CFR 202.211 and of
        OFAC's 50% rule); stakes of several such holders add up.
        """
        if entity is None:
            return None
        wanted = frozenset(c.upper() for c in countries)
        return self._share(entity, wanted, frozenset())

    def _share(self, entity: Entity, wanted: frozenset[str], seen: frozenset[str]) -> float:
        if entity.country in wanted:
            return 100.0
        if entity.id in seen:
            return 0.0
        total = 0.0
        if entity.parent is not None and entity.parent in self.entities:
            parent = self.entities[entity.parent]
            # A parent with no stated stake is taken to control the entity outright.
            stake = 100.0 if entity.ownership_pct is None else entity.ownership_pct
            if self._share(parent, wanted, seen | {entity.id}) >= 50.0:
                total += stake
        total += sum(owner.percent for owner in entity.other_owners if owner.country in wanted)
        return min(total, 100.0)

    def in_same_group(self, a: Entity | None, b: Entity | None) -> bool:
        """Whether both entities share a top-level parent."""
        if a is None or b is None:
            return False
        return self._root(a) == self._root(b)

    def _root(self, entity: Entity) -> str:
        seen = {entity.id}
        while entity.parent is not None and entity.parent in self.entities \
                and entity.parent not in seen:
            entity = self.entities[entity.parent]
            seen.add(entity.id)
        return entity.id


def _set(values: Iterable[Any]) -> frozenset[str]:
    return frozenset(str(getattr(v, "value", v)) for v in values)


def _field_set(values: Iterable[Any]) -> frozenset[str]:
    """``_set`` of a flow's field (categories, countries, mechanisms); that of a tuple, as the
    model validates them, is remembered: thousands of flows repeat the same few."""
    return _tuple_set(values) if isinstance(values, tuple) else _set(values)


@lru_cache(maxsize=4096)
def _tuple_set(values: tuple[Any, ...]) -> frozenset[str]:
    return _set(values)


class EndFacts(NamedTuple):
    """The facts of a flow that follow from its two ends and its recipient alone: the same for
    every flow between them (an estate has thousands of flows and far fewer such pairs)."""

    origin_country: str | None
    destination_country: str | None
    exporter_country: str | None
    recipient_country: str | None
    recipient_name: str | None
    cross_border: bool | None
    exporter_ciio: FactValue
    exporter_data_broker: FactValue
    exporter_significant_data_fiduciary: FactValue
    recipient_dpf_certified: FactValue
    recipient_in_group: bool | None
    recipient_is_exporter_subsidiary: bool | None
    origin_free_trade_zone: bool
    origin_provider_country: str | None
    destination_provider_country: str | None


def end_facts(index: EstateIndex, flow: DataFlow) -> EndFacts:
    """The facts :class:`EndFacts` holds, for ``flow``'s ends and recipient."""
    origin = index.endpoint(flow.source)
    destination = index.endpoint(flow.destination)
    exporter = origin.entity
    recipient = index.recipient(flow)
    return EndFacts(
        origin_country=origin.country,
        destination_country=destination.country,
        exporter_country=exporter.country if exporter else origin.country,
        recipient_country=recipient.country if recipient else destination.country,
        recipient_name=recipient.name if recipient else None,
        cross_border=(None if origin.country is None or destination.country is None
                      else origin.country != destination.country),
        exporter_ciio=exporter.ciio if exporter else None,
        exporter_data_broker=exporter.data_broker if exporter else None,
        exporter_significant_data_fiduciary=(exporter.significant_data_fiduciary if exporter
                                             else None),
        recipient_dpf_certified=recipient.dpf_certified if recipient else None,
        recipient_in_group=(recipient.relationship.value == "group") if recipient else None,
        recipient_is_exporter_subsidiary=(index.in_same_group(exporter, recipient)
                                          if exporter and recipient else None),
        origin_free_trade_zone=(origin.site.free_trade_zone is not None if origin.site
                                else False),
        origin_provider_country=index.provider_country(origin.site),
        destination_provider_country=index.provider_country(destination.site))


def flow_facts(index: EstateIndex, flow: DataFlow) -> dict[str, FactValue]:
    """Every flow fact (see ``FLOW_FACTS`` in :mod:`stackrift.rules.model`) for one flow."""
    ends = index.end_facts(flow)
    system = index.systems.get(flow.system) if flow.system else None
    return {
        "origin_country": ends.origin_country,
        "destination_country": ends.destination_country,
        "exporter_country": ends.exporter_country,
        "recipient_country": ends.recipient_country,
        "recipient_name": ends.recipient_name,
        "cross_border": ends.cross_border,
        "categories": _field_set(flow.data_categories),
        "subjects": None if flow.subjects is None else float(flow.subjects),
        "devices": None if flow.devices is None else float(flow.devices),
        "subjects_countries": (_field_set(flow.subjects_countries) if flow.subjects_countries
                               else None),
        "transfer_kind": flow.transfer_kind.value,
        "mechanisms": _field_set(flow.mechanisms),
        "exporter_ciio": ends.exporter_ciio,
        "exporter_data_broker": ends.exporter_data_broker,
        "exporter_significant_data_fiduciary": ends.exporter_significant_data_fiduciary,
        "recipient_dpf_certified": ends.recipient_dpf_certified,
        "recipient_in_group": ends.recipient_in_group,
        "recipient_is_exporter_subsidiary": ends.recipient_is_exporter_subsidiary,
        "government_request": flow.government_request,
        "anonymised": flow.anonymised,
        "purpose": flow.purpose,
        "origin_free_trade_zone": ends.origin_free_trade_zone,
        "origin_provider_country": ends.origin_provider_country,
        "destination_provider_country": ends.destination_provider_country,
        "destination_system_origin_countries": (index.system_origin_countries(system.id)
                                                if system else None),
        "destination_system_users_countries": (_set(system.users_countries) if system else None),
        "initial_collection": flow.initial_collection,
        "on_ftz_negative_list": flow.on_ftz_negative_list,
        # Ownership facts take the countries from the condition; see ownership_fact().
        "recipient_ownership": None,
        "exporter_ownership": None,
    }


def system_facts(index: EstateIndex, system: System) -> dict[str, FactValue]:
    """Every system fact for one system, including what flows into it."""
    site = index.sites.get(system.site) if system.site else None
    owner = index.entities.get(system.owner) if system.owner else None
    inbound = index.flows_by_system.get(system.id, [])
    origins = [index.endpoint(f.source) for f in inbound]
    components = [index.components[c] for c in system.components if c in index.components]
    products = {p.lower() for c in components for p in (c.product, c.name) if p}
    return {
        "site_country": site.country if site else None,
        "site_provider_country": index.provider_country(site),
        "owner_country": owner.country if owner else None,
        "owner_ciio": owner.ciio if owner else None,
        "users_countries": _set(system.users_countries),
        "public_facing": system.public_facing,
        "generative": system.generative,
        "ai_act_risk": system.ai_act_risk.value,
        "criticality": system.criticality.value,
        "purpose": system.purpose,
        "products": frozenset(products),
        "vendors": frozenset(c.vendor.lower() for c in components if c.vendor),
        "inbound_origin_countries": frozenset(o.country for o in origins if o.country),
        "inbound_categories": _set(c for f in inbound for c in f.data_categories),
        "inbound_subjects_countries": _set(c for f in inbound for c in f.subjects_countries),
        "inbound_origin_count": float(len({o.country for o in origins if o.country})),
        "inbound_from_ciio": any(o.entity is not None and o.entity.ciio for o in origins),
        "inbound_from_significant_data_fiduciary": any(
            o.entity is not None and o.entity.significant_data_fiduciary for o in origins),
        "owner_ownership": None,
        # Unknown unless declared: rules on training compute then stay undetermined.
        "training_compute_ops": system.training_compute_ops,
    }


def site_facts(index: EstateIndex, site: Site) -> dict[str, FactValue]:
    """Every site fact: where it is, who runs it, and what data flows touch it."""
    entity = index.entities.get(site.entity) if site.entity else None
    touching = index.site_flows(site.id)
    return {
        "site_country": site.country,
        "site_provider_country": index.provider_country(site),
        "site_operator": site.operator,
        "site_entity_country": entity.country if entity else None,
        "site_entity_ciio": entity.ciio if entity else None,
        "categories": _set(c for f in touching for c in f.data_categories),
        "subjects_countries": _set(c for f in touching for c in f.subjects_countries),
        "site_entity_ownership": None,
        "site_kind": site.kind.value,
    }


def ownership_fact(index: EstateIndex, fact: str, subject: DataFlow | System | Site,
                   countries: tuple[str, ...]) -> float | None:
    """The value of an ownership fact for the condition's ``countries``."""
    entity: Entity | None = None
    if isinstance(subject, DataFlow):
        entity = index.recipient(subject) if fact == "recipient_ownership" \
            else index.exporter(subject)
    elif isinstance(subject, System):
        entity = index.entities.get(subject.owner) if subject.owner else None
    else:
        entity = index.entities.get(subject.entity) if subject.entity else None
    return index.ownership(entity, countries)
