"""A transparent switching-burden model: every term is scored, named and explained.

Points, not money: 0 means nothing to do; each term says what the work is. The planner turns
points into cost with a per-system unit (see :mod:`stackrift.plan.solver`).

Accelerator switch terms:

- ``runtime_change`` (3): the substitute needs a different runtime (e.g. CUDA -> CANN): new
  images, kernels and collective-communication library.
- ``framework_port`` (per framework: native 0, plugin 1, support unknown 2, unsupported 3): from
  the packaged runtime-support table (``plan/data/runtime_support.yaml``), with sources.
- ``model_revalidation`` (2 with a runtime change, else 1): numerics and throughput differ; the
  system's models must be re-evaluated before go-live.
- ``vendor_onboarding`` (2): the substitute's vendor supplies nothing else in the estate yet.
- ``export_exposure``: an in-force US export licence requirement at the site's country that the
  system holds no licence for (4 each); General Prohibition 10 risk by the using entity's US nexus
  (US person 4, US-controlled 3, other 1); a US accelerator with neither a recorded
  classification nor a TPP, in a D:1/D:4/D:5 country (2).
- ``listed_exposure``: the substitute's vendor (or parent) is Entity-Listed (2; 3 for a
  US-linked user); without a site country, General Prohibition 10 guidance as above.

Site move terms: ``migration`` (2), ``provider_onboarding`` (2, a provider not used in the estate),
``country_change`` (3: data-localisation and transfer rules must be re-checked), and
``export_exposure`` of the system's accelerators at the new country (4 each).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from stackrift.catalog.catalogue import Catalogue
from stackrift.catalog.model import Layer, Product, bloc_of
from stackrift.estate.model import Estate, Site, System
from stackrift.estate.yamlsource import load_yaml_data
from stackrift.plan.groups import is_gp10, match_destination
from stackrift.plan.stack import (
    StackLayer,
    SystemStack,
    UsNexus,
    cloud_holder,
    control_hits,
    headquarters_of,
    listed_exposure,
    system_entity,
    system_stack,
    us_nexus,
)

PORT_SCORES = {"native": 0, "plugin": 1, "unknown": 2, "unsupported": 3}
GP10_SCORES = {UsNexus.US_PERSON: 4, UsNexus.US_CONTROLLED: 3, UsNexus.NONE: 1}


@dataclass(frozen=True)
class BurdenTerm:
    """One scored part of a switch, with the reason."""

    name: str
    score: int
    explanation: str

    def to_json(self) -> dict[str, Any]:
        return {"term": self.name, "score": self.score, "explanation": self.explanation}


@dataclass(frozen=True)
class Burden:
    """The sum of a switch's terms."""

    terms: tuple[BurdenTerm, ...]

    @cached_property
    def total(self) -> int:
        return sum(t.score for t in self.terms)

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "terms": [t.to_json() for t in self.terms if t.score]}


@dataclass(frozen=True)
class Support:
    level: str
    via: str
    source: str


def runtime_support() -> dict[str, dict[str, Support]]:
    """The active knowledge set's framework-on-runtime support table, keyed runtime id ->
    framework id."""
    from stackrift.knowledge.sets import knowledge_path

    return _runtime_support(knowledge_path("plan/data") / "runtime_support.yaml")


@cache
def _runtime_support(path: Path) -> dict[str, dict[str, Support]]:
    text = path.read_text("utf-8")
    raw: dict[str, Any] = load_yaml_data(text, str(path))
    return {runtime: {fw: Support(v["level"], v["via"], v["source"]) for fw, v in table.items()}
            for runtime, table in raw["runtimes"].items()}


def runtime_of(product: Product, catalogue: Catalogue) -> Product | None:
    """The runtime an accelerator requires (first required product in the runtime layer)."""
    for required in product.requires:
        candidate = catalogue.products.get(required)
        if candidate is not None and candidate.layer == Layer.RUNTIME:
            return candidate
    return None


def estate_vendor_ids(estate: Estate, catalogue: Catalogue) -> frozenset[str]:
    """Every catalogued vendor the estate already buys from (components and cloud providers)."""
    found: set[str] = set()
    for component in estate.components:
        vendor = catalogue.resolve(component).vendor
        if vendor is not None:
            found.add(vendor.id)
    for site in estate.sites:
        holder = cloud_holder(site, catalogue, estate)
        if holder.vendor is not None:
            found.add(holder.vendor.id)
    return frozenset(found)


def _frameworks(stack: SystemStack) -> list[Product]:
    seen: dict[str, Product] = {}
    for holder in stack.layer(StackLayer.FRAMEWORK):
        if holder.product is not None and holder.product.layer == Layer.FRAMEWORK:
            seen.setdefault(holder.product.id, holder.product)
    return [seen[k] for k in sorted(seen)]


