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


Row = frozenset[str]  # the controls any one of which discharges a need


def _drop_dominated_rows(rows: set[Row]) -> set[Row]:
    """Rows that contain another row are implied by it: covering the smaller covers them."""
    containing: dict[str, set[Row]] = {}
    for row in rows:
        for control in row:
            containing.setdefault(control, set()).add(row)
    kept = set(rows)
    for row in sorted(rows, key=lambda r: (len(r), sorted(r))):
        if row not in kept:
            continue
        rarest = min(row, key=lambda c: (len(containing[c]), c))
        for other in containing[rarest]:
            if other is not row and other in kept and len(other) > len(row) and row <= other:
                kept.discard(other)
    return kept


def _drop_dominated_controls(rows: set[Row], costs: Mapping[str, int]) -> set[Row]:
    """A control whose rows another control also covers, at no higher cost (ties: the smaller
    id stays), is never needed in a cheapest cover; it leaves every row."""
    rows_of: dict[str, set[Row]] = {}
    for row in rows:
        for control in row:
            rows_of.setdefault(control, set()).add(row)
    dropped: set[str] = set()
    for control in sorted(rows_of):
        mine = rows_of[control]
        also = frozenset.intersection(*mine) - {control} - dropped
        if any(costs[o] < costs[control] or (costs[o] == costs[control] and o < control)
               for o in also):
            dropped.add(control)
    return {frozenset(r - dropped) for r in rows} if dropped else rows


def reduce_cover(rows: set[Row], costs: Mapping[str, int]) -> tuple[set[str], set[Row]]:
    """Textbook set-cover reductions that keep the optimum: a row with one control forces it
    (and drops the rows it covers), a row containing another is dropped, a dominated control is
    dropped; repeated until nothing changes. Returns the forced controls and the rows left."""
    forced: set[str] = set()
    while True:
        before = (len(forced), len(rows), sum(len(r) for r in rows))
        singles = {next(iter(r)) for r in rows if len(r) == 1}
        forced |= singles
        rows = {r for r in rows if not r & singles}
        rows = _drop_dominated_controls(_drop_dominated_rows(rows), costs)
        if (len(forced), len(rows), sum(len(r) for r in rows)) == before:
            return forced, rows


def _solve_rows(rows: set[Row], costs: Mapping[str, int], time_limit_s: float
                ) -> tuple[set[str], bool]:
    """The cheapest controls meeting every row with CP-SAT, and whether proven optimal."""
    if not rows:
        return set(), True
    # imported here: OR-Tools brings numpy and pandas (about 0.4 s), and every `assess` imports
    # this module through the compliance analysis, selected or not
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    used = sorted({c for row in rows for c in row})
    pick = {c: model.new_bool_var(f"pick_{i}") for i, c in enumerate(used)}
    for row in sorted(rows, key=sorted):
        model.add_bool_or([pick[c] for c in sorted(row)])
    model.minimize(sum(costs[c] * pick[c] for c in used))
    solver = cp_model.CpSolver()
    # one worker and a fixed seed: the same input gives the same chosen set
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = time_limit_s
    # the full LP relaxation gives set cover a tight bound: without it a single worker may
    # not prove a 200-row cover optimal in 30 s; with it, it does in milliseconds
    solver.parameters.linearization_level = 2
    result = solver.solve(model)
    if result not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise ComplianceError(f"the control plan solver found no cover within {time_limit_s:g} s "
                              f"(status {solver.status_name(result)})")
    return {c for c in used if solver.value(pick[c])}, result == cp_model.OPTIMAL


def _controls_by_need(candidates: Mapping[str, frozenset[Need]], wanted: set[Need]
                      ) -> dict[Need, list[str]]:
    by_need: dict[Need, list[str]] = {n: [] for n in wanted}
    for control_id in sorted(candidates):
        for need in candidates[control_id]:
            if need in by_need:
                by_need[need].append(control_id)
    return by_need


def _cover(wanted: Sequence[Need], by_need: Mapping[Need, Sequence[str]],
           candidates: Mapping[str, frozenset[Need]], costs: Mapping[str, int],
           time_limit_s: float) -> ControlPlan:
    """The cover of ``wanted`` (sorted, distinct), given the controls covering each need."""
    uncovered = tuple(n for n in wanted if not by_need[n])
    # needs covered by the same controls give the same constraint: keep one of each
    distinct = {frozenset(by_need[n]) for n in wanted if by_need[n]}
    if not distinct:
        return ControlPlan(status=PlanStatus.NOTHING_TO_COVER, cost=0, chosen=(),
                           uncovered=uncovered, needs=len(wanted))
    forced, rows = reduce_cover(distinct, costs)
    picked, optimal = _solve_rows(rows, costs, time_limit_s)
    wanted_set = set(wanted)
    chosen = tuple(
        ChosenControl(control_id=c, cost=costs[c],
                      discharges=tuple(sorted(candidates[c] & wanted_set)))
        for c in sorted(forced | picked))
    return ControlPlan(
        status=PlanStatus.OPTIMAL if optimal else PlanStatus.FEASIBLE,
        cost=sum(c.cost for c in chosen), chosen=chosen, uncovered=uncovered,
        needs=len(wanted))


def solve_cover(needs: Sequence[Need], candidates: Mapping[str, frozenset[Need]],
                costs: Mapping[str, int], *, time_limit_s: float = DEFAULT_TIME_LIMIT_S
                ) -> ControlPlan:
    """Minimum-cost subset of ``candidates`` covering every coverable need."""
    wanted = set(needs)
    return _cover(sorted(wanted), _controls_by_need(candidates, wanted), candidates, costs,
                  time_limit_s)


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
    wanted = {(v.system_id, v.ref) for v in in_scope}
    by_need = _controls_by_need(candidates, wanted)  # once, shared by every plan below
    joint = _cover(sorted(wanted), by_need, candidates, costs, time_limit_s)
    needs_of: dict[str, set[Need]] = {}
    for v in in_scope:
        needs_of.setdefault(v.framework_id, set()).add((v.system_id, v.ref))
    per_framework = {fw: _cover(sorted(needs), by_need, candidates, costs, time_limit_s)
                     for fw, needs in sorted(needs_of.items())}
    undetermined = tuple(sorted((v.system_id, v.ref) for v in verdicts
                                if v.status is Applicability.UNDETERMINED))
    return PlanComparison(joint=joint, per_framework=per_framework, undetermined=undetermined)


def controls_by_id(catalogue: ControlCatalogue) -> dict[str, Control]:
    return {c.id: c for c in catalogue.controls}
