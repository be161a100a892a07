"""The estate's dependency graph: systems -> components -> products -> vendors, sites -> providers.

A system is *disabled* by the loss of a set of nodes when, in some essential layer, every one of
its dependencies in that layer reaches a lost node. Concentration uses this to find single points
of failure; stress tests use it to propagate shocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stackrift.catalog.catalogue import Catalogue
from stackrift.estate.model import ComponentType, Estate
from stackrift.plan.stack import ESSENTIAL_LAYERS, StackLayer, SystemStack, system_stack

if TYPE_CHECKING:
    import networkx as nx

Node = tuple[str, str]  # (kind, id): system, component, product, vendor, site, country


def vendor_node(vendor_id: str) -> Node:
    return ("vendor", vendor_id)


def product_node(product_id: str) -> Node:
    return ("product", product_id)


def site_node(site_id: str) -> Node:
    return ("site", site_id)


@dataclass(frozen=True)
class Disabled:
    """Why a system is disabled: the layer left without any working dependency."""

    system: str
    layer: StackLayer
    via: tuple[str, ...]  # the layer's dependencies, all of which reach a lost node


class EstateGraph:
    """Dependency graph of an estate with, per system, its essential-layer entry points."""

    def __init__(self, estate: Estate, catalogue: Catalogue) -> None:
        import networkx as nx  # only stress tests build the graph; the planner never does

        self.estate = estate
        self.graph: nx.DiGraph = nx.DiGraph()
        self.stacks: dict[str, SystemStack] = {}
        self.entries: dict[str, dict[StackLayer, list[Node]]] = {}
        for system in estate.systems:
            stack = system_stack(estate, system, catalogue)
            self.stacks[system.id] = stack
            entries: dict[StackLayer, list[Node]] = {}
            snode: Node = ("system", system.id)
            self.graph.add_node(snode)
            for holder in stack.holders:
                if holder.layer not in ESSENTIAL_LAYERS or holder.layer == StackLayer.CLOUD:
                    continue
                if holder.component is None:
                    continue
                cnode: Node = ("component", holder.component.id)
                self.graph.add_edge(snode, cnode)
                entries.setdefault(holder.layer, []).append(cnode)
                if holder.layer == StackLayer.MODEL and not _served_by_vendor(holder):
                    continue  # open weights held in-house: the vendor cannot take them back
                if holder.product is not None:
                    self._add_product(holder.product.id, catalogue)
                    self.graph.add_edge(cnode, product_node(holder.product.id))
                else:
                    self.graph.add_edge(cnode, vendor_node(holder.key))
            if stack.site is not None:
                site = stack.site
                sn = site_node(site.id)
                self.graph.add_edge(snode, sn)
                cloud = stack.layer(StackLayer.CLOUD)[0]
                self.graph.add_edge(sn, vendor_node(cloud.key))
                self.graph.add_edge(sn, ("country", site.country))
                entries[StackLayer.CLOUD] = [sn]
            self.entries[system.id] = entries
        self._reach: dict[Node, frozenset[Node]] = {}

    def _add_product(self, product_id: str, catalogue: Catalogue) -> None:
        pnode = product_node(product_id)
        if pnode in self.graph and self.graph.out_degree(pnode):
            return
        product = catalogue.products.get(product_id)
        if product is None:
            return
        self.graph.add_edge(pnode, vendor_node(product.vendor))
        for required in product.requires:
            self.graph.add_edge(pnode, product_node(required))
            self._add_product(required, catalogue)

    def reach(self, node: Node) -> frozenset[Node]:
        """The node and everything it depends on."""
        if node not in self._reach:
            from networkx import descendants

            self._reach[node] = frozenset({node} | descendants(self.graph, node))
        return self._reach[node]

    def disabled_by(self, lost: Iterable[Node]) -> dict[str, Disabled]:
        """Systems disabled when every node in ``lost`` is gone (keyed by system id)."""
        lost_set = frozenset(lost)
        result: dict[str, Disabled] = {}
        for system_id, entries in sorted(self.entries.items()):
            for layer in ESSENTIAL_LAYERS:
                nodes = entries.get(layer, [])
                if nodes and all(self.reach(n) & lost_set for n in nodes):
                    result[system_id] = Disabled(system_id, layer, tuple(n[1] for n in nodes))
                    break
        return result

    def candidates(self) -> list[Node]:
        """Nodes whose loss is worth testing: vendors (incl. cloud providers) and products."""
        return sorted(n for n in self.graph.nodes if n[0] in ("vendor", "product")
                      and not n[1].startswith("on-prem:"))


def _served_by_vendor(holder: object) -> bool:
    component = getattr(holder, "component", None)
    product = getattr(holder, "product", None)
    if component is not None and component.type == ComponentType.CLOUD_SERVICE:
        return True
    return product is not None and product.open_weights is False


def single_points_of_failure(graph: EstateGraph) -> Mapping[Node, dict[str, Disabled]]:
    """Every candidate node whose loss alone disables at least one system."""
    found: dict[Node, dict[str, Disabled]] = {}
    for node in graph.candidates():
        disabled = graph.disabled_by([node])
        if disabled:
            found[node] = disabled
    return found
