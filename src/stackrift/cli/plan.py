"""``stress`` and ``plan``: policy shocks propagated through an estate, and a lawful layout."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from stackrift.choices import PlanObjective, TableFormat
from stackrift.cli.entry import EXIT_FINDINGS
from stackrift.cli.options import (
    AsOf,
    EstateFile,
    ExtraRules,
    OutputPath,
    TableFormatOption,
    command_group,
    parse_as_of,
)
from stackrift.cli.output import note, terminal_width, write_report

if TYPE_CHECKING:
    from stackrift.plan.solver import PlanResult

app = command_group()

PROGRESS_MIN_SYSTEMS = 100  # smaller plans finish in a few seconds: no progress lines


@app.command()
def stress(
    estate: EstateFile,
    scenarios: Annotated[list[str], typer.Argument(help="Scenario files or packaged scenario ids "
                                                   "(e.g. h20-china-licence-2025).")],
    as_of: AsOf = None,
    output_format: TableFormatOption = TableFormat.TERMINAL,
    output: OutputPath = None,
    rules: ExtraRules = None,
) -> None:
    """Propagate policy shocks through the estate: broken systems, substitutes, unlawful flows."""
    from stackrift.catalog.catalogue import load_catalogue
    from stackrift.estate.loader import load_estate
    from stackrift.plan.lawful import FlowJudge
    from stackrift.plan.render import stress_json, stress_renderables, stress_terminal
    from stackrift.plan.scenario import load_scenario, resolve_scenario
    from stackrift.plan.stress import run_scenarios

    loaded = load_estate(estate, locate_now=False)
    parsed = [load_scenario(resolve_scenario(s)) for s in scenarios]
    results = run_scenarios(loaded.estate, parsed, load_catalogue(),
                            FlowJudge.load(tuple(rules or ())), parse_as_of(as_of))
    if output_format is TableFormat.JSON:
        write_report(stress_json(results), output)
    elif output_format is TableFormat.MD:
        from stackrift.textout import markdown

        write_report(markdown(stress_renderables(results)), output)
    else:
        write_report(stress_terminal(results, width=terminal_width(output)), output)


EstateOut = Annotated[Path | None, typer.Option(
    "--estate-out", "--output-estate",
    help="Write the planned estate (YAML) here. (--output-estate is the old name.)")]
PlanOutput = Annotated[Path | None, typer.Option(
    "-o", "--output", help="Write the plan here in the --format (a .json name defaults to JSON, "
    "a .md name to Markdown). A .yaml/.yml name still writes the planned estate, as -o did "
    "before; use --estate-out for that.")]


@app.command()
def plan(
    estate: EstateFile,
    objective: Annotated[PlanObjective, typer.Option(
        "--objective", case_sensitive=False, help="What to minimise.")] = PlanObjective.COST,
    max_bloc_share: Annotated[float | None, typer.Option(
        "--max-bloc-share", help="Largest criticality-weighted share any bloc may hold per layer "
        "(accelerator, cloud provider, hosting country), e.g. 0.6.")] = None,
    max_vendor_share: Annotated[float | None, typer.Option(
        "--max-vendor-share", help="Largest share any vendor may hold per layer.")] = None,
    cross_border: Annotated[bool, typer.Option(
        "--cross-border", help="Let systems move to sites in other countries.")] = False,
    exclude_listed: Annotated[bool, typer.Option(
        "--exclude-listed", help="Never propose substitutes from Entity-Listed vendors or "
        "products under General Prohibition 10 guidance.")] = False,
    estate_out: EstateOut = None,
    output: PlanOutput = None,
    as_of: AsOf = None,
    output_format: Annotated[TableFormat | None, typer.Option(
        "--format", "-f", case_sensitive=False, help="Output: terminal (text), json or md.")]
    = None,
    time_limit: Annotated[float, typer.Option(
        "--time-limit", help="Solver time limit, seconds.")] = 30.0,
    rules: ExtraRules = None,
    scenario: Annotated[list[str] | None, typer.Option(
        "--scenario", help="Plan as if this scenario (file or packaged id) were in force "
        "(repeatable).")] = None,
) -> None:
    """Plan a layout where every flow is lawful, export controls hold and shares stay capped.

    Exit 0 with a plan, 1 when no layout exists (the conflicting requirements are printed).
    """
    from stackrift.catalog.catalogue import load_catalogue
    from stackrift.estate.loader import load_estate
    from stackrift.estate.rebase import rebase_files
    from stackrift.plan.lawful import FlowJudge
    from stackrift.plan.render import estate_yaml
    from stackrift.plan.scenario import load_scenario, resolve_scenario
    from stackrift.plan.solver import Planner

    estate_out, output = _legacy_estate_output(estate_out, output)
    loaded = load_estate(estate, locate_now=False)
    shocks = [load_scenario(resolve_scenario(s)) for s in scenario or ()]
    day = parse_as_of(as_of)
    planner = Planner(loaded, load_catalogue(), FlowJudge.load(tuple(rules or ())), day)
    result = planner.solve(objective, max_bloc_share=max_bloc_share,
                           max_vendor_share=max_vendor_share, time_limit=time_limit,
                           cross_border=cross_border, scenarios=shocks,
                           exclude_listed=exclude_listed,
                           progress=_progress(len(loaded.estate.systems)))
    write_report(_plan_text(result, output_format or _format_of(output)), output)
    if estate_out is not None and result.new_estate is not None:
        header = (f"Planned by stackrift plan from {estate} as of {day} "
                  f"(objective {objective.value}).\nReview before use: not legal advice.")
        # the planned estate names the same SBOMs, CBOMs and certificates from its own folder
        planned = rebase_files(result.new_estate, loaded.base_dir, estate_out.parent)
        write_report(estate_yaml(planned, header), estate_out)
    if not result.feasible:
        raise typer.Exit(EXIT_FINDINGS)


def _legacy_estate_output(estate_out: Path | None,
                          output: Path | None) -> tuple[Path | None, Path | None]:
    """``-o plan.yaml`` wrote the planned estate before ``--estate-out``: kept one release."""
    if output is not None and output.suffix.lower() in (".yaml", ".yml"):
        note(f"note: -o {output} writes the planned estate for one more release; use "
             "--estate-out for the estate and -o for the plan")
        return estate_out or output, None
    return estate_out, output


def _format_of(output: Path | None) -> TableFormat:
    """The format a plan file's name implies: .json JSON, .md Markdown, otherwise text."""
    suffix = output.suffix.lower() if output is not None else ""
    return {".json": TableFormat.JSON, ".md": TableFormat.MD}.get(suffix, TableFormat.TERMINAL)


def _plan_text(result: PlanResult, output_format: TableFormat) -> str:
    from stackrift.plan.render import plan_json, plan_markdown, plan_terminal

    if output_format is TableFormat.JSON:
        return plan_json(result)
    if output_format is TableFormat.MD:
        return plan_markdown(result)
    return plan_terminal(result)


def _progress(systems: int) -> Callable[[str], None] | None:
    """Progress lines on standard error for long plans (or with STACKRIFT_PROGRESS=1)."""
    if systems < PROGRESS_MIN_SYSTEMS and os.environ.get("STACKRIFT_PROGRESS") != "1":
        return None
    import time

    started = time.perf_counter()

    def show(message: str) -> None:
        note(f"[{time.perf_counter() - started:6.1f} s] {message}")

    return show
