"""The placement planner: a CP-SAT model choosing each system's site and accelerator stack.

Decisions: for every system one site (``y[s, j]``); when it runs on a catalogued accelerator, one
accelerator from its substitutes (``a[s, k]``; the runtime follows the accelerator); and when its
model weights resolve to a catalogued model family, one family among its substitutes
(``m[s, f]``).

Requirements, each guarded by an *assumption literal* so that an infeasible plan can name the
smallest set of requirements that conflict:

- **flows**: every data flow that is lawful (or can be made lawful with mechanisms the
  organisation provides itself) where it runs today must stay so (``keep``); a flow that is
  unlawful today is fixed by moving its system when that pays off, and otherwise stopped at a
  penalty of 10 burden points. Lawfulness is decided by the transfers engine: for each
  candidate site the system's flows are re-pointed there and evaluated, once as they are and
  once with the mechanisms the organisation can provide itself (``SELF_SERVICE_MECHANISMS``).
  A flow's destination follows its system; its source too, unless the data is about people of
  the source's country. The flows implied by a system's users (``estate/implied.py``) are
  judged the same way: a system may not move where its users' data would become unlawful
  beyond what the organisation can fix itself.
  Flows that are unlawful in every layout cannot be fixed by placement; they are reported as
  "stop or obtain an approval" and left out of the new estate.
- **export controls**: an accelerator may not be placed in a country where an in-force control
  catches it and the system holds no licence (one literal per system and control); General
  Prohibition 10 products are excluded for US persons and US-controlled entities.
- **placement restrictions** from the estate (``allowed_sites``, ``allowed_accelerators``).
- **catalogue facts** (kind ``fact``): where a product can be obtained (its availability
  record) and whether a system's dependent stack can be rebuilt on it; and, with
  ``exclude_listed``, no Entity-Listed or GP10-guidance substitute.
- **concentration caps**: per layer (accelerator, model weights origin, cloud provider, hosting
  country) the
  criticality-weighted share of any bloc (``--max-bloc-share``) or vendor (``--max-vendor-share``).

Objectives: ``cost`` minimises run cost (``annual_cost`` x the site's ``cost_factor``) plus
switching burden (burden points x 2 % of the system's annual cost, at least 1,000) plus
mechanisms to adopt (1 point each); ``resilience`` minimises the largest vendor share in the
accelerator and cloud layers, then cost; ``balanced`` weighs both after normalising each.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ortools.sat.python import cp_model

from stackrift.catalog.catalogue import Catalogue
from stackrift.catalog.model import Layer, Product, bloc_of
from stackrift.choices import PlanObjective
from stackrift.errors import Problem, UsageError, combine
from stackrift.estate.implied import system_user_flows, with_implied_flows
from stackrift.estate.loader import LoadedEstate
from stackrift.estate.model import (
    Bloc,
    Component,
    ComponentType,
    Criticality,
    DataFlow,
    Entity,
    Estate,
    Mechanism,
    Site,
    System,
)
from stackrift.findings import Citation
from stackrift.gcpause import paused_gc
from stackrift.plan.burden import (
    Burden,
    BurdenTerm,
    accelerator_switch,
    estate_vendor_ids,
    model_switch,
    runtime_of,
    runtime_support,
    site_move,
)
from stackrift.plan.groups import expand_destinations, match_destination
from stackrift.plan.lawful import (
    DISCLAIMER,
    SELF_SERVICE_MECHANISMS,
    FlowJudge,
    FlowJudgement,
)
from stackrift.plan.scenario import (
    CountryBan,
    ExportLicence,
    ModelLicenceExclusion,
    RegionUnavailable,
    Scenario,
)
from stackrift.plan.stack import (
    AvailabilityCheck,
    ControlHit,
    Exposure,
    StackLayer,
    SystemStack,
    UsNexus,
    availability_at,
    cloud_holder,
    control_hits,
    listed_exposure,
    system_entity,
    system_stack,
    us_nexus,
)
from stackrift.plan.stress import (
    StressContext,
    ban_selects,
    export_selects,
    lost_sites,
    swap_accelerator,
)
from stackrift.plan.substitution import StackSwap, plan_swap, stack_terms

BURDEN_SHARE = 0.02
MIN_BURDEN_UNIT = 1000.0
CANDIDATES_PER_BLOC = 2
CANDIDATES_OVERALL = 6
DROP_POINTS = 10


Progress = Callable[[str], None]
"""Receives one line per planning stage (for long plans: the CLI prints them on stderr)."""


Objective = PlanObjective  # the one enum, owned by stackrift.choices


@dataclass(frozen=True)
class Requirement:
    """One guarded requirement: what it demands, why, and whom it concerns."""

    id: str
    kind: str  # flow | export | gp10 | allowed_sites | allowed_accelerators | cap
    text: str
    rules: tuple[str, ...] = ()
    citations: tuple[Citation, ...] = ()
    systems: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "requirement": self.text,
                "rules": list(self.rules), "citations": [str(c) for c in self.citations],
                "systems": list(self.systems)}


@dataclass(frozen=True)
class SystemChange:
    system: str
    site_from: str | None
    site_to: str | None
    accelerator_from: str | None
    accelerator_to: str | None
    runtime_from: str | None
    runtime_to: str | None
    burden: Burden
    cost_before: float
    cost_after: float
    model_from: str | None = None
    model_to: str | None = None
    stack: tuple[str, ...] = ()  # dependent components replaced or dropped
    exposure: tuple[str, ...] = ()  # listings of the chosen substitutes

    @property
    def changed(self) -> bool:
        return (self.site_from != self.site_to or self.accelerator_from != self.accelerator_to
                or self.model_from != self.model_to)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"system": self.system}
        if self.site_from != self.site_to:
            data["site"] = {"from": self.site_from, "to": self.site_to}
        if self.accelerator_from != self.accelerator_to:
            data["accelerator"] = {"from": self.accelerator_from, "to": self.accelerator_to}
            if self.runtime_from != self.runtime_to:
                data["runtime"] = {"from": self.runtime_from, "to": self.runtime_to}
        if self.model_from != self.model_to:
            data["model"] = {"from": self.model_from, "to": self.model_to}
        if self.stack:
            data["stack"] = list(self.stack)
        if self.exposure:
            data["exposure"] = list(self.exposure)
        data["burden"] = self.burden.to_json()
        data["annual_cost"] = {"before": self.cost_before, "after": self.cost_after}
        return data


@dataclass(frozen=True)
class FlowAction:
    flow: str
    action: str  # rerouted | mechanisms_added | discontinued
    detail: str
    rules: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"flow": self.flow, "action": self.action, "detail": self.detail,
                "rules": list(self.rules)}


@dataclass(frozen=True)
class PlanResult:
    """The planner's answer: a plan (as a diff and a new estate) or the conflicting requirements."""

    status: str  # optimal | feasible | infeasible | unknown
    objective: str
    as_of: date
    solve_seconds: float
    objective_value: float | None = None
    best_bound: float | None = None
    changes: tuple[SystemChange, ...] = ()
    flow_actions: tuple[FlowAction, ...] = ()
    conflicts: tuple[Requirement, ...] = ()
    shares: dict[str, Any] = field(default_factory=dict)
    verification: tuple[dict[str, Any], ...] = ()
    new_estate: Estate | None = field(default=None, compare=False)
    stats: dict[str, float] = field(default_factory=dict)
    cross_border: bool = False
    scenarios: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def feasible(self) -> bool:
        return self.status in ("optimal", "feasible")

    @property
    def gap(self) -> float | None:
        if self.objective_value is None or self.best_bound is None:
            return None
        if self.objective_value == 0:
            return 0.0
        return abs(self.objective_value - self.best_bound) / abs(self.objective_value)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status, "objective": self.objective, "as_of": self.as_of.isoformat(),
            "solve_seconds": round(self.solve_seconds, 3),
            "objective_value": self.objective_value, "best_bound": self.best_bound,
            "gap": None if self.gap is None else round(self.gap, 6),
            "changes": [c.to_json() for c in self.changes if c.changed],
            "flows": [a.to_json() for a in self.flow_actions],
            "conflicts": [r.to_json() for r in self.conflicts],
            "cross_border": self.cross_border,
            "scenarios": list(self.scenarios),
            "notes": list(self.notes),
            "shares": self.shares,
            "verification": list(self.verification),
            "stats": self.stats,
            "disclaimer": DISCLAIMER,
        }


