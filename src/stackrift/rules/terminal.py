"""Terminal output of the transfers and rules commands (rich renderables, no I/O decisions)."""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from stackrift.rules.engine import DISCLAIMER
from stackrift.rules.loader import RuleSet
from stackrift.rules.model import Verdict
from stackrift.rules.views import TransfersResult, matrix

STYLE = {Verdict.PROHIBITED: "bold red", Verdict.ALLOWED_WITH: "yellow",
         Verdict.ALLOWED: "green", Verdict.NOT_APPLICABLE: "dim"}


def transfers_renderables(result: TransfersResult, estate_path: str) -> Iterator[RenderableType]:
    """The matrix, one line per flow with what it needs, the conflicts, and the sources."""
    yield Text(f"Data transfers in {estate_path} as of {result.as_of}", style="bold")
    origins, destinations, cells, _ = matrix(result.flows)
    grid = Table(title="Origin × destination (verdict counts)")
    grid.add_column("from \\ to")
    for destination in destinations:
        grid.add_column(destination)
    for origin, row in zip(origins, cells, strict=True):
        grid.add_row(origin, *(cell or "·" for cell in row))
    yield grid
    flows = Table(title="Flows")
    for column in ("flow", "route", "verdict", "regimes", "missing", "rules fired"):
        flows.add_column(column, overflow="fold")
    for v in result.flows:
        flows.add_row(v.flow_id, f"{v.origin or '?'} → {v.destination or '?'}",
                      Text(v.verdict.value, style=STYLE[v.verdict]), ", ".join(v.regimes),
                      ", ".join(v.mechanisms_missing) or "—", "\n".join(v.rules_fired) or "—")
    yield flows
    for v in result.flows:
        lines = [f"[bold]{v.flow_id}[/bold]: {v.verdict.value}"
                 + ("" if v.lawful else " (not lawful as declared)")]
        lines += [f"  obligation: {o}" for o in v.obligations]
        lines += [f"  source: {c}" + (f" (in force from {c.in_force_from})"
                                      if c.in_force_from else "") for c in v.citations]
        yield Text.from_markup("\n".join(lines))
    if result.conflicts:
        table = Table(title="Conflicts between regimes")
        for column in ("conflict", "object", "side 1", "side 2", "resolutions"):
            table.add_column(column)
        for hit in result.conflicts:
            table.add_row(hit.title, f"{hit.kind.value} {hit.subject_id}",
                          f"{hit.regimes[0]}: {hit.citations[0]}",
                          f"{hit.regimes[1]}: {hit.citations[1]}",
                          "\n".join(hit.resolutions))
        yield table
    yield Text("Sources: " + "; ".join(f"{p.pack.pack} {p.pack.version} ({p.path})"
                                       for p in result.rules.packs), style="dim")
    yield Text(DISCLAIMER, style="italic")


def rules_table(rules: RuleSet) -> Table:
    """Every rule with its citation, in-force dates and confidence."""
    table = Table(title=f"{len(rules.rules)} rules and {len(rules.conflicts)} conflicts "
                  f"in {len(rules.packs)} packs")
    for column in ("id", "outcome", "citation", "in force", "confidence"):
        table.add_column(column)
    for rule in rules.rules:
        until = f" to {rule.in_force_until}" if rule.in_force_until else ""
        table.add_row(rule.id, rule.outcome.value, str(rule.citation),
                      f"{rule.in_force_from}{until}", rule.confidence.value)
    for conflict in rules.conflicts:
        table.add_row(conflict.id, "conflict",
                      " vs ".join(str(s.citation) for s in conflict.sides),
                      " / ".join(str(s.in_force_from) for s in conflict.sides),
                      conflict.confidence.value)
    return table
