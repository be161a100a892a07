"""The provenance analysis on small hand-made estates and on the demo."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackrift.analyses.base import AnalysisContext, AnalysisResult, registered_analyses
from stackrift.analyses.provenance import ProvenanceAnalysis
from stackrift.catalog.catalogue import Catalogue
from stackrift.estate.loader import LoadedEstate, load_estate
from stackrift.findings import Finding, Severity


def estate(tmp_path: Path, **parts: list[dict[str, Any]]) -> LoadedEstate:
    """Write an estate with one US group entity plus ``parts`` and load it."""
    document: dict[str, Any] = {
        "organisation": {"name": "Test Org", "hq_country": "US"},
        "entities": [{"id": "hq", "name": "HQ Inc.", "country": "US"}],
    }
    for key, value in parts.items():
        if key == "entities":
            document["entities"] = document["entities"] + value
        else:
            document[key] = value
    path = tmp_path / "estate.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return load_estate(path)


US_SITE = {
    "id": "use1",
    "name": "AWS use1",
    "kind": "cloud_region",
    "provider": "Amazon Web Services",
    "region": "us-east-1",
    "country": "US",
    "entity": "hq",
}
CN_SITE = {
    "id": "cnhz",
    "name": "Alibaba Hangzhou",
    "kind": "cloud_region",
    "provider": "Alibaba Cloud",
    "region": "cn-hangzhou",
    "country": "CN",
    "entity": "hq",
}


def system(system_id: str, components: list[str], **extra: Any) -> dict[str, Any]:
    """A system with the fields hygiene needs, so tests see only what they vary."""
    record: dict[str, Any] = {
        "id": system_id,
        "name": system_id,
        "purpose": "test",
        "owner": "hq",
        "site": "use1",
        "users_countries": ["US"],
        "components": components,
    }
    record.update(extra)
    return record


def run(
    loaded: LoadedEstate, catalogue: Catalogue, as_of: date = date(2026, 11, 20)
) -> AnalysisResult:
    return ProvenanceAnalysis().run(loaded, AnalysisContext(as_of=as_of, catalogue=catalogue))


def by_rule(result: AnalysisResult, rule: str) -> list[Finding]:
    return [f for f in result.findings if f.rule == rule]


BGE = {"id": "bge", "type": "model", "name": "bge", "hf_id": "BAAI/bge-m3"}


def test_registered_in_order() -> None:
    names = [a.name for a in registered_analyses()]
    assert "provenance" in names
    assert ProvenanceAnalysis.order == 10


def test_entity_listing_counts_only_from_its_date(tmp_path: Path, catalogue: Catalogue) -> None:
    loaded = estate(tmp_path, sites=[US_SITE], components=[BGE], systems=[system("rag", ["bge"])])
    before = run(loaded, catalogue, date(2025, 3, 24))
    assert by_rule(before, "entity-listed-vendor") == []
    table = before.summary["tables"][1]
    row = next(r for r in table["rows"] if r[0] == "bge")
    assert row[-2] == "not listed as of 2025-03-24 (listed from 2025-03-25)"
    (finding,) = by_rule(run(loaded, catalogue, date(2025, 3, 25)), "entity-listed-vendor")
    assert finding.severity is Severity.HIGH
    assert finding.id == "provenance:entity-listed-vendor:bge:baai"
    assert finding.evidence["listed_since"] == "2025-03-25"
    assert finding.citations[0].source == "90 FR 14046"
    assert [s.id for s in finding.related] == ["rag"]


def test_critical_system_raises_severity(tmp_path: Path, catalogue: Catalogue) -> None:
    npu = {
        "id": "npu",
        "type": "accelerator",
        "name": "Ascend",
        "vendor": "Huawei",
        "product": "Ascend 910B",
    }
    loaded = estate(
        tmp_path,
        sites=[CN_SITE],
        components=[npu],
        systems=[system("pay", ["npu"], site="cnhz", criticality="critical")],
    )
    (finding,) = by_rule(run(loaded, catalogue), "entity-listed-vendor")
    assert finding.severity is Severity.CRITICAL
    assert finding.evidence["export_controls"][0]["regime"] == "EAR GP10"
    assert finding.citations[0].source == "84 FR 22961"


def test_unused_listed_component_is_medium(tmp_path: Path, catalogue: Catalogue) -> None:
    loaded = estate(tmp_path, components=[BGE])
    (finding,) = by_rule(run(loaded, catalogue), "entity-listed-vendor")
    assert finding.severity is Severity.MEDIUM


def test_lineage_origin_differs_from_publisher(tmp_path: Path, catalogue: Catalogue) -> None:
    fine_tune = {
        "id": "ft",
        "type": "model",
        "name": "our-ft",
        "vendor": "Test Org",
        "supplier_country": "US",
        "base_models": ["Qwen/Qwen2.5-7B-Instruct"],
        "base_model_relation": "finetune",
    }
    loaded = estate(
        tmp_path, sites=[US_SITE], components=[fine_tune], systems=[system("bot", ["ft"])]
    )
    result = run(loaded, catalogue)
    (finding,) = by_rule(result, "lineage-origin")
    assert finding.severity is Severity.MEDIUM
    assert finding.evidence["chain"] == [
        "ft (vendor not catalogued, US)",
        "Qwen/Qwen2.5-7B-Instruct (Alibaba Cloud, CN)",
    ]
    assert (finding.evidence["publisher_bloc"], finding.evidence["origin_bloc"]) == ("us", "cn")
    # The system's model layer takes the weights' origin, so the US-hosted bot is mixed.
    assert result.summary["systems"]["bot"]["model weights"] == ["cn"]
    (mixed,) = by_rule(result, "mixed-stack")
    assert mixed.severity is Severity.MEDIUM


def test_listed_vendor_found_through_lineage(tmp_path: Path, catalogue: Catalogue) -> None:
    adapter = {
        "id": "emb",
        "type": "model",
        "name": "our-emb",
        "supplier_country": "DE",
        "base_models": ["bge"],
        "base_model_relation": "adapter",
    }
    loaded = estate(
        tmp_path, sites=[US_SITE], components=[BGE, adapter], systems=[system("rag", ["emb"])]
    )
    result = run(loaded, catalogue)
    (finding,) = by_rule(result, "entity-listed-origin")
    assert finding.subject.id == "emb"
    assert finding.evidence["lineage"][-1].startswith("bge (Beijing Academy")
    assert finding.severity is Severity.HIGH


def test_single_bloc_stack_is_not_mixed(tmp_path: Path, catalogue: Catalogue) -> None:
    parts = [
        {"id": "gpu", "type": "accelerator", "name": "NVIDIA H100", "vendor": "NVIDIA"},
        {"id": "cuda", "type": "runtime", "name": "CUDA", "vendor": "NVIDIA", "version": "12"},
        {"id": "torch", "type": "framework", "name": "torch", "purl": "pkg:pypi/torch@2.3.0"},
        {"id": "llama", "type": "model", "name": "llama", "hf_id": "meta-llama/Llama-3.1-8B"},
    ]
    loaded = estate(
        tmp_path, sites=[US_SITE], components=parts, systems=[system("s", [p["id"] for p in parts])]
    )
    result = run(loaded, catalogue)
    assert result.findings == ()
    layers = result.summary["systems"]["s"]
    assert layers == {
        "hardware": ["us"],
        "runtime": ["us"],
        "framework": ["us"],
        "model weights": ["us"],
        "cloud": ["us"],
    }


def test_us_and_eu_mix_is_low(tmp_path: Path, catalogue: Catalogue) -> None:
    mistral = {"id": "m", "type": "model", "name": "m", "hf_id": "mistralai/Mistral-7B-v0.1"}
    loaded = estate(tmp_path, sites=[US_SITE], components=[mistral], systems=[system("s", ["m"])])
    (finding,) = by_rule(run(loaded, catalogue), "mixed-stack")
    assert finding.severity is Severity.LOW
    assert finding.evidence["us_and_cn"] is False


def test_unresolved_and_supplier_country(tmp_path: Path, catalogue: Catalogue) -> None:
    parts = [
        {"id": "tool", "type": "application", "name": "mystery tool"},
        {
            "id": "own",
            "type": "dataset",
            "name": "own data",
            "vendor": "Test Org",
            "supplier_country": "US",
        },
    ]
    loaded = estate(
        tmp_path, sites=[US_SITE], components=parts, systems=[system("s", ["tool", "own"])]
    )
    result = run(loaded, catalogue)
    (unresolved,) = by_rule(result, "unresolved-component")
    assert unresolved.severity is Severity.LOW
    assert "no purl, Hugging Face id, CPE or vendor name" in unresolved.evidence["reason"]
    (own,) = by_rule(result, "supplier-country-only")
    assert own.severity is Severity.INFO and own.evidence["bloc"] == "us"


def test_local_operator_and_unknown_region(tmp_path: Path, catalogue: Catalogue) -> None:
    sites = [
        {
            "id": "bj",
            "name": "AWS Beijing",
            "kind": "cloud_region",
            "provider": "AWS",
            "region": "cn-north-1",
            "country": "CN",
        },
        {
            "id": "x",
            "name": "Azure somewhere",
            "kind": "cloud_region",
            "provider": "Microsoft Azure",
            "region": "nowhere-9",
            "country": "US",
        },
    ]
    result = run(estate(tmp_path, sites=sites), catalogue)
    (local,) = by_rule(result, "local-operator")
    assert local.subject.id == "bj" and local.evidence["operator"] == "Beijing Sinnet Technology"
    (unknown,) = by_rule(result, "unresolved-site")
    assert unknown.subject.id == "x" and unknown.severity is Severity.LOW


def test_chart_and_tables(tmp_path: Path, catalogue: Catalogue) -> None:
    parts = [{"id": "gpu", "type": "accelerator", "name": "NVIDIA H100", "vendor": "NVIDIA"}, BGE]
    loaded = estate(
        tmp_path,
        sites=[US_SITE],
        components=parts,
        systems=[system("a", ["gpu", "bge"]), system("b", ["gpu"])],
    )
    summary = run(loaded, catalogue).summary
    (chart,) = summary["charts"]
    assert chart["kind"] == "bar" and chart["stacked"] is True
    assert chart["title"] == "Bloc composition per system"
    assert chart["labels"] == ["a", "b"]
    assert {s["name"]: s["values"] for s in chart["series"]} == {"us": [1, 1], "cn": [1, 0]}
    resolution = {row[0]: row for row in summary["tables"][1]["rows"]}
    assert resolution["gpu"][-1] == "verified"
    assert resolution["bge"][-2] == "on the US Entity List since 2025-03-25"
    titles = [t["title"] for t in summary["tables"]]
    assert titles[:3] == ["Layer blocs per system", "Component resolution", "Sites"]
    assert titles[3].startswith("Export-control measures on the AI supply chain, status on ")
    for table in summary["tables"]:
        assert all(len(row) == len(table["columns"]) for row in table["rows"])


@pytest.fixture(scope="module")
def demo_result(demo_estate: Path, catalogue: Catalogue) -> AnalysisResult:
    return run(load_estate(demo_estate), catalogue)


def test_demo_entity_listed_vendors(demo_result: AnalysisResult) -> None:
    listed = by_rule(demo_result, "entity-listed-vendor")
    vendors = {f.evidence["vendor_id"] for f in listed}
    assert {"huawei", "cambricon", "baai"} <= vendors
    assert all(f.citations for f in listed)
    npu = next(f for f in listed if f.subject.id == "npu-910b")
    assert npu.severity is Severity.HIGH and npu.related[0].id == "cn-support-bot"


def test_demo_lineage_chain(demo_result: AnalysisResult) -> None:
    (finding,) = by_rule(demo_result, "lineage-origin")
    assert finding.subject.id == "support-ft"
    assert finding.evidence["chain"] == [
        "support-ft (vendor not catalogued, US)",
        "qwen-7b (Alibaba Cloud, CN)",
    ]


def test_demo_is_deterministic(
    demo_estate: Path, catalogue: Catalogue, demo_result: AnalysisResult
) -> None:
    again = run(load_estate(demo_estate), catalogue)
    assert again == demo_result
    ids = [f.id for f in demo_result.findings]
    assert len(ids) == len(set(ids))


def test_pipeline_runs_provenance_and_hygiene_with_locations(
    demo_estate: Path, catalogue: Catalogue
) -> None:
    import orjson

    from stackrift.pipeline import assess

    loaded = load_estate(demo_estate)
    report = assess(
        loaded,
        AnalysisContext(as_of=date(2026, 11, 20), catalogue=catalogue),
        only=frozenset({"provenance", "hygiene"}),
    )
    sections = {s.name: s for s in report.sections}
    assert list(sections) == ["provenance", "hygiene"]
    finding = next(
        f
        for f in sections["provenance"].findings
        if f.id == "provenance:entity-listed-vendor:npu-910b:huawei"
    )
    location = report.locations[finding.id]
    line = demo_estate.read_text().splitlines()[location.line - 1]
    assert "id: npu-910b" in line
    orjson.dumps(sections["provenance"].summary)  # the summary must be JSON-serialisable


def test_merge_takes_every_base_as_an_origin(tmp_path: Path, catalogue: Catalogue) -> None:
    merge = {
        "id": "merged",
        "type": "model",
        "name": "merged",
        "supplier_country": "US",
        "base_models": ["meta-llama/Llama-3.1-8B", "deepseek-ai/DeepSeek-R1", "BAAI/bge-m3"],
        "base_model_relation": "merge",
    }
    loaded = estate(
        tmp_path, sites=[US_SITE], components=[merge], systems=[system("s", ["merged"])]
    )
    result = run(loaded, catalogue)
    assert result.summary["systems"]["s"]["model weights"] == ["us", "cn"]
    (lineage,) = by_rule(result, "lineage-origin")
    assert lineage.evidence["chain"][-1] == "deepseek-ai/DeepSeek-R1 (DeepSeek, CN)"
    assert lineage.evidence["other_origins"] == [
        "BAAI/bge-m3 (Beijing Academy of Artificial Intelligence, CN)"
    ]
    (listed,) = by_rule(result, "entity-listed-origin")
    assert listed.evidence["vendor_id"] == "baai"
    assert listed.evidence["lineage"][-1].startswith("BAAI/bge-m3")


def test_mixed_stack_cites_only_rules_in_force(tmp_path: Path, catalogue: Catalogue) -> None:
    parts = [
        {"id": "gpu", "type": "accelerator", "name": "NVIDIA H20", "vendor": "NVIDIA"},
        {"id": "qwen", "type": "model", "name": "qwen", "hf_id": "Qwen/Qwen2.5-7B"},
    ]
    loaded = estate(
        tmp_path, sites=[US_SITE], components=parts, systems=[system("s", ["gpu", "qwen"])]
    )
    (before,) = by_rule(run(loaded, catalogue, date(2025, 4, 8)), "mixed-stack")
    assert before.citations == ()
    (after,) = by_rule(run(loaded, catalogue, date(2025, 4, 9)), "mixed-stack")
    assert [c.source for c in after.citations] == ["NVIDIA Corporation Form 8-K filed 2025-04-15"]


def test_listed_cloud_provider_and_site_mismatch(tmp_path: Path, catalogue: Catalogue) -> None:
    sites = [
        {
            "id": "hw",
            "name": "Huawei Cloud Beijing",
            "kind": "cloud_region",
            "provider": "Huawei Cloud",
            "region": "cn-north-4",
            "country": "HK",
            "entity": "hq",
        }
    ]
    loaded = estate(tmp_path, sites=sites, systems=[system("s", [], site="hw")])
    result = run(loaded, catalogue)
    (listed,) = by_rule(result, "entity-listed-cloud")
    assert listed.subject.id == "hw" and listed.evidence["role"] == "provider"
    assert listed.severity is Severity.HIGH and listed.citations[0].source == "84 FR 22961"
    (mismatch,) = by_rule(result, "site-mismatch")
    assert mismatch.title == "Site hw: estate says HK, catalogue places Huawei cn-north-4 in CN"
    assert result.summary["systems"]["s"]["cloud"] == ["cn"]