@dataclass
class _SystemVars:
    system_id: str
    sites: dict[str, cp_model.IntVar]
    accels: dict[str, cp_model.IntVar]  # product id -> var; empty when not planned
    current_accel: Product | None
    accel_component: Component | None
    unit: float
    models: dict[str, cp_model.IntVar] = field(default_factory=dict)
    current_model: Product | None = None
    model_component: Component | None = None


@dataclass(frozen=True)
class _Options:
    objective: Objective
    max_bloc_share: float | None
    max_vendor_share: float | None
    time_limit: float
    workers: int
    cross_border: bool


def _options(objective: Objective, max_bloc_share: float | None,
             max_vendor_share: float | None, time_limit: float, workers: int,
             cross_border: bool) -> _Options:
    for name, value in (("--max-bloc-share", max_bloc_share),
                        ("--max-vendor-share", max_vendor_share)):
        if value is not None and not 0 < value <= 1:
            raise UsageError(f"{name}: {value} is not a share; expected a number in (0, 1]")
    return _Options(objective, max_bloc_share, max_vendor_share, time_limit, workers,
                    cross_border)


def _solver(options: _Options) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = options.time_limit
    solver.parameters.num_workers = options.workers
    return solver


@dataclass
class _Build:
    """The model under construction and what building it collects."""

    model: cp_model.CpModel
    relax: frozenset[str]
    requirements: dict[int, Requirement] = field(default_factory=dict)  # literal index -> it
    literals: dict[str, cp_model.IntVar] = field(default_factory=dict)
    relaxed: dict[str, cp_model.IntVar] = field(default_factory=dict)
    svars: dict[str, _SystemVars] = field(default_factory=dict)
    cost_terms: list[tuple[int, cp_model.IntVar]] = field(default_factory=list)
    burden_cache: dict[tuple[str, str, str], Burden] = field(default_factory=dict)

    def literal(self, req: Requirement) -> cp_model.IntVar:
        """The literal that enforces ``req``; a requirement asked to be relaxed gets one fixed
        to false, so its constraints are never enforced."""
        if req.id in self.relax:
            if req.id not in self.relaxed:
                self.relaxed[req.id] = self.model.new_bool_var(f"relaxed:{req.id}")
                self.model.add(self.relaxed[req.id] == 0)
            return self.relaxed[req.id]
        if req.id not in self.literals:
            lit = self.model.new_bool_var(req.id)
            self.literals[req.id] = lit
            self.requirements[lit.index] = req
        return self.literals[req.id]


@dataclass(frozen=True)
class _Run:
    """What every outcome of one solve reports."""

    options: _Options
    started: float
    stats: dict[str, float]
    scenarios: tuple[str, ...]
    notes: tuple[str, ...]


def _stats(build: _Build, flows: _FlowInfo, sites: int, build_seconds: float,
           search_seconds: float) -> dict[str, float]:
    return {"build_seconds": round(build_seconds, 3), "search_seconds": round(search_seconds, 3),
            "systems": len(build.svars), "sites": sites,
            "variables": len(build.model.proto.variables),
            "constraints": len(build.model.proto.constraints),
            "requirements": len(build.literals), "flows_discontinued": len(flows.dropped),
            "engine_evaluations": flows.evaluations}


