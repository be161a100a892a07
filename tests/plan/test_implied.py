"""Defect 1: moving a system moves its users' data (implied flows), judged in every layout."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from stackrift.analyses.base import AnalysisContext
from stackrift.catalog.catalogue import load_catalogue
from stackrift.estate.implied import is_implied, with_implied_flows
from stackrift.estate.loader import load_estate
from stackrift.pipeline import assess
from stackrift.plan.lawful import FlowJudge
from stackrift.plan.solver import Objective, Planner
from stackrift.rules.engine import Verdict, evaluate_estate, load_rule_set

AS_OF = date(2026, 11, 29)
HERE = Path(__file__).parent
CHATBOT = HERE / "estate_chatbot.yaml"
DEMO = HERE.parents[1] / "src" / "stackrift" / "demo" / "estate.yaml"


@pytest.fixture(scope="module")
def judge() -> FlowJudge:
    return FlowJudge.load()


def test_china_users_chatbot_does_not_move_abroad_unlawfully(judge: FlowJudge) -> None:
    result = Planner(load_estate(CHATBOT), load_catalogue(), judge, AS_OF).solve(
        Objective.COST, cross_border=True, time_limit=10)
    assert result.feasible
    change = next(c for c in result.changes if c.system == "cn-chatbot")
    # Germany is four times cheaper, but the Chinese users' personal data would then leave
    # China under a regime the organisation cannot satisfy on its own.
    assert change.site_to == "cn-hz"


def test_users_sending_no_data_let_the_chatbot_move(judge: FlowJudge, tmp_path: Path) -> None:
    data = yaml.safe_load(CHATBOT.read_text())
    data["systems"][0]["user_data"] = []  # the estate overrides the default categories
    path = tmp_path / "estate.yaml"
    path.write_text(yaml.safe_dump(data))
    result = Planner(load_estate(path), load_catalogue(), judge, AS_OF).solve(
        Objective.COST, cross_border=True, time_limit=10)
    change = next(c for c in result.changes if c.system == "cn-chatbot")
    assert change.site_to == "de1"


def test_implied_flows_appear_in_transfers_analysis_marked_implied() -> None:
    loaded = load_estate(DEMO)
    report = assess(loaded, AnalysisContext(as_of=AS_OF, catalogue=load_catalogue()))
    section = next(s for s in report.sections if s.name == "transfers")
    table = next(t for t in section.summary["tables"] if t["title"] == "Data flows")
    implied = [row[0] for row in table["rows"] if "(implied)" in row[0]]
    assert "implied:global-rag:cn:in (implied)" in implied
    finding = next(f for f in report.findings
                   if f.subject.id == "implied:global-rag:cn:in")
    assert "implied" in finding.evidence
    # Domestic users' data does not appear as a transfer.
    assert not any(r.startswith("implied:cn-support-bot:") for r in implied)


def test_transfers_verdicts_of_implied_flows_follow_declared_mechanisms() -> None:
    estate = load_estate(DEMO).estate
    rag = estate.system("global-rag")
    assert rag is not None
    fixed = estate.model_copy(update={"systems": tuple(
        s.model_copy(update={"user_data_mechanisms": ("scc", "tia")}) if s.id == rag.id else s
        for s in estate.systems)})
    verdicts = {v.flow_id: v for v in evaluate_estate(with_implied_flows(fixed), AS_OF,
                                                      load_rule_set())}
    assert verdicts["implied:global-rag:de:in"].lawful


def test_demo_plan_moves_no_system_whose_users_data_turns_unlawful(judge: FlowJudge) -> None:
    """Acceptance: balanced, --max-bloc-share 0.6, --cross-border on the demo estate."""
    loaded = load_estate(DEMO)
    result = Planner(loaded, load_catalogue(), judge, AS_OF).solve(
        Objective.BALANCED, max_bloc_share=0.6, cross_border=True, time_limit=20)
    assert result.feasible and result.new_estate is not None
    moved = {c.system for c in result.changes if c.site_from != c.site_to}
    assert moved, "the scenario is meant to exercise moves"
    listed = {(a.flow, m.strip()) for a in result.flow_actions
              if a.action == "mechanisms_added" for m in a.detail.split(":")[-1].split(",")}
    planned = with_implied_flows(result.new_estate, cross_border_only=False)
    flows = {f.id: f for f in planned.data_flows}
    for verdict in evaluate_estate(planned, AS_OF, load_rule_set()):
        flow = flows[verdict.flow_id]
        if not is_implied(flow.id) or flow.system not in moved:
            continue
        assert verdict.verdict is not Verdict.PROHIBITED, flow.id
        assert not verdict.mechanisms_missing, flow.id
        system = result.new_estate.system(flow.system)
        assert system is not None
        original = loaded.estate.system(flow.system)
        assert original is not None
        # Every mechanism the planned estate holds beyond the original is a listed action.
        for mechanism in set(system.user_data_mechanisms) - set(original.user_data_mechanisms):
            assert any(m == mechanism.value for f, m in listed
                       if f.startswith(f"implied:{flow.system}:")), (flow.id, mechanism)
