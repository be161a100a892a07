"""Terminal and JSON renderings of stress results and plans (the CLI only writes the text)."""

from __future__ import annotations

import io
from typing import Any

import orjson
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stackrift.estate.model import Estate
from stackrift.plan.lawful import DISCLAIMER
from stackrift.plan.solver import PlanResult
from stackrift.plan.stress import StressResult, Substitute
from stackrift.textsafe import SafeConsole


def _console(buffer: io.StringIO) -> Console:
    return SafeConsole(file=buffer, width=140, soft_wrap=False, color_system=None,
                   force_terminal=False)


def stress_json(results: list[StressResult]) -> str:
    """A JSON array with one object per scenario (see docs/supply-chain.md)."""
    payload: list[dict[str, Any]] = [r.to_json() for r in results]
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n"


def _substitute_line(sub: Substitute) -> str:
    terms = ", ".join(f"{t.name} {t.score}" for t in sub.burden.terms if t.score)
    return f"{sub.name} [{sub.id}]: {sub.burden.total} ({terms})"


def stress_terminal(results: list[StressResult]) -> str:
    buffer = io.StringIO()
    console = _console(buffer)
    for result in results:
        s = result.scenario
        console.print(escape(f"Scenario {s.id}: {s.title}"))
        console.print(f"  effective {s.effective} ({s.status}, {s.confidence}); evaluated as of "
                      f"{result.as_of}")
        for note in result.notes:
            console.print(escape(f"  note: {note}"))
        if result.broken:
            table = Table(title="Broken systems", show_lines=True)
            for column in ("system", "cause", "substitutes (burden points)"):
                table.add_column(column, overflow="fold")
            for impact in result.broken:
                subs = "\n".join(escape(_substitute_line(sub)) for sub in impact.substitutes)
                subs = subs or "none found"
                table.add_row(escape(impact.subject), escape(impact.cause), subs)
            console.print(table)
        if result.degraded:
            table = Table(title="Degraded systems and flows")
            table.add_column("subject")
            table.add_column("cause", overflow="fold")
            for impact in result.degraded:
                table.add_row(escape(f"{impact.subject_kind} {impact.subject}"),
                              escape(impact.cause))
            console.print(table)
        if result.unlawful_flows:
            table = Table(title="Data flows that become unlawful")
            for column in ("flow", "before", "after", "missing", "rules"):
                table.add_column(column, overflow="fold")
            for change in result.unlawful_flows:
                table.add_row(change.flow, change.before.verdict, change.after.verdict,
                              ", ".join(change.after.missing) or "-",
                              ", ".join(change.after.rules_fired))
            console.print(table)
        if not (result.broken or result.degraded or result.unlawful_flows):
            console.print("  nothing in this estate is affected")
        console.print("")
    console.print(DISCLAIMER)
    return buffer.getvalue()


def estate_yaml(estate: Estate, header: str) -> str:
    """An estate file (YAML) that ``stackrift validate`` accepts; ``header`` becomes comments."""
    data = estate.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data = {"schema_version": estate.schema_version, **data}
    comments = "".join(f"# {line}\n" for line in header.splitlines())
    return comments + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def plan_json(result: PlanResult) -> str:
    return orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n"


def plan_terminal(result: PlanResult) -> str:
    buffer = io.StringIO()
    console = _console(buffer)
    gap = f", gap {result.gap:.2%}" if result.gap is not None else ""
    console.print(escape(f"Plan ({result.objective}) as of {result.as_of}: {result.status} in "
                         f"{result.solve_seconds:.1f} s{gap}"))
    if result.scenarios:
        console.print(escape(f"Planned as if in force: {', '.join(result.scenarios)}"))
    for note in result.notes:
        console.print(escape(f"note: {note}"))
    if not result.feasible:
        if result.conflicts:
            console.print("No layout satisfies every requirement. The smallest conflicting set:")
            for req in result.conflicts:
                console.print(escape(f"  - {req.text}"))
                if req.rules:
                    console.print(escape(f"      rules: {', '.join(req.rules)}"))
                if req.citations:
                    sources = "; ".join(str(c) for c in req.citations)
                    console.print(escape(f"      sources: {sources}"))
            console.print("Relax one of them (e.g. obtain a licence, allow another accelerator or "
                          "site, or stop the flow) and plan again.")
            if not result.cross_border:
                console.print("Systems were kept in their current countries; --cross-border "
                              "lets the planner consider sites abroad.")
        else:
            console.print("The solver found no answer within the time limit; raise --time-limit.")
        console.print(DISCLAIMER)
        return buffer.getvalue()
    changed = [c for c in result.changes if c.changed]
    table = Table(title="Systems")
    for column in ("system", "site", "accelerator", "runtime", "model", "burden"):
        table.add_column(column, overflow="fold")
    for change in changed:
        table.add_row(
            change.system,
            f"{change.site_from} -> {change.site_to}" if change.site_from != change.site_to
            else "unchanged",
            f"{change.accelerator_from} -> {change.accelerator_to}"
            if change.accelerator_from != change.accelerator_to else "unchanged",
            f"{change.runtime_from} -> {change.runtime_to}"
            if change.runtime_from != change.runtime_to else "unchanged",
            f"{change.model_from} -> {change.model_to}"
            if change.model_from != change.model_to else "unchanged",
            escape(", ".join(f"{t.name} {t.score}" for t in change.burden.terms if t.score)
                   or "0"))
    if changed:
        console.print(table)
    else:
        console.print("No system needs to move or change its stack.")
    if result.flow_actions:
        flows = Table(title="Data flows")
        for column in ("flow", "action", "detail"):
            flows.add_column(column, overflow="fold")
        for action in result.flow_actions:
            flows.add_row(escape(action.flow), escape(action.action), escape(action.detail))
        console.print(flows)
    if result.verification:
        console.print("Flows still prohibited once volumes aggregate across the new estate:")
        for item in result.verification:
            console.print(escape(f"  - {item['flow']}: {', '.join(item['rules_fired'])}"))
    console.print(DISCLAIMER)
    return buffer.getvalue()
