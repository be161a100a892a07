"""The smallest control set: optimal (checked by brute force), uncovered needs named."""

from __future__ import annotations

import itertools
import random
from datetime import date

from stackrift.compliance.cover import PlanStatus, plan_controls, solve_cover
from stackrift.compliance.engine import evaluate_system, implications
from stackrift.compliance.model import Control, ControlCatalogue, Relation

from .helpers import facts, framework, library, mapping


def _brute_force(needs: list[tuple[str, str]], candidates: dict[str, frozenset[tuple[str, str]]],
                 costs: dict[str, int]) -> int:
    coverable = {n for n in needs if any(n in c for c in candidates.values())}
    best = sum(costs.values())
    ids = sorted(candidates)
    for size in range(len(ids) + 1):
        for combo in itertools.combinations(ids, size):
            covered = set().union(*(candidates[c] for c in combo)) if combo else set()
            if coverable <= covered:
                best = min(best, sum(costs[c] for c in combo))
    return best


def test_cover_is_minimal_against_brute_force_on_random_instances() -> None:
    rng = random.Random(20261204)
    for _ in range(60):
        needs = [("s", f"f:r{i}") for i in range(rng.randint(1, 9))]
        candidates = {f"c{j}": frozenset(rng.sample(needs, rng.randint(1, len(needs))))
                      for j in range(rng.randint(1, 8))}
        costs = {c: rng.randint(1, 5) for c in candidates}
        plan = solve_cover(needs, candidates, costs)
        assert plan.status is PlanStatus.OPTIMAL
        assert plan.cost == _brute_force(needs, candidates, costs)
        chosen = set().union(*(candidates[c.control_id] for c in plan.chosen))
        assert {n for n in needs if n not in plan.uncovered} <= chosen


def test_hand_solved_case_and_uncovered_obligations_are_named() -> None:
    needs = [("s", "f:a"), ("s", "f:b"), ("s", "f:c"), ("s", "f:d")]
    candidates = {"big": frozenset(needs[:3]), "x": frozenset(needs[:1]),
                  "y": frozenset(needs[1:2]), "z": frozenset(needs[2:3])}
    costs = {"big": 2, "x": 1, "y": 1, "z": 1}
    plan = solve_cover(needs, candidates, costs)
    assert plan.control_ids == {"big"} and plan.cost == 2
    assert plan.uncovered == (("s", "f:d"),)
    costs["big"] = 4  # now three singles (cost 3) are cheaper
    assert solve_cover(needs, candidates, costs).control_ids == {"x", "y", "z"}


def test_nothing_to_cover() -> None:
    plan = solve_cover([("s", "f:a")], {}, {})
    assert plan.status is PlanStatus.NOTHING_TO_COVER and plan.uncovered == (("s", "f:a"),)


def test_joint_plan_through_the_crosswalk_is_cheaper_than_per_framework() -> None:
    # eu:risk and iso:risk are equal through the crosswalk; one control meets both regimes
    lib = library([framework("eu", "risk", "log"), framework("iso", "risk", "log")],
                  [mapping("eu:risk", "iso:risk", Relation.EQUAL),
                   mapping("eu:log", "iso:log", Relation.INTERSECTS)])
    catalogue = ControlCatalogue(controls=(
        Control(id="RISK", satisfies=("eu:risk",), cost=5),
        Control(id="EU-LOG", satisfies=("eu:log",), cost=1),
        Control(id="ISO-LOG", satisfies=("iso:log",), cost=1),
        Control(id="ISO-RISK", satisfies=("iso:risk",), cost=4)))
    verdicts = evaluate_system(lib, facts(), date(2026, 12, 4))
    comparison = plan_controls(verdicts, catalogue, implications(lib))
    # ISO-RISK also covers eu:risk (equal), so the joint plan buys it once
    assert comparison.joint.control_ids == {"ISO-RISK", "EU-LOG", "ISO-LOG"}
    assert comparison.joint.cost == 6
    assert comparison.separate_cost == 10 and comparison.saving == 4
    assert not comparison.joint.uncovered


def test_control_scoped_to_other_systems_does_not_cover() -> None:
    lib = library([framework("f", "r")])
    catalogue = ControlCatalogue(controls=(Control(id="C", satisfies=("f:r",),
                                                   systems=("other",)),))
    verdicts = evaluate_system(lib, facts("s1"), date(2026, 12, 4))
    plan = plan_controls(verdicts, catalogue, implications(lib)).joint
    assert plan.uncovered == (("s1", "f:r"),) and not plan.chosen
