"""Stress tests: propagate a scenario's shocks through the estate graph.

For each shock the affected systems are found on the dependency graph (components resolved to
catalogue products and vendors; systems to sites, providers and countries). A system is *broken*
when the shock removes something it cannot run without at its site (a product it can no longer
obtain or use there, its region, its model licence) and *degraded* when it keeps running but
under new restrictions (a supplier joins the Entity List). Broken systems get substitutes from the
catalogue's equivalence classes (or other sites), each with a switching burden; the estate is then
modified as the best substitutes suggest and every data flow is re-evaluated by the transfers
engine, so flows that become unlawful are listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from typing import Any

from stackrift.catalog.catalogue import Catalogue
from stackrift.catalog.model import Layer, Product, Vendor
from stackrift.errors import UsageError
from stackrift.estate.model import (
    Component,
    ComponentType,
    Criticality,
    DataFlow,
    Estate,
    Site,
    System,
)
from stackrift.findings import Citation
from stackrift.plan.burden import (
    Burden,
    accelerator_switch,
    estate_vendor_ids,
    model_switch,
    site_move,
)
from stackrift.plan.graph import EstateGraph, vendor_node
from stackrift.plan.groups import control_in_force, expand_destinations, match_destination
from stackrift.plan.lawful import FlowJudge, FlowJudgement
from stackrift.plan.scenario import (
    CountryBan,
    EntityListAdd,
    ExportLicence,
    ModelLicenceExclusion,
    RegionUnavailable,
    Scenario,
)
from stackrift.plan.stack import (
    StackLayer,
    availability_at,
    cloud_holder,
    control_hits,
    entity_listed,
)
from stackrift.plan.substitution import plan_swap

MAX_SUBSTITUTES = 8


@dataclass(frozen=True)
class Substitute:
    """A replacement for what a shock took away, with what switching to it costs."""

    kind: str  # accelerator | model | site
    id: str
    name: str
    burden: Burden
    licence: str | None = None  # model substitutes: the family's licence, when catalogued
    lineage: tuple[str, ...] = ()  # model substitutes: where the weights come from

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"product": self.id, "kind": self.kind, "name": self.name,
                                "burden": self.burden.to_json()}
        if self.kind == "model":
            data["licence"] = self.licence or "not recorded"
            data["lineage"] = list(self.lineage)
        return data


@dataclass(frozen=True)
class Impact:
    """One system (or flow) hit by one shock."""

    subject_kind: str  # system | flow
    subject: str
    cause: str
    shock: str
    component: str | None = None
    substitutes: tuple[Substitute, ...] = ()
    citations: tuple[Citation, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {self.subject_kind: self.subject, "cause": self.cause,
                                "shock": self.shock}
        if self.component:
            data["component"] = self.component
        if self.subject_kind == "system":
            data["substitutes"] = [s.to_json() for s in self.substitutes]
        data["citations"] = [str(c) for c in self.citations]
        return data


@dataclass(frozen=True)
class FlowChange:
    """A flow whose verdict worsened under the scenario."""

    flow: str
    before: FlowJudgement
    after: FlowJudgement
    rerouted: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"flow": self.flow, "before": self.before.verdict, "after": self.after.verdict,
                "mechanisms_missing": list(self.after.missing),
                "rules_fired": list(self.after.rules_fired),
                "citations": [str(c) for c in self.after.citations],
                **({"rerouted": self.rerouted} if self.rerouted else {})}


@dataclass(frozen=True)
class StressResult:
    """What one scenario does to the estate."""

    scenario: Scenario
    as_of: date
    broken: tuple[Impact, ...]
    degraded: tuple[Impact, ...]
    unlawful_flows: tuple[FlowChange, ...]
    notes: tuple[str, ...] = ()
    stressed_estate: Estate | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        s = self.scenario
        return {
            "scenario": s.id,
            "title": s.title,
            "effective": s.effective.isoformat(),
            "status": s.status,
            "confidence": s.confidence,
            "as_of": self.as_of.isoformat(),
            "citations": [str(c) for c in s.citations],
            "broken": [i.to_json() for i in self.broken],
            "degraded": [i.to_json() for i in self.degraded],
            "unlawful_flows": [f.to_json() for f in self.unlawful_flows],
            "notes": list(self.notes),
        }


class StressContext:
    """The estate, catalogue, scenario and date a shock is evaluated against."""

    def __init__(self, estate: Estate, catalogue: Catalogue, scenario: Scenario,
                 as_of: date) -> None:
        self.estate = estate
        self.catalogue = catalogue
        self.scenario = scenario
        self.as_of = as_of
        self.graph = EstateGraph(estate, catalogue)
        self.known_vendors = estate_vendor_ids(estate, catalogue)

    def product(self, reference: str) -> Product:
        found = (self.catalogue.products.get(reference)
                 or self.catalogue.product_by_name(reference))
        if found is None:
            raise UsageError(f"scenario {self.scenario.id}: '{reference}' is not a catalogued "
                             "product (use its id, e.g. nvidia-h20)")
        return found

    def vendor(self, reference: str) -> Vendor:
        found = self.catalogue.vendors.get(reference) or self.catalogue.vendor_by_name(reference)
        if found is None:
            raise UsageError(f"scenario {self.scenario.id}: '{reference}' is not a catalogued "
                             "vendor (use its id, e.g. nvidia)")
        return found

    def site_country(self, system: System) -> str | None:
        site = self.estate.site(system.site) if system.site else None
        return site.country if site else None


def _shock_name(index: int, shock: Any) -> str:
    return f"{index + 1}:{shock.kind}"


# -- product-level shocks ----------------------------------------------------------------------


def export_selects(ctx: StressContext, shock: ExportLicence, product: Product) -> bool:
    ids = {ctx.product(p).id for p in shock.products}
    chosen = bool(ids or shock.equivalence_classes or shock.eccn_prefixes)
    hit = (product.id in ids or (product.equivalence_class in shock.equivalence_classes)
           or any((c.eccn or "").startswith(prefix) for c in product.controls
                  for prefix in shock.eccn_prefixes))
    if chosen and not hit:
        return False
    if shock.vendor_countries:
        vendor = ctx.catalogue.vendors.get(product.vendor)
        return vendor is not None and vendor.country in shock.vendor_countries
    return True


def ban_selects(ctx: StressContext, shock: CountryBan, product: Product | None,
                 vendor: Vendor | None) -> bool:
    if shock.layers and (product is None or product.layer.value not in shock.layers):
        return False
    vendors = {ctx.vendor(v).id for v in shock.vendors}
    products = {ctx.product(p).id for p in shock.products}
    return bool((vendor is not None and vendor.id in vendors)
                or (product is not None and product.id in products))


def _blocked(ctx: StressContext, product: Product, country: str, system: System) -> str | None:
    """Why ``product`` cannot be used by ``system`` in ``country`` under the scenario or today."""
    site = ctx.estate.site(system.site) if system.site else None
    check = availability_at(product, site, ctx.catalogue, ctx.estate)
    if check.available is False:
        return check.reason
    for shock in ctx.scenario.shocks:
        if isinstance(shock, ExportLicence) and export_selects(ctx, shock, product) \
                and match_destination(shock.destinations, country, ctx.as_of) \
                and shock.control_id not in system.export_licences:
            return f"scenario requires a licence ({shock.control_id})"
        if isinstance(shock, CountryBan) and shock.country == country and ban_selects(
                ctx, shock, product, ctx.catalogue.vendors.get(product.vendor)):
            return f"banned in {country} by the scenario"
    for hit in control_hits(product, country, ctx.as_of):
        if not hit.gp10 and hit.control.id not in system.export_licences:
            return f"needs a licence today ({hit.control.id})"
    return None


def _accelerator_substitutes(ctx: StressContext, system: System, current: Product,
                             country: str, avoid_vendors: frozenset[str] = frozenset()
                             ) -> tuple[Substitute, ...]:
    candidates = [c for c in ctx.catalogue.equivalents(current) if c.vendor not in avoid_vendors]
    if system.allowed_accelerators:
        allowed = {ctx.product(a).id for a in system.allowed_accelerators}
        candidates = [c for c in candidates if c.id in allowed]
    found = []
    for candidate in candidates:
        if candidate.layer != Layer.ACCELERATOR or _blocked(ctx, candidate, country, system):
            continue
        if not plan_swap(ctx.estate, system, current, candidate, ctx.catalogue).consistent:
            continue  # the dependent stack could not be rebuilt from catalogue data
        burden = accelerator_switch(ctx.estate, system, current, candidate, country, ctx.as_of,
                                    ctx.catalogue, ctx.known_vendors)
        vendor = ctx.catalogue.vendors.get(candidate.vendor)
        found.append(Substitute("accelerator", candidate.id,
                                f"{vendor.name if vendor else candidate.vendor} {candidate.name}",
                                burden))
    found.sort(key=lambda s: (s.burden.total, s.id))
    return tuple(found[:MAX_SUBSTITUTES])


def _product_shock(ctx: StressContext, index: int, shock: ExportLicence | CountryBan
                   ) -> list[Impact]:
    impacts = []
    for system in ctx.estate.systems:
        country = ctx.site_country(system)
        if country is None:
            continue
        stack = ctx.graph.stacks[system.id]
        for holder in stack.holders:
            if holder.component is None or holder.product is None:
                continue
            product = holder.product
            if isinstance(shock, ExportLicence):
                match = match_destination(shock.destinations, country, ctx.as_of)
                if match is None or not export_selects(ctx, shock, product):
                    continue
                if shock.control_id in system.export_licences:
                    continue
                cause = (f"{product.name} ({holder.component.id}) needs a US export licence for "
                         f"{country} ({match.describe(country)}) from {ctx.scenario.effective}: "
                         "no new units, spares or replacements without one, and none is held")
            else:
                if shock.country != country or not ban_selects(ctx, shock, product,
                                                                  holder.vendor):
                    continue
                cause = (f"{product.name} ({holder.component.id}) may no longer be used at "
                         f"sites in {country} from {ctx.scenario.effective}")
            substitutes: tuple[Substitute, ...] = ()
            if product.layer == Layer.ACCELERATOR:
                substitutes = _accelerator_substitutes(ctx, system, product, country)
            impacts.append(Impact("system", system.id, cause, _shock_name(index, shock),
                                  holder.component.id, substitutes,
                                  shock.citations or ctx.scenario.citations))
    return impacts


# -- model licences ----------------------------------------------------------------------------


def _jurisdictions(ctx: StressContext, system: System) -> set[str]:
    places = set(system.users_countries)
    country = ctx.site_country(system)
    if country:
        places.add(country)
    owner = ctx.estate.entity(system.owner) if system.owner else None
    if owner:
        places.add(owner.country)
    return places


def _model_substitutes(ctx: StressContext, system: System, current: Product, excluded_ids: set[str],
                       fine_tuned: bool, avoid_vendors: frozenset[str] = frozenset()
                       ) -> tuple[Substitute, ...]:
    """Model families of the same capability class (equivalence class), not excluded and not
    from an avoided vendor, cheapest first; a family with a recorded licence ranks before one
    without at equal burden."""
    country = ctx.site_country(system)
    found = []
    for candidate in ctx.catalogue.equivalents(current):
        if candidate.id in excluded_ids or candidate.layer != Layer.MODEL \
                or candidate.vendor in avoid_vendors:
            continue
        vendor = ctx.catalogue.vendors.get(candidate.vendor)
        burden = model_switch(ctx.estate, system, current, candidate, country, ctx.as_of,
                              ctx.catalogue, ctx.known_vendors, fine_tuned)
        home = (vendor.country or "country unknown") if vendor else ""
        origin = (f"{candidate.name} weights by {vendor.name} ({home})" if vendor
                  else f"{candidate.name} (developer not catalogued)")
        kind = {True: "open weights", False: "hosted API only", None: "weights access unknown"}
        found.append(Substitute("model", candidate.id,
                                f"{candidate.name} ({vendor.name if vendor else '?'})", burden,
                                candidate.licence,
                                (origin, kind[candidate.open_weights],
                                 f"capability class {candidate.equivalence_class}")))
    found.sort(key=lambda s: (s.burden.total, s.licence is None, s.id))
    return tuple(found[:MAX_SUBSTITUTES])


def _model_family(ctx: StressContext, component: Component) -> tuple[Product | None, bool]:
    """The catalogued model family a model component's weights come from, and whether they
    came through a lineage (a fine-tune)."""
    chain = ctx.catalogue.lineage(component, ctx.estate.components)
    family = next((s.resolution.product for s in reversed(chain) if s.resolution.product
                   and s.resolution.product.layer == Layer.MODEL), None)
    return family, len(chain) > 1


def _listed_model_impacts(ctx: StressContext, index: int, shock: EntityListAdd,
                          listed: dict[str, str], avoid: frozenset[str]) -> list[Impact]:
    """Systems whose model weights come from a newly listed developer: degraded, with model
    substitutes from developers that are not listed."""
    impacts = []
    for system in ctx.estate.systems:
        for ref in system.components:
            component = ctx.estate.component(ref)
            if component is None or component.type not in (ComponentType.MODEL,
                                                            ComponentType.CLOUD_SERVICE):
                continue
            family, fine_tuned = _model_family(ctx, component)
            if family is None or family.vendor not in listed:
                continue
            vendor = ctx.catalogue.vendors[family.vendor]
            cause = (f"{component.id} derives from {family.name} by {vendor.name}, newly on the "
                     f"Entity List ({listed[family.vendor]}): updates, hosted access and support "
                     "that need US items are at risk, and US-linked users need due diligence")
            impacts.append(Impact("system", system.id, cause, _shock_name(index, shock),
                                  component.id, _model_substitutes(
                                      ctx, system, family, {family.id}, fine_tuned, avoid),
                                  shock.citations or ctx.scenario.citations))
    return impacts


def _model_shock(ctx: StressContext, index: int, shock: ModelLicenceExclusion) -> list[Impact]:
    selected = {ctx.product(m).id for m in shock.models}
    excluded = expand_destinations(shock.excluded, ctx.as_of)
    impacts = []
    for system in ctx.estate.systems:
        places = _jurisdictions(ctx, system) & excluded
        if not places:
            continue
        for ref in system.components:
            component = ctx.estate.component(ref)
            if component is None or component.type not in (ComponentType.MODEL,
                                                            ComponentType.CLOUD_SERVICE):
                continue
            chain = ctx.catalogue.lineage(component, ctx.estate.components)
            family = next((s.resolution.product for s in chain if s.resolution.product
                           and s.resolution.product.id in selected), None)
            if family is None:
                continue
            cause = (f"{component.id} derives from {family.name}, whose licence excludes "
                     f"{', '.join(sorted(places))} from {ctx.scenario.effective}")
            listed_now = frozenset(v.id for v in ctx.catalogue.vendors.values()
                                   if entity_listed(v, ctx.as_of))
            impacts.append(Impact("system", system.id, cause, _shock_name(index, shock),
                                  component.id, _model_substitutes(
                                      ctx, system, family, selected, len(chain) > 1,
                                      listed_now),
                                  shock.citations or ctx.scenario.citations))
    return impacts


# -- regions -----------------------------------------------------------------------------------


def lost_sites(ctx: StressContext, shock: RegionUnavailable) -> list[Site]:
    provider = ctx.vendor(shock.provider) if shock.provider else None
    lost = []
    for site in ctx.estate.sites:
        if site.id in shock.sites:
            lost.append(site)
            continue
        holder = cloud_holder(site, ctx.catalogue, ctx.estate)
        if provider is not None and holder.vendor is not None and holder.vendor.id == \
                provider.id and (site.region or "").lower() in {r.lower() for r in shock.regions}:
            lost.append(site)
    return lost


def _site_substitutes(ctx: StressContext, system: System, current: Site,
                      lost: set[str]) -> tuple[Substitute, ...]:
    allowed = set(system.allowed_sites)
    found = []
    for site in ctx.estate.sites:
        if site.id in lost or (allowed and site.id not in allowed):
            continue
        burden = site_move(ctx.estate, system, current, site, ctx.as_of, ctx.catalogue,
                           ctx.known_vendors)
        found.append(Substitute("site", site.id, site.name, burden))
    found.sort(key=lambda s: (s.burden.total, s.id))
    return tuple(found[:MAX_SUBSTITUTES])


def _region_shock(ctx: StressContext, index: int, shock: RegionUnavailable
                  ) -> tuple[list[Impact], dict[str, str]]:
    lost = lost_sites(ctx, shock)
    lost_ids = {s.id for s in lost}
    impacts = []
    moves: dict[str, str] = {}
    for system in ctx.estate.systems:
        if system.site not in lost_ids:
            continue
        site = ctx.estate.site(system.site)
        assert site is not None
        subs = _site_substitutes(ctx, system, site, lost_ids)
        if subs:
            moves[system.id] = subs[0].id
        impacts.append(Impact("system", system.id, f"its site {site.id} ({site.provider} "
                              f"{site.region}) is unavailable from {ctx.scenario.effective}",
                              _shock_name(index, shock), None, subs,
                              shock.citations or ctx.scenario.citations))
    return impacts, moves


# -- Entity List ---------------------------------------------------------------------------------


def _listed_vendors(ctx: StressContext, shock: EntityListAdd) -> dict[str, str]:
    listed = {ctx.vendor(v).id: "named in the scenario" for v in shock.vendors}
    listed |= {ctx.product(p).vendor: "vendor of a named product" for p in shock.products}
    if shock.affiliates_of_listed:
        for vendor in ctx.catalogue.vendors.values():
            parent = ctx.catalogue.vendors.get(vendor.parent) if vendor.parent else None
            if parent is not None and entity_listed(parent, ctx.as_of) and not entity_listed(
                    vendor, ctx.as_of):
                listed[vendor.id] = f"affiliate of listed {parent.name}"
    return listed


def _entity_list_shock(ctx: StressContext, index: int, shock: EntityListAdd
                       ) -> tuple[list[Impact], list[str]]:
    listed = _listed_vendors(ctx, shock)
    notes = []
    if shock.affiliates_of_listed:
        names = sorted(ctx.catalogue.vendors[v].name for v in listed)
        notes.append("catalogued vendors restricted as affiliates of listed parents: "
                     + (", ".join(names) if names else "none"))
    impacts = []
    lost = [vendor_node(v) for v in listed]
    for system_id, disabled in ctx.graph.disabled_by(lost).items():
        stack = ctx.graph.stacks[system_id]
        holder = next((h for h in stack.layer(StackLayer.ACCELERATOR) if h.product is not None
                       and h.key in listed), None)
        substitutes: tuple[Substitute, ...] = ()
        if holder is not None and holder.product is not None and stack.country:
            substitutes = _accelerator_substitutes(ctx, stack.system, holder.product,
                                                   stack.country, frozenset(listed))
        impacts.append(Impact("system", system_id,
                              f"every {disabled.layer.value} dependency "
                              f"({', '.join(disabled.via)}) comes from a vendor newly "
                              "restricted under the Entity List: supply, updates and support "
                              "that need US items are at risk", _shock_name(index, shock),
                              holder.component.id if holder and holder.component else None,
                              substitutes, shock.citations or ctx.scenario.citations))
    listed_all = {v.id for v in ctx.catalogue.vendors.values()
                  if entity_listed(v, ctx.as_of)} | set(listed)
    already = {i.subject for i in impacts}
    impacts += [i for i in _listed_model_impacts(ctx, index, shock, listed,
                                                 frozenset(listed_all))
                if i.subject not in already or i.component not in {
                    j.component for j in impacts if j.subject == i.subject}]
    restricted_entities: dict[str, str] = {}
    for entity in ctx.estate.entities:
        named = ctx.catalogue.vendor_by_name(entity.name)
        if named is not None and named.id in listed:
            restricted_entities[entity.id] = f"{entity.name} is {named.name}"
        for owner in entity.other_owners:
            owner_vendor = ctx.catalogue.vendor_by_name(owner.name)
            if owner_vendor is not None and owner_vendor.id in listed_all and \
                    owner.percent >= shock.min_ownership_pct:
                restricted_entities[entity.id] = (f"{owner.percent:g}% owned by listed "
                                                  f"{owner_vendor.name}")
    for flow in ctx.estate.data_flows:
        for ref in (flow.recipient, flow.destination):
            if ref in restricted_entities:
                impacts.append(Impact("flow", flow.id, f"recipient {ref}: "
                                      f"{restricted_entities[ref]}; exports of US-origin items "
                                      "and technology to it need a licence",
                                      _shock_name(index, shock),
                                      citations=shock.citations or ctx.scenario.citations))
                break
    return impacts, notes


# -- putting it together ---------------------------------------------------------------------


def swap_accelerator(estate: Estate, system: System, old: Component, new: Product,
                     catalogue: Catalogue) -> Estate:
    """The estate with ``old`` replaced by ``new`` in ``system``, with the dependent stack
    (runtime, runtime libraries, framework adapters) rebuilt as :func:`plan_swap` says.
    Callers only swap to consistent substitutes; gaps are never silently kept."""
    old_product = catalogue.resolve(old).product
    swap = plan_swap(estate, system, old_product, new, catalogue)
    added = [_sub_component(new, ComponentType.ACCELERATOR, catalogue)]
    refs = [added[0].id if r == old.id else r for r in system.components]
    if swap.runtime_changes:
        if swap.old_runtime is not None:
            refs = [r for r in refs if not ((c := estate.component(r)) is not None
                                            and catalogue.resolve(c).product == swap.old_runtime)]
        if swap.new_runtime is not None:
            added.append(_sub_component(swap.new_runtime, ComponentType.RUNTIME, catalogue))
            refs.append(added[-1].id)
    for replacement in swap.replacements:
        refs = [r for r in refs if r != replacement.component.id]
        if replacement.new is not None:
            kind = (ComponentType.FRAMEWORK if replacement.new.layer == Layer.FRAMEWORK
                    else ComponentType.RUNTIME)
            added.append(_sub_component(replacement.new, kind, catalogue))
            refs.append(added[-1].id)
    # The planner applies hundreds of swaps to estates of thousands of records: the ids are
    # gathered and searched by C loops (map, list.index) rather than generator expressions.
    known = set(map(_ID, estate.components))
    components = estate.components + tuple(c for c in added if c.id not in known)
    systems = list(estate.systems)
    ids = list(map(_ID, systems))
    update = {"components": tuple(dict.fromkeys(refs))}
    for position in _positions(ids, system.id):
        systems[position] = systems[position].model_copy(update=update)
    return estate.model_copy(update={"components": components, "systems": tuple(systems)})


_ID = attrgetter("id")


def _positions(ids: list[str], wanted: str) -> list[int]:
    """Every position of ``wanted`` in ``ids``."""
    found: list[int] = []
    while True:
        try:
            found.append(ids.index(wanted, found[-1] + 1 if found else 0))
        except ValueError:
            return found


def _sub_component(product: Product, kind: ComponentType, catalogue: Catalogue) -> Component:
    vendor = catalogue.vendors.get(product.vendor)
    name = (f"{vendor.name} {product.name}" if vendor and kind == ComponentType.ACCELERATOR
            else product.name)
    return Component(id=f"sub-{product.id}", type=kind, name=name,
                     vendor=vendor.name if vendor else None, product=product.name)


def _move(estate: Estate, moves: dict[str, str], lost: dict[str, str]) -> tuple[Estate, dict[str,
                                                                                          str]]:
    systems = tuple(s.model_copy(update={"site": moves[s.id]}) if s.id in moves else s
                    for s in estate.systems)
    rerouted: dict[str, str] = {}
    flows = []
    for flow in estate.data_flows:
        update: dict[str, Any] = {}
        for attr, value in (("source", flow.source), ("destination", flow.destination)):
            if value in lost:
                update[attr] = lost[value]
        if update:
            rerouted[flow.id] = ", ".join(f"{k} -> {v}" for k, v in update.items())
            flows.append(DataFlow.model_validate(
                {**flow.model_dump(by_alias=True), **{("from" if k == "source" else "to"): v
                                                       for k, v in update.items()}}))
        else:
            flows.append(flow)
    return estate.model_copy(update={"systems": systems, "data_flows": tuple(flows)}), rerouted


def stress(estate: Estate, scenario: Scenario, catalogue: Catalogue, judge: FlowJudge,
           as_of: date) -> StressResult:
    """Apply every shock of ``scenario`` to ``estate`` as of ``max(as_of, effective)``."""
    when = max(as_of, scenario.effective)
    ctx = StressContext(estate, catalogue, scenario, when)
    broken: list[Impact] = []
    degraded: list[Impact] = []
    notes: list[str] = []
    moves: dict[str, str] = {}
    for index, shock in enumerate(scenario.shocks):
        if isinstance(shock, ExportLicence | CountryBan):
            broken += _product_shock(ctx, index, shock)
            if isinstance(shock, ExportLicence):
                notes += _already_in_force(catalogue, shock, when)
        elif isinstance(shock, ModelLicenceExclusion):
            broken += _model_shock(ctx, index, shock)
        elif isinstance(shock, RegionUnavailable):
            if not lost_sites(ctx, shock):
                notes.append(f"no site of the estate is in {shock.provider or ''} "
                             f"{', '.join(shock.regions or shock.sites)}".replace("  ", " "))
            found, new_moves = _region_shock(ctx, index, shock)
            broken += found
            moves |= new_moves
        else:
            found, more = _entity_list_shock(ctx, index, shock)
            degraded += found
            notes += more
    stressed = estate
    for impact in broken:
        system = stressed.system(impact.subject)
        component = stressed.component(impact.component) if impact.component else None
        best = impact.substitutes[0] if impact.substitutes else None
        if system and component and best and best.kind == "accelerator":
            stressed = swap_accelerator(stressed, system, component,
                                         catalogue.products[best.id], catalogue)
    site_map = _site_map(estate, moves)
    stressed, rerouted = _move(stressed, moves, site_map)
    before = judge.judge(estate, as_of)
    after = judge.judge(stressed, when)
    changes = []
    for flow_id, verdict in after.items():
        old = before.get(flow_id)
        worse = old is None or (old.lawful and not verdict.lawful) or (
            not old.prohibited and verdict.prohibited)
        if worse:
            changes.append(FlowChange(flow_id, old or verdict, verdict, rerouted.get(flow_id)))
    if not broken and not degraded:
        notes.append("no system or flow of this estate is affected")
    key = _impact_key
    return StressResult(scenario, when, tuple(sorted(broken, key=key)),
                        tuple(sorted(degraded, key=key)),
                        tuple(sorted(changes, key=lambda c: c.flow)), tuple(notes), stressed)


def _impact_key(impact: Impact) -> tuple[str, str, str]:
    return (impact.subject_kind, impact.subject, impact.component or "")


def _site_map(estate: Estate, moves: dict[str, str]) -> dict[str, str]:
    """Each vacated site -> where its most critical system went (for re-routing flows)."""
    mapping: dict[str, tuple[int, str, str]] = {}
    for system in estate.systems:
        if system.id in moves and system.site:
            rank = -Criticality(system.criticality).weight
            current = mapping.get(system.site)
            if current is None or (rank, system.id) < current[:2]:
                mapping[system.site] = (rank, system.id, moves[system.id])
    return {site: value[2] for site, value in mapping.items()}


def _already_in_force(catalogue: Catalogue, shock: ExportLicence, when: date) -> list[str]:
    notes = []
    for product in catalogue.products.values():
        for control in product.controls:
            if control.id == shock.control_id and control_in_force(control, when):
                notes.append(f"the catalogue already records {control.id} on {product.name} "
                             f"(in force from {control.licence_required_from}): this shock is "
                             "law today; the result shows its effect on the estate as it stands")
    return sorted(set(notes))


def run_scenarios(estate: Estate, scenarios: list[Scenario], catalogue: Catalogue,
                  judge: FlowJudge, as_of: date) -> list[StressResult]:
    """Stress the estate with each scenario independently."""
    return [stress(estate, s, catalogue, judge, as_of) for s in scenarios]


__all__ = ["Impact", "StressContext", "StressResult", "Substitute", "ban_selects",
           "export_selects", "lost_sites", "run_scenarios", "stress", "swap_accelerator"]
