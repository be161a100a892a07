"""Vendor name -> home country, answered as the catalogue answers it, without loading the
catalogue.

Commands that only need a cloud provider's country (``transfers``, the planner) would otherwise
import and build the whole catalogue (about 35 ms) for one small table. The table is kept as a
validated copy (``stackrift/validatedcopy.py``) keyed by the catalogue's files and by the modules
that build it, and built from the catalogue itself whenever there is no usable copy.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from stackrift.catalog.names import norm, strip_suffixes


class _VendorCountries(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    countries: dict[str, str | None]


_KIND = "vendor-countries"
_FORMAT = b"stackrift-vendor-countries-1"
_MODULES = ("stackrift.catalog.model", "stackrift.catalog.catalogue", "stackrift.catalog.names",
            __name__)


class VendorCountries:
    """``country(name)``: the country of the catalogued vendor named ``name`` (by id, name or
    alias, as ``Catalogue.vendor_by_name`` matches), ``None`` when no vendor or no country."""

    def __init__(self, countries: Mapping[str, str | None]) -> None:
        self._countries = countries

    def country(self, name: str) -> str | None:
        exact = norm(name)
        if exact in self._countries:
            return self._countries[exact]
        return self._countries.get(norm(strip_suffixes(name)))


def packaged_vendor_countries() -> VendorCountries:
    """The table of the active knowledge set's catalogue (what ``load_catalogue()`` loads)."""
    from stackrift.knowledge.sets import knowledge_path
    from stackrift.validatedcopy import copy_key, read_copy, write_copy

    directory = knowledge_path("catalog/data")

    try:
        files = [(file.name, file.read_bytes()) for file in sorted(directory.glob("*.yaml"))]
    except OSError:
        files = []
    key = copy_key(_FORMAT, _MODULES, files) if files else None
    copy = read_copy(_KIND, key, _VendorCountries) if key is not None else None
    if copy is not None:
        return VendorCountries(copy.countries)
    from stackrift.catalog.catalogue import load_catalogue

    table = load_catalogue().vendor_countries()
    if key is not None:
        write_copy(_KIND, key, _VendorCountries(countries=table).model_dump_json().encode())
    return VendorCountries(table)
