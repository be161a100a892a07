"""Plain-data views of the catalogue for the CLI and JSON output."""

from __future__ import annotations

from typing import Any

from stackrift.catalog.catalogue import Catalogue
from stackrift.catalog.model import Vendor
from stackrift.catalog.names import norm as _norm
from stackrift.errors import UsageError


def _vendor_json(catalogue: Catalogue, vendor: Vendor) -> dict[str, Any]:
    data = vendor.model_dump(mode="json", exclude_none=True)
    data["country"] = vendor.country  # always present: null means unknown, not omitted
    status = vendor.entity_list
    data["entity_list"] = {
        "listed": status.listed,
        "since": status.since.isoformat() if status.since else None,
        "citation": str(status.citation) if status.citation else None,
        "status": (
            f"listed since {status.since}" if status.listed else f"not listed as of {vendor.as_of}"
        ),
    }
    data["products"] = [
        p.model_dump(mode="json", exclude_none=True) for p in catalogue.products_of(vendor.id)
    ]
    return data


def catalogue_json(catalogue: Catalogue) -> dict[str, Any]:
    """``{"as_of", "version", "vendors": [...], "regions": [...]}`` sorted for stable output."""
    vendors = sorted(catalogue.vendors.values(), key=lambda v: v.id)
    return {
        "as_of": catalogue.as_of.isoformat(),
        "version": catalogue.version,
        "vendors": [_vendor_json(catalogue, v) for v in vendors],
        "regions": [
            r.model_dump(mode="json", exclude_none=True)
            for r in sorted(catalogue.data.regions, key=lambda r: (r.provider, r.code))
        ],
    }


def describe(catalogue: Catalogue, name: str) -> dict[str, Any]:
    """One vendor (with its products) or one product (with its vendor) by name, alias or id."""
    vendor = catalogue.vendors.get(name) or catalogue.vendor_by_name(name)
    if vendor is not None:
        data = _vendor_json(catalogue, vendor)
        regions = sorted(
            (r for r in catalogue.data.regions if vendor.id in (r.provider, r.operator)),
            key=lambda r: (r.provider, r.code),
        )
        if regions:
            data["regions"] = [r.model_dump(mode="json", exclude_none=True) for r in regions]
        return data
    product = catalogue.products.get(name) or catalogue.product_by_name(name)
    if product is not None:
        data = product.model_dump(mode="json", exclude_none=True)
        owner = catalogue.vendors[product.vendor]
        data["vendor"] = {
            "id": owner.id,
            "name": owner.name,
            "country": owner.country,
            "bloc": owner.bloc.value,
        }
        data["equivalents"] = [p.id for p in catalogue.equivalents(product)]
        return data
    close = sorted(v.name for v in catalogue.vendors.values() if _norm(name)[:3] in _norm(v.name))
    hint = f"; did you mean {', '.join(close[:5])}?" if close else ""
    raise UsageError(f"'{name}' is neither a catalogued vendor nor product{hint}")
