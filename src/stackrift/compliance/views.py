"""One compliance run over an estate, and its tables, shared by the analysis and the CLI.

:func:`run_compliance` loads the library (packaged frameworks plus the user's), evaluates every
system on the as-of date and, when a controls file is given, the status of each obligation and
the joint control plan. The tables are the typed models of :mod:`stackrift.summaries`, so a
report, the terminal and JSON show the same rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from stackrift.compliance.conditions import SystemFacts
from stackrift.compliance.cover import ControlPlan, PlanComparison, plan_controls
from stackrift.compliance.engine import (
    Applicability,
    ObligationStatus,
    ObligationVerdict,
    evaluate_systems,
    evidence_reuse,
    implications,
    obligation_status,
    status_counts,
)
from stackrift.compliance.estate_facts import estate_facts
from stackrift.compliance.loader import ComplianceLibrary, load_library
from stackrift.compliance.oscal_import import load_control_file
from stackrift.estate.model import Estate
from stackrift.summaries import Table

DISCLAIMER = ("Obligations are derived from the estate's facts and the framework files; "
              "not legal advice.")


@dataclass(frozen=True, kw_only=True)
class ComplianceOutcome:
    """Verdicts for every system × requirement, with control status and plan when asked."""

    library: ComplianceLibrary
    facts: tuple[SystemFacts, ...]
    verdicts: tuple[ObligationVerdict, ...]
    statuses: tuple[ObligationStatus, ...] | None = None
    plan: PlanComparison | None = None
    notes: tuple[str, ...] = ()

    @property
    def caveats(self) -> tuple[str, ...]:
        """What was not looked at (e.g. OSCAL titles not read, imported controls left out)."""
        return self.library.notes + self.notes


def run_compliance(estate: Estate, as_of: date, *, frameworks: Sequence[Path] = (),
                   controls: Path | None = None, oscal_dir: Path | None = None,
                   with_plan: bool = False, with_status: bool = True,
                   extra: Mapping[str, Mapping[str, Any]] | None = None) -> ComplianceOutcome:
    """Evaluate ``estate``; with ``controls``, the status of each obligation (unless not
    ``with_status``) and (``with_plan``) the cheapest control set against per-framework plans."""
    library = load_library(tuple(frameworks), oscal_dir=oscal_dir)
    facts = estate_facts(estate, extra)
    verdicts = evaluate_systems(library, facts, as_of)
    if controls is None:
        return ComplianceOutcome(library=library, facts=facts, verdicts=verdicts)
    imported = load_control_file(controls, library)
    catalogue = imported.catalogue
    implied = implications(library)
    return ComplianceOutcome(
        library=library, facts=facts, verdicts=verdicts, notes=imported.notes,
        statuses=obligation_status(verdicts, catalogue, implied) if with_status else None,
        plan=plan_controls(verdicts, catalogue, implied) if with_plan else None)


def obligation_table(verdicts: Sequence[ObligationVerdict]) -> Table:
    """Per system × jurisdiction: requirements that apply now, later, or are undetermined."""
    counts: Counter[tuple[str, str, Applicability]] = Counter(
        (v.system_id, v.jurisdiction or "global", v.status) for v in verdicts)
    keys = sorted({(s, j) for s, j, _ in counts})
    return Table.of(
        "Obligations per system and jurisdiction",
        ["system", "jurisdiction", "applies now", "applies later", "undetermined"],
        [[s, j, counts[s, j, Applicability.APPLIES], counts[s, j, Applicability.FUTURE],
          counts[s, j, Applicability.UNDETERMINED]] for s, j in keys
         if any(counts[s, j, a] for a in (Applicability.APPLIES, Applicability.FUTURE,
                                          Applicability.UNDETERMINED))])


def obligation_rows_table(verdicts: Sequence[ObligationVerdict]) -> Table:
    """One row per system × requirement in scope or undetermined, with its start date."""
    return Table.of(
        "Obligations", ["system", "requirement", "kind", "status", "from", "missing facts",
                        "title"],
        [[v.system_id, v.ref, v.kind.value, v.status.value,
          v.applies_from.isoformat() if v.applies_from else None, ", ".join(v.missing) or None,
          v.title] for v in verdicts
         if v.in_scope or v.status is Applicability.UNDETERMINED])


def applicable_rows_table(verdicts: Sequence[ObligationVerdict]) -> Table:
    """One row per system × requirement that applies now or later (the text view's rows)."""
    return Table.of(
        "Obligations in scope", ["system", "requirement", "kind", "status", "from", "title"],
        [[v.system_id, v.ref, v.kind.value, v.status.value,
          v.applies_from.isoformat() if v.applies_from else None, v.title]
         for v in verdicts if v.in_scope])


def undetermined_table(verdicts: Sequence[ObligationVerdict]) -> Table:
    """Undetermined requirements grouped per system, framework and missing facts: what to
    record to decide them (every row is in the JSON form's ``Obligations`` table)."""
    groups: Counter[tuple[str, str, str]] = Counter(
        (v.system_id, v.framework_id, ", ".join(v.missing) or "a fact") for v in verdicts
        if v.status is Applicability.UNDETERMINED)
    return Table.of("Undetermined: facts to record", ["system", "framework", "requirements",
                                                      "missing facts"],
                    [[s, f, n, m] for (s, f, m), n in sorted(groups.items())])


def status_table(statuses: Sequence[ObligationStatus]) -> Table:
    return Table.of("Obligations met by declared controls, per system and jurisdiction",
                    ["system", "jurisdiction", "met", "partially met", "missing"],
                    [[c.system_id, c.jurisdiction, c.met, c.partial, c.missing]
                     for c in status_counts(statuses)])


def reuse_table(statuses: Sequence[ObligationStatus]) -> Table:
    return Table.of("Evidence reused across frameworks", ["evidence", "frameworks"],
                    [[loc, ", ".join(fws)] for loc, fws in evidence_reuse(statuses).items()])


def _plan_row(name: str, plan: ControlPlan) -> list[str | int | None]:
    return [name, plan.status.value, plan.cost, len(plan.chosen), len(plan.uncovered),
            ", ".join(sorted(plan.control_ids)) or None]


def plan_tables(comparison: PlanComparison) -> list[Table]:
    """The joint plan against per-framework plans, and what each chosen control discharges."""
    joint = comparison.joint
    plans = Table.of(
        f"Control plan: joint cost {joint.cost} against {comparison.separate_cost} planned per "
        f"framework (saving {comparison.saving}"
        f"{'' if comparison.all_optimal else ', estimate: not all plans proven optimal'})",
        ["plan", "status", "cost", "controls", "uncovered", "chosen"],
        [_plan_row("joint", joint),
         *(_plan_row(fw, p) for fw, p in sorted(comparison.per_framework.items()))])
    chosen = Table.of(
        "Chosen controls and what they discharge",
        ["control", "cost", "obligations", "frameworks"],
        [[c.control_id, c.cost, len(c.discharges),
          ", ".join(sorted({ref.split(":", 1)[0] for _, ref in c.discharges}))]
         for c in joint.chosen])
    gaps = Table.of(
        "Not covered by the plan (no control covers it, or applicability undetermined)",
        ["system", "requirement", "why"],
        [*([s, r, "no declared control covers it"] for s, r in joint.uncovered),
         *([s, r, "undetermined: missing facts"] for s, r in comparison.undetermined)])
    return [plans, chosen, gaps]


def caveat_table(caveats: Sequence[str]) -> Table:
    return Table.of("Not looked at", ["caveat"], [[c] for c in caveats])


def summary_tables(outcome: ComplianceOutcome) -> list[Table]:
    """The tables a report shows for one run."""
    tables = [obligation_table(outcome.verdicts)]
    if outcome.statuses is not None:
        tables += [status_table(outcome.statuses), reuse_table(outcome.statuses)]
    if outcome.plan is not None:
        tables += plan_tables(outcome.plan)
    if outcome.caveats:
        tables.append(caveat_table(outcome.caveats))
    return tables
