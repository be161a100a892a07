"""Provenance: where every layer of every AI system comes from, and which of it is restricted.

Each component is resolved against the provenance catalogue (purl, Hugging Face organisation, CPE,
vendor or product name, supplier country; strongest evidence first). Model weights take the origin
of the root of their base-model lineage, so a fine-tune of a Chinese base model published by a US
team counts as Chinese weights. The cloud layer is the site's provider (or its local operator) and
the country the data sits in.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from stackrift.analyses._provenance_policies import (
    BLOC_ORDER,
    NAME,
    UNVERIFIED,
    Policy,
    Scope,
    component_policies,
    layer_label,
    site_policies,
    system_policies,
)
from stackrift.analyses.base import AnalysisContext, AnalysisResult, register
from stackrift.catalog.catalogue import Catalogue, LineageStep, Resolution, SiteResolution
from stackrift.catalog.model import Layer, StackLayer, bloc_of
from stackrift.estate.loader import LoadedEstate
from stackrift.estate.model import Bloc, Component, ComponentType, Estate, System
from stackrift.findings import Finding
from stackrift.summaries import BarChart, Table, summary_json

REPORTED_LAYERS = (
    StackLayer.ACCELERATOR,
    StackLayer.RUNTIME,
    StackLayer.FRAMEWORK,
    StackLayer.MODEL,
    StackLayer.CLOUD,
)

_BY_PRODUCT_LAYER = {
    Layer.ACCELERATOR: StackLayer.ACCELERATOR,
    Layer.RUNTIME: StackLayer.RUNTIME,
    Layer.FRAMEWORK: StackLayer.FRAMEWORK,
    Layer.LIBRARY: StackLayer.FRAMEWORK,
    Layer.MODEL: StackLayer.MODEL,
    Layer.CLOUD: StackLayer.CLOUD,
    Layer.DATASET: StackLayer.OTHER,
}
_BY_TYPE = {
    ComponentType.ACCELERATOR: StackLayer.ACCELERATOR,
    ComponentType.DRIVER: StackLayer.RUNTIME,
    ComponentType.RUNTIME: StackLayer.RUNTIME,
    ComponentType.FIRMWARE: StackLayer.RUNTIME,
    ComponentType.FRAMEWORK: StackLayer.FRAMEWORK,
    ComponentType.LIBRARY: StackLayer.FRAMEWORK,
    ComponentType.MODEL: StackLayer.MODEL,
    ComponentType.CLOUD_SERVICE: StackLayer.CLOUD,
}


def layer_of(component: Component, resolution: Resolution) -> StackLayer:
    """The stack layer of a component: the catalogued product's layer, else its declared type."""
    if component.type is ComponentType.MODEL:
        return StackLayer.MODEL  # a model component is weights even when the family is a service
    if resolution.product is not None:
        return _BY_PRODUCT_LAYER[resolution.product.layer]
    return _BY_TYPE.get(component.type, StackLayer.OTHER)


@dataclass(frozen=True)
class ComponentProvenance:
    """One component's resolution and, for models, the origin of its weights."""

    component: Component
    resolution: Resolution
    layer: StackLayer
    lineage: tuple[LineageStep, ...]
    paths: tuple[tuple[LineageStep, ...], ...] = ()
    """Every lineage path to a root (a merge has several); ``lineage`` is the first."""

    @property
    def origin(self) -> Resolution:
        """Whose weights these are: the root of the lineage (the component itself otherwise)."""
        return self.lineage[-1].resolution if self.lineage else self.resolution

    @property
    def origins(self) -> tuple[Resolution, ...]:
        """The roots of every lineage path (one for a plain fine-tune, several for a merge)."""
        if not self.paths:
            return (self.origin,)
        return tuple(path[-1].resolution for path in self.paths)

    @property
    def is_model(self) -> bool:
        """Whether the component is model weights (placed by the origin of its weights)."""
        return self.layer is StackLayer.MODEL

    @property
    def bloc(self) -> Bloc:
        """The bloc this component counts for: weights origin for models, vendor otherwise."""
        return self.origin.bloc if self.is_model else self.resolution.bloc

    @property
    def blocs(self) -> tuple[Bloc, ...]:
        """Every bloc the component draws on (all weight origins for a merged model)."""
        if not self.is_model:
            return (self.resolution.bloc,)
        found = {o.bloc for o in self.origins}
        return tuple(b for b in BLOC_ORDER if b in found)