def export_terms(estate: Estate, system: System, product: Product, country: str,
                 as_of: date, catalogue: Catalogue) -> list[BurdenTerm]:
    """Export-control terms for running ``product`` for ``system`` in ``country``."""
    terms: list[BurdenTerm] = []
    nexus = us_nexus(estate, system_entity(estate, system))
    headquarters = headquarters_of(estate, system_entity(estate, system))
    for hit in control_hits(product, country, as_of, headquarters):
        if hit.gp10:
            terms.append(BurdenTerm(
                "export_exposure", GP10_SCORES[nexus],
                f"{product.name}: General Prohibition 10 risk ({hit.control.citation}); using "
                f"entity's US nexus: {nexus.value.replace('_', ' ')}"))
        elif hit.control.id not in system.export_licences:
            terms.append(BurdenTerm(
                "export_exposure", 4,
                f"{product.name} needs a US export licence for {country} "
                f"({hit.control.id}; {hit.match.describe(country)}; {hit.control.citation})"))
    vendor = catalogue.vendors.get(product.vendor)
    recorded = any(not is_gp10(c) for c in product.controls)
    if (product.layer == Layer.ACCELERATOR and not recorded and vendor is not None
            and vendor.country == "US" and product.tpp is None
            and match_destination(("D:1", "D:4", "D:5"), country, as_of) is not None):
        terms.append(BurdenTerm(
            "export_exposure", 2,
            f"{product.name}: no export classification recorded and no TPP to derive one; a US "
            f"accelerator may need a 3A090 licence for {country} (15 CFR 744.23) - check"))
    return terms


def exposure_terms(estate: Estate, system: System, product: Product, as_of: date,
                   catalogue: Catalogue, include_gp10: bool) -> list[BurdenTerm]:
    """``listed_exposure`` terms for choosing ``product``: an Entity-Listed vendor 2 (3 for a
    US-linked user: due diligence on top of the supply risk - US-origin items, updates and
    support for its products need a licence); General Prohibition 10 guidance by US nexus
    (``include_gp10``: when no site country is given and ``export_terms`` does not add it)."""
    nexus = us_nexus(estate, system_entity(estate, system))
    terms: list[BurdenTerm] = []
    for exposure in listed_exposure(product, catalogue, as_of):
        source = f" ({exposure.citation})" if exposure.citation else ""
        if exposure.kind == "entity_list":
            terms.append(BurdenTerm("listed_exposure", 3 if nexus != UsNexus.NONE else 2,
                                    f"{exposure.text}{source}: supply, updates and support that "
                                    "need US items are at risk"
                                    + ("; US-linked user: due diligence" if nexus != UsNexus.NONE
                                       else "")))
        elif include_gp10:
            terms.append(BurdenTerm("listed_exposure", GP10_SCORES[nexus],
                                    f"{exposure.text}{source}; using entity's US nexus: "
                                    f"{nexus.value.replace('_', ' ')}"))
    return terms


def accelerator_switch(estate: Estate, system: System, current: Product | None,
                       candidate: Product, country: str | None, as_of: date,
                       catalogue: Catalogue, known_vendors: frozenset[str],
                       stack: SystemStack | None = None,
                       support_table: Mapping[str, Mapping[str, Support]] | None = None
                       ) -> Burden:
    """Burden of replacing ``current`` by ``candidate`` in ``system`` (site country ``country``;
    ``None`` leaves export terms out). ``stack`` saves re-resolving the system's components;
    ``support_table`` is :func:`runtime_support`'s table, for callers pricing many switches."""
    stack = stack or system_stack(estate, system, catalogue)
    terms: list[BurdenTerm] = []
    old_rt = runtime_of(current, catalogue) if current else None
    new_rt = runtime_of(candidate, catalogue)
    changed = old_rt is None or new_rt is None or old_rt.id != new_rt.id
    if current is not None and current.id == candidate.id:
        changed = False
    elif changed:
        terms.append(BurdenTerm(
            "runtime_change", 3,
            f"runtime {old_rt.name if old_rt else 'unknown'} -> "
            f"{new_rt.name if new_rt else 'unknown (not catalogued)'}"))
    if changed:
        known = runtime_support() if support_table is None else support_table
        table = known.get(new_rt.id, {}) if new_rt else {}
        for framework in _frameworks(stack):
            if old_rt is not None and old_rt.id in framework.requires:
                continue  # an adapter of the old runtime (torch_npu on CANN) simply goes away
            support = table.get(framework.id)
            level = support.level if support else "unknown"
            how = f" via {support.via} ({support.source})" if support else ""
            terms.append(BurdenTerm(
                "framework_port", PORT_SCORES[level],
                f"{framework.name} on {new_rt.name if new_rt else 'the new runtime'}: "
                f"{level}{how}"))
    has_models = bool(stack.layer(StackLayer.MODEL))
    if current is None or current.id != candidate.id:
        terms.append(BurdenTerm(
            "model_revalidation", 2 if changed else 1,
            "re-evaluate model accuracy and throughput on the new hardware"
            + (" and runtime" if changed else "") if has_models else
            "re-benchmark the workload on the new hardware"))
    if candidate.vendor not in known_vendors:
        vendor = catalogue.vendors.get(candidate.vendor)
        terms.append(BurdenTerm("vendor_onboarding", 2,
                                f"{vendor.name if vendor else candidate.vendor} supplies nothing "
                                "else in the estate: procurement, security review, support "
                                "contract"))
    if current is None or current.id != candidate.id:
        terms += exposure_terms(estate, system, candidate, as_of, catalogue,
                                include_gp10=country is None)
    if country is not None:
        terms += export_terms(estate, system, candidate, country, as_of, catalogue)
    return Burden(tuple(terms))


