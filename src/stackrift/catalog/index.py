"""Look-up tables over the catalogue, built once per catalogue (and so once per process).

Every identifier a component can carry — a purl, a Hugging Face repository id, a CPE
vendor/product pair — is answered by dictionary look-ups whose cost does not depend on the size
of the catalogue: a 10,000-component SBOM costs 10,000 look-ups, never 10,000 scans of every
vendor's purl namespaces. The answers are exactly those of a scan in catalogue order (first
record wins a tie, longest prefix wins), which ``tests/catalog/test_index.py`` checks against
linear-scan references on the real SBOMs and on every identifier the catalogue holds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from packageurl import PackageURL

from stackrift.catalog.model import Product, Vendor

_PEP503_RUN = re.compile(r"[-_.]+")


def purl_base(purl: str) -> str | None:
    """``pkg:TYPE/NAMESPACE/NAME`` of a purl, lower case, PyPI names per PEP 503; None if invalid.

    Version, qualifiers and subpath are dropped: the catalogue identifies packages, not releases.
    """
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return None
    name = parsed.name
    if parsed.type == "pypi":
        # PEP 503: PyPI names compare case-insensitively with runs of -, _ and . equal.
        name = _PEP503_RUN.sub("-", name)
    parts = [f"pkg:{parsed.type}"]
    if parsed.namespace:
        parts.append(parsed.namespace)
    parts.append(name)
    return "/".join(parts).lower()


def namespace_prefix(namespace: str) -> str:
    """A vendor's ``purl_namespaces`` entry in the form purl bases are compared with."""
    return purl_base(namespace) or namespace.lower().rstrip("/")


@dataclass(frozen=True)
class CatalogueIndex:
    """Dictionaries from identifiers to catalogue records; build with :func:`build_index`."""

    product_purls: dict[str, Product] = field(default_factory=dict)
    namespace_vendors: dict[str, Vendor] = field(default_factory=dict)
    hf_orgs: dict[str, Vendor] = field(default_factory=dict)
    hf_prefixes: dict[str, tuple[tuple[str, Product], ...]] = field(default_factory=dict)
    cpe_vendors: dict[str, Vendor] = field(default_factory=dict)
    cpe_pairs: dict[tuple[str, str], Product] = field(default_factory=dict)
    cpe_vendor_products: dict[tuple[str, str], Product] = field(default_factory=dict)
    vendor_products: dict[str, list[Product]] = field(default_factory=dict)

    def product_by_purl_base(self, base: str) -> Product | None:
        """The product whose purl has this base."""
        return self.product_purls.get(base)

    def vendor_by_purl_base(self, base: str) -> Vendor | None:
        """The vendor with the longest purl namespace that is ``base`` or a ``/``-prefix of it."""
        candidate = base
        while True:
            vendor = self.namespace_vendors.get(candidate)
            if vendor is not None:
                return vendor
            cut = candidate.rfind("/")
            if cut <= 0:
                return None
            candidate = candidate[:cut]

    def vendor_by_hf_org(self, org: str) -> Vendor | None:
        """The vendor owning a Hugging Face organisation (any case)."""
        return self.hf_orgs.get(org.lower())

    def product_by_hf_repo(self, repo: str) -> Product | None:
        """The product family of a Hugging Face repository id (longest prefix wins)."""
        lowered = repo.lower()
        best: tuple[int, Product] | None = None
        for prefix, product in self.hf_prefixes.get(lowered.split("/", 1)[0], ()):
            if lowered.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), product)
        return best[1] if best else None

    def product_by_cpe_pair(self, cpe_vendor: str, cpe_product: str) -> Product | None:
        """The product catalogued for an exact (lower-case) CPE ``vendor:product`` pair."""
        return self.cpe_pairs.get((cpe_vendor, cpe_product))

    def vendor_by_cpe(self, cpe_vendor: str) -> Vendor | None:
        """The vendor of a (lower-case) CPE vendor part."""
        return self.cpe_vendors.get(cpe_vendor)

    def products_of(self, vendor_id: str) -> list[Product]:
        """The vendor's products, by id."""
        return list(self.vendor_products.get(vendor_id, ()))

    def product_of_cpe_vendor(self, vendor: Vendor, cpe_product: str) -> Product | None:
        """The vendor's first product (by id) listing ``cpe_product`` among its CPE products."""
        return self.cpe_vendor_products.get((vendor.id, cpe_product))


def build_index(vendors: Sequence[Vendor], products: Sequence[Product]) -> CatalogueIndex:
    """Every table, filled in catalogue order so that the record a scan would find wins."""
    index = CatalogueIndex()
    for vendor in vendors:
        for namespace in vendor.purl_namespaces:
            index.namespace_vendors.setdefault(namespace_prefix(namespace), vendor)
        # A later vendor claiming the same organisation or CPE vendor replaces an earlier one.
        for org in vendor.hf_orgs:
            index.hf_orgs[org.lower()] = vendor
        for cpe_vendor in vendor.cpe_vendors:
            index.cpe_vendors[cpe_vendor.lower()] = vendor
    by_id = {v.id: v for v in vendors}
    prefixes: dict[str, list[tuple[str, Product]]] = {}
    for product in products:
        for purl in product.purls:
            index.product_purls.setdefault(purl_base(purl) or purl.lower(), product)
        for prefix in product.hf_repo_prefixes:
            org = prefix.split("/", 1)[0].lower()
            prefixes.setdefault(org, []).append((prefix.lower(), product))
        _index_cpe_products(index, product, by_id.get(product.vendor))
    index.hf_prefixes.update((org, tuple(entries)) for org, entries in prefixes.items())
    for product in sorted(products, key=lambda p: p.id):
        index.vendor_products.setdefault(product.vendor, []).append(product)
        for entry in product.cpe_products:
            index.cpe_vendor_products.setdefault((product.vendor, entry.lower()), product)
    return index


def _index_cpe_products(index: CatalogueIndex, product: Product, owner: Vendor | None) -> None:
    """``vendor:product`` entries stand alone; a bare product pairs with each owner CPE vendor."""
    for entry in product.cpe_products:
        if ":" in entry:
            cpe_vendor, cpe_product = entry.lower().split(":", 1)
            index.cpe_pairs.setdefault((cpe_vendor, cpe_product), product)
        elif owner is not None:
            for cpe_vendor in owner.cpe_vendors:
                index.cpe_pairs.setdefault((cpe_vendor.lower(), entry.lower()), product)