@dataclass(frozen=True)
class SystemProvenance:
    """Blocs per layer for one system."""

    system: System
    site: SiteResolution | None
    components: tuple[ComponentProvenance, ...]
    layers: dict[StackLayer, tuple[Bloc, ...]]

    @property
    def known_blocs(self) -> set[Bloc]:
        return {b for blocs in self.layers.values() for b in blocs if b is not Bloc.UNKNOWN}


def _cloud_bloc(site: SiteResolution) -> Bloc:
    """The bloc of the company whose law governs the hosting: the operator, else the provider."""
    company = site.operator or site.provider
    if company is not None:
        return company.bloc
    return bloc_of(site.country)  # on-prem: the host country's law


def _confidence(res: Resolution) -> str:
    """'unverified' when any catalogue fact the resolution rests on is weakly sourced."""
    if res.vendor is None:
        return "n/a"
    weak = [res.vendor.confidence, res.product.confidence if res.product else "verified"]
    citation = res.vendor.entity_list.citation
    if citation is not None:
        weak.append(citation.confidence)
    return UNVERIFIED if UNVERIFIED in weak else "verified"


def _users(systems: tuple[System, ...]) -> tuple[dict[str, list[System]], dict[str, list[System]]]:
    """The systems using each component, and those running at each site."""
    components: dict[str, list[System]] = defaultdict(list)
    sites: dict[str, list[System]] = defaultdict(list)
    for system in systems:
        for ref in system.components:
            components[ref].append(system)
        if system.site:
            sites[system.site].append(system)
    return components, sites


@register
class ProvenanceAnalysis:
    """Resolve every component and site; report blocs per layer, Entity List hits and lineage.

    The checks are policies (``_provenance_policies``): one per rule, composed per kind of
    subject; pass others to run a different set.
    """

    name: ClassVar[str] = NAME
    title: ClassVar[str] = "Provenance"
    order: ClassVar[int] = 10

    def __init__(
        self,
        components: Policy[ComponentProvenance] | None = None,
        sites: Policy[SiteResolution] | None = None,
        systems: Policy[SystemProvenance] | None = None,
    ) -> None:
        self.component_policy = components or component_policies()
        self.site_policy = sites or site_policies()
        self.system_policy = systems or system_policies()

    def run(self, estate: LoadedEstate, context: AnalysisContext) -> AnalysisResult:
        """Analyse the estate; deterministic and side-effect free."""
        data = estate.estate
        catalogue = context.catalogue
        components = {c.id: _component(c, data, catalogue) for c in data.components}
        sites = {s.id: catalogue.resolve_site(s) for s in data.sites}
        systems = [_system(s, components, sites) for s in data.systems]
        component_users, site_users = _users(data.systems)

        def scope(users: list[System]) -> Scope:
            return Scope(tuple(users), context.as_of, catalogue)

        findings: list[Finding] = []
        for cp in components.values():
            findings += self.component_policy.check(cp, scope(component_users[cp.component.id]))
        for site in data.sites:
            findings += self.site_policy.check(sites[site.id], scope(site_users[site.id]))
        for sp in systems:
            findings += self.system_policy.check(sp, scope([]))
        return AnalysisResult(
            tuple(sorted(findings, key=lambda f: f.sort_key())),
            _summary(components, sites, systems, context),
        )


# -- resolution ---------------------------------------------------------------------------------


def _component(component: Component, estate: Estate, catalogue: Catalogue) -> ComponentProvenance:
    resolution = catalogue.resolve(component)
    layer = layer_of(component, resolution)
    lineage: tuple[LineageStep, ...] = ()
    paths: tuple[tuple[LineageStep, ...], ...] = ()
    if component.type is ComponentType.MODEL:
        lineage = tuple(catalogue.lineage(component, estate.components))
        paths = tuple(tuple(p) for p in catalogue.lineages(component, estate.components))
    return ComponentProvenance(component, resolution, layer, lineage, paths)


def _system(
    system: System,
    components: dict[str, ComponentProvenance],
    sites: dict[str, SiteResolution],
) -> SystemProvenance:
    members = tuple(components[c] for c in system.components if c in components)
    layers: dict[StackLayer, set[Bloc]] = {layer: set() for layer in REPORTED_LAYERS}
    for cp in members:
        if cp.layer in layers:
            layers[cp.layer].update(cp.blocs)
    site = sites.get(system.site) if system.site else None
    if site is not None:
        layers[StackLayer.CLOUD].add(_cloud_bloc(site))
    ordered = {
        layer: tuple(b for b in BLOC_ORDER if b in blocs) for layer, blocs in layers.items()
    }
    return SystemProvenance(system, site, members, ordered)


