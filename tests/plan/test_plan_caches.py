"""The planner's shared judgements and rule results change its speed, never its plans: with
sharing turned off (every lone flow evaluated afresh) the plans and the final checks are the same
on the test estates and on a generated estate."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackrift.catalog.catalogue import Catalogue, load_catalogue
from stackrift.estate.loader import load_estate
from stackrift.plan.lawful import FlowJudge
from stackrift.plan.solver import Objective, Planner, PlanResult

AS_OF = date(2026, 11, 29)
HERE = Path(__file__).parent
ROOT = HERE.parents[1]
DEMO = ROOT / "src" / "stackrift" / "demo" / "estate.yaml"


def _generated(tmp_path: Path, systems: int) -> Path:
    """The benchmark's generated estate (same generator, fewer systems)."""
    spec = importlib.util.spec_from_file_location("bench_plan_generator",
                                                  ROOT / "benchmarks" / "bench_plan.py")
    assert spec is not None and spec.loader is not None
    sys.path.insert(0, str(ROOT / "benchmarks"))  # bench_plan imports its harness
    try:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    path = tmp_path / f"estate-{systems}.yaml"
    path.write_text(yaml.safe_dump(module.generate(systems), sort_keys=False))
    return path


def _plan(path: Path, catalogue: Catalogue, share: bool, **options: Any) -> PlanResult:
    judge = FlowJudge.load()
    judge.share_results = share
    # One worker: CP-SAT's choice among equally good plans is then deterministic.
    return Planner(load_estate(path), catalogue, judge, AS_OF).solve(
        time_limit=30, workers=1, **options)


def _comparable(result: PlanResult) -> dict[str, Any]:
    found = result.to_json()
    for timing in ("solve_seconds", "stats"):
        found.pop(timing, None)
    return found


CASES = [
    ("estate_small.yaml", {}),
    ("estate_small.yaml", {"cross_border": True, "max_bloc_share": 0.5}),
    ("estate_region.yaml", {"cross_border": True}),
    ("estate_chatbot.yaml", {"cross_border": True}),
    ("estate_onprem_cn.yaml", {}),
    ("estate_infeasible.yaml", {"cross_border": True}),
    ("demo", {"objective": Objective.BALANCED, "max_bloc_share": 0.6, "cross_border": True}),
]


@pytest.mark.parametrize(("name", "options"), CASES)
def test_shared_results_give_the_reference_plan(name: str, options: dict[str, Any]) -> None:
    path = DEMO if name == "demo" else HERE / name
    catalogue = load_catalogue()
    shared = _plan(path, catalogue, True, **options)
    reference = _plan(path, catalogue, False, **options)
    assert _comparable(shared) == _comparable(reference)
    assert shared.new_estate == reference.new_estate


def test_shared_results_give_the_reference_plan_on_a_generated_estate(tmp_path: Path) -> None:
    path = _generated(tmp_path, 120)
    catalogue = load_catalogue()
    shared = _plan(path, catalogue, True)
    reference = _plan(path, catalogue, False)
    assert shared.status == "optimal"
    assert _comparable(shared) == _comparable(reference)
    assert shared.new_estate == reference.new_estate
    # The generated estate exercises the sharing: far fewer evaluations than look-ups.
    assert shared.stats["engine_evaluations"] < reference.stats["engine_evaluations"]
