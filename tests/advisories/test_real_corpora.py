"""Acceptance on the real corpora: counts, duplicates, correlation across OSV and CNVD."""

from __future__ import annotations

from pathlib import Path

from stackrift.advisories.importer import import_paths
from stackrift.advisories.model import ImportReport
from stackrift.advisories.store import SqliteStore
from stackrift.advisories.views import group_json


def test_stats_match_the_corpora(real_store: tuple[SqliteStore, ImportReport]) -> None:
    store, _report = real_store
    stats = store.stats()
    assert stats["records_by_source"]["cnvd"] == 111_816
    # PyPA's 2,661 and the starter pack's 10 OSV records named by CVE id (its PYSEC records
    # and CNVD entries are the corpora's own, kept as imported)
    assert stats["osv_by_ecosystem"]["PyPI"] == 2_661 + 10
    assert stats["osv_by_ecosystem"]["Go"] == 4_291
    joined = sum(n for combo, n in stats["groups_by_sources"].items()
                 if {"osv", "cnvd"} <= set(combo.split("+")))
    assert joined > 1_000
    assert stats["rejected"] == 0
    # .id-allocator and the two LICENSE files are not advisories
    assert stats["skipped"] == 3


def test_duplicates_are_reported(real_store: tuple[SqliteStore, ImportReport]) -> None:
    _store, report = real_store
    cnvd = report.sources["cnvd"]
    assert cnvd.read == 112_192
    assert len(report.duplicate_ids) == 376
    assert (cnvd.duplicate_identical, cnvd.duplicate_revised) == (288, 88)


def test_show_joins_both_sides_with_dates(real_store: tuple[SqliteStore, ImportReport]) -> None:
    store, _ = real_store
    group = store.group("CVE-2021-37678")
    assert group is not None
    data = group_json(group)
    assert "CNVD-2021-63084" in data["ids"]
    assert any(i.startswith("PYSEC-") for i in data["ids"])
    assert any(i.startswith("GHSA-") for i in data["ids"])
    assert data["sources"] == ["cnvd", "osv"]
    by_source = {r["source"]: r for r in data["records"]}
    assert by_source["cnvd"]["published"] == "2021-08-18"
    assert by_source["osv"]["published"].startswith("2021-08-12")
    # any of the group's ids finds the same group, case-insensitively
    other = store.group("cnvd-2021-63084")
    assert other is not None and other.group_id == group.group_id


def test_learned_product_mapping(real_store: tuple[SqliteStore, ImportReport]) -> None:
    store, _ = real_store
    keys = dict(store.product_keys_for("PyPI", "tensorflow"))
    assert "google tensorflow" in keys
    assert keys["google tensorflow"] >= 10


def test_reimporting_a_subset_changes_nothing(real_store: tuple[SqliteStore, ImportReport],
                                              shared_data: Path) -> None:
    store, _ = real_store
    before = store.fingerprint()
    report = import_paths(store, [shared_data / "osv-pypa" / "vulns" / "tensorflow"])
    assert report.sources["osv"].unchanged == report.sources["osv"].read > 200
    assert report.sources["osv"].new == report.sources["osv"].updated == 0
    assert store.fingerprint() == before
