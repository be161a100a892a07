"""Terminal and JSON renderings of stress results and plans (the CLI only writes the text)."""

from __future__ import annotations

import io
import textwrap
from typing import Any

import orjson
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stackrift.estate.model import Estate
from stackrift.plan.lawful import DISCLAIMER
from stackrift.plan.solver import PlanResult, SystemChange
from stackrift.plan.stress import StressResult, Substitute
from stackrift.textsafe import SafeConsole, plain


def _console(buffer: io.StringIO) -> Console:
    return SafeConsole(file=buffer, width=140, soft_wrap=False, color_system=None,
                   force_terminal=False)


def stress_json(results: list[StressResult]) -> str:
    """A JSON array with one object per scenario (see docs/supply-chain.md)."""
    payload: list[dict[str, Any]] = [r.to_json() for r in results]
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n"


def _substitute_line(sub: Substitute) -> str:
    terms = ", ".join(f"{t.name} {t.score}" for t in sub.burden.terms if t.score)
    licence = (f"; licence {sub.licence or 'not recorded'}; {', '.join(sub.lineage)}"
               if sub.kind == "model" else "")
    return f"{sub.name} [{sub.id}]: {sub.burden.total} ({terms}){licence}"


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


WIDTH = 80


def _wrap(text: str, indent: str = "", hang: str | None = None) -> list[str]:
    """Wrap to 80 columns without ever splitting an id (ids contain hyphens and colons)."""
    return textwrap.wrap(text, width=WIDTH, initial_indent=indent,
                         subsequent_indent=hang if hang is not None else indent + "  ",
                         break_long_words=False, break_on_hyphens=False) or [indent]


def _arrow(before: str | None, after: str | None) -> str:
    return f"{before or '-'} -> {after or '-'}"


def _change_lines(change: SystemChange) -> list[str]:
    lines = [change.system]
    for label, before, after in (("site", change.site_from, change.site_to),
                                 ("accelerator", change.accelerator_from,
                                  change.accelerator_to),
                                 ("runtime", change.runtime_from, change.runtime_to),
                                 ("model", change.model_from, change.model_to)):
        if before != after:
            lines += _wrap(f"{label + ':':<13}{_arrow(before, after)}", "  ", " " * 15)
    for item in change.stack:
        lines += _wrap(f"{'stack:':<13}{item}", "  ", " " * 15)
    for item in change.exposure:
        lines += _wrap(f"{'exposure:':<13}{item}", "  ", " " * 15)
    terms = ", ".join(f"{t.name} {t.score}" for t in change.burden.terms if t.score) or "none"
    lines += _wrap(f"{'burden:':<13}{change.burden.total} ({terms})", "  ", " " * 15)
    return lines


def _conflict_lines(result: PlanResult) -> list[str]:
    lines = ["No layout satisfies every requirement. The smallest conflicting set:"]
    for req in result.conflicts:
        lines += _wrap(f"- [{req.kind}] {req.text}", "  ", "    ")
        if req.rules:
            lines += _wrap(f"rules: {', '.join(req.rules)}", "    ", "      ")
        if req.citations:
            lines += _wrap(f"sources: {'; '.join(str(c) for c in req.citations)}", "    ",
                           "      ")
    lines += _wrap("Relax one of them (obtain a licence or approval, allow another accelerator "
                   "or site, correct a catalogue fact, or stop the flow) and plan again.")
    if not result.cross_border:
        lines += _wrap("Systems were kept in their current countries; --cross-border lets the "
                       "planner consider sites abroad.")
    return lines


def plan_terminal(result: PlanResult) -> str:
    """The plan as text that fits 80 columns; ids are never cut or split."""
    gap = f", gap {result.gap:.2%}" if result.gap is not None else ""
    lines = _wrap(f"Plan ({result.objective}) as of {result.as_of}: {result.status} in "
                  f"{result.solve_seconds:.1f} s{gap}")
    if result.scenarios:
        lines += _wrap(f"Planned as if in force: {', '.join(result.scenarios)}")
    for note in result.notes:
        lines += _wrap(f"note: {note}", "", "  ")
    if not result.feasible:
        lines += (_conflict_lines(result) if result.conflicts else
                  ["The solver found no answer within the time limit; raise --time-limit."])
        lines += _wrap(DISCLAIMER)
        return plain("\n".join(lines)) + "\n"
    changed = [c for c in result.changes if c.changed]
    lines += ["", "Systems"] if changed else ["No system needs to move or change its stack."]
    for change in changed:
        lines += _change_lines(change)
    if result.flow_actions:
        lines += ["", "Data flows"]
        for action in result.flow_actions:
            lines += [action.flow]
            lines += _wrap(f"{action.action}: {action.detail}", "  ", "    ")
            if action.rules:
                lines += _wrap(f"rules: {', '.join(action.rules)}", "    ", "      ")
    if result.verification:
        lines += ["", "Flows still prohibited once volumes aggregate across the new estate:"]
        for item in result.verification:
            lines += _wrap(f"- {item['flow']}: {', '.join(item['rules_fired'])}", "  ", "    ")
    lines += ["", *_wrap(DISCLAIMER)]
    return plain("\n".join(lines)) + "\n"
