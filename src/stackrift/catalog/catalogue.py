"""The provenance catalogue: loading the packaged data and resolving components against it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from stackrift.catalog.cache import cache_key, read_cached, write_cached
from stackrift.catalog.index import build_index, purl_base
from stackrift.catalog.model import (
    CatalogueData,
    CloudRegion,
    Product,
    Vendor,
    bloc_of,
)
from stackrift.catalog.names import name_keys, strip_suffixes
from stackrift.catalog.names import norm as _norm
from stackrift.errors import InvalidInputError, Problem, combine
from stackrift.estate.loader import validation_error
from stackrift.estate.model import Bloc, Component, ComponentType, Site, SiteKind
from stackrift.estate.yamlsource import LocatedDocument, load_located


class Evidence(StrEnum):
    """Which evidence decided a component's resolution, strongest first."""

    PURL = "purl"
    HF_ORG = "hf-org"
    CPE = "cpe"
    VENDOR_NAME = "vendor-name"
    PRODUCT_NAME = "product-name"
    SUPPLIER_COUNTRY = "supplier-country"
    NONE = "none"


class SiteEvidence(StrEnum):
    """What placed a site: its catalogued region, its provider only, its declaration, or none."""

    REGION = "region"
    PROVIDER = "provider"
    ON_PREM = "on-prem"
    NONE = "none"


@dataclass(frozen=True)
class Resolution:
    """What the catalogue knows about one component, and which evidence decided it."""

    component_id: str
    vendor: Vendor | None
    product: Product | None
    evidence: Evidence
    detail: str
    country: str | None

    @property
    def resolved(self) -> bool:
        return self.vendor is not None

    @property
    def bloc(self) -> Bloc:
        return bloc_of(self.country)


@dataclass(frozen=True)
class LineageStep:
    """One model in a base-model chain: the reference as written and what it resolved to."""

    reference: str
    resolution: Resolution


@dataclass(frozen=True)
class SiteResolution:
    """Where a site is, who provides it and who operates it, as far as the catalogue knows.

    ``country`` is where the data sits: the catalogued region's country when the region is known,
    else the country the estate declares. ``operator`` is the local operator when it differs from
    the provider (e.g. NWCD for AWS cn-northwest-1), else the provider itself. ``notes`` lists
    disagreements between the estate and the catalogue.
    """

    site_id: str
    kind: SiteKind
    region: CloudRegion | None
    provider: Vendor | None
    operator: Vendor | None
    country: str
    evidence: SiteEvidence
    detail: str
    notes: tuple[str, ...] = ()

    @property
    def local_operator(self) -> bool:
        """True when a different company than the brand operates the region."""
        return (
            self.operator is not None
            and self.provider is not None
            and self.operator.id != self.provider.id
        )

    @property
    def bloc(self) -> Bloc:
        return bloc_of(self.country)


