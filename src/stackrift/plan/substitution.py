"""Replacing an accelerator replaces the stack that depends on it, from catalogue data.

An accelerator needs its runtime; runtime libraries (cuDNN, NCCL) and framework adapters
(``torch_npu`` on CANN) need that runtime in turn. Swapping the accelerator therefore swaps the
runtime and every component that requires the old one: each is replaced by a catalogued product
that requires the new runtime (same equivalence class, or an adapter of the same framework),
dropped when nothing is needed any more (the framework runs natively on the new runtime, or the
library has no counterpart to keep), or - when neither is possible - the substitution is
*inconsistent* and must not be proposed. A candidate without a catalogued runtime is
inconsistent too: its stack is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from stackrift.catalog.catalogue import Catalogue
from stackrift.catalog.model import Layer, Product
from stackrift.estate.model import Component, Estate, System
from stackrift.findings import Citation
from stackrift.plan.burden import BurdenTerm, runtime_of, runtime_support


@dataclass(frozen=True)
class Replacement:
    """One dependent component and what takes its place (``None``: it is dropped)."""

    component: Component
    old: Product
    new: Product | None
    why: str

    def describe(self) -> str:
        target = self.new.name if self.new else "dropped"
        return f"{self.old.name} -> {target} ({self.why})"


@dataclass(frozen=True)
class StackSwap:
    """What swapping ``old`` for ``new`` does to a system's dependent stack."""

    old: Product | None
    new: Product
    old_runtime: Product | None
    new_runtime: Product | None
    replacements: tuple[Replacement, ...] = ()
    gaps: tuple[str, ...] = ()  # why the stack cannot be rebuilt; empty when consistent
    sources: tuple[Citation, ...] = ()  # where the facts behind the gaps come from

    @property
    def consistent(self) -> bool:
        return not self.gaps

    @property
    def runtime_changes(self) -> bool:
        return (self.old_runtime.id if self.old_runtime else None) != (
            self.new_runtime.id if self.new_runtime else None)


def _requires_runtime(product: Product, runtime: Product, catalogue: Catalogue) -> bool:
    """Whether ``product`` needs ``runtime``, directly or through what it requires."""
    seen: set[str] = set()
    todo = list(product.requires)
    while todo:
        current = todo.pop()
        if current == runtime.id:
            return True
        if current in seen:
            continue
        seen.add(current)
        required = catalogue.products.get(current)
        if required is not None:
            todo += required.requires
    return False


def _adapter_for(product: Product, new_rt: Product, catalogue: Catalogue
                 ) -> tuple[Product | None, str, bool]:
    """For a framework adapter of the old runtime: (replacement, reason, possible)."""
    bases = [catalogue.products[r] for r in product.requires
             if r in catalogue.products and catalogue.products[r].layer == Layer.FRAMEWORK]
    base = bases[0] if bases else None
    if base is None:
        return None, f"{product.name} adapts no catalogued framework", False
    support = runtime_support().get(new_rt.id, {}).get(base.id)
    if support is not None and support.level == "native":
        return None, f"{base.name} runs natively on {new_rt.name} ({support.via})", True
    found = sorted((p for p in catalogue.products.values()
                    if base.id in p.requires and new_rt.id in p.requires),
                   key=lambda p: p.id)
    if found:
        return found[0], f"{base.name} adapter for {new_rt.name}", True
    how = f" (needs {support.via})" if support is not None else ""
    return None, (f"no catalogued adapter runs {base.name} on {new_rt.name}{how}"), False


def _counterpart(product: Product, new_rt: Product, catalogue: Catalogue
                 ) -> tuple[Product | None, str, bool]:
    """For a runtime library or engine tied to the old runtime: (replacement, reason, ok)."""
    if product.equivalence_class is None:
        return None, f"{product.name} comes with the old runtime; {new_rt.name} brings its own", \
            True
    candidates = sorted((p for p in catalogue.equivalents(product)
                         if new_rt.id in p.requires), key=lambda p: p.id)
    if candidates:
        return candidates[0], f"{product.equivalence_class} for {new_rt.name}", True
    return None, (f"no catalogued {product.equivalence_class} product runs on {new_rt.name} "
                  f"to replace {product.name}"), False


def plan_swap(estate: Estate, system: System, old: Product | None, new: Product,
              catalogue: Catalogue) -> StackSwap:
    """The consistent stack after replacing accelerator ``old`` by ``new`` in ``system``."""
    old_rt = runtime_of(old, catalogue) if old is not None else None
    new_rt = runtime_of(new, catalogue)
    if old is not None and old.id == new.id:
        return StackSwap(old, new, old_rt, new_rt)
    if new_rt is None:
        return StackSwap(old, new, old_rt, None,
                         gaps=(f"no runtime is catalogued for {new.name}: its software stack "
                               "is unknown",),
                         sources=(*new.sources, _catalogue_record(new)))
    if old_rt is None or old_rt.id == new_rt.id:
        return StackSwap(old, new, old_rt, new_rt)
    replacements: list[Replacement] = []
    gaps: list[str] = []
    sources: list[Citation] = []
    table = runtime_support().get(new_rt.id, {})
    for ref in system.components:
        component = estate.component(ref)
        product = catalogue.resolve(component).product if component is not None else None
        if component is None or product is None or product.id in (old.id if old else "",
                                                                   old_rt.id):
            continue
        if _requires_runtime(product, old_rt, catalogue):
            if product.layer == Layer.FRAMEWORK and any(
                    catalogue.products.get(r) is not None
                    and catalogue.products[r].layer == Layer.FRAMEWORK for r in product.requires):
                target, why, ok = _adapter_for(product, new_rt, catalogue)
            else:
                target, why, ok = _counterpart(product, new_rt, catalogue)
            if ok:
                replacements.append(Replacement(component, product, target, why))
            else:
                gaps.append(why)
                sources.append(_support_source(new_rt, product, catalogue))
        elif product.layer == Layer.FRAMEWORK:
            support = table.get(product.id)
            if support is not None and support.level == "unsupported":
                gaps.append(f"{product.name} does not run on {new_rt.name} ({support.via})")
                sources.append(Citation(source="StackRift runtime-support table",
                                        section=f"{new_rt.id} / {product.id}", url=support.source))
    return StackSwap(old, new, old_rt, new_rt, tuple(replacements), tuple(gaps),
                     tuple(dict.fromkeys(sources)))


def _catalogue_record(product: Product) -> Citation:
    return Citation(source="StackRift provenance catalogue",
                    section=f"product {product.id}: requires "
                    f"[{', '.join(product.requires) or 'none recorded'}]")


def _support_source(new_rt: Product, product: Product, catalogue: Catalogue) -> Citation:
    """The support-table entry (or the catalogue's records) a stack gap rests on."""
    bases = [r for r in product.requires if r in catalogue.products
             and catalogue.products[r].layer == Layer.FRAMEWORK]
    support = runtime_support().get(new_rt.id, {}).get(bases[0]) if bases else None
    if support is not None:
        return Citation(source="StackRift runtime-support table",
                        section=f"{new_rt.id} / {bases[0]}: {support.level} via {support.via}",
                        url=support.source)
    return Citation(source="StackRift provenance catalogue",
                    section=f"no product requires both {', '.join(bases) or product.id} and "
                    f"{new_rt.id}")


def stack_terms(swap: StackSwap) -> tuple[BurdenTerm, ...]:
    """Burden of rebuilding the dependent stack: 1 per component replaced by another product."""
    return tuple(BurdenTerm("stack_rebuild", 1, f"{r.old.name} -> {r.new.name}: install and "
                            "validate the counterpart") for r in swap.replacements if r.new)
