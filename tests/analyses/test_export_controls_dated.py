"""Export controls, Country Groups and vendor lists evaluated as of a date, at their boundary days.

Each test runs the analysis that reports the fact (concentration's export findings, the burden
model's export terms, provenance's list findings and measures table), not just the data.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

import stackrift.catalog
from stackrift.analyses.base import AnalysisContext
from stackrift.analyses.concentration import ConcentrationAnalysis
from stackrift.analyses.provenance import ProvenanceAnalysis
from stackrift.catalog.catalogue import Catalogue, load_catalogue
from stackrift.estate.loader import LoadedEstate, load_estate
from stackrift.findings import Finding, Severity
from stackrift.plan.burden import export_terms

CHIPS = {
    "a100": "NVIDIA A100",
    "a800": "NVIDIA A800",
    "h100": "NVIDIA H100",
    "h200": "NVIDIA H200",
    "h20": "NVIDIA H20",
    "mi308": "AMD Instinct MI308",
}


def estate(tmp_path: Path, country: str, chip: str, owner_country: str = "US",
           parent_country: str | None = None) -> LoadedEstate:
    """One system running ``chip`` at an on-premises site in ``country``, owned by an entity in
    ``owner_country`` (with a parent in ``parent_country`` when given)."""
    entities: list[dict[str, Any]] = [{"id": "hq", "name": "HQ", "country": parent_country
                                       or owner_country}]
    owner = "hq"
    if parent_country is not None:
        entities.append({"id": "sub", "name": "Subsidiary", "country": owner_country,
                         "parent": "hq", "ownership_pct": 100})
        owner = "sub"
    document = {
        "organisation": {"name": "Test Org", "hq_country": entities[0]["country"]},
        "entities": entities,
        "sites": [{"id": "dc", "name": "DC", "kind": "on_prem", "country": country,
                   "entity": owner}],
        "components": [{"id": "gpu", "type": "accelerator", "name": CHIPS[chip],
                        "vendor": CHIPS[chip].split()[0]}],
        "systems": [{"id": "sys", "name": "sys", "purpose": "test", "owner": owner,
                     "site": "dc", "users_countries": [country], "components": ["gpu"],
                     "criticality": "high"}],
    }
    path = tmp_path / "estate.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return load_estate(path)


def export_findings(loaded: LoadedEstate, catalogue: Catalogue, as_of: date) -> dict[str, Finding]:
    result = ConcentrationAnalysis().run(loaded, AnalysisContext(as_of=as_of, catalogue=catalogue))
    return {f.evidence["control"]: f for f in result.findings
            if f.rule == "export-controlled-destination"}


def burden_terms(loaded: LoadedEstate, catalogue: Catalogue, chip: str, country: str,
                 as_of: date) -> list[str]:
    product = catalogue.product_by_name(CHIPS[chip])
    assert product is not None
    system = loaded.estate.systems[0]
    terms = export_terms(loaded.estate, system, product, country, as_of, catalogue)
    return [t.explanation for t in terms if t.name == "export_exposure"]


# -- ECCN 3A090: China from 2022-10-07, Macau from 2023-01-17, the wider rule from 2023-11-17 ----


def test_a100_in_china_the_day_before_and_the_day_of_the_2022_rule(
        tmp_path: Path, catalogue: Catalogue) -> None:
    loaded = estate(tmp_path, "CN", "a100")
    assert export_findings(loaded, catalogue, date(2022, 10, 6)) == {}
    found = export_findings(loaded, catalogue, date(2022, 10, 7))
    assert set(found) == {"ear-3a090-china-2022"}
    assert found["ear-3a090-china-2022"].severity == Severity.HIGH
    assert any(c.source == "87 FR 62186" for c in found["ear-3a090-china-2022"].citations)
    # The October 2023 rule takes over on 2023-11-17.
    assert set(export_findings(loaded, catalogue, date(2023, 11, 16))) == {"ear-3a090-china-2022"}
    assert set(export_findings(loaded, catalogue, date(2023, 11, 17))) == {"ear-3a090-d5"}
    assert burden_terms(loaded, catalogue, "a100", "CN", date(2022, 10, 6)) == []
    assert any("ear-3a090-china-2022" in t
               for t in burden_terms(loaded, catalogue, "a100", "CN", date(2022, 10, 7)))


def test_a100_in_macau_from_2023_01_17(tmp_path: Path, catalogue: Catalogue) -> None:
    loaded = estate(tmp_path, "MO", "a100")
    assert export_findings(loaded, catalogue, date(2023, 1, 16)) == {}
    assert set(export_findings(loaded, catalogue, date(2023, 1, 17))) == {"ear-3a090-macau-2023"}


def test_a800_in_china_only_from_the_2023_rule(tmp_path: Path, catalogue: Catalogue) -> None:
    loaded = estate(tmp_path, "CN", "a800")
    assert export_findings(loaded, catalogue, date(2023, 11, 16)) == {}
    assert set(export_findings(loaded, catalogue, date(2023, 11, 17))) == {"ear-3a090-d5"}


def test_h100_at_a_hong_kong_site_triggers_3a090(tmp_path: Path, catalogue: Catalogue) -> None:
    loaded = estate(tmp_path, "HK", "h100")
    found = export_findings(loaded, catalogue, date(2026, 11, 15))
    assert set(found) == {"ear-3a090-d5"}
    assert "D:5" in found["ear-3a090-d5"].evidence["matched"]
    assert set(export_findings(loaded, catalogue, date(2023, 1, 1))) == {"ear-3a090-china-2022"}
    terms = burden_terms(loaded, catalogue, "h100", "HK", date(2026, 11, 15))
    assert terms and "HK is in Country Group" in terms[0]


# -- H20 / MI308: China incl. Hong Kong and Macau, D:5, and entities headquartered there ----------


def test_h20_to_cambodia_before_and_after_its_removal_from_d5(
        tmp_path: Path, catalogue: Catalogue) -> None:
    loaded = estate(tmp_path, "KH", "h20")
    assert set(export_findings(loaded, catalogue, date(2025, 11, 6))) == {"usg-licence-h20-china"}
    assert export_findings(loaded, catalogue, date(2025, 11, 7)) == {}
    assert burden_terms(loaded, catalogue, "h20", "KH", date(2025, 11, 6))
    assert burden_terms(loaded, catalogue, "h20", "KH", date(2025, 11, 7)) == []


def test_h20_for_a_chinese_owned_subsidiary_outside_china(
        tmp_path: Path, catalogue: Catalogue) -> None:
    chinese_parent = estate(tmp_path, "SG", "h20", owner_country="SG", parent_country="CN")
    found = export_findings(chinese_parent, catalogue, date(2025, 6, 1))
    assert set(found) == {"usg-licence-h20-china"}
    assert found["usg-licence-h20-china"].evidence["matched_by_headquarters"] == "CN"
    (us_owned_dir := tmp_path / "us").mkdir()
    us_parent = estate(us_owned_dir, "SG", "h20", owner_country="SG", parent_country="US")
    assert export_findings(us_parent, catalogue, date(2025, 6, 1)) == {}


def test_mi308_requirement_starts_on_amds_date(tmp_path: Path, catalogue: Catalogue) -> None:
    loaded = estate(tmp_path, "CN", "mi308")
    assert export_findings(loaded, catalogue, date(2025, 4, 14)) == {}
    assert set(export_findings(loaded, catalogue, date(2025, 4, 15))) == {
        "usg-licence-mi308-china"}
    (tmp_path / "h20").mkdir()
    h20 = estate(tmp_path / "h20", "CN", "h20")
    assert set(export_findings(h20, catalogue, date(2025, 4, 9))) == {"usg-licence-h20-china"}


# -- H200 class: case-by-case review from 2026-01-15 --------------------------------------------


def test_h200_in_china_review_policy_changes_on_2026_01_15(
        tmp_path: Path, catalogue: Catalogue) -> None:
    loaded = estate(tmp_path, "CN", "h200")
    before = export_findings(loaded, catalogue, date(2026, 1, 14))["ear-3a090-d5"]
    after = export_findings(loaded, catalogue, date(2026, 1, 15))["ear-3a090-d5"]
    assert before.evidence["review_policy"] == "presumption of denial"
    assert after.evidence["review_policy"].startswith("case-by-case")
    assert "91 FR 1684" in after.evidence["review_policy_source"]
    # The licence is still required: the finding stays high when none is declared.
    assert after.severity == Severity.HIGH


# -- Vendor lists: s.1260H and China's Unreliable Entity List -----------------------------------


def provenance(tmp_path: Path, catalogue: Catalogue, components: list[dict[str, Any]],
               as_of: date, site: dict[str, Any] | None = None) -> list[Finding]:
    document = {
        "organisation": {"name": "Test Org", "hq_country": "US"},
        "entities": [{"id": "hq", "name": "HQ", "country": "US"}],
        "sites": [site or {"id": "dc", "name": "DC", "kind": "on_prem", "country": "US",
                           "entity": "hq"}],
        "components": components,
        "systems": [{"id": "sys", "name": "sys", "purpose": "test", "owner": "hq",
                     "site": (site or {"id": "dc"})["id"], "users_countries": ["US"],
                     "components": [c["id"] for c in components]}],
    }
    path = tmp_path / "estate.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    result = ProvenanceAnalysis().run(load_estate(path),
                                      AnalysisContext(as_of=as_of, catalogue=catalogue))
    return list(result.findings)


def rules_for(findings: list[Finding], rule: str) -> dict[str, Finding]:
    return {f.subject.id: f for f in findings if f.rule == rule}


def test_1260h_listing_and_removal_dates(tmp_path: Path, catalogue: Catalogue) -> None:
    parts = [
        {"id": "ascend", "type": "accelerator", "name": "Ascend 910B", "vendor": "Huawei"},
        {"id": "face", "type": "library", "name": "MegEngine", "vendor": "Megvii"},
        {"id": "hunyuan", "type": "model", "name": "Hunyuan", "vendor": "Tencent"},
    ]
    in_2024 = rules_for(provenance(tmp_path, catalogue, parts, date(2024, 6, 1)),
                        "military-company-1260h")
    assert set(in_2024) == {"ascend", "face"}
    assert in_2024["ascend"].severity == Severity.MEDIUM
    day_before = rules_for(provenance(tmp_path, catalogue, parts, date(2025, 1, 6)),
                           "military-company-1260h")
    assert set(day_before) == {"ascend", "face"}
    update_day = rules_for(provenance(tmp_path, catalogue, parts, date(2025, 1, 7)),
                           "military-company-1260h")
    assert set(update_day) == {"ascend", "hunyuan"}  # Megvii removed, Tencent added


def test_1260h_through_a_cloud_providers_parent_is_marked_unverified(
        tmp_path: Path, catalogue: Catalogue) -> None:
    site = {"id": "cnhz", "name": "Alibaba Hangzhou", "kind": "cloud_region",
            "provider": "Alibaba Cloud", "region": "cn-hangzhou", "country": "CN",
            "entity": "hq"}
    parts = [{"id": "lib", "type": "library", "name": "in-house", "supplier_country": "US"}]
    found = rules_for(provenance(tmp_path, catalogue, parts, date(2026, 11, 15), site),
                      "military-company-1260h")
    assert set(found) == {"cnhz"}
    finding = found["cnhz"]
    assert "whose parent Alibaba Group is on" in finding.title
    assert finding.severity == Severity.LOW
    assert finding.evidence["citation_confidence"] == "unverified"
    before = rules_for(provenance(tmp_path, catalogue, parts, date(2026, 2, 12), site),
                       "military-company-1260h")
    assert before == {}


def test_1260h_reaches_a_fine_tune_through_its_base_model(tmp_path: Path,
                                                          catalogue: Catalogue) -> None:
    parts = [
        {"id": "base", "type": "model", "name": "Hunyuan base", "hf_id": "tencent/Hunyuan-7B"},
        {"id": "tuned", "type": "model", "name": "in-house tune", "vendor": "Test Org",
         "base_models": ["base"], "supplier_country": "US"},
    ]
    found = rules_for(provenance(tmp_path, catalogue, parts, date(2025, 6, 1)),
                      "military-company-1260h")
    assert "tuned" in found
    assert "weights descend from Tencent" in found["tuned"].title


def test_unreliable_entity_list_flag(tmp_path: Path) -> None:
    directory = tmp_path / "catalogue"
    shutil.copytree(Path(stackrift.catalog.__file__).parent / "data", directory)
    (directory / "zz-extra.yaml").write_text(yaml.safe_dump({"vendors": [{
        "id": "acme-drones", "name": "Acme Drones", "country": "US",
        "entity_list": {"listed": False}, "as_of": "2026-12-03",
        "unreliable_entity_list": {"listed": True, "since": "2025-04-04", "citation": {
            "source": "MOFCOM Unreliable Entity List announcement", "checked_on": "2026-12-03"}},
    }]}), encoding="utf-8")
    custom = load_catalogue(directory)
    parts = [{"id": "uav", "type": "library", "name": "flight-sdk", "vendor": "Acme Drones"}]
    assert rules_for(provenance(tmp_path, custom, parts, date(2025, 4, 3)),
                     "unreliable-entity-list") == {}
    found = rules_for(provenance(tmp_path, custom, parts, date(2025, 4, 4)),
                      "unreliable-entity-list")
    assert set(found) == {"uav"} and found["uav"].severity == Severity.MEDIUM


# -- Measures without a product: status with suspensions ----------------------------------------


def measure_status(tmp_path: Path, catalogue: Catalogue, as_of: date) -> dict[str, str]:
    parts = [{"id": "lib", "type": "library", "name": "in-house", "supplier_country": "US"}]
    provenance(tmp_path, catalogue, parts, as_of)  # writes the estate
    loaded = load_estate(tmp_path / "estate.yaml")
    summary = ProvenanceAnalysis().run(
        loaded, AnalysisContext(as_of=as_of, catalogue=catalogue)).summary
    table = next(t for t in summary["tables"] if t["title"].startswith("Export-control measures"))
    return {row[0]: row[4] for row in table["rows"]}


@pytest.mark.parametrize(("measure", "day", "status"), [
    ("us-bis-ai-diffusion-2025", date(2025, 1, 12), "not yet in force"),
    ("us-bis-ai-diffusion-2025", date(2025, 1, 13), "in force"),
    ("us-bis-ai-diffusion-2025", date(2025, 5, 13), "no longer in force"),
    ("us-bis-affiliates-rule-2025", date(2025, 11, 9), "in force"),
    ("us-bis-affiliates-rule-2025", date(2025, 11, 10), "suspended"),
    ("us-bis-affiliates-rule-2025", date(2026, 11, 9), "suspended"),
    ("us-bis-affiliates-rule-2025", date(2026, 11, 10), "in force"),
    ("cn-october-2025-package", date(2025, 11, 6), "in force"),
    ("cn-october-2025-package", date(2025, 11, 7), "suspended"),
    ("cn-october-2025-package", date(2026, 11, 10), "in force"),
    ("cn-us-dual-use-ban-2024", date(2025, 11, 9), "suspended"),
    ("cn-us-dual-use-ban-2024", date(2026, 11, 27), "in force"),
    ("cn-gallium-germanium-2023", date(2023, 7, 31), "not yet in force"),
    ("cn-gallium-germanium-2023", date(2023, 8, 1), "in force"),
    ("us-bis-foundry-due-diligence-2025", date(2025, 1, 16), "in force"),
    ("us-bis-h200-review-policy-2026", date(2026, 1, 14), "not yet in force"),
])
def test_measure_status_on_boundary_days(tmp_path: Path, catalogue: Catalogue, measure: str,
                                         day: date, status: str) -> None:
    assert measure_status(tmp_path, catalogue, day)[measure] == status
