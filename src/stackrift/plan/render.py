"""Terminal and JSON renderings of stress results and plans (the CLI only writes the text)."""

from __future__ import annotations

import textwrap
from typing import Any

import orjson
import yaml
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from stackrift.estate.model import Estate
from stackrift.plan.lawful import DISCLAIMER
from stackrift.plan.solver import PlanResult, SystemChange
from stackrift.plan.stress import StressResult, Substitute
from stackrift.textout import render_text
from stackrift.textsafe import md, plain


def stress_json(results: list[StressResult]) -> str:
    """A JSON array with one object per scenario (see docs/supply-chain.md)."""
    payload: list[dict[str, Any]] = [r.to_json() for r in results]
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n"


def _substitute_line(sub: Substitute) -> str:
    terms = ", ".join(f"{t.name} {t.score}" for t in sub.burden.terms if t.score)
    licence = (f"; licence {sub.licence or 'not recorded'}; {', '.join(sub.lineage)}"
               if sub.kind == "model" else "")
    return f"{sub.name} [{sub.id}]: {sub.burden.total} ({terms}){licence}"


def _stress_tables(result: StressResult) -> list[RenderableType]:
    """The broken, degraded and unlawful tables of one scenario; ids never wrap. Cells are
    literal text (render_text reads no markup)."""
    tables: list[RenderableType] = []
    if result.broken:
        table = Table(title="Broken systems", show_lines=True)
        table.add_column("system", no_wrap=True)
        table.add_column("cause", overflow="fold")
        table.add_column("substitutes (burden points)")
        for impact in result.broken:
            subs = "\n".join(_substitute_line(sub) for sub in impact.substitutes)
            table.add_row(impact.subject, impact.cause, subs or "none found")
        tables.append(table)
    if result.degraded:
        table = Table(title="Degraded systems and flows")
        table.add_column("subject", no_wrap=True)
        table.add_column("cause", overflow="fold")
        for impact in result.degraded:
            table.add_row(f"{impact.subject_kind} {impact.subject}", impact.cause)
        tables.append(table)
    if result.unlawful_flows:
        table = Table(title="Data flows that become unlawful")
        table.add_column("flow", no_wrap=True)
        for column in ("before", "after", "missing", "rules"):
            table.add_column(column)
        for change in result.unlawful_flows:
            table.add_row(change.flow, change.before.verdict, change.after.verdict,
                          ", ".join(change.after.missing) or "-",
                          ", ".join(change.after.rules_fired))
        tables.append(table)
    return tables


def stress_renderables(results: list[StressResult]) -> list[RenderableType]:
    """Each scenario's heading, notes and tables, then the disclaimer (for text or Markdown)."""
    parts: list[RenderableType] = []
    for result in results:
        s = result.scenario
        parts.append(Text(f"Scenario {s.id}: {s.title}", style="bold"))
        parts.append(Text(f"  effective {s.effective} ({s.status}, {s.confidence}); evaluated "
                          f"as of {result.as_of}"))
        parts += [Text(f"  note: {note}") for note in result.notes]
        tables = _stress_tables(result)
        parts += tables or [Text("  nothing in this estate is affected")]
        parts.append(Text(""))
    parts.append(Text(DISCLAIMER))
    return parts


def stress_terminal(results: list[StressResult], width: int | None = None) -> str:
    """Text at a terminal's ``width``, or (``None``) at its natural width for files and pipes."""
    return render_text(stress_renderables(results), width=width)


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


def _change_items(change: SystemChange) -> list[tuple[str, str]]:
    """What changes for one system, as (label, text) pairs."""
    items = [(label, _arrow(before, after)) for label, before, after in (
        ("site", change.site_from, change.site_to),
        ("accelerator", change.accelerator_from, change.accelerator_to),
        ("runtime", change.runtime_from, change.runtime_to),
        ("model", change.model_from, change.model_to)) if before != after]
    items += [("stack", item) for item in change.stack]
    items += [("exposure", item) for item in change.exposure]
    terms = ", ".join(f"{t.name} {t.score}" for t in change.burden.terms if t.score) or "none"
    return [*items, ("burden", f"{change.burden.total} ({terms})")]


def _change_lines(change: SystemChange) -> list[str]:
    lines = [change.system]
    for label, text in _change_items(change):
        lines += _wrap(f"{label + ':':<13}{text}", "  ", " " * 15)
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


def _md_requirements(result: PlanResult) -> list[str]:
    lines = ["## No layout satisfies every requirement", "", "The smallest conflicting set:", ""]
    for req in result.conflicts:
        lines.append(f"- \\[{md(req.kind)}\\] {md(req.text)}")
        if req.rules:
            lines.append(f"  - rules: {md(', '.join(req.rules))}")
        if req.citations:
            lines.append(f"  - sources: {md('; '.join(str(c) for c in req.citations))}")
    return [*lines, ""]


def _md_changes(result: PlanResult) -> list[str]:
    changed = [c for c in result.changes if c.changed]
    if not changed:
        return ["No system needs to move or change its stack.", ""]
    lines = ["## Systems", ""]
    for change in changed:
        lines.append(f"- **{md(change.system)}**")
        lines += [f"  - {label}: {md(text)}" for label, text in _change_items(change)]
    lines.append("")
    if result.flow_actions:
        lines += ["## Data flows", ""]
        for action in result.flow_actions:
            rules = f" (rules: {md(', '.join(action.rules))})" if action.rules else ""
            lines.append(f"- **{md(action.flow)}**: {md(action.action)}: {md(action.detail)}"
                         f"{rules}")
        lines.append("")
    if result.verification:
        lines += ["## Flows still prohibited once volumes aggregate", ""]
        lines += [f"- {md(str(item['flow']))}: {md(', '.join(item['rules_fired']))}"
                  for item in result.verification]
        lines.append("")
    return lines


def plan_markdown(result: PlanResult) -> str:
    """The plan as Markdown: the same content as :func:`plan_terminal`, every input escaped."""
    gap = f", gap {result.gap:.2%}" if result.gap is not None else ""
    lines = [f"# Plan ({md(result.objective)}) as of {result.as_of}", "",
             f"{md(result.status)} in {result.solve_seconds:.1f} s{gap}", ""]
    if result.scenarios:
        lines += [f"Planned as if in force: {md(', '.join(result.scenarios))}", ""]
    lines += [f"- note: {md(note)}" for note in result.notes]
    if not result.feasible:
        lines += (_md_requirements(result) if result.conflicts else
                  ["The solver found no answer within the time limit; raise --time-limit.", ""])
    else:
        lines += _md_changes(result)
    return "\n".join([*lines, f"*{md(DISCLAIMER)}*", ""])
