"""stress proposes model substitutes under Entity-List and licence shocks to model vendors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from stackrift.catalog.catalogue import load_catalogue
from stackrift.estate.loader import load_estate
from stackrift.plan.lawful import FlowJudge
from stackrift.plan.scenario import load_scenario, resolve_scenario
from stackrift.plan.stack import listed_exposure
from stackrift.plan.stress import stress

AS_OF = date(2026, 11, 29)
DEMO = Path(__file__).parents[2] / "src" / "stackrift" / "demo" / "estate.yaml"
SCENARIO = """\
id: deepseek-listed
title: "Hypothetical: DeepSeek added to the Entity List"
description: "Hypothetical test scenario."
effective: 2027-01-15
status: hypothetical
confidence: unverified
citations: [{source: "hypothetical", section: "test"}]
shocks:
  - kind: entity_list_add
    description: "DeepSeek joins the Entity List."
    vendors: [deepseek]
"""


def test_entity_list_shock_on_a_model_vendor_proposes_model_substitutes(tmp_path: Path) -> None:
    path = tmp_path / "deepseek-listed.yaml"
    path.write_text(SCENARIO)
    catalogue = load_catalogue()
    result = stress(load_estate(DEMO).estate, load_scenario(path), catalogue,
                    FlowJudge.load(), AS_OF)
    impacts = [i for i in result.degraded if i.subject == "cn-dev-copilot"]
    assert impacts, [i.subject for i in result.degraded]
    subs = impacts[0].substitutes
    assert subs and all(s.kind == "model" for s in subs)
    for sub in subs:
        product = catalogue.products[sub.id]
        assert product.vendor != "deepseek"
        assert not any(e.kind == "entity_list"
                       for e in listed_exposure(product, catalogue, result.as_of))
        assert product.equivalence_class == "general-llm"  # same capability class
        data = sub.to_json()
        assert data["licence"] and data["lineage"]
        assert any(t["term"] == "model_replacement" for t in data["burden"]["terms"])


def test_licence_shock_substitutes_carry_licence_and_lineage() -> None:
    result = stress(load_estate(DEMO).estate,
                    load_scenario(resolve_scenario("llama-licence-excludes-eu")),
                    load_catalogue(), FlowJudge.load(), AS_OF)
    subs = [s for impact in result.broken for s in impact.substitutes]
    assert subs and all(s.lineage for s in subs)
