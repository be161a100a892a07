"""Every sourced fact in the catalogue, Country Groups and scenarios says when it was checked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

import stackrift.catalog
import stackrift.plan
from stackrift.catalog.catalogue import Catalogue
from stackrift.plan.scenario import load_scenario, resolve_scenario

CATALOGUE = Path(stackrift.catalog.__file__).parent / "data"
PLAN = Path(stackrift.plan.__file__).parent
FILES = sorted([*CATALOGUE.glob("*.yaml"), PLAN / "data" / "country_groups.yaml",
                *(PLAN / "scenarios").glob("*.yaml")])


def citations(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every mapping with a ``source`` key (a citation), with a readable location."""
    if isinstance(node, dict):
        if isinstance(node.get("source"), str):
            yield where, node
        for key, value in node.items():
            yield from citations(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from citations(value, f"{where}[{index}]")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_citation_has_checked_on_and_a_reason_when_unverified(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = list(citations(document, path.name))
    for where, citation in found:
        assert isinstance(citation.get("checked_on"), date), f"{where}: no checked_on"
        if citation.get("confidence") == "unverified":
            assert citation.get("unverified_reason"), f"{where}: unverified without a reason"


def test_listings_carry_checked_citations(catalogue: Catalogue) -> None:
    for vendor in catalogue.vendors.values():
        for status in (vendor.entity_list, vendor.military_company_1260h,
                       vendor.unreliable_entity_list):
            if status is not None and status.listed:
                assert status.citation is not None, vendor.id
                assert status.citation.checked_on == date(2026, 12, 3), vendor.id


def test_measures_are_dated_and_sourced(catalogue: Catalogue) -> None:
    measures = {m.id: m for m in catalogue.data.measures}
    assert {"cn-gallium-germanium-2023", "cn-antimony-2024", "cn-us-dual-use-ban-2024",
            "cn-rare-earths-2025-04", "cn-october-2025-package", "us-bis-fdp-hbm-2024-12",
            "us-bis-ai-diffusion-2025", "us-bis-foundry-due-diligence-2025",
            "us-bis-affiliates-rule-2025", "us-bis-h200-review-policy-2026"} <= set(measures)
    assert measures["us-bis-ai-diffusion-2025"].citation.source == "90 FR 4544"
    assert measures["us-bis-ai-diffusion-2025"].in_force_from == date(2025, 1, 13)
    assert measures["us-bis-affiliates-rule-2025"].citation.source == "90 FR 47201"
    assert measures["us-bis-foundry-due-diligence-2025"].citation.source == "90 FR 5298"
    assert measures["us-bis-fdp-hbm-2024-12"].citation.source == "89 FR 96790"


def test_ggml_is_part_of_hugging_face_since_2026_02(catalogue: Catalogue) -> None:
    ggml = catalogue.vendors["ggml"]
    assert ggml.parent == "hugging-face" and ggml.country == "US"
    assert any(s.in_force_from == date(2026, 2, 20) for s in ggml.sources)
    assert catalogue.products["llama-cpp"].vendor == "ggml"


def test_scenarios_reflect_current_law() -> None:
    h20 = load_scenario(resolve_scenario("h20-china-licence-2025"))
    assert "D:5" in h20.shocks[0].destinations  # type: ignore[union-attr]
    d5 = load_scenario(resolve_scenario("d5-accelerator-tightening"))
    assert "already law" in d5.description
    affiliates = load_scenario(resolve_scenario("bis-affiliates-rule-returns-2026"))
    assert affiliates.citations[0].source == "90 FR 47201"
    assert affiliates.confidence == "unverified"