class Catalogue:
    """Indexed, read-only view of catalogue data."""

    def __init__(self, data: CatalogueData) -> None:
        self.data = data
        self.vendors: dict[str, Vendor] = {v.id: v for v in data.vendors}
        self.products: dict[str, Product] = {p.id: p for p in data.products}
        self._vendor_names: dict[str, Vendor] = {}
        for vendor in data.vendors:
            for name in (vendor.id, vendor.name, *vendor.aliases):
                for key in name_keys(name):
                    self._vendor_names.setdefault(key, vendor)
        self.index = build_index(data.vendors, data.products)
        self._product_names: dict[str, list[Product]] = {}
        for product in data.products:
            for name in (product.id, product.name, *product.aliases):
                entries = self._product_names.setdefault(_norm(name), [])
                if product not in entries:  # an id and an alias may normalise alike
                    entries.append(product)
        self._regions = {(r.provider, r.code.lower()): r for r in data.regions}
        # Resolutions are pure functions of the (frozen) component; lineages resolve the same
        # bases again and again, so results are remembered (bounded).
        self._resolved: dict[Component, Resolution] = {}
        self._indexed: tuple[Sequence[Component], dict[str, Component]] | None = None

    @property
    def version(self) -> str:
        return self.data.version

    @property
    def as_of(self) -> date:
        return self.data.as_of

    # -- look-ups -------------------------------------------------------------------------------

    def vendor_by_name(self, name: str) -> Vendor | None:
        return self._vendor_names.get(_norm(name)) or self._vendor_names.get(
            _norm(strip_suffixes(name)))

    def vendor_countries(self) -> dict[str, str | None]:
        """Every name key ``vendor_by_name`` knows, with its vendor's country."""
        return {key: vendor.country for key, vendor in self._vendor_names.items()}

    def vendor_by_hf_org(self, org: str) -> Vendor | None:
        return self.index.vendor_by_hf_org(org)

    def products_of(self, vendor_id: str) -> list[Product]:
        """The vendor's products, by id."""
        return self.index.products_of(vendor_id)

    def product_by_name(self, name: str, vendor: Vendor | None = None) -> Product | None:
        candidates = self._product_names.get(_norm(name), [])
        if vendor is not None:
            candidates = [p for p in candidates if p.vendor == vendor.id]
        return candidates[0] if len(candidates) == 1 else None

    def product_by_purl(self, purl: str) -> Product | None:
        base = purl_base(purl)
        return None if base is None else self.index.product_by_purl_base(base)

    def vendor_by_purl(self, purl: str) -> Vendor | None:
        """The vendor whose purl namespace is the longest prefix of ``purl``."""
        base = purl_base(purl)
        return None if base is None else self.index.vendor_by_purl_base(base)

    def product_by_hf_repo(self, repo: str) -> Product | None:
        """The product family of a Hugging Face repository id (longest prefix wins)."""
        return self.index.product_by_hf_repo(repo)

    def region(self, provider: str, code: str) -> CloudRegion | None:
        vendor = self.vendor_by_name(provider)
        key = vendor.id if vendor else provider
        return self._regions.get((key, code.lower()))

    def equivalents(self, product: Product) -> list[Product]:
        """Other products in the same equivalence class (possible substitutes)."""
        if product.equivalence_class is None:
            return []
        return sorted(
            (
                p
                for p in self.data.products
                if p.equivalence_class == product.equivalence_class and p.id != product.id
            ),
            key=lambda p: p.id,
        )

    # -- resolution -----------------------------------------------------------------------------

    def resolve(self, component: Component) -> Resolution:
        """Vendor and product of a component, trying the strongest evidence first."""
        cached = self._resolved.get(component)
        if cached is not None:
            return cached
        resolution = self._resolve(component)
        if len(self._resolved) >= _MAX_CACHED:
            self._resolved.clear()
        self._resolved[component] = resolution
        return resolution

    def _resolve(self, component: Component) -> Resolution:
        return (
            self._by_purl(component)
            or self._by_hf_id(component)
            or self._by_cpe(component)
            or self._by_name(component)
            or self._by_supplier_country(component)
        )

    def _resolution(
        self, component: Component, vendor: Vendor | None, product: Product | None,
        evidence: Evidence, detail: str,
    ) -> Resolution:
        if vendor is None and product is not None:
            vendor = self.vendors.get(product.vendor)
        country = vendor.country if vendor else component.supplier_country
        return Resolution(component.id, vendor, product, evidence, detail, country)

    def _by_purl(self, component: Component) -> Resolution | None:
        """A catalogued product's purl, else the vendor with the longest purl namespace."""
        base = purl_base(component.purl) if component.purl else None
        if base is None:
            return None
        product = self.index.product_by_purl_base(base)
        if product is not None:
            return self._resolution(component, None, product, Evidence.PURL,
                                    f"purl {component.purl} is catalogued as {product.name}")
        vendor = self.index.vendor_by_purl_base(base)
        if vendor is None:
            return None
        return self._resolution(component, vendor, None, Evidence.PURL,
                                f"purl namespace of {component.purl} belongs to {vendor.name}")

    def _by_hf_id(self, component: Component) -> Resolution | None:
        """The Hugging Face organisation's vendor and the repository's product family."""
        if not component.hf_id or "/" not in component.hf_id:
            return None
        org = component.hf_id.split("/", 1)[0]
        product = self.index.product_by_hf_repo(component.hf_id)
        vendor = self.index.vendor_by_hf_org(org)
        owner = vendor or (self.vendors[product.vendor] if product is not None else None)
        if owner is None:
            return None
        return self._resolution(component, vendor, product, Evidence.HF_ORG,
                                f"Hugging Face organisation '{org}' belongs to {owner.name}")

    def _by_cpe(self, component: Component) -> Resolution | None:
        """An exact CPE vendor:product pair, else the CPE vendor (and its product if listed)."""
        parts = component.cpe.split(":") if component.cpe else []
        if len(parts) <= 4:
            return None
        cpe_vendor, cpe_product = parts[3].lower(), parts[4].lower()
        paired = self.index.product_by_cpe_pair(cpe_vendor, cpe_product)
        if paired is not None:
            return self._resolution(
                component, None, paired, Evidence.CPE,
                f"CPE {cpe_vendor}:{cpe_product} is catalogued as {paired.name}")
        vendor = self.index.vendor_by_cpe(cpe_vendor)
        if vendor is None:
            return None
        product = self.index.product_of_cpe_vendor(vendor, cpe_product)
        return self._resolution(component, vendor, product, Evidence.CPE,
                                f"CPE vendor '{cpe_vendor}' is {vendor.name}")

    def _by_name(self, component: Component) -> Resolution | None:
        """The vendor field, an unambiguous product name, or a vendor named by the name."""
        vendor = self.vendor_by_name(component.vendor) if component.vendor else None
        product = None
        for name in filter(None, (component.product, component.name)):
            product = self.product_by_name(name, vendor) or self._without_vendor_prefix(
                name, vendor)
            if product is not None:
                break
        if vendor is not None:
            return self._resolution(component, vendor, product, Evidence.VENDOR_NAME,
                                    f"vendor '{component.vendor}' is catalogued as {vendor.name}")
        if product is not None:
            return self._resolution(component, None, product, Evidence.PRODUCT_NAME,
                                    f"product '{product.name}' is catalogued")
        # Datasets and free-form records are often named after a source ("Amazon reviews"),
        # not a maker, so only technology components are matched by a vendor in their name.
        if component.vendor is not None or component.type in (
            ComponentType.DATASET, ComponentType.OTHER,
        ):
            return None
        named = self._vendor_in_name(component.name)
        if named is None:
            return None
        vendor, rest = named
        product = self.product_by_name(rest, vendor) if rest else None
        return self._resolution(
            component, vendor, product, Evidence.VENDOR_NAME,
            f"component name '{component.name}' begins with vendor name {vendor.name}")

    @staticmethod
    def _by_supplier_country(component: Component) -> Resolution:
        """No catalogued vendor: the supplier's country where given, else nothing is known."""
        if component.supplier_country:
            return Resolution(
                component.id, None, None, Evidence.SUPPLIER_COUNTRY,
                f"vendor not catalogued; supplier address country {component.supplier_country}",
                component.supplier_country,
            )
        return Resolution(
            component.id, None, None, Evidence.NONE,
            "no purl, Hugging Face id, CPE or vendor name matched the catalogue", None,
        )

    def _without_vendor_prefix(self, name: str, vendor: Vendor | None) -> Product | None:
        """The vendor's product named after a leading vendor name ("AMD Instinct MI308")."""
        if vendor is None:
            return None
        named = self._vendor_in_name(name)
        if named is None or named[0].id != vendor.id or not named[1]:
            return None
        return self.product_by_name(named[1], vendor)

    def _vendor_in_name(self, name: str) -> tuple[Vendor, str] | None:
        """A catalogued vendor named by the leading words of ``name``, and the words after it.

        Longest prefix first, so "Huawei Cloud ModelArts" finds Huawei (alias "Huawei Cloud").
        Single words shorter than three letters are ignored to avoid chance matches.
        """
        words = name.split()
        for count in range(min(len(words), 4), 0, -1):
            head = " ".join(words[:count])
            if len(_norm(head)) < 3:
                continue
            vendor = self._vendor_names.get(_norm(head))
            if vendor is not None:
                return vendor, " ".join(words[count:])
        return None

    def resolve_site(self, site: Site) -> SiteResolution:
        """The catalogued region, provider, operator and hosting country of an estate site."""
        notes: list[str] = []
        declared_operator = self.vendor_by_name(site.operator) if site.operator else None
        if site.operator and declared_operator is None:
            notes.append(f"operator '{site.operator}' is not catalogued")
        provider = self.vendor_by_name(site.provider) if site.provider else None
        region = self.region(provider.id, site.region) if provider and site.region else None
        if provider is None or region is None:
            evidence, detail = _site_without_region(site, provider)
            operator = declared_operator or provider  # None when the provider is unknown too
            return SiteResolution(site.id, site.kind, None, provider, operator, site.country,
                                  evidence, detail, tuple(notes))
        catalogued_operator = self.vendors.get(region.operator) if region.operator else None
        if declared_operator and catalogued_operator and declared_operator != catalogued_operator:
            notes.append(
                f"estate names operator {declared_operator.name}, catalogue names "
                f"{catalogued_operator.name}"
            )
        if site.country != region.country:
            notes.append(
                f"estate says {site.country}, catalogue places {provider.name} {region.code} "
                f"in {region.country}"
            )
        operator = catalogued_operator or declared_operator or provider
        detail = f"{provider.name} region {region.code} is in {region.country}"
        if operator.id != provider.id:
            detail += f", operated by {operator.name} ({operator.country or 'country unknown'})"
        return SiteResolution(site.id, site.kind, region, provider, operator, region.country,
                              SiteEvidence.REGION, detail, tuple(notes))

    def resolve_reference(self, reference: str, components: Sequence[Component]) -> Resolution:
        """Resolve a base-model reference: a component id or a Hugging Face repository id."""
        found = next((c for c in components if c.id == reference), None)
        return self._resolve_found(reference, found)

    def _resolve_found(self, reference: str, found: Component | None) -> Resolution:
        if found is not None:
            return self.resolve(found)
        stand_in = Component(
            id=re.sub(r"[^A-Za-z0-9_.:/@+-]", "-", reference) or "model",
            type="model",
            name=reference,
            hf_id=reference,
        )
        return self.resolve(stand_in)

    def lineage(self, component: Component, components: Sequence[Component]) -> list[LineageStep]:
        """The base-model chain from ``component`` to its root (first base at each step).

        Cycles and unknown references end the chain, as does a depth of 100 steps; the last step
        is the weights' origin.
        """
        by_id = self._index(components)
        chain = [LineageStep(component.id, self.resolve(component))]
        seen = {component.id}
        current: Component | None = component
        while current is not None and current.base_models and len(chain) < _MAX_LINEAGE_DEPTH:
            reference = current.base_models[0]
            if reference in seen:
                break
            seen.add(reference)
            current = by_id.get(reference)
            chain.append(LineageStep(reference, self._resolve_found(reference, current)))
        return chain

    def lineages(
        self, component: Component, components: Sequence[Component], limit: int = 64
    ) -> list[list[LineageStep]]:
        """Every base-model path from ``component`` to a root, first bases first.

        A merge has several bases and so several roots; the weights' origins are all of them.
        Cycles end a path; at most ``limit`` paths of at most 100 steps are returned, so hostile
        estates stay bounded.
        Without cycles the first path equals :meth:`lineage`.
        """
        by_id = self._index(components)
        paths: list[list[LineageStep]] = []
        path = [LineageStep(component.id, self.resolve(component))]
        seen = {component.id}

        def walk(current: Component | None) -> None:
            # Depth-first with one shared path and seen-set (backtracking), so each step costs
            # O(1) and only finished paths are copied.
            if len(paths) >= limit:
                return
            bases = [b for b in current.base_models if b not in seen] if current else []
            if not bases or len(path) >= _MAX_LINEAGE_DEPTH:
                paths.append(list(path))
                return
            for reference in bases:
                found = by_id.get(reference)
                path.append(LineageStep(reference, self._resolve_found(reference, found)))
                seen.add(reference)
                walk(found)
                seen.discard(reference)
                path.pop()

        walk(component)
        return paths

    def _index(self, components: Sequence[Component]) -> dict[str, Component]:
        """Components by id; the last index of an (immutable) tuple is kept because analyses
        pass the same estate's components for every model."""
        if self._indexed is not None and self._indexed[0] is components:
            return self._indexed[1]
        by_id = {c.id: c for c in components}
        if isinstance(components, tuple):
            self._indexed = (components, by_id)
        return by_id


