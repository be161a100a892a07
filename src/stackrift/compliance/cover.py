"""The cheapest set of controls that discharges every in-scope obligation at once (set cover).

Solved exactly with OR-Tools CP-SAT: one boolean per candidate control, one "at least one chosen
control covers it" constraint per coverable obligation, minimum total cost. Obligations no control
covers (directly or through the crosswalk) are named, never dropped silently; the solver's status
says whether the answer is proven optimal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ortools.sat.python import cp_model

from stackrift.compliance.engine import (
    Applicability,
    Implications,
    ObligationVerdict,
    control_applies_to,
)
from stackrift.compliance.model import ComplianceError, Control, ControlCatalogue

DEFAULT_TIME_LIMIT_S = 30.0


class PlanStatus(StrEnum):
    """How good the solver's answer is."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # a cover, not proven cheapest within the time limit
    NOTHING_TO_COVER = "nothing_to_cover"


Need = tuple[str, str]  # (system id, requirement reference)


@dataclass(frozen=True, kw_only=True)
class ChosenControl:
    """A control in the plan and the (system, requirement) needs it discharges."""

    control_id: str
    cost: int
    discharges: tuple[Need, ...]


@dataclass(frozen=True, kw_only=True)
class ControlPlan:
    """The chosen controls, their cost, and the needs no control covers."""

    status: PlanStatus
    cost: int
    chosen: tuple[ChosenControl, ...]
    uncovered: tuple[Need, ...]
    needs: int

    @property
    def control_ids(self) -> frozenset[str]:
        return frozenset(c.control_id for c in self.chosen)


def coverage(verdicts: Sequence[ObligationVerdict], catalogue: ControlCatalogue,
             implied: Implications) -> dict[str, frozenset[Need]]:
    """For each control, the in-scope (system, requirement) needs it would fully discharge."""
    systems_by_ref: dict[str, set[str]] = {}
    for v in verdicts:
        if v.in_scope:
            systems_by_ref.setdefault(v.ref, set()).add(v.system_id)
    out: dict[str, frozenset[Need]] = {}
    for control in catalogue.controls:
        refs = set().union(*(implied.covers(r) for r in control.satisfies))
        out[control.id] = frozenset(
            (system, ref) for ref in refs for system in systems_by_ref.get(ref, ())
            if control_applies_to(control, system))
    return out


def solve_cover(needs: Sequence[Need], candidates: Mapping[str, frozenset[Need]],
                costs: Mapping[str, int], *, time_limit_s: float = DEFAULT_TIME_LIMIT_S
                ) -> ControlPlan:
    """Minimum-cost subset of ``candidates`` covering every coverable need."""
    wanted = sorted(set(needs))
    by_need: dict[Need, list[str]] = {n: [] for n in wanted}
    for control_id in sorted(candidates):
        for need in candidates[control_id]:
            if need in by_need:
                by_need[need].append(control_id)
    uncovered = tuple(n for n in wanted if not by_need[n])
    # needs covered by the same controls give the same constraint: keep one of each
    distinct = sorted({tuple(c) for c in by_need.values() if c})
    if not distinct:
        return ControlPlan(status=PlanStatus.NOTHING_TO_COVER, cost=0, chosen=(),
                           uncovered=uncovered, needs=len(wanted))
    model = cp_model.CpModel()
    used = sorted({c for group in distinct for c in group})
    pick = {c: model.new_bool_var(f"pick_{i}") for i, c in enumerate(used)}
    for group in distinct:
        model.add_bool_or([pick[c] for c in group])
    model.minimize(sum(costs[c] * pick[c] for c in used))
    solver = cp_model.CpSolver()
    # one worker and a fixed seed: the same input gives the same chosen set
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = time_limit_s
    result = solver.solve(model)
    if result not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise ComplianceError(f"the control plan solver found no cover within {time_limit_s:g} s "
                              f"(status {solver.status_name(result)})")
    chosen = tuple(
        ChosenControl(control_id=c, cost=costs[c],
                      discharges=tuple(sorted(n for n in candidates[c] if n in by_need)))
        for c in used if solver.value(pick[c]))
    return ControlPlan(
        status=PlanStatus.OPTIMAL if result == cp_model.OPTIMAL else PlanStatus.FEASIBLE,
        cost=sum(c.cost for c in chosen), chosen=chosen, uncovered=uncovered,
        needs=len(wanted))


@dataclass(frozen=True, kw_only=True)
class PlanComparison:
    """The joint plan against planning each framework on its own."""

    joint: ControlPlan
    per_framework: Mapping[str, ControlPlan]
    # obligations that may apply but whose facts are missing: no plan covers them, and a
    # report must say so rather than call the plan complete
    undetermined: tuple[Need, ...] = ()

    @property
    def all_optimal(self) -> bool:
        """Whether the saving compares proven optima (otherwise it is an estimate)."""
        plans = (self.joint, *self.per_framework.values())
        return all(p.status is not PlanStatus.FEASIBLE for p in plans)

    @property
    def separate_cost(self) -> int:
        return sum(p.cost for p in self.per_framework.values())

    @property
    def saving(self) -> int:
        return self.separate_cost - self.joint.cost


def plan_controls(verdicts: Sequence[ObligationVerdict], catalogue: ControlCatalogue,
                  implied: Implications, *, time_limit_s: float = DEFAULT_TIME_LIMIT_S
                  ) -> PlanComparison:
    """The smallest joint control set for every in-scope obligation (applying now or from a
    later date), and the same per framework; undetermined obligations are listed apart."""
    candidates = coverage(verdicts, catalogue, implied)
    costs = {c.id: c.cost for c in catalogue.controls}
    in_scope = [v for v in verdicts if v.in_scope]
    joint = solve_cover([(v.system_id, v.ref) for v in in_scope], candidates, costs,
                        time_limit_s=time_limit_s)
    per_framework = {
        fw: solve_cover([(v.system_id, v.ref) for v in in_scope if v.framework_id == fw],
                        candidates, costs, time_limit_s=time_limit_s)
        for fw in sorted({v.framework_id for v in in_scope})}
    undetermined = tuple(sorted((v.system_id, v.ref) for v in verdicts
                                if v.status is Applicability.UNDETERMINED))
    return PlanComparison(joint=joint, per_framework=per_framework, undetermined=undetermined)


def controls_by_id(catalogue: ControlCatalogue) -> dict[str, Control]:
    return {c.id: c for c in catalogue.controls}
