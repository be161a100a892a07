"""STIX 2.1 export: validator-clean, deterministic, with the references and markings asked for."""

from __future__ import annotations

from stix2validator import ValidationOptions, validate_string

from stackrift.intel.model import Tlp
from stackrift.intel.sources import ExportSource
from stackrift.intel.stix_out import bundle_text, export_bundle


def assert_valid(text: str) -> None:
    result = validate_string(text, ValidationOptions(version="2.1", strict=True))
    assert result.is_valid, [str(e) for e in result.errors]


def test_bundle_is_valid_and_deterministic(cn_source: ExportSource) -> None:
    first = bundle_text(export_bundle(cn_source))
    assert_valid(first)
    assert bundle_text(export_bundle(cn_source)) == first


def test_objects_carry_references_markings_and_identifiers(cn_source: ExportSource) -> None:
    bundle = export_bundle(cn_source, Tlp.GREEN)
    by_type: dict[str, list[dict]] = {}
    for obj in bundle["objects"]:
        by_type.setdefault(obj["type"], []).append(obj)
    refs = {(r["source_name"], r["external_id"]) for v in by_type["vulnerability"]
            for r in v.get("external_references", [])}
    assert {("cve", "CVE-2025-1234"), ("cnvd", "CNVD-2025-20002"),
            ("ghsa", "GHSA-abcd-efgh-ijkm"), ("cnvd", "CNVD-2026-10001")} <= refs
    software = {s["name"]: s for s in by_type["software"]}
    assert software["edgegw"]["cpe"].startswith("cpe:2.3:a:huaxia")
    assert any(ext.get("purl") == "pkg:generic/edgegw@1.0"
               for ext in software["edgegw"]["extensions"].values())
    (indicator,) = by_type["indicator"]
    assert indicator["pattern"] == f"[file:hashes.'SHA-256' = '{'ab' * 32}']"
    marking = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"  # OASIS TLP:GREEN
    assert [m["id"] for m in by_type["marking-definition"]] == [marking]
    for obj in bundle["objects"]:
        if obj["type"] not in ("marking-definition", "extension-definition"):
            assert obj["object_marking_refs"] == [marking], obj["id"]
    kinds = {r["relationship_type"] for r in by_type["relationship"]}
    assert kinds == {"has", "consists-of", "related-to"}


def test_tlp_ids_are_the_oasis_ones() -> None:
    assert {t.value: t.marking_id for t in Tlp} == {
        "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"}
