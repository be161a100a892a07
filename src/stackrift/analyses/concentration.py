"""Supply-chain concentration: HHI per layer, single points of failure, export-control exposure.

The Herfindahl-Hirschman index is computed per layer over systems weighted by criticality
(low 1 ... critical 4); a system with several holders in one layer splits its weight equally among
them. HHI runs from 0 to 10,000; the US agencies' 2023 Merger Guidelines call a market with HHI
above 1,800 highly concentrated, which we use as the scale for findings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from stackrift.analyses.base import AnalysisContext, AnalysisResult, register
from stackrift.catalog.catalogue import Catalogue
from stackrift.catalog.model import ExportControl
from stackrift.estate.loader import LoadedEstate
from stackrift.estate.model import Bloc, Criticality, Estate
from stackrift.findings import Citation, Finding, Severity, Subject, SubjectKind, finding_id
from stackrift.plan.graph import Disabled, EstateGraph, Node, single_points_of_failure
from stackrift.plan.groups import DestinationMatch, covers
from stackrift.plan.stack import (
    CONCENTRATION_LAYERS,
    StackLayer,
    SystemStack,
    UsNexus,
    control_hits,
    entity_listed,
    headquarters_of,
    system_entity,
    us_nexus,
)
from stackrift.summaries import BarChart, Table, summary_json

NAME = "concentration"
HIGHLY_CONCENTRATED = 1800.0
MODERATELY_CONCENTRATED = 1000.0
MERGER_GUIDELINES = Citation(
    source="U.S. Department of Justice and Federal Trade Commission, Merger Guidelines (2023)",
    section="Guideline 1 and §2.1: HHI above 1,800 is highly concentrated",
    url="https://www.justice.gov/atr/2023-merger-guidelines")
GP10_CITATION = Citation(source="15 CFR 736.2(b)(10)", section="General Prohibition 10")
US_PERSON_CITATION = Citation(source="15 CFR 772.1", section="definition of 'U.S. person'")
LAYER_TITLES = {StackLayer.ACCELERATOR: "accelerator", StackLayer.RUNTIME: "runtime/driver",
                StackLayer.FRAMEWORK: "framework", StackLayer.MODEL: "model weights origin",
                StackLayer.CLOUD: "cloud provider", StackLayer.COUNTRY: "hosting country"}
BLOCS = (Bloc.US, Bloc.CN, Bloc.EU, Bloc.OTHER, Bloc.UNKNOWN)


@dataclass(frozen=True)
class LayerConcentration:
    """Weighted shares and HHI of one layer."""

    layer: StackLayer
    vendor_shares: dict[str, float]  # key -> share (0..1)
    vendor_labels: dict[str, str]
    vendor_blocs: dict[str, Bloc]
    bloc_shares: dict[Bloc, float]
    systems: int

    @property
    def hhi_vendor(self) -> float:
        return hhi(self.vendor_shares.values())

    @property
    def hhi_bloc(self) -> float:
        return hhi(self.bloc_shares.values())

    def top(self) -> tuple[str, float] | None:
        if not self.vendor_shares:
            return None
        key = min(self.vendor_shares, key=lambda k: (-self.vendor_shares[k], k))
        return key, self.vendor_shares[key]


def hhi(shares: Iterable[float]) -> float:
    """Herfindahl-Hirschman index of shares given as fractions (0..10,000)."""
    return round(sum((100.0 * s) ** 2 for s in shares), 1)


def layer_concentration(stacks: list[SystemStack], layer: StackLayer) -> LayerConcentration:
    """Criticality-weighted vendor and bloc shares of one layer over all systems."""
    weights: dict[str, float] = defaultdict(float)
    labels: dict[str, str] = {}
    blocs: dict[str, Bloc] = {}
    counted = 0
    for stack in stacks:
        holders = {h.key: h for h in stack.layer(layer)}
        if not holders:
            continue
        counted += 1
        weight = Criticality(stack.system.criticality).weight / len(holders)
        for key, holder in holders.items():
            weights[key] += weight
            labels[key] = holder.label
            blocs[key] = holder.bloc
    total = sum(weights.values())
    shares = {k: w / total for k, w in sorted(weights.items())} if total else {}
    bloc_shares: dict[Bloc, float] = defaultdict(float)
    for key, share in shares.items():
        bloc_shares[blocs[key]] += share
    return LayerConcentration(layer, shares, labels, blocs, dict(bloc_shares), counted)


def _pct(value: float) -> float:
    return round(100.0 * value, 1)


@register
class ConcentrationAnalysis:
    """Supply-chain concentration, single points of failure and export-control exposure."""

    name: ClassVar[str] = NAME
    title: ClassVar[str] = "Supply-chain concentration"
    order: ClassVar[int] = 50

    def run(self, estate: LoadedEstate, context: AnalysisContext) -> AnalysisResult:
        graph = EstateGraph(estate.estate, context.catalogue)
        stacks = [graph.stacks[s.id] for s in estate.estate.systems]
        layers = [layer_concentration(stacks, layer) for layer in CONCENTRATION_LAYERS]
        findings: list[Finding] = []
        findings += _hhi_findings(layers)
        spof_rows, spof_findings = _spofs(estate.estate, graph, context.catalogue)
        findings += spof_findings
        export_rows, export_findings = _export_exposure(estate.estate, stacks, context.as_of)
        findings += export_findings
        gp10_rows, gp10_findings = _gp10_exposure(estate.estate, stacks, context.as_of)
        findings += gp10_findings
        listed_rows = _entity_listed(stacks, context.as_of)
        summary = _summary(layers, spof_rows, export_rows, gp10_rows, listed_rows, context.as_of)
        return AnalysisResult(tuple(findings), summary)


def _hhi_findings(layers: list[LayerConcentration]) -> list[Finding]:
    findings = []
    for lc in layers:
        top = lc.top()
        if top is None or lc.hhi_vendor <= MODERATELY_CONCENTRATED:
            continue
        high = lc.hhi_vendor > HIGHLY_CONCENTRATED
        key, share = top
        title = LAYER_TITLES[lc.layer]
        findings.append(Finding(
            id=finding_id(NAME, "layer-hhi", lc.layer.value), analysis=NAME,
            rule="highly-concentrated-layer" if high else "moderately-concentrated-layer",
            severity=Severity.MEDIUM if high else Severity.LOW,
            title=f"{title.capitalize()} layer is {'highly' if high else 'moderately'} "
                  f"concentrated (HHI {lc.hhi_vendor:,.0f}); {lc.vendor_labels[key]} holds "
                  f"{_pct(share)}%",
            subject=Subject(kind=SubjectKind.ESTATE, id="estate", name=title),
            evidence={"layer": lc.layer.value, "hhi_vendor": lc.hhi_vendor,
                      "hhi_bloc": lc.hhi_bloc, "systems_counted": lc.systems,
                      "vendor_shares_pct": {lc.vendor_labels[k]: _pct(v)
                                            for k, v in lc.vendor_shares.items()},
                      "bloc_shares_pct": {b.value: _pct(v) for b, v in
                                          sorted(lc.bloc_shares.items())},
                      "weighting": "system criticality (low 1, medium 2, high 3, critical 4)"},
            recommendation="Qualify a second supplier for this layer on the most critical systems "
                           "so that one vendor's loss does not stop them.",
            citations=(MERGER_GUIDELINES,)))
    return findings


def _node_label(node: Node, catalogue: Catalogue) -> str:
    kind, key = node
    if kind == "vendor" and key in catalogue.vendors:
        return catalogue.vendors[key].name
    if kind == "product" and key in catalogue.products:
        product = catalogue.products[key]
        vendor = catalogue.vendors.get(product.vendor)
        return f"{vendor.name + ' ' if vendor else ''}{product.name}"
    return key.removeprefix("unresolved:")


def _spofs(estate: Estate, graph: EstateGraph, catalogue: Catalogue
           ) -> tuple[list[list[Any]], list[Finding]]:
    important = {Criticality.HIGH, Criticality.CRITICAL}
    found = single_points_of_failure(graph)
    rows: list[list[Any]] = []
    findings: list[Finding] = []
    vendor_sets = {n[1]: frozenset(d) for n, d in found.items() if n[0] == "vendor"}
    for node, disabled in found.items():
        hit = {s: d for s, d in disabled.items()
               if Criticality(graph.stacks[s].system.criticality) in important}
        if not hit:
            continue
        if node[0] == "product":
            product = catalogue.products.get(node[1])
            if product is not None and vendor_sets.get(product.vendor) == frozenset(disabled):
                continue  # the vendor's finding already names this product's systems
        label = _node_label(node, catalogue)
        critical = [s for s in hit if graph.stacks[s].system.criticality == Criticality.CRITICAL]
        severity = Severity.HIGH if critical or len(hit) >= 2 else Severity.MEDIUM
        names = ", ".join(sorted(hit))
        rows.append([label, node[0], len(disabled), names,
                     "; ".join(f"{d.system}: {d.layer.value}" for d in disabled.values())])
        findings.append(Finding(
            id=finding_id(NAME, "single-point-of-failure", node[0], node[1]), analysis=NAME,
            rule="single-point-of-failure", severity=severity,
            title=f"Single point of failure: losing {label} disables {len(hit)} critical/high "
                  f"system(s) ({names})",
            subject=Subject(kind=SubjectKind.ESTATE, id="estate", name=label),
            evidence={"node": {"kind": node[0], "id": node[1]},
                      "disabled": [_disabled_json(d, graph) for d in disabled.values()]},
            recommendation="Give these systems a second, independent option in the named layer "
                           "(another vendor's accelerator, another region or provider).",
            related=tuple(Subject(kind=SubjectKind.SYSTEM, id=s) for s in sorted(hit))))
    rows.sort(key=lambda r: (-r[2], r[0]))
    return rows, findings


def _disabled_json(d: Disabled, graph: EstateGraph) -> dict[str, Any]:
    system = graph.stacks[d.system].system
    return {"system": d.system, "criticality": Criticality(system.criticality).value,
            "layer": d.layer.value, "depends_only_on": list(d.via)}


def _export_exposure(estate: Estate, stacks: list[SystemStack], as_of: date
                     ) -> tuple[list[list[Any]], list[Finding]]:
    rows: list[list[Any]] = []
    findings: list[Finding] = []
    for stack in stacks:
        country = stack.country
        if country is None:
            continue
        for holder in stack.layer(StackLayer.ACCELERATOR):
            if holder.product is None or holder.component is None:
                continue
            headquarters = headquarters_of(estate, system_entity(estate, stack.system))
            for hit in control_hits(holder.product, country, as_of, headquarters):
                if hit.gp10:
                    continue
                control = hit.control
                licensed = control.id in stack.system.export_licences
                rows.append([stack.system.id, holder.component.id, holder.label + " " +
                             holder.product.name, control.eccn or control.regime, control.id,
                             hit.match.describe(country), "held" if licensed else "none declared",
                             str(control.licence_required_from or ""), str(control.citation),
                             as_of.isoformat()])
                findings.append(Finding(
                    id=finding_id(NAME, "export-controlled-destination", stack.system.id,
                                  holder.component.id, control.id),
                    analysis=NAME, rule="export-controlled-destination",
                    severity=Severity.INFO if licensed else Severity.HIGH,
                    title=f"{holder.product.name} ({control.eccn or control.id}) is used in "
                          f"{country}, a licence-required destination"
                          + (" (licence held)" if licensed else ", and no licence is declared"),
                    subject=Subject(kind=SubjectKind.SYSTEM, id=stack.system.id,
                                    name=stack.system.name, field="site"),
                    evidence={"component": holder.component.id, "product": holder.product.id,
                              "control": control.id, "eccn": control.eccn,
                              "destination": country, "matched": list(hit.match.entries),
                              "licence_required_from": str(control.licence_required_from),
                              "licence_held": licensed, "as_of": as_of.isoformat(),
                              **_review_evidence(control, country, as_of, hit.match)},
                    recommendation="Confirm the licence or licence exception covering this "
                                   "installation, or plan a substitute that is not controlled "
                                   "there (stackrift plan).",
                    citations=(control.citation, *hit.match.citations),
                    related=(Subject(kind=SubjectKind.COMPONENT, id=holder.component.id),)))
    return rows, findings


def _review_evidence(control: ExportControl, country: str, as_of: date,
                     match: DestinationMatch) -> dict[str, Any]:
    """The licence review policy in force, and the headquarters country when that matched."""
    out: dict[str, Any] = {}
    if match.headquarters is not None:
        out["matched_by_headquarters"] = match.headquarters
    policy = control.review_policy_on(match.headquarters or country, as_of, covers)
    if policy is not None:
        out["review_policy"] = policy.policy
        out["review_policy_from"] = policy.in_force_from.isoformat()
        if policy.conditions:
            out["review_policy_conditions"] = policy.conditions
        out["review_policy_source"] = str(policy.citation)
    return out


def _gp10_exposure(estate: Estate, stacks: list[SystemStack], as_of: date
                   ) -> tuple[list[list[Any]], list[Finding]]:
    rows: list[list[Any]] = []
    findings: list[Finding] = []
    severity = {UsNexus.US_PERSON: Severity.HIGH, UsNexus.US_CONTROLLED: Severity.MEDIUM,
                UsNexus.NONE: Severity.LOW}
    for stack in stacks:
        for holder in stack.layer(StackLayer.ACCELERATOR):
            if holder.product is None or holder.component is None:
                continue
            for hit in control_hits(holder.product, stack.country or "ZZ", as_of):
                if not hit.gp10:
                    continue
                entity_id = system_entity(estate, stack.system)
                nexus = us_nexus(estate, entity_id)
                rows.append([stack.system.id, holder.component.id, holder.product.name,
                             entity_id or "unknown", nexus.value, str(hit.control.citation),
                             as_of.isoformat()])
                findings.append(Finding(
                    id=finding_id(NAME, "gp10-risk", stack.system.id, holder.component.id),
                    analysis=NAME, rule="gp10-risk", severity=severity[nexus],
                    title=f"{holder.product.name} used by {entity_id or 'an unknown entity'} "
                          f"({nexus.value.replace('_', ' ')}): General Prohibition 10 risk",
                    subject=Subject(kind=SubjectKind.SYSTEM, id=stack.system.id,
                                    name=stack.system.name, field="components"),
                    evidence={"component": holder.component.id, "product": holder.product.id,
                              "entity": entity_id, "us_nexus": nexus.value,
                              "control": hit.control.id, "as_of": as_of.isoformat(),
                              "definition": "us_person: entity organised in the US; "
                                            "us_controlled: >=50% held by US entities through "
                                            "the parent chain"},
                    recommendation="Ask counsel whether the use, servicing or financing of these "
                                   "chips involves a US person; plan a substitute otherwise.",
                    citations=(hit.control.citation, GP10_CITATION, US_PERSON_CITATION),
                    related=(Subject(kind=SubjectKind.COMPONENT, id=holder.component.id),)))
    return rows, findings


def _entity_listed(stacks: list[SystemStack], as_of: date) -> list[list[Any]]:
    rows = []
    for stack in stacks:
        for holder in stack.holders:
            vendor = holder.vendor
            if holder.component is None or vendor is None or not entity_listed(vendor, as_of):
                continue
            status = vendor.entity_list
            rows.append([stack.system.id, holder.component.id, holder.layer.value, vendor.name,
                         str(status.since or "unknown"),
                         str(status.citation) if status.citation else "not recorded",
                         as_of.isoformat()])
    return rows


def _summary(layers: list[LayerConcentration], spof_rows: list[list[Any]],
             export_rows: list[list[Any]], gp10_rows: list[list[Any]],
             listed_rows: list[list[Any]], as_of: date) -> dict[str, Any]:
    labels = [LAYER_TITLES[lc.layer] for lc in layers]
    tables = [
        Table.of("Concentration per layer (criticality-weighted HHI, 0-10,000)",
                 ["layer", "HHI by vendor", "HHI by bloc", "largest holder", "share %",
                  "systems counted"],
                 [[LAYER_TITLES[lc.layer], lc.hhi_vendor, lc.hhi_bloc,
                   lc.vendor_labels[t[0]] if (t := lc.top()) else None,
                   _pct(t[1]) if t else None, lc.systems] for lc in layers]),
        Table.of("Vendor shares per layer", ["layer", "vendor", "bloc", "share %"],
                 [[LAYER_TITLES[lc.layer], lc.vendor_labels[k], lc.vendor_blocs[k].value,
                   _pct(v)]
                  for lc in layers for k, v in sorted(lc.vendor_shares.items(),
                                                      key=lambda kv: (-kv[1], kv[0]))]),
        Table.of("Single points of failure (loss disables critical/high systems)",
                 ["vendor or product", "kind", "systems disabled", "critical/high systems",
                  "layer left without an alternative"], spof_rows),
        Table.of(f"Export-controlled accelerators in licence-required destinations (as of "
                 f"{as_of})",
                 ["system", "component", "product", "ECCN/regime", "control", "destination",
                  "licence", "licence required from", "citation", "as of"], export_rows),
        Table.of(f"General Prohibition 10 risk (Ascend 910B/C/D) (as of {as_of})",
                 ["system", "component", "product", "using entity", "US nexus", "citation",
                  "as of"], gp10_rows),
        Table.of(f"Components from Entity-Listed vendors (as of {as_of})",
                 ["system", "component", "layer", "vendor", "listed since", "citation", "as of"],
                 listed_rows)]
    charts = [
        BarChart.of("HHI per layer (by vendor and by bloc)", labels,
                    [("by vendor", [lc.hhi_vendor for lc in layers]),
                     ("by bloc", [lc.hhi_bloc for lc in layers])], stacked=False),
        BarChart.of("Bloc shares per layer (%, criticality-weighted)", labels,
                    [(bloc.value, [_pct(lc.bloc_shares.get(bloc, 0.0)) for lc in layers])
                     for bloc in BLOCS], stacked=True)]
    return {**summary_json(tables=tables, charts=charts),
            "hhi": {lc.layer.value: {"vendor": lc.hhi_vendor, "bloc": lc.hhi_bloc,
                                     "systems": lc.systems} for lc in layers},
            "single_points_of_failure": [r[0] for r in spof_rows]}