_MAX_LINEAGE_DEPTH = 100
_MAX_CACHED = 100_000


def _site_without_region(site: Site, provider: Vendor | None) -> tuple[SiteEvidence, str]:
    """Why a site has no catalogued region: on-prem, provider unknown, or region unknown."""
    if site.kind is not SiteKind.CLOUD_REGION and site.provider is None:
        return SiteEvidence.ON_PREM, (
            f"{site.kind.value.replace('_', '-')} site in {site.country} run by "
            f"{site.entity or 'an unnamed entity'}"
        )
    if provider is None:
        why = f"provider '{site.provider}' is not catalogued" if site.provider else (
            "no provider given")
        return SiteEvidence.NONE, why
    if site.region:
        return SiteEvidence.PROVIDER, f"region '{site.region}' of {provider.name} is not catalogued"
    return SiteEvidence.PROVIDER, f"no region code given for {provider.name}"


def _merge_documents(documents: Iterable[LocatedDocument]) -> dict[str, Any]:
    merged: dict[str, Any] = {"vendors": [], "products": [], "regions": [], "measures": []}
    for doc in documents:
        for key, value in doc.data.items():
            if key in ("vendors", "products", "regions", "measures"):
                merged[key].extend(value)
            else:
                merged[key] = value
    return merged


