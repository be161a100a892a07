"""Provenance of BOM components: evidence, Entity List status, countries, lineage chains."""

from __future__ import annotations

import json
from pathlib import Path

from stackrift.bom import cyclonedx_out
from stackrift.bom.base import read_bom
from stackrift.bom.provenance import enrich
from stackrift.catalog.catalogue import load_catalogue

CATALOGUE = load_catalogue(Path(__file__).parent / "catalogue")

DOC = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
    {"type": "library", "name": "hms-sdk", "bom-ref": "hms",
     "purl": "pkg:maven/com.huawei/hms-base@6.11.0"},
    {"type": "machine-learning-model", "name": "acme/llama-ft", "bom-ref": "ft",
     "supplier": {"name": "Acme Labs", "address": {"country": "SG"}},
     "properties": [{"name": "stackrift:base-models", "value": "meta-llama/Llama-3.1-8B"}]},
    {"type": "library", "name": "mystery", "bom-ref": "m"}]}


def _enriched(tmp_path: Path) -> tuple[dict[str, object], dict[str, str]]:
    path = tmp_path / "bom.json"
    path.write_text(json.dumps(DOC))
    document = read_bom(path)
    found = enrich(document, CATALOGUE)
    bom = cyclonedx_out.build(document, "1.6", found, "2026-11-29")
    props = {c["bom-ref"]: {p["name"]: p["value"] for p in c["properties"]}
             for c in bom["components"]}
    return props, {k: v.evidence for k, v in found.items()}


def test_evidence_and_entity_list(tmp_path: Path) -> None:
    props, evidence = _enriched(tmp_path)
    assert evidence == {"hms": "purl", "ft": "supplier-country", "m": "none"}
    hms = props["hms"]
    assert (hms["stackrift:bloc"], hms["stackrift:country"]) == ("cn", "CN")
    assert hms["stackrift:entity-list"] == "listed since 2019-05-16"
    assert hms["stackrift:evidence"].startswith("purl: purl namespace of pkg:maven/com.huawei")


def test_supplier_country_decides_when_vendor_unknown_and_lineage_is_a_chain(
        tmp_path: Path) -> None:
    props, _ = _enriched(tmp_path)
    ft = props["ft"]
    assert (ft["stackrift:bloc"], ft["stackrift:country"]) == ("other", "SG")
    assert ft["stackrift:entity-list"] == "unknown (vendor not catalogued)"
    assert ft["stackrift:lineage"] == ("acme/llama-ft (SG) -> meta-llama/Llama-3.1-8B (Meta, US)")
    assert ft["stackrift:weights-origin"] == "US (us)"


def test_unknown_stays_unknown(tmp_path: Path) -> None:
    props, _ = _enriched(tmp_path)
    mystery = props["m"]
    assert mystery["stackrift:bloc"] == "unknown"
    assert "stackrift:country" not in mystery