# -- summary ------------------------------------------------------------------------------------


def _blocs_cell(blocs: tuple[Bloc, ...]) -> str:
    return ", ".join(b.value for b in blocs) if blocs else "-"


def _layer_table(systems: list[SystemProvenance]) -> Table:
    rows = []
    for sp in systems:
        site = sp.site
        hosting = (
            f"{site.provider.name if site.provider else site.evidence} ({site.country})"
            if site
            else "no site"
        )
        rows.append([
            sp.system.id,
            hosting,
            *(_blocs_cell(sp.layers[layer]) for layer in REPORTED_LAYERS),
            "yes" if len(sp.known_blocs) > 1 else "no",
        ])
    return Table.of("Layer blocs per system",
                    ["system", "hosting", *(layer_label(x) for x in REPORTED_LAYERS), "mixed"],
                    rows)


def _resolution_row(cp: ComponentProvenance, as_of: date) -> list[Any]:
    res = cp.resolution
    vendor = res.vendor
    status = vendor.entity_list.describe(as_of, vendor.as_of) if vendor else "vendor not catalogued"
    origin = cp.origin
    # Models are placed by the origin of their weights, everything else by its vendor.
    country = origin.country if cp.is_model else res.country
    weights = (
        f"; weights from {origin.vendor.name if origin.vendor else 'unknown'} "
        f"({origin.country or 'country unknown'}) via "
        f"{' -> '.join(s.reference for s in cp.lineage)}"
        if len(cp.lineage) > 1
        else ""
    )
    return [
        cp.component.id,
        layer_label(cp.layer),
        vendor.name if vendor else None,
        res.product.name if res.product else None,
        f"{cp.bloc.value} ({country or 'country unknown'})",
        res.evidence.value,
        res.detail + weights,
        status,
        _confidence(res),
    ]


def _resolution_table(components: dict[str, ComponentProvenance], as_of: date) -> Table:
    return Table.of("Component resolution",
                    ["component", "layer", "vendor", "product", "origin", "evidence", "detail",
                     "Entity List", "confidence"],
                    [_resolution_row(components[cid], as_of) for cid in sorted(components)])


def _site_table(sites: dict[str, SiteResolution]) -> Table:
    rows = [
        [
            sid,
            s.provider.name if s.provider else None,
            s.region.code if s.region else None,
            s.country,
            s.operator.name if s.operator else None,
            s.evidence.value,
        ]
        for sid, s in sorted(sites.items())
    ]
    return Table.of("Sites", ["site", "provider", "region", "country", "operator", "evidence"],
                    rows)


def _measures_table(context: AnalysisContext) -> Table:
    """Every catalogued trade measure with its status on the as-of date."""
    rows = [
        [m.id, m.authority, m.title, m.in_force_from.isoformat(),
         m.status_on(context.as_of).value, str(m.citation), m.confidence]
        for m in context.catalogue.data.measures
    ]
    return Table.of(
        f"Export-control measures on the AI supply chain, status on {context.as_of}",
        ["measure", "authority", "title", "from", "status", "source", "confidence"], rows)


def _bloc_chart(systems: list[SystemProvenance]) -> BarChart:
    counts: dict[Bloc, list[int]] = {b: [] for b in BLOC_ORDER}
    for sp in systems:
        tally = Counter(cp.bloc for cp in sp.components)
        for bloc in BLOC_ORDER:
            counts[bloc].append(tally.get(bloc, 0))
    return BarChart.of("Bloc composition per system", [sp.system.id for sp in systems],
                       [(bloc.value, values) for bloc, values in counts.items() if any(values)],
                       stacked=True)


def _summary(
    components: dict[str, ComponentProvenance],
    sites: dict[str, SiteResolution],
    systems: list[SystemProvenance],
    context: AnalysisContext,
) -> dict[str, Any]:
    evidence_counts = Counter(cp.resolution.evidence.value for cp in components.values())
    return {
        **summary_json(
            tables=[
                _layer_table(systems),
                _resolution_table(components, context.as_of),
                _site_table(sites),
                _measures_table(context),
            ],
            charts=[_bloc_chart(systems)]),
        "resolution": {
            "components": len(components),
            "resolved": sum(1 for cp in components.values() if cp.resolution.resolved),
            "by_evidence": dict(sorted(evidence_counts.items())),
        },
        "systems": {
            sp.system.id: {
                layer_label(layer): [b.value for b in sp.layers[layer]]
                for layer in REPORTED_LAYERS
            }
            for sp in systems
        },
    }