def site_move(estate: Estate, system: System, current: Site | None, candidate: Site,
              as_of: date, catalogue: Catalogue, known_vendors: frozenset[str],
              export: bool = True) -> Burden:
    """Burden of moving ``system`` from ``current`` to ``candidate`` (``export=False`` leaves
    out the export terms of its current accelerators, e.g. when they may be replaced too)."""
    if current is not None and current.id == candidate.id:
        return Burden(())
    terms = [BurdenTerm("migration", 2, f"move from {current.id if current else 'no site'} to "
                        f"{candidate.id}: redeploy, move data, cut over")]
    holder = cloud_holder(candidate, catalogue, estate)
    if holder.vendor is not None and holder.vendor.id not in known_vendors:
        terms.append(BurdenTerm("provider_onboarding", 2,
                                f"{holder.vendor.name} is not used in the estate yet"))
    if current is None or current.country != candidate.country:
        terms.append(BurdenTerm("country_change", 3,
                                f"hosting country {current.country if current else '?'} -> "
                                f"{candidate.country}: localisation and transfer rules change"))
    if export and (current is None or current.country != candidate.country):
        stack = system_stack(estate, system, catalogue)
        for holder_acc in stack.layer(StackLayer.ACCELERATOR):
            if holder_acc.product is not None:
                terms += export_terms(estate, system, holder_acc.product, candidate.country,
                                      as_of, catalogue)
    return Burden(tuple(terms))


def model_switch(estate: Estate, system: System, current: Product, candidate: Product,
                 country: str | None, as_of: date, catalogue: Catalogue,
                 known_vendors: frozenset[str], fine_tuned: bool) -> Burden:
    """Burden of replacing model family ``current`` by ``candidate`` in ``system``.

    Terms: ``model_replacement`` (3: re-prompt, re-evaluate, re-approve), ``retrain_finetune``
    (3, when the system runs an in-house fine-tune), ``deployment_change`` (2, open weights <->
    hosted API), ``vendor_onboarding`` (2), ``export_exposure`` (1, an Entity-Listed developer
    for a US-linked user) and ``jurisdiction_fit`` (1, weights from another bloc than the hosting
    country's).
    """
    if candidate.id == current.id:
        return Burden(())
    vendor = catalogue.vendors.get(candidate.vendor)
    terms = [BurdenTerm("model_replacement", 3, "re-prompt, re-evaluate and re-approve the "
                        f"system on {candidate.name}")]
    if fine_tuned:
        terms.append(BurdenTerm("retrain_finetune", 3, "the in-house fine-tune must be "
                                f"retrained on a {candidate.name} base"))
    if candidate.open_weights != current.open_weights:
        terms.append(BurdenTerm("deployment_change", 2, "open weights <-> hosted API: "
                                "serving stack and data flows change"))
    if candidate.vendor not in known_vendors:
        terms.append(BurdenTerm("vendor_onboarding", 2, f"{vendor.name if vendor else '?'} "
                                "supplies nothing else in the estate"))
    terms += exposure_terms(estate, system, candidate, as_of, catalogue, include_gp10=True)
    if vendor is not None and country and vendor.bloc != bloc_of(country):
        terms.append(BurdenTerm("jurisdiction_fit", 1, f"weights from the "
                                f"{vendor.bloc.value} bloc, hosted in {country}"))
    return Burden(tuple(terms))
