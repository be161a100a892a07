"""The vendor-country table answers exactly as the catalogue does, from its copy too."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackrift import validatedcopy
from stackrift.catalog.catalogue import load_catalogue
from stackrift.catalog.countries import packaged_vendor_countries


def _names() -> list[str]:
    catalogue = load_catalogue()
    names: list[str] = []
    for vendor in catalogue.vendors.values():
        for name in (vendor.id, vendor.name, *vendor.aliases):
            names += [name, name.upper(), f"{name} Inc.", f"{name}, Co., Ltd.", f" {name} "]
    return [*names, "Amazon Web Services", "No Such Vendor Ltd", "", "  ", "GmbH"]


def _expected(name: str) -> str | None:
    vendor = load_catalogue().vendor_by_name(name)
    return vendor.country if vendor is not None else None


def test_every_name_gets_the_catalogue_s_answer_from_a_new_and_from_a_kept_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(validatedcopy.ENV_CACHE, str(tmp_path))
    built = packaged_vendor_countries()
    (copy,) = tmp_path.glob("vendor-countries-*.json")
    kept = packaged_vendor_countries()
    for name in _names():
        assert built.country(name) == _expected(name), name
        assert kept.country(name) == _expected(name), name
    assert list(tmp_path.glob("vendor-countries-*.json")) == [copy]


def test_the_copy_is_really_read_and_a_damaged_one_ignored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(validatedcopy.ENV_CACHE, str(tmp_path))
    packaged_vendor_countries()
    (copy,) = tmp_path.glob("vendor-countries-*.json")
    copy.write_text('{"countries": {"huawei": "XX"}}')
    assert packaged_vendor_countries().country("Huawei") == "XX"
    copy.write_text('{"countries": {"huawei": 7}}')
    assert packaged_vendor_countries().country("Huawei") == _expected("Huawei")