def load_catalogue(directory: Path | None = None, *, keep_copy: bool = False) -> Catalogue:
    """Load every ``*.yaml`` file of a catalogue directory (default: the active knowledge set's,
    read once per process and kept as a validated JSON copy between processes, see
    ``catalog/cache.py``; ``keep_copy`` does the same for another directory)."""
    if directory is None:
        from stackrift.knowledge.sets import knowledge_path

        return _cached(knowledge_path("catalog/data"))
    files = sorted(directory.glob("*.yaml"))
    key = cache_key(files) if keep_copy else None
    cached = read_cached(key) if key is not None else None
    if cached is not None:
        _check_integrity(cached, directory)
        return Catalogue(cached)
    merged = _validated(directory, files)
    if key is not None:
        write_cached(key, merged)
    return Catalogue(merged)


def _validated(directory: Path, files: list[Path]) -> CatalogueData:
    """The catalogue files read with locations, validated one by one, merged and checked."""
    problems: list[Problem] = []
    data: list[CatalogueData] = []
    for file in files:
        doc = load_located(file)
        if not isinstance(doc.data, dict):
            raise InvalidInputError.single(
                file, "catalogue file must be a mapping", "keys vendors, products, regions", 1, 1
            )
        # Each file is validated alone so that problems point at the right file. Top-level keys
        # starting with "x-" only hold YAML anchors shared by records in the same file.
        body = {k: v for k, v in doc.data.items() if not str(k).startswith("x-")}
        partial = {"version": "-", "as_of": "2000-01-01", **body}
        for key in ("vendors", "products", "regions"):
            partial.setdefault(key, [])
        try:
            data.append(CatalogueData.model_validate(partial))
        except ValidationError as exc:
            problems.extend(validation_error(doc, exc, CatalogueData).problems)
    error = combine(problems)
    if error is not None:
        raise error
    header = next((d for d in data if d.version != "-"), None)
    if header is None:
        raise InvalidInputError.single(
            directory,
            "no catalogue file declares 'version' and 'as_of'",
            "one file with version and as_of",
        )
    merged = CatalogueData(
        version=header.version,
        as_of=header.as_of,
        vendors=tuple(v for d in data for v in d.vendors),
        products=tuple(p for d in data for p in d.products),
        regions=tuple(r for d in data for r in d.regions),
        measures=tuple(m for d in data for m in d.measures),
    )
    _check_integrity(merged, directory)
    return merged


