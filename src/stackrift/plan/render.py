"""Terminal and JSON renderings of stress results and plans (the CLI only writes the text)."""

from __future__ import annotations

import io
from typing import Any

import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stackrift.plan.lawful import DISCLAIMER
from stackrift.plan.stress import StressResult, Substitute


def _console(buffer: io.StringIO) -> Console:
    return Console(file=buffer, width=140, soft_wrap=False, color_system=None,
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
                table.add_row(impact.subject, escape(impact.cause), subs)
            console.print(table)
        if result.degraded:
            table = Table(title="Degraded systems and flows")
            table.add_column("subject")
            table.add_column("cause", overflow="fold")
            for impact in result.degraded:
                table.add_row(f"{impact.subject_kind} {impact.subject}", escape(impact.cause))
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