class Planner:
    """Builds and solves the placement model for one estate."""

    def __init__(self, loaded: LoadedEstate, catalogue: Catalogue, judge: FlowJudge,
                 as_of: date) -> None:
        self.loaded = loaded
        self.estate = loaded.estate
        self.catalogue = catalogue
        self.judge = judge
        self.as_of = as_of
        self.sites = {s.id: s for s in self.estate.sites}
        self.stacks: dict[str, SystemStack] = {
            s.id: system_stack(self.estate, s, catalogue) for s in self.estate.systems}
        self.known_vendors = estate_vendor_ids(self.estate, catalogue)
        self.flow_estate, self.implied = _with_user_flows(self.estate)
        self._site_facts = {s.id: _site_descriptor(s, catalogue) for s in self.estate.sites}
        self._literals: list[cp_model.IntVar] = []
        self._swaps: dict[tuple[tuple[str, ...], str, str], StackSwap] = {}
        self._burdens: dict[tuple[object, ...], Burden] = {}
        self._support = runtime_support()  # read once: thousands of switches are priced
        self._equivalent_cache: dict[str, list[Product]] = {}
        self._listings: dict[str, tuple[Exposure, ...]] = {}
        self._available: dict[tuple[str, str], AvailabilityCheck] = {}
        self._hits: dict[tuple[str, str], list[ControlHit]] = {}
        self._candidates: dict[tuple[object, ...], list[Product]] = {}
        self._holders = {s.id: cloud_holder(s, catalogue, self.estate) for s in self.estate.sites}
        self.exclude_listed = False
        self._check_inputs()

    # -- inputs ------------------------------------------------------------------------------

    def _check_inputs(self) -> None:
        problems = []
        doc = self.loaded.document
        known = ", ".join(sorted(self.sites))
        for number, system in enumerate(self.estate.systems):
            for index, site in enumerate(system.allowed_sites):
                if site not in self.sites:
                    problems.append(Problem(
                        doc.locate(("systems", number, "allowed_sites", index)),
                        f"system '{system.id}' allows site '{site}', which is not defined",
                        f"ids of defined sites ({known})"))
            for index, name in enumerate(system.allowed_accelerators):
                product = self._product(name)
                if product is None or product.layer != Layer.ACCELERATOR:
                    problems.append(Problem(
                        doc.locate(("systems", number, "allowed_accelerators", index)),
                        f"system '{system.id}' allows accelerator '{name}', which is not a "
                        "catalogued accelerator", "a catalogue product id such as nvidia-h100"))
        error = combine(problems)
        if error is not None:
            raise error

    def _product(self, reference: str) -> Product | None:
        return self.catalogue.products.get(reference) or self.catalogue.product_by_name(reference)

    # -- candidates --------------------------------------------------------------------------

    def _accelerator_candidates(self, system_id: str, current: Product) -> list[Product]:
        """The current accelerator, the cheapest consistent substitutes (six overall, two per
        bloc), any the estate allows, and - so that a conflict can name the facts and choices
        that removed them - the two cheapest substitutes that are inconsistent or, under
        --exclude-listed, listed (both forbidden by named requirements)."""
        system = self.stacks[system_id].system
        # All the choice reads of the system (burdens, swaps, the allowed list): systems alike
        # in these share it.
        key = (system_entity(self.estate, system), system.components,
               system.allowed_accelerators, current.id, self.exclude_listed)
        known = self._candidates.get(key)
        if known is None:
            known = self._candidates[key] = self._rank_accelerators(system_id, current)
        return list(known)

    def _rank_accelerators(self, system_id: str, current: Product) -> list[Product]:
        system = self.stacks[system_id].system
        allowed = {p.id for n in system.allowed_accelerators if (p := self._product(n))}
        pool = [current, *(p for p in self._equivalents(current)
                           if p.layer == Layer.ACCELERATOR and p.id != current.id)]

        def burden(p: Product) -> int:
            return self._switch(system, current, p).total

        def usable(p: Product) -> bool:
            return p.id == current.id or (self.swap(system_id, current, p).consistent and not (
                self.exclude_listed and self._listed(p)))

        ranked = sorted(pool, key=lambda p: (burden(p), p.id))
        good = [p for p in ranked if usable(p)]
        chosen: dict[str, Product] = {current.id: current}
        for p in good[:CANDIDATES_OVERALL]:
            chosen.setdefault(p.id, p)
        per_bloc: dict[Bloc, int] = defaultdict(int)
        for p in good:
            vendor = self.catalogue.vendors.get(p.vendor)
            bloc = vendor.bloc if vendor else Bloc.UNKNOWN
            if per_bloc[bloc] < CANDIDATES_PER_BLOC and not any(
                    c.gp10 for c in self._control_hits(p, "US")):
                per_bloc[bloc] += 1
                chosen.setdefault(p.id, p)
        for p in [p for p in ranked if not usable(p)][:CANDIDATES_PER_BLOC]:
            chosen.setdefault(p.id, p)
        for p in pool:
            if p.id in allowed:
                chosen.setdefault(p.id, p)
        return sorted(chosen.values(), key=lambda p: p.id)

    def _control_hits(self, product: Product, country: str) -> list[ControlHit]:
        """:func:`control_hits` on the planning date, once per product and country (asked for
        every system, candidate accelerator and candidate site)."""
        key = (product.id, country)
        found = self._hits.get(key)
        if found is None:
            found = self._hits[key] = control_hits(product, country, self.as_of)
        return found

    def swap(self, system_id: str, current: Product | None, candidate: Product) -> StackSwap:
        """The stack swap, shared by systems with the same components (it reads no more)."""
        system = self.stacks[system_id].system
        key = (system.components, current.id if current else "", candidate.id)
        if key not in self._swaps:
            self._swaps[key] = plan_swap(self.estate, system, current, candidate,
                                         self.catalogue)
        return self._swaps[key]

    def _switch(self, system: System, current: Product, candidate: Product) -> Burden:
        """Accelerator switch burden without site country, shared by systems with the same
        using entity and components (all it reads)."""
        key = ("accel", system_entity(self.estate, system), system.components, current.id,
               candidate.id)
        if key not in self._burdens:
            self._burdens[key] = accelerator_switch(
                self.estate, system, current, candidate, None, self.as_of, self.catalogue,
                self.known_vendors, self.stacks[system.id], self._support)
        return self._burdens[key]

    def _listed(self, product: Product) -> tuple[Exposure, ...]:
        if product.id not in self._listings:
            self._listings[product.id] = listed_exposure(product, self.catalogue, self.as_of)
        return self._listings[product.id]

    def _equivalents(self, product: Product) -> list[Product]:
        if product.id not in self._equivalent_cache:
            self._equivalent_cache[product.id] = self.catalogue.equivalents(product)
        return self._equivalent_cache[product.id]

    def _availability(self, product: Product, site_id: str) -> AvailabilityCheck:
        key = (product.id, site_id)
        if key not in self._available:
            self._available[key] = availability_at(product, self.sites[site_id],
                                                   self.catalogue, self.estate)
        return self._available[key]

    def _model_switch(self, system: System, current: Product, candidate: Product,
                      country: str | None, fine_tuned: bool) -> Burden:
        key = ("model", system_entity(self.estate, system), country, fine_tuned, current.id,
               candidate.id)
        if key not in self._burdens:
            self._burdens[key] = model_switch(self.estate, system, current, candidate, country,
                                              self.as_of, self.catalogue, self.known_vendors,
                                              fine_tuned)
        return self._burdens[key]

    def _model_candidates(self, system_id: str, current: Product, country: str | None,
                          fine_tuned: bool) -> list[tuple[Product, Burden]]:
        """The current model family, the four cheapest substitutes and the best one per bloc."""
        system = self.stacks[system_id].system
        scored = [(p, self._model_switch(system, current, p, country, fine_tuned))
                  for p in [current, *self._equivalents(current)]
                  if p.layer == Layer.MODEL]
        scored.sort(key=lambda pb: (pb[1].total, pb[0].id))
        chosen: dict[str, tuple[Product, Burden]] = {current.id: scored[0]
                                                     if scored[0][0].id == current.id else
                                                     (current, Burden(()))}
        for product, burden in scored[:5]:
            chosen.setdefault(product.id, (product, burden))
        seen_blocs: set[Bloc] = set()
        for product, burden in scored:
            vendor = self.catalogue.vendors.get(product.vendor)
            bloc = vendor.bloc if vendor else Bloc.UNKNOWN
            if bloc not in seen_blocs:
                seen_blocs.add(bloc)
                chosen.setdefault(product.id, (product, burden))
        return [chosen[k] for k in sorted(chosen)]

    # -- scenarios ---------------------------------------------------------------------------

    def _scenario_requirements(self, model: cp_model.CpModel, literal: Any,
                               svars: dict[str, _SystemVars], scenarios: Sequence[Scenario]
                               ) -> list[str]:
        """Scenario shocks as requirements: the plan must hold as if they were in force."""
        notes: list[str] = []
        for scenario in scenarios:
            ctx = StressContext(self.estate, self.catalogue, scenario, self.as_of)
            for index, shock in enumerate(scenario.shocks):
                cites = shock.citations or scenario.citations
                tag = f"scenario:{scenario.id}:{index + 1}"
                if isinstance(shock, RegionUnavailable):
                    lost = {site.id for site in lost_sites(ctx, shock)}
                    if not lost:
                        notes.append(f"{scenario.id}: no site of the estate is lost")
                        continue
                    lit = literal(Requirement(
                        tag, "scenario", f"scenario {scenario.id}: sites {', '.join(sorted(lost))}"
                        " are unavailable", rules=(scenario.id,), citations=cites))
                    for v in svars.values():
                        for j in lost & set(v.sites):
                            model.add(v.sites[j] == 0).only_enforce_if(lit)
                elif isinstance(shock, ExportLicence | CountryBan):
                    self._product_shock(model, literal, svars, ctx, shock, tag, cites)
                elif isinstance(shock, ModelLicenceExclusion):
                    self._licence_shock(model, literal, svars, ctx, shock, tag, cites)
                else:
                    notes.append(f"{scenario.id}: Entity List additions degrade systems but do "
                                 "not constrain the layout; see stackrift stress")
        return notes

    def _product_shock(self, model: cp_model.CpModel, literal: Any,
                       svars: dict[str, _SystemVars], ctx: StressContext,
                       shock: ExportLicence | CountryBan, tag: str,
                       cites: tuple[Citation, ...]) -> None:
        for system_id, v in svars.items():
            system = self.stacks[system_id].system
            pairs: list[tuple[cp_model.IntVar, cp_model.IntVar]] = []
            names: set[str] = set()
            countries: set[str] = set()
            for k, avar in v.accels.items():
                product = self.catalogue.products[k]
                for j, yvar in v.sites.items():
                    country = self.sites[j].country
                    if isinstance(shock, ExportLicence):
                        hit = (export_selects(ctx, shock, product)
                               and match_destination(shock.destinations, country,
                                                     self.as_of) is not None
                               and shock.control_id not in system.export_licences)
                    else:
                        hit = shock.country == country and ban_selects(
                            ctx, shock, product, self.catalogue.vendors.get(product.vendor))
                    if hit:
                        pairs.append((yvar, avar))
                        names.add(product.name)
                        countries.add(country)
            if not pairs:
                continue
            what = ("needs a licence (" + shock.control_id + ") it does not hold"
                    if isinstance(shock, ExportLicence) else "is banned")
            lit = literal(Requirement(
                f"{tag}:{system_id}", "scenario",
                f"scenario {ctx.scenario.id}: for system {system_id}, "
                f"{', '.join(sorted(names))} {what} in {', '.join(sorted(countries))}",
                rules=(ctx.scenario.id,), citations=cites, systems=(system_id,)))
            for yvar, avar in pairs:
                model.add_bool_or([yvar.negated(), avar.negated()]).only_enforce_if(lit)

    def _licence_shock(self, model: cp_model.CpModel, literal: Any,
                       svars: dict[str, _SystemVars], ctx: StressContext,
                       shock: ModelLicenceExclusion, tag: str,
                       cites: tuple[Citation, ...]) -> None:
        selected = {ctx.product(m).id for m in shock.models}
        excluded = expand_destinations(shock.excluded, self.as_of)
        for system_id, v in svars.items():
            families = [k for k in v.models if k in selected]
            if not families:
                continue
            system = self.stacks[system_id].system
            owner = self.estate.entity(system.owner) if system.owner else None
            personal = (set(system.users_countries) | ({owner.country} if owner else set())
                        ) & excluded
            whom = (", ".join(sorted(personal)) if personal
                    else "hosting in " + ", ".join(shock.excluded))
            lit = literal(Requirement(
                f"{tag}:{system_id}", "scenario",
                f"scenario {ctx.scenario.id}: the licence of {', '.join(sorted(families))} "
                f"excludes {whom} for system {system_id}", rules=(ctx.scenario.id,),
                citations=cites, systems=(system_id,)))
            for k in families:
                if personal:
                    model.add(v.models[k] == 0).only_enforce_if(lit)
                    continue
                for j, yvar in v.sites.items():
                    if self.sites[j].country in excluded:
                        model.add_bool_or([yvar.negated(), v.models[k].negated()]
                                          ).only_enforce_if(lit)

    # -- flows -------------------------------------------------------------------------------

    def _movable(self) -> dict[str, tuple[str, str]]:
        """flow id -> (system id, 'source'|'destination'|'both') for ends that follow a system.

        A flow's destination follows its system when it is the system's site. Its source does
        too, unless the data is about people of the source site's country: such data is born
        there and keeps leaving from there wherever the system runs.
        """
        moves: dict[str, tuple[str, str]] = {}
        for flow in self.flow_estate.data_flows:
            if flow.id in self.implied:  # users' data reaches the site; outputs leave it
                moves[flow.id] = (self.implied[flow.id],
                                  "destination" if flow.id.endswith(":in") else "source")
                continue
            system = self.stacks[flow.system].system if flow.system in self.stacks else None
            if system is None or system.site is None:
                continue
            site = self.sites.get(system.site)
            anchored = site is not None and site.country in flow.subjects_countries
            ends = [e for e, v in (("source", flow.source), ("destination", flow.destination))
                    if v == system.site and not (e == "source" and anchored)]
            if ends:
                moves[flow.id] = (system.id, "both" if len(ends) == 2 else ends[0])
        return moves

    def _judge(self, flow: DataFlow) -> tuple[FlowJudgement, FlowJudgement]:
        """A flow's judgement as is, and with the self-service mechanisms it lacks."""
        plain = self.judge.judge_alone(self.flow_estate, flow, self.as_of)
        extra = _missing_fixable(plain)
        if plain.lawful or not extra:
            return plain, plain
        mechanisms = tuple(dict.fromkeys((*flow.mechanisms, *(Mechanism(m) for m in extra))))
        upgraded = flow.model_copy(update={"mechanisms": mechanisms})
        return plain, self.judge.judge_alone(self.flow_estate, upgraded, self.as_of)

    # -- solve -------------------------------------------------------------------------------

    def solve(self, objective: Objective = Objective.COST,  # noqa: PLR0913 - the public API
              max_bloc_share: float | None = None,
              max_vendor_share: float | None = None, time_limit: float = 30.0,
              workers: int = 2, cross_border: bool = False,
              scenarios: Sequence[Scenario] = (), exclude_listed: bool = False,
              relax: Collection[str] = (), progress: Progress | None = None) -> PlanResult:
        """Solve; ``cross_border`` lets systems move to sites in other countries. By default each
        stays in its country: its users' data is rarely declared as flows, so a move abroad
        would look lawful while it is not."""
        # Building the model allocates some 10^6 objects (variables, constraints, judgements)
        # that all live until the plan is extracted: collector passes over them would cost more
        # than they find (see gcpause.py).
        with paused_gc():
            options = _options(objective, max_bloc_share, max_vendor_share, time_limit, workers,
                               cross_border)
            self.exclude_listed = exclude_listed
            self._swaps.clear()
            report = progress or (lambda message: None)
            started = time.perf_counter()
            build = _Build(cp_model.CpModel(), frozenset(relax))
            site_ids = sorted(self.sites)
            self._system_variables(build, site_ids, cross_border, report)
            notes = self._scenario_requirements(build.model, build.literal, build.svars, scenarios)
            report(f"judging {len(self.flow_estate.data_flows)} data flows (declared and "
                   "implied) at candidate sites")
            flows = self._flow_requirements(build.model, build.literal, build.svars, site_ids,
                                            build.cost_terms)
            self._cap_requirements(build.model, build.literal, build.svars, options)
            self._objective(build.model, build.svars, build.cost_terms, options)
            self._literals = list(build.literals.values())
            built = time.perf_counter()
            report(f"searching (time limit {time_limit:g} s, {workers} workers)")
            solver, status = self._search(build.model, options)
            stats = _stats(build, flows, len(site_ids), built - started,
                           time.perf_counter() - built)
            run = _Run(options, started, stats, tuple(sc.id for sc in scenarios), tuple(notes))
            if status == cp_model.INFEASIBLE:
                report("infeasible: shrinking the conflicting requirements")
                return self._infeasible(build, solver, run)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return PlanResult("unknown", objective.value, self.as_of,
                                  time.perf_counter() - started, stats=stats,
                                  scenarios=run.scenarios, notes=run.notes)
            report("extracting the plan and re-checking every flow of the planned estate")
            return self._planned(build, solver, status, flows, run)

    def _system_variables(self, build: _Build, site_ids: list[str], cross_border: bool,
                          report: Progress) -> None:
        """Per system: where it may run, which accelerator and model it may use, their costs
        and the requirements on placement."""
        report(f"building the model: {len(self.estate.systems)} systems, {len(site_ids)} sites")
        for number, system in enumerate(self.estate.systems, 1):
            if number % 250 == 0:
                report(f"  stacks and candidates: {number}/{len(self.estate.systems)} systems")
            current_site = self.sites.get(system.site) if system.site else None
            unit = max((system.annual_cost or 0.0) * BURDEN_SHARE, MIN_BURDEN_UNIT)
            v = self._accelerator_variables(build, system, unit,
                                            self._site_variables(build, system, site_ids,
                                                                 cross_border))
            build.svars[system.id] = v
            self._model_variables(build, system, v, current_site)
            self._site_costs(build, system, v, current_site)
            self._accelerator_costs(build, system, v)
            self._placement_requirements(build.model, build.literal, system.id, v)

    def _site_variables(self, build: _Build, system: System, site_ids: list[str],
                        cross_border: bool) -> dict[str, cp_model.IntVar]:
        """One choice per candidate site (exactly one chosen)."""
        current_site = self.sites.get(system.site) if system.site else None
        if current_site is None:
            candidates: list[str] = []
        elif cross_border:
            candidates = site_ids
        else:  # stay in the country: the other sites are not candidates at all
            candidates = [j for j in site_ids if self.sites[j].country == current_site.country]
        sites = {j: build.model.new_bool_var(f"y|{system.id}|{j}") for j in candidates}
        if sites:
            build.model.add_exactly_one(sites.values())
        return sites

    def _accelerator_variables(self, build: _Build, system: System, unit: float,
                               sites: dict[str, cp_model.IntVar]) -> _SystemVars:
        """One choice per candidate accelerator (exactly one chosen, when one is known)."""
        holder = next((h for h in self.stacks[system.id].layer(StackLayer.ACCELERATOR)
                       if h.product is not None), None)
        current = holder.product if holder else None
        accels: dict[str, cp_model.IntVar] = {}
        if current is not None:
            for product in self._accelerator_candidates(system.id, current):
                accels[product.id] = build.model.new_bool_var(f"a|{system.id}|{product.id}")
            build.model.add_exactly_one(accels.values())
        return _SystemVars(system.id, sites, accels, current,
                           holder.component if holder else None, unit)

    def _model_variables(self, build: _Build, system: System, v: _SystemVars,
                         current_site: Site | None) -> None:
        """One choice per candidate model, with its switching cost (when the model has an
        equivalence class)."""
        holder = next((h for h in self.stacks[system.id].layer(StackLayer.MODEL)
                       if h.product is not None and h.product.layer == Layer.MODEL
                       and h.product.equivalence_class and h.component is not None), None)
        if holder is None or holder.product is None:
            return
        current = holder.product
        fine_tuned = bool(holder.note)  # the weights came through a lineage
        country = current_site.country if current_site else None
        models = {}
        for product, burden in self._model_candidates(system.id, current, country, fine_tuned):
            var = build.model.new_bool_var(f"m|{system.id}|{product.id}")
            models[product.id] = var
            build.burden_cache[(system.id, "model", product.id)] = burden
            build.cost_terms.append((round(burden.total * v.unit), var))
            if self.exclude_listed and product.id != current.id:
                self._exclusion(build.model, build.literal, system.id, product, var)
        build.model.add_exactly_one(models.values())
        v.models, v.current_model, v.model_component = models, current, holder.component

    def _site_costs(self, build: _Build, system: System, v: _SystemVars,
                    current_site: Site | None) -> None:
        """Run cost by site, plus the burden of moving there."""
        for j, var in v.sites.items():
            factor = self.sites[j].cost_factor or 1.0
            move = site_move(self.estate, system, current_site, self.sites[j], self.as_of,
                             self.catalogue, self.known_vendors, export=False)
            build.burden_cache[(system.id, "site", j)] = move
            cost = (system.annual_cost or 0.0) * factor + move.total * v.unit
            build.cost_terms.append((round(cost), var))

    def _accelerator_costs(self, build: _Build, system: System, v: _SystemVars) -> None:
        """The burden of switching to each candidate accelerator, stack swap included."""
        for k, var in v.accels.items():
            product = self.catalogue.products[k]
            assert v.current_accel is not None  # accels exist only with a current one
            switch = Burden(self._switch(system, v.current_accel, product).terms + stack_terms(
                self.swap(system.id, v.current_accel, product)))
            build.burden_cache[(system.id, "accel", k)] = switch
            build.cost_terms.append((round(switch.total * v.unit), var))

    def _search(self, model: cp_model.CpModel, options: _Options
                ) -> tuple[cp_model.CpSolver, Any]:
        """Search with every requirement as a hard constraint (full presolve); only when that
        is infeasible are the requirements turned into assumptions to extract a conflict."""
        hard = model.clone()
        for lit in self._literals:
            hard.add(hard.get_bool_var_from_proto_index(lit.index) == 1)
        solver = _solver(options)
        solver.parameters.random_seed = 7
        status = solver.solve(hard)
        if status == cp_model.INFEASIBLE:
            model.add_assumptions(self._literals)
            solver = _solver(options)
            status = solver.solve(model)
        return solver, status

    def _infeasible(self, build: _Build, solver: cp_model.CpSolver, run: _Run) -> PlanResult:
        core = self._minimal_core(build.model, solver, build.requirements, run.options)
        return PlanResult("infeasible", run.options.objective.value, self.as_of,
                          time.perf_counter() - run.started, conflicts=tuple(core),
                          stats=run.stats, cross_border=run.options.cross_border,
                          scenarios=run.scenarios, notes=run.notes)

    def _planned(self, build: _Build, solver: cp_model.CpSolver, status: Any,
                 flows: _FlowInfo, run: _Run) -> PlanResult:
        extracting = time.perf_counter()
        result = self._extract(solver, build.svars, flows, build.burden_cache)
        run.stats["extract_and_verify_seconds"] = round(time.perf_counter() - extracting, 3)
        return PlanResult(
            "optimal" if status == cp_model.OPTIMAL else "feasible", run.options.objective.value,
            self.as_of, time.perf_counter() - run.started, solver.objective_value,
            solver.best_objective_bound, result.changes, result.actions, (), result.shares,
            result.verification, result.estate, run.stats, run.options.cross_border,
            run.scenarios, run.notes + self._availability_notes(result.changes))

    # -- requirements ------------------------------------------------------------------------

    def _placement_requirements(self, model: cp_model.CpModel, literal: Any, system_id: str,
                                v: _SystemVars) -> None:
        self._allowed_requirements(model, literal, system_id, v)
        for k, avar in v.accels.items():
            product = self.catalogue.products[k]
            self._fact_requirements(model, literal, v, product, avar)
            if self.exclude_listed and k != (v.current_accel.id if v.current_accel else None):
                self._exclusion(model, literal, system_id, product, avar)
        self._export_requirements(model, literal, system_id, v)
        self._gp10_requirements(model, literal, system_id, v)

    def _allowed_requirements(self, model: cp_model.CpModel, literal: Any, system_id: str,
                              v: _SystemVars) -> None:
        """The estate's allowed_sites and allowed_accelerators, each a named requirement."""
        system = self.stacks[system_id].system
        if system.allowed_sites and v.sites:
            lit = literal(Requirement(
                f"allowed-sites:{system_id}", "allowed_sites",
                f"system {system_id} may only run at {', '.join(system.allowed_sites)} "
                "(allowed_sites in the estate)", systems=(system_id,)))
            for j, var in v.sites.items():
                if j not in system.allowed_sites:
                    model.add(var == 0).only_enforce_if(lit)
        if system.allowed_accelerators and v.accels:
            allowed = {p.id for n in system.allowed_accelerators if (p := self._product(n))}
            lit = literal(Requirement(
                f"allowed-accelerators:{system_id}", "allowed_accelerators",
                f"system {system_id} may only run on {', '.join(sorted(allowed))} "
                "(allowed_accelerators in the estate)", systems=(system_id,)))
            for k, var in v.accels.items():
                if k not in allowed:
                    model.add(var == 0).only_enforce_if(lit)

    def _export_requirements(self, model: cp_model.CpModel, literal: Any, system_id: str,
                             v: _SystemVars) -> None:
        """No candidate accelerator at a site in a country its export controls catch, unless
        the system holds the licence (one requirement per control)."""
        system = self.stacks[system_id].system
        by_country: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for j, var in v.sites.items():
            by_country[self.sites[j].country].append(var)
        # (control id) -> [(country, accelerator var)] and what to say about it
        caught: dict[str, list[tuple[str, cp_model.IntVar]]] = defaultdict(list)
        hits_by_control: dict[str, list[Any]] = defaultdict(list)
        for k, avar in v.accels.items():
            product = self.catalogue.products[k]
            for country in sorted(by_country):
                for hit in self._control_hits(product, country):
                    if hit.gp10 or hit.control.id in system.export_licences:
                        continue
                    caught[hit.control.id].append((country, avar))
                    hits_by_control[hit.control.id].append(hit)
        for control_id, pairs in sorted(caught.items()):
            hits = hits_by_control[control_id]
            control = hits[0].control
            products = sorted({h.product.name for h in hits})
            countries = sorted({c for c, _ in pairs})
            lit = literal(Requirement(
                f"export:{system_id}:{control_id}", "export",
                f"{control.regime} control {control_id}"
                f"{' (ECCN ' + control.eccn + ')' if control.eccn else ''}: system {system_id} "
                f"holds no licence, so it may not run {', '.join(products)} in "
                f"{', '.join(countries)} ({hits[0].match.describe(countries[0])})",
                rules=(control_id,), citations=tuple(dict.fromkeys(
                    (control.citation, *(c for h in hits for c in h.match.citations)))),
                systems=(system_id,)))
            for country, avar in pairs:
                for var in by_country[country]:
                    model.add_bool_or([var.negated(), avar.negated()]).only_enforce_if(lit)

    def _gp10_requirements(self, model: cp_model.CpModel, literal: Any, system_id: str,
                           v: _SystemVars) -> None:
        """General Prohibition 10: no such accelerator for a user with a US nexus."""
        system = self.stacks[system_id].system
        nexus = us_nexus(self.estate, system_entity(self.estate, system))
        for avar_id, avar in v.accels.items():
            product = self.catalogue.products[avar_id]
            gp10 = [h for h in self._control_hits(product, "US") if h.gp10]
            if gp10 and nexus != UsNexus.NONE:
                lit = literal(Requirement(
                    f"gp10:{system_id}", "gp10",
                    f"General Prohibition 10: system {system_id}'s user "
                    f"({system_entity(self.estate, system)}, {nexus.value.replace('_', ' ')}) "
                    "may not use Ascend 910B/C/D-class chips",
                    rules=(gp10[0].control.id,), citations=(gp10[0].control.citation,),
                    systems=(system_id,)))
                model.add(avar == 0).only_enforce_if(lit)

    def _exclusion(self, model: cp_model.CpModel, literal: Any, system_id: str,
                   product: Product, var: cp_model.IntVar) -> None:
        """--exclude-listed: a listed substitute may not be chosen (a named requirement)."""
        exposure = self._listed(product)
        if not exposure:
            return
        lit = literal(Requirement(
            f"exclude-listed:{system_id}", "exclude_listed",
            f"--exclude-listed: system {system_id} may not switch to a product of an "
            "Entity-Listed vendor or one under General Prohibition 10 guidance",
            citations=tuple(e.citation for e in exposure if e.citation is not None),
            systems=(system_id,)))
        model.add(var == 0).only_enforce_if(lit)

    def _fact_requirements(self, model: cp_model.CpModel, literal: Any, v: _SystemVars,
                           product: Product, avar: cp_model.IntVar) -> None:
        """Catalogue facts the plan treats as fixed, each a named requirement so that a
        conflict names it with its source: where the product can be obtained, and whether the
        system's stack can be rebuilt on it."""
        system_id = v.system_id
        swap = self.swap(system_id, v.current_accel, product)
        if not swap.consistent:
            lit = literal(Requirement(
                f"fact:stack:{system_id}:{product.id}", "fact",
                f"catalogue: system {system_id}'s stack cannot be rebuilt on {product.name}: "
                + "; ".join(swap.gaps), rules=(f"stack:{product.id}",),
                citations=swap.sources, systems=(system_id,)))
            model.add(avar == 0).only_enforce_if(lit)
        unavailable = [(j, var, check) for j, var in v.sites.items()
                       if (check := self._availability(product, j)).available is False]
        if unavailable:
            cite = unavailable[0][2].citation
            lit = literal(Requirement(
                f"fact:availability:{system_id}:{product.id}", "fact",
                f"catalogue: {product.name} cannot be had for system {system_id} at "
                f"{', '.join(j for j, _, _ in unavailable)} ({unavailable[0][2].reason})",
                rules=(f"availability:{product.id}",),
                citations=(cite,) if cite is not None else (), systems=(system_id,)))
            for _, var, _ in unavailable:
                model.add_bool_or([var.negated(), avar.negated()]).only_enforce_if(lit)

    def _flow_requirements(self, model: cp_model.CpModel, literal: Any,
                           svars: dict[str, _SystemVars], site_ids: list[str],
                           cost_terms: list[tuple[int, cp_model.IntVar]]) -> _FlowInfo:
        """Every flow judged where it is and at each candidate site of the system it follows;
        the sites where it would be unlawful are excluded, priced or the flow stopped."""
        movable = self._movable()
        flows = self._judge_flows(movable, svars)
        for flow in self.flow_estate.data_flows:
            if flow.id not in movable:
                if not flows.base[flow.id].lawful and not flows.base_fixed[flow.id].lawful:
                    flows.dropped[flow.id] = flows.base[flow.id]
                continue
            system_id, _ = movable[flow.id]
            v = svars[system_id]
            plain, fixed = flows.plain[flow.id], flows.fixed[flow.id]
            ok = {j for j in v.sites if plain[j].lawful}
            fixable = {j for j in v.sites if j not in ok and fixed[j].lawful}
            bad = [j for j in v.sites if j not in ok and j not in fixable]
            for j in fixable:
                count = len(_missing_fixable(plain[j]))
                cost_terms.append((round(count * v.unit), v.sites[j]))
            if flow.id in self.implied:
                self._implied_requirement(model, literal, flow, v, bad, plain)
            elif not ok and not fixable:
                owner = self.stacks[system_id].system
                here = owner.site if owner is not None and owner.site else site_ids[0]
                flows.dropped[flow.id] = plain[here]
            elif bad:
                self._declared_requirement(model, literal, flow, v, bad, ok | fixable, flows,
                                           cost_terms)
        return flows

    def _judge_flows(self, movable: dict[str, tuple[str, str]], svars: dict[str, _SystemVars]
                     ) -> _FlowInfo:
        """Each flow's judgement where it is and, for flows that follow a system, at each of
        the system's candidate sites (as is, and with self-service mechanisms added)."""
        flows = _FlowInfo(movable, defaultdict(dict), defaultdict(dict), {}, {}, 0, {})
        for flow in self.flow_estate.data_flows:
            flows.base[flow.id], flows.base_fixed[flow.id] = self._judge(flow)
            if flow.id in movable:
                system_id, ends = movable[flow.id]
                # Sites of one jurisdiction, entity and provider country give a flow the same
                # facts, hence the same verdict: judge one of them.
                judged: dict[tuple[object, ...], tuple[FlowJudgement, FlowJudgement]] = {}
                for site_id in svars[system_id].sites:
                    key = self._site_facts[site_id]
                    if key not in judged:
                        judged[key] = self._judge(_repoint_flow(flow, ends, site_id))
                    flows.plain[flow.id][site_id], flows.fixed[flow.id][site_id] = judged[key]
        flows.evaluations = self.judge.evaluations
        return flows

    def _declared_requirement(self, model: cp_model.CpModel, literal: Any, flow: DataFlow,
                              v: _SystemVars, bad: list[str], lawful_at: set[str],
                              flows: _FlowInfo,
                              cost_terms: list[tuple[int, cp_model.IntVar]]) -> None:
        """A declared flow unlawful at some candidate sites: where it is unlawful today, moving
        may fix it or the flow stops (priced); otherwise the system may not move there."""
        owner = self.stacks[v.system_id].system
        plain = flows.plain[flow.id]
        if not (owner is not None and owner.site in lawful_at):
            # Unlawful where it runs today: fix it by moving if worth it, else stop it.
            drop = model.new_bool_var(f"drop|{flow.id}")
            for j in bad:
                model.add(v.sites[j] <= drop)
            cost_terms.append((round(DROP_POINTS * v.unit), drop))
            flows.optional[flow.id] = drop
            return
        rules = sorted({r for j in bad for r in plain[j].rules_fired})
        cites = tuple(dict.fromkeys(c for j in bad for c in plain[j].citations))
        lit = literal(Requirement(
            f"flow:{flow.id}", "flow",
            f"data flow {flow.id} ({flow.source} -> {flow.destination}, "
            f"{', '.join(c.value for c in flow.data_categories)}) must stay lawful; "
            f"that holds only if system {v.system_id} runs at "
            f"{', '.join(sorted(lawful_at))}; elsewhere it is prohibited or needs an approval "
            "the organisation cannot grant itself",
            rules=tuple(rules), citations=cites, systems=(v.system_id,)))
        for j in bad:
            model.add(v.sites[j] == 0).only_enforce_if(lit)

    def _implied_requirement(self, model: cp_model.CpModel, literal: Any, flow: DataFlow,
                             v: _SystemVars, bad: list[str],
                             judged: dict[str, FlowJudgement]) -> None:
        """A system may not move where its users' data would flow unlawfully (beyond what the
        organisation can fix itself). Where it runs today nothing changes, so staying is always
        allowed; an unlawful flow there is reported, not stopped: users' data cannot be."""
        system = self.stacks[v.system_id].system
        current = system.site if system is not None else None
        away = [j for j in bad if j != current]
        if not away:
            return
        rules = sorted({r for j in away for r in judged[j].rules_fired})
        cites = tuple(dict.fromkeys(c for j in away for c in judged[j].citations))
        lit = literal(Requirement(
            f"flow:{flow.id}", "flow",
            f"users' data of system {v.system_id} ({flow.subjects_countries[0]} users, "
            f"{', '.join(c.value for c in flow.data_categories)}; implied flow {flow.id}) must "
            f"stay lawful if the system moves; it is prohibited or needs an approval the "
            f"organisation cannot grant itself at {', '.join(away)}",
            rules=tuple(rules), citations=cites, systems=(v.system_id,)))
        for j in away:
            model.add(v.sites[j] == 0).only_enforce_if(lit)

    def _cap_requirements(self, model: cp_model.CpModel, literal: Any,
                          svars: dict[str, _SystemVars], options: _Options) -> None:
        weights = {s.id: Criticality(s.criticality).weight for s in self.estate.systems}
        groups: dict[tuple[str, str, str], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        totals: dict[str, int] = defaultdict(int)
        for system_id, v in svars.items():
            w = weights[system_id]
            if v.accels:
                totals["accelerator"] += w
                for k, var in v.accels.items():
                    vendor = self.catalogue.vendors.get(self.catalogue.products[k].vendor)
                    bloc = vendor.bloc.value if vendor else "unknown"
                    groups[("accelerator", "bloc", bloc)].append((w, var))
                    groups[("accelerator", "vendor", vendor.id if vendor else k)].append((w, var))
            if v.models:
                totals["model"] += w
                for k, var in v.models.items():
                    vendor = self.catalogue.vendors.get(self.catalogue.products[k].vendor)
                    groups[("model", "bloc", vendor.bloc.value if vendor else "unknown")].append(
                        (w, var))
                    groups[("model", "vendor", vendor.id if vendor else k)].append((w, var))
            if v.sites:
                totals["cloud"] += w
                totals["country"] += w
                for j, var in v.sites.items():
                    site = self.sites[j]
                    holder = self._holders[site.id]
                    groups[("cloud", "bloc", holder.bloc.value)].append((w, var))
                    groups[("cloud", "vendor", holder.key)].append((w, var))
                    groups[("country", "bloc", bloc_of(site.country).value)].append((w, var))
        for (layer, kind, key), terms in sorted(groups.items(), key=lambda kv: kv[0]):
            cap = options.max_bloc_share if kind == "bloc" else options.max_vendor_share
            if cap is None or (kind == "vendor" and layer == "country") or key in (
                    "unknown", "other"):
                continue
            limit = int(cap * totals[layer] * 1000)
            lit = literal(Requirement(
                f"cap:{layer}:{kind}:{key}", "cap",
                f"no {kind} may hold more than {cap:.0%} of the {layer} layer "
                f"(criticality-weighted); here: {key}"))
            model.add(sum(w * 1000 * var for w, var in terms) <= limit).only_enforce_if(lit)

    def _objective(self, model: cp_model.CpModel, svars: dict[str, _SystemVars],
                   cost_terms: list[tuple[int, cp_model.IntVar]], options: _Options) -> None:
        cost = sum(c // 1000 * var for c, var in cost_terms if c // 1000)
        if options.objective == Objective.COST:
            model.minimize(cost)
            return
        weights = {s.id: Criticality(s.criticality).weight for s in self.estate.systems}
        total = sum(weights.values()) or 1
        peak = model.new_int_var(0, 2 * total, "peak-vendor-share")
        acc: dict[str, list[Any]] = defaultdict(list)
        cloud: dict[str, list[Any]] = defaultdict(list)
        for system_id, v in svars.items():
            for k, var in v.accels.items():
                acc[self.catalogue.products[k].vendor].append(weights[system_id] * var)
            for j, var in v.sites.items():
                key = self._holders[j].key
                cloud[key].append(weights[system_id] * var)
        peak_acc = model.new_int_var(0, total, "peak-accelerator")
        peak_cloud = model.new_int_var(0, total, "peak-cloud")
        for terms in acc.values():
            model.add(peak_acc >= sum(terms))
        for terms in cloud.values():
            model.add(peak_cloud >= sum(terms))
        model.add(peak == peak_acc + peak_cloud)
        baseline = max(1, sum(c // 1000 for c, _ in cost_terms) // max(1, len(svars)))
        if options.objective == Objective.RESILIENCE:
            model.minimize(peak * 10_000_000 + cost)
        else:
            model.minimize(cost * total + peak * baseline * len(svars))

    # -- infeasibility -----------------------------------------------------------------------

    def _minimal_core(self, model: cp_model.CpModel, solver: cp_model.CpSolver,
                      requirements: dict[int, Requirement], options: _Options
                      ) -> list[Requirement]:
        by_index = {lit.index: lit for lit in self._literals}
        core = [by_index[i] for i in solver.sufficient_assumptions_for_infeasibility()
                if i in by_index]
        # Deletion-based shrinking: drop each literal whose removal keeps the model infeasible.
        index = 0
        while index < len(core):
            trial = core[:index] + core[index + 1:]
            model.clear_assumptions()
            model.add_assumptions(trial)
            probe = cp_model.CpSolver()
            probe.parameters.max_time_in_seconds = max(1.0, options.time_limit / 10)
            probe.parameters.num_workers = options.workers
            if probe.solve(model) == cp_model.INFEASIBLE:
                core = trial
            else:
                index += 1
        return sorted((requirements[lit.index] for lit in core), key=lambda r: r.id)

    # -- extraction --------------------------------------------------------------------------

    def _availability_notes(self, changes: Sequence[SystemChange]) -> tuple[str, ...]:
        """What the plan assumed obtainable without the catalogue recording it: check it."""
        notes = []
        for change in changes:
            if not change.changed or change.accelerator_to is None or change.site_to is None:
                continue
            product = self.catalogue.products[change.accelerator_to]
            check = availability_at(product, self.sites[change.site_to], self.catalogue,
                                    self.estate)
            if check.available is None:
                notes.append(f"{change.system}: {check.reason} - availability at "
                             f"{change.site_to} is assumed, not recorded; check before buying")
        return tuple(notes)

    def _implied_actions(self, estate: Estate, flows: _FlowInfo, placed: dict[str, str]
                         ) -> tuple[Estate, list[FlowAction]]:
        """Actions on the users' data of each system where the plan puts it: mechanisms the
        organisation adds (recorded in ``user_data_mechanisms``) or approvals still needed."""
        actions: list[FlowAction] = []
        adopted: dict[str, list[Mechanism]] = defaultdict(list)
        for flow in self.flow_estate.data_flows:
            system_id = self.implied.get(flow.id)
            if system_id is None or not placed.get(system_id):
                continue
            judgement = flows.plain[flow.id][placed[system_id]]
            if judgement.lawful:
                continue
            extra = _missing_fixable(judgement)
            if extra:
                adopted[system_id] += [Mechanism(m) for m in extra]
                actions.append(FlowAction(
                    flow.id, "mechanisms_added", f"put in place for {system_id}'s users' data "
                    f"at {placed[system_id]}: {', '.join(extra)}", judgement.rules_fired))
            else:
                approvals = ", ".join(judgement.missing) or "none named"
                actions.append(FlowAction(
                    flow.id, "approval_needed", f"{judgement.verdict} at {placed[system_id]}, "
                    f"where {system_id} runs today; needs {approvals}, which the organisation "
                    "cannot grant itself: obtain it or stop serving these users from there",
                    judgement.rules_fired))
        systems = tuple(
            s.model_copy(update={"user_data_mechanisms": tuple(dict.fromkeys(
                (*s.user_data_mechanisms, *adopted[s.id])))}) if adopted.get(s.id) else s
            for s in estate.systems)
        return estate.model_copy(update={"systems": systems}), actions

    def _extract(self, solver: cp_model.CpSolver, svars: dict[str, _SystemVars],
                 flows: _FlowInfo, burdens: dict[tuple[str, str, str], Burden]
                 ) -> _Extracted:
        """The planned estate and what changes, with every flow of it judged again."""
        estate = self.estate
        changes = []
        placed: dict[str, str] = {}
        for position, system in enumerate(self.estate.systems):  # swaps keep the order
            estate, change = self._system_change(solver, estate, position, svars[system.id],
                                                 burdens)
            placed[system.id] = change.site_to or ""
            changes.append(change)
        estate = estate.model_copy(update={"systems": tuple(
            s.model_copy(update={"site": placed[s.id] or s.site}) for s in estate.systems)})
        actions: list[FlowAction] = []
        dropped = self._dropped(solver, flows, placed)
        new_flows = [planned for flow in estate.data_flows
                     if (planned := self._planned_flow(flow, flows, placed, dropped, actions))
                     is not None]
        estate = estate.model_copy(update={"data_flows": tuple(new_flows)})
        estate, implied_actions = self._implied_actions(estate, flows, placed)
        actions += implied_actions
        after = self.judge.judge(with_implied_flows(estate), self.as_of)
        verification = tuple(v.to_json() for v in after.values() if v.prohibited)
        return _Extracted(tuple(changes), tuple(actions), _shares(self, estate), verification,
                          estate)

    def _system_change(self, solver: cp_model.CpSolver, estate: Estate, position: int,
                       v: _SystemVars, burdens: dict[tuple[str, str, str], Burden]
                       ) -> tuple[Estate, SystemChange]:
        """The chosen site, accelerator and model of the system at ``position``; the estate
        with its swaps made."""
        system = self.estate.systems[position]
        site = next((j for j, var in v.sites.items() if solver.value(var)), system.site)
        accel = next((k for k, var in v.accels.items() if solver.value(var)), None)
        terms: list[BurdenTerm] = []
        if site and site != system.site:
            terms += burdens[(system.id, "site", site)].terms
        old = v.current_accel
        new = self.catalogue.products[accel] if accel else None
        stack: tuple[str, ...] = ()
        exposure: list[str] = []
        if old is not None and new is not None and new.id != old.id:
            terms += burdens[(system.id, "accel", new.id)].terms
            stack = tuple(r.describe() for r in self.swap(system.id, old, new).replacements)
            exposure += [e.text for e in listed_exposure(new, self.catalogue, self.as_of)]
            assert v.accel_component is not None
            estate = swap_accelerator(estate, estate.systems[position], v.accel_component, new,
                                      self.catalogue)
        model_old = v.current_model
        model_new_id = next((k for k, var in v.models.items() if solver.value(var)), None)
        model_new = self.catalogue.products[model_new_id] if model_new_id else None
        if model_old is not None and model_new is not None and model_new.id != model_old.id:
            terms += burdens[(system.id, "model", model_new.id)].terms
            assert v.model_component is not None
            estate = _swap_model(estate, estate.systems[position], v.model_component, model_new,
                                 self.catalogue)
            exposure += [e.text for e in listed_exposure(model_new, self.catalogue, self.as_of)]
        factor_after = self.sites[site].cost_factor or 1.0 if site else 1.0
        factor_before = (self.sites[system.site].cost_factor or 1.0) if system.site else 1.0
        old_rt = runtime_of(old, self.catalogue) if old else None
        new_rt = runtime_of(new, self.catalogue) if new else None
        return estate, SystemChange(
            system.id, system.site, site, old.id if old else None, new.id if new else None,
            old_rt.id if old_rt else None, new_rt.id if new_rt else None, Burden(tuple(terms)),
            (system.annual_cost or 0.0) * factor_before,
            (system.annual_cost or 0.0) * factor_after,
            model_old.id if model_old else None, model_new.id if model_new else None,
            stack, tuple(exposure))

    def _dropped(self, solver: cp_model.CpSolver, flows: _FlowInfo, placed: dict[str, str]
                 ) -> dict[str, tuple[FlowJudgement, str]]:
        """Flows the plan stops: unlawful everywhere, or cheaper to stop than to fix by moving."""
        dropped = {k: (v, "") for k, v in flows.dropped.items()}
        for flow_id, var in flows.optional.items():
            if solver.value(var):
                system_id = flows.movable[flow_id][0]
                better = sorted(j for j, v in flows.plain[flow_id].items()
                                if v.lawful or flows.fixed[flow_id][j].lawful)
                dropped[flow_id] = (flows.plain[flow_id][placed[system_id]],
                                    f"lawful only if {system_id} ran at {', '.join(better)}, "
                                    "which the plan judged costlier than stopping the flow; ")
        return dropped

    def _planned_flow(self, flow: DataFlow, flows: _FlowInfo, placed: dict[str, str],
                      dropped: dict[str, tuple[FlowJudgement, str]],
                      actions: list[FlowAction]) -> DataFlow | None:
        """The flow in the planned estate (``None`` when stopped), its actions appended."""
        if flow.id in dropped:
            actions.append(_discontinued(flow, *dropped[flow.id]))
            return None
        updated = flow
        judgement = flows.base[flow.id]
        if flow.id in flows.movable:
            system_id, ends = flows.movable[flow.id]
            target = placed[system_id]
            original = self.stacks[system_id].system
            if original is not None and target and target != original.site:
                updated = _repoint_flow(flow, ends, target)
                actions.append(FlowAction(flow.id, "rerouted",
                                          f"{ends} follows {system_id} to {target}"))
            judgement = flows.plain[flow.id][target] if target else judgement
        extra = _missing_fixable(judgement) if not judgement.lawful else ()
        if extra:
            mechanisms = tuple(dict.fromkeys((*updated.mechanisms,
                                              *(Mechanism(m) for m in extra))))
            updated = updated.model_copy(update={"mechanisms": mechanisms})
            actions.append(FlowAction(flow.id, "mechanisms_added",
                                      f"put in place: {', '.join(extra)}",
                                      judgement.rules_fired))
        return updated


def _discontinued(flow: DataFlow, judgement: FlowJudgement, why: str) -> FlowAction:
    approvals = [m for m in judgement.missing
                 if m not in {x.value for x in SELF_SERVICE_MECHANISMS}]
    where = why or "in every candidate layout: "
    if approvals:
        detail = (f"{judgement.verdict} {where}needs {', '.join(approvals)}, an "
                  "approval the organisation cannot grant itself: stop the flow or "
                  "obtain the approval")
    else:
        detail = f"{judgement.verdict} {where}stop the flow"
    return FlowAction(flow.id, "discontinued", detail, judgement.rules_fired)


def _site_descriptor(site: Site, catalogue: Catalogue) -> tuple[object, ...]:
    """What a flow's facts read of a site it starts or ends at: country, kind, operating
    entity, free-trade zone, operator and the provider's home country."""
    provider = catalogue.vendor_by_name(site.provider) if site.provider else None
    return (site.country, site.kind.value, site.entity, site.free_trade_zone, site.operator,
            provider.country if provider else site.provider)


def _with_user_flows(estate: Estate) -> tuple[Estate, dict[str, str]]:
    """``estate`` with the implied flows of every system's users at its current site (domestic
    ones too: a move can make them cross a border), and implied flow id -> system id."""
    flows: list[DataFlow] = []
    entities: dict[str, Entity] = {}
    for system in estate.systems:
        if system.site is None or estate.site(system.site) is None:
            continue
        found, added = system_user_flows(estate, system, system.site)
        flows += found
        entities |= {e.id: e for e in added}
    implied = {f.id: f.system or "" for f in flows}
    return estate.model_copy(update={"entities": estate.entities + tuple(entities.values()),
                                     "data_flows": estate.data_flows + tuple(flows)}), implied


@dataclass
class _FlowInfo:
    """Judgements of every flow, and what the model does about the unlawful ones."""

    movable: dict[str, tuple[str, str]]
    plain: dict[str, dict[str, FlowJudgement]]
    fixed: dict[str, dict[str, FlowJudgement]]
    base: dict[str, FlowJudgement]
    dropped: dict[str, FlowJudgement]
    evaluations: int
    optional: dict[str, cp_model.IntVar]
    base_fixed: dict[str, FlowJudgement] = field(default_factory=dict)



@dataclass(frozen=True)
class _Extracted:
    changes: tuple[SystemChange, ...]
    actions: tuple[FlowAction, ...]
    shares: dict[str, Any]
    verification: tuple[dict[str, Any], ...]
    estate: Estate


def _missing_fixable(judgement: FlowJudgement) -> tuple[str, ...]:
    return judgement.fixable_missing if judgement.self_fixable else ()


def _swap_model(estate: Estate, system: System, old: Component, new: Product,
                catalogue: Catalogue) -> Estate:
    """The estate with model component ``old`` replaced in ``system`` by family ``new``."""
    vendor = catalogue.vendors.get(new.vendor)
    added = Component(id=f"sub-{new.id}", type=ComponentType.MODEL, name=new.name,
                      vendor=vendor.name if vendor else None, product=new.name)
    refs = tuple(dict.fromkeys(added.id if r == old.id else r for r in system.components))
    components = estate.components + ((added,) if estate.component(added.id) is None else ())
    systems = tuple(s.model_copy(update={"components": refs}) if s.id == system.id else s
                    for s in estate.systems)
    return estate.model_copy(update={"components": components, "systems": systems})


def _repoint_flow(flow: DataFlow, ends: str, site_id: str) -> DataFlow:
    update: dict[str, str] = {}
    if ends in ("source", "both"):
        update["source"] = site_id
    if ends in ("destination", "both"):
        update["destination"] = site_id
    return flow.model_copy(update=update)


def _shares(planner: Planner, estate: Estate) -> dict[str, Any]:
    """Bloc shares per layer before and after, criticality-weighted (percent)."""
    from stackrift.analyses.concentration import layer_concentration

    result: dict[str, Any] = {}
    for label, current in (("before", planner.estate), ("after", estate)):
        # The planner resolved every stack of its own estate once already (ids are unique).
        known = current is planner.estate and len(planner.stacks) == len(current.systems)
        stacks = ([planner.stacks[s.id] for s in current.systems] if known
                  else [system_stack(current, s, planner.catalogue) for s in current.systems])
        result[label] = {
            layer.value: {b.value: round(100 * v, 1) for b, v in sorted(
                layer_concentration(stacks, layer).bloc_shares.items())}
            for layer in (StackLayer.ACCELERATOR, StackLayer.MODEL, StackLayer.CLOUD,
                          StackLayer.COUNTRY)}
    return result