def _check_integrity(data: CatalogueData, where: Path) -> None:
    vendor_ids = [v.id for v in data.vendors]
    product_ids = [p.id for p in data.products]
    problems = [
        f"duplicate vendor id '{i}'" for i in sorted(set(vendor_ids)) if vendor_ids.count(i) > 1
    ]
    problems += [
        f"duplicate product id '{i}'" for i in sorted(set(product_ids)) if product_ids.count(i) > 1
    ]
    known = set(vendor_ids)
    measure_ids = [m.id for m in data.measures]
    problems += [
        f"duplicate measure id '{i}'" for i in sorted(set(measure_ids))
        if measure_ids.count(i) > 1
    ]
    problems += [
        f"product '{p.id}' names unknown vendor '{p.vendor}'"
        for p in data.products
        if p.vendor not in known
    ]
    problems += [
        f"region '{r.code}' names unknown provider '{r.provider}'"
        for r in data.regions
        if r.provider not in known
    ]
    problems += [
        f"product '{p.id}' requires unknown product '{r}'"
        for p in data.products
        for r in p.requires
        if r not in set(product_ids)
    ]
    problems += [
        f"vendor '{v.id}' names unknown parent '{v.parent}'"
        for v in data.vendors
        if v.parent is not None and v.parent not in known
    ]
    problems += [
        f"region '{r.code}' names unknown operator '{r.operator}'"
        for r in data.regions
        if r.operator is not None and r.operator not in known
    ]
    regions = [(r.provider, r.code.lower()) for r in data.regions]
    problems += [
        f"duplicate region '{c}' of provider '{p}'"
        for p, c in sorted(set(regions))
        if regions.count((p, c)) > 1
    ]
    if problems:
        raise InvalidInputError.single(where, "; ".join(problems), "a consistent catalogue")


@cache
def _cached(directory: Path) -> Catalogue:
    return load_catalogue(directory, keep_copy=True)
