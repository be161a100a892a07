"""The catalogue's look-up tables answer exactly as linear scans of the catalogue do.

``LinearIndex`` is the reference: each look-up scans every vendor or product in catalogue order,
as the catalogue did before it was indexed. The indexed and reference catalogues must agree on
every identifier the packaged catalogue holds (and near misses of them), and on the provenance of
every component of the real SBOMs and AI-BOMs in ``../shared/data``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packageurl import PackageURL

from stackrift.bom.base import read_bom
from stackrift.bom.provenance import enrich
from stackrift.catalog.catalogue import Catalogue
from stackrift.catalog.index import purl_base
from stackrift.catalog.model import CatalogueData, Product, Vendor
from stackrift.errors import StackRiftError
from stackrift.estate.model import Component


def _reference_purl_base(purl: str) -> str | None:
    """The catalogue's purl normalisation as first written, kept as the reference."""
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return None
    name = parsed.name
    if parsed.type == "pypi":
        name = re.sub(r"[-_.]+", "-", name)
    parts = [f"pkg:{parsed.type}"]
    if parsed.namespace:
        parts.append(parsed.namespace)
    parts.append(name)
    return "/".join(parts).lower()


class LinearIndex:
    """Every look-up a scan of the catalogue in order, re-parsing each catalogued purl."""

    def __init__(self, data: CatalogueData) -> None:
        self.data = data

    def product_by_purl_base(self, base: str) -> Product | None:
        for product in self.data.products:
            for purl in product.purls:
                if (_reference_purl_base(purl) or purl.lower()) == base:
                    return product
        return None

    def vendor_by_purl_base(self, base: str) -> Vendor | None:
        best: tuple[int, Vendor] | None = None
        for vendor in self.data.vendors:
            for namespace in vendor.purl_namespaces:
                prefix = _reference_purl_base(namespace) or namespace.lower().rstrip("/")
                if (base == prefix or base.startswith(prefix + "/")) and (
                    best is None or len(prefix) > best[0]
                ):
                    best = (len(prefix), vendor)
        return best[1] if best else None

    def vendor_by_hf_org(self, org: str) -> Vendor | None:
        found = None
        for vendor in self.data.vendors:  # the last claim wins, as the original dict did
            if org.lower() in (o.lower() for o in vendor.hf_orgs):
                found = vendor
        return found

    def product_by_hf_repo(self, repo: str) -> Product | None:
        lowered = repo.lower()
        best: tuple[int, Product] | None = None
        for product in self.data.products:
            for prefix in product.hf_repo_prefixes:
                if prefix.split("/", 1)[0].lower() != lowered.split("/", 1)[0]:
                    continue
                if lowered.startswith(prefix.lower()) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), product)
        return best[1] if best else None

    def product_by_cpe_pair(self, cpe_vendor: str, cpe_product: str) -> Product | None:
        vendors = {v.id: v for v in self.data.vendors}
        for product in self.data.products:
            for entry in product.cpe_products:
                if ":" in entry:
                    if tuple(entry.lower().split(":", 1)) == (cpe_vendor, cpe_product):
                        return product
                elif product.vendor in vendors and entry.lower() == cpe_product and any(
                    c.lower() == cpe_vendor for c in vendors[product.vendor].cpe_vendors
                ):
                    return product
        return None

    def vendor_by_cpe(self, cpe_vendor: str) -> Vendor | None:
        found = None
        for vendor in self.data.vendors:
            if cpe_vendor in (c.lower() for c in vendor.cpe_vendors):
                found = vendor
        return found

    def products_of(self, vendor_id: str) -> list[Product]:
        return sorted((p for p in self.data.products if p.vendor == vendor_id), key=lambda p: p.id)

    def product_of_cpe_vendor(self, vendor: Vendor, cpe_product: str) -> Product | None:
        return next((p for p in self.products_of(vendor.id)
                     if cpe_product in {c.lower() for c in p.cpe_products}), None)


def _pair(catalogue: Catalogue) -> tuple[Catalogue, Catalogue]:
    """A fresh indexed catalogue and a fresh one answering by linear scans (no shared caches)."""
    reference = Catalogue(catalogue.data)
    reference.index = LinearIndex(catalogue.data)  # type: ignore[assignment]
    return Catalogue(catalogue.data), reference


