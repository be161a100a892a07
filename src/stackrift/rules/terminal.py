"""Terminal output of the transfers and rules commands (rich renderables, no I/O decisions)."""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from stackrift.rules.engine import DISCLAIMER, FlowVerdict
from stackrift.rules.loader import RuleSet
from stackrift.rules.model import Verdict
from stackrift.rules.views import TransfersResult, matrix

STYLE = {Verdict.PROHIBITED: "bold red", Verdict.UNDETERMINED: "bold magenta",
         Verdict.ALLOWED_WITH: "yellow",
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
    flows.add_column("flow", no_wrap=True)  # an id: never cut or folded
    flows.add_column("route", overflow="fold")
    flows.add_column("verdict", no_wrap=True)
    for column in ("regimes", "missing mechanisms"):
        flows.add_column(column, overflow="fold")
    for v in result.flows:
        flows.add_row(v.flow_id, f"{v.origin or '?'} → {v.destination or '?'}",
                      Text(v.verdict.value, style=STYLE[v.verdict]), ", ".join(v.regimes),
                      ", ".join(v.mechanisms_missing) or "—")
    yield flows
    for v in result.flows:
        yield Text.from_markup("\n".join(_flow_lines(v)), emoji=False)
    systems = [s for s in (*result.systems, *result.sites) if s.rules_fired]
    if systems:
        yield Text("Systems and sites", style="bold")
        for s in systems:
            lines = [f"[bold]{s.kind.value} {escape(s.subject_id)}[/bold]: {s.verdict.value} "
                     f"under {', '.join(s.regimes) or 'no regime'}"]
            lines += [f"  - {escape(o)}" for o in s.obligations]
            lines += [f"  source: {escape(str(c))}" for c in s.citations]
            yield Text.from_markup("\n".join(lines), emoji=False)
    if result.conflicts:
        yield Text(f"Conflicts between regimes ({len(result.conflicts)})", style="bold")
        for hit in result.conflicts:
            lines = [f"[bold]{escape(hit.title)}[/bold] — {hit.kind.value} "
                     f"{escape(hit.subject_id)} ({hit.severity})"]
            lines += [f"  {escape(regime)}: {escape(demand)} [{escape(str(cite))}]"
                      for regime, demand, cite in zip(hit.regimes, hit.demands, hit.citations,
                                                      strict=True)]
            lines.append("  involved: " + ", ".join(f"{k} {escape(i)}" for k, i in hit.related))
            lines += [f"  option: {escape(r)}" for r in hit.resolutions]
            yield Text.from_markup("\n".join(lines), emoji=False)
    yield Text("Sources: " + "; ".join(f"{p.pack.pack} {p.pack.version} ({p.path})"
                                       for p in result.rules.packs), style="dim")
    yield Text(DISCLAIMER, style="italic")


def _flow_lines(v: FlowVerdict) -> list[str]:
    lines = [f"[bold]{escape(v.flow_id)}[/bold]: {v.verdict.value}"
             + ("" if v.lawful else " — not lawful as declared")
             + f"  (rules: {', '.join(v.rules_fired) or 'none'})"]
    if v.missing_facts:
        lines.append(f"  undetermined (not shown lawful): record {', '.join(v.missing_facts)} "
                     f"to decide {', '.join(v.rules_undetermined)}")
    if v.mechanisms_required:
        lines.append(f"  needs: {', '.join(v.mechanisms_required)}; missing: "
                     f"{', '.join(v.mechanisms_missing) or 'none'}")
    lines += [f"  - {escape(o)}" for o in v.obligations]
    lines += [f"  source: {escape(str(c))}" + (f" (in force from {c.in_force_from})"
                                               if c.in_force_from else "") for c in v.citations]
    return lines


def rules_listing(rules: RuleSet) -> Text:
    """Every rule and conflict: id, outcome, in-force dates, confidence, then citation and title.

    Plain lines rather than a table so that long ids and citations stay readable at any width.
    """
    lines = [f"{len(rules.rules)} rules and {len(rules.conflicts)} conflicts in "
             f"{len(rules.packs)} packs"]
    for rule in rules.rules:
        until = f" to {rule.in_force_until}" if rule.in_force_until else ""
        lines.append(f"{rule.id}  {rule.outcome.value}  in force {rule.in_force_from}{until}  "
                     f"{rule.confidence.value}")
        lines.append(f"    {rule.citation}: {rule.title}")
    for conflict in rules.conflicts:
        lines.append(f"{conflict.id}  conflict  {conflict.confidence.value}")
        lines += [f"    {side.regime}: {side.citation} (in force {side.in_force_from})"
                  for side in conflict.sides]
    return Text("\n".join(lines))