def _product_identifiers(data: CatalogueData) -> tuple[list[str], list[str], list[str]]:
    """Each product's purls, Hugging Face prefixes and CPEs, with near misses."""
    purls, hf_ids, cpes = [], [], []
    for product in data.products:
        for purl in product.purls:
            purls += [purl, f"{purl}@1.0", f"{purl}/child", purl.upper(), purl[:-1]]
        for prefix in product.hf_repo_prefixes:
            hf_ids += [prefix, f"{prefix}-7B-Instruct", prefix.upper(), prefix[:-1]]
        for entry in product.cpe_products:
            vendor, _, name = entry.rpartition(":")
            vendor = vendor or "x"
            cpes.append(f"cpe:2.3:a:{vendor}:{name}:1.0:*:*:*:*:*:*:*")
    return purls, hf_ids, cpes


def _vendor_cpes(data: CatalogueData, vendor: Vendor, cpe_vendor: str) -> list[str]:
    cpes = [f"cpe:2.3:a:{cpe_vendor}:unknown_product:1:*:*:*:*:*:*:*",
            f"cpe:2.3:a:{cpe_vendor.upper()}:x"]
    for product in data.products:
        if product.vendor == vendor.id:
            cpes += [f"cpe:2.3:a:{cpe_vendor}:{c}:2:*:*:*:*:*:*:*" for c in product.cpe_products]
    return cpes


def _identifiers(data: CatalogueData) -> tuple[list[str], list[str], list[str]]:
    """Purls, Hugging Face ids and CPEs made from every catalogued identifier, with near misses."""
    purls, hf_ids, cpes = _product_identifiers(data)
    for vendor in data.vendors:
        for namespace in vendor.purl_namespaces:
            purls += [namespace, f"{namespace}/sub/pkg@2", f"{namespace}-other/pkg",
                      namespace.rsplit("/", 1)[0] + "/unrelated"]
        for org in vendor.hf_orgs:
            hf_ids += [f"{org}/anything", f"{org.upper()}/Model", f"{org}x/model"]
        for cpe_vendor in vendor.cpe_vendors:
            cpes += _vendor_cpes(data, vendor, cpe_vendor)
    purls += ["pkg:pypi/Torch_NPU", "pkg:npm/%40scope/name@1", "not a purl", "pkg:", "pkg:x"]
    return purls, hf_ids, cpes


def test_index_matches_linear_scans_on_every_catalogued_identifier(catalogue: Catalogue) -> None:
    indexed, reference = _pair(catalogue)
    purls, hf_ids, cpes = _identifiers(catalogue.data)
    assert len(purls) > 200 and len(hf_ids) > 100 and len(cpes) > 50
    for purl in purls:
        assert purl_base(purl) == _reference_purl_base(purl), purl
        assert indexed.product_by_purl(purl) == reference.product_by_purl(purl), purl
        assert indexed.vendor_by_purl(purl) == reference.vendor_by_purl(purl), purl
    for hf_id in hf_ids:
        assert indexed.product_by_hf_repo(hf_id) == reference.product_by_hf_repo(hf_id), hf_id
        org = hf_id.split("/", 1)[0]
        assert indexed.vendor_by_hf_org(org) == reference.vendor_by_hf_org(org), org
    for vendor in catalogue.data.vendors:
        assert indexed.products_of(vendor.id) == reference.products_of(vendor.id), vendor.id
    components = [Component(id=f"p{i}", type="library", name="x", purl=p)
                  for i, p in enumerate(purls) if purl_base(p)]
    components += [Component(id=f"h{i}", type="model", name=h, hf_id=h)
                   for i, h in enumerate(hf_ids)]
    components += [Component(id=f"c{i}", type="runtime", name="x", cpe=c)
                   for i, c in enumerate(cpes)]
    resolved = [indexed.resolve(c) for c in components]
    assert resolved == [reference.resolve(c) for c in components]
    assert sum(1 for r in resolved if r.resolved) > len(components) // 2  # the test bites


def _real_documents(shared_data: Path) -> list[Path]:
    roots = [shared_data / "cyclonedx/bom-examples", shared_data / "aibom/examples",
             shared_data / "spdx"]
    return sorted(p for root in roots for p in root.rglob("*")
                  if p.suffix in (".json", ".xml") and p.is_file())


def test_index_matches_linear_scans_on_the_real_sboms(
        catalogue: Catalogue, shared_data: Path) -> None:
    documents = 0
    components = 0
    resolved = 0
    for path in _real_documents(shared_data):
        try:
            document = read_bom(path)
        except StackRiftError:
            continue  # not an SBOM this project reads (CBOM, SaaSBOM, invalid examples)
        indexed, reference = _pair(catalogue)
        ours = enrich(document, indexed)
        assert ours == enrich(document, reference), path
        documents += 1
        components += len(ours)
        resolved += sum(1 for p in ours.values() if p.vendor is not None)
    if documents < 20:
        pytest.fail(f"only {documents} real SBOMs could be read from {shared_data}")
    assert components > 5_000 and resolved > 0, (components, resolved)
