"""Command-line interface. Thin: parses arguments, calls the library, maps errors to exit codes.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 bad input or usage;
3 internal error.
"""

from __future__ import annotations

import dataclasses
import difflib
import io
import os
import sys
import traceback
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import orjson
import typer
from rich.table import Table

from stackrift import __version__
from stackrift.analyses.base import AnalysisContext
from stackrift.catalog.catalogue import load_catalogue
from stackrift.errors import InputError, StackRiftError, UsageError
from stackrift.findings import Severity, fails_gate
from stackrift.plan.objective import Objective
from stackrift.report.formats import ReportFormat
from stackrift.textsafe import SafeConsole, markup, plain

if TYPE_CHECKING:
    from stackrift.advisories.model import ImportReport
    from stackrift.advisories.scan import StoreInfo

if TYPE_CHECKING:
    from collections.abc import Sequence

    from stackrift.bom.artefacts import ArtefactFinding

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

app = typer.Typer(
    name="stackrift",
    no_args_is_help=True,
    add_completion=False,
    help="Evidence-backed assessment of AI estates across the US/China split.",
    pretty_exceptions_enable=False,
)
schema_app = typer.Typer(no_args_is_help=True, help="Print JSON Schemas of StackRift's inputs.")
catalog_app = typer.Typer(no_args_is_help=True, help="Browse the provenance catalogue.")
app.add_typer(schema_app, name="schema")
app.add_typer(catalog_app, name="catalog")

# every text written to the terminal passes through SafeConsole (control characters escaped)
out = SafeConsole(soft_wrap=True)
err = SafeConsole(stderr=True, soft_wrap=True)


class _State:
    verbose = False


OutputFormat = ReportFormat  # the library's enum of report formats


class TerminalOrJson(StrEnum):
    TERMINAL = "terminal"
    JSON = "json"


TerminalOrJsonOption = Annotated[
    TerminalOrJson, typer.Option("--format", "-f", case_sensitive=False)
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Evaluate as of this date (YYYY-MM-DD); default today.",
        envvar="STACKRIFT_AS_OF",
    ),
]
FailOn = Annotated[
    Severity,
    typer.Option(
        "--fail-on",
        help="Exit 1 when a finding is at or above this severity.",
        case_sensitive=False,
    ),
]
UnknownAs = Annotated[
    Severity,
    typer.Option(
        "--unknown-severity-as",
        help="What a finding of unknown severity (no rating in any source) counts as for "
        "--fail-on.",
        case_sensitive=False,
    ),
]


def check_gate(fail_on: Severity, unknown_as: Severity) -> None:
    """Refuse thresholds that cannot be compared: 'unknown' is a finding's state, not a level."""
    if fail_on is Severity.UNKNOWN:
        raise UsageError("--fail-on unknown: expected info, low, medium, high or critical; "
                         "unknown severities are gated by --unknown-severity-as")
    if unknown_as is Severity.UNKNOWN:
        raise UsageError("--unknown-severity-as unknown: expected info, low, medium, high or "
                         "critical")


OutputPath = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write here instead of standard output.")
]
EstateFile = Annotated[Path, typer.Argument(help="Estate file (YAML or JSON).")]
ExtraRules = Annotated[
    list[Path] | None, typer.Option("--rules", help="Extra rule-pack folder (repeatable).")
]


def parse_as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of: '{value}' is not a date; expected YYYY-MM-DD") from None


def write_output(text: str, path: Path | None) -> None:
    if path is None:
        if sys.stdout.isatty():  # JSON stays equivalent: plain() writes JSON's \uXXXX escapes
            text = plain(text)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write output ({exc.strerror})") from exc
    err.print(f"wrote {path}", markup=False, highlight=False)


def write_json(data: object, path: Path | None) -> None:
    """Indented JSON to ``path`` or standard output (see :func:`write_output`)."""
    write_output(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode(), path)


def _print_version(value: bool) -> None:
    if value:
        out.print(f"stackrift {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    verbose: Annotated[
        bool, typer.Option("-v", "--verbose", help="Show tracebacks on errors.")
    ] = False,
    knowledge: Annotated[
        Path | None,
        typer.Option("--knowledge", help="Use this knowledge-set folder (catalogue, rule packs, "
                     "scenarios, country groups) instead of the installed or packaged one; "
                     "$STACKRIFT_KNOWLEDGE does the same."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    _State.verbose = verbose
    from stackrift.knowledge.sets import select_knowledge

    select_knowledge(knowledge)


# -- estate ----------------------------------------------------------------------------------------


@app.command()
def validate(estate: EstateFile) -> None:
    """Check an estate file; print every problem as FILE:LINE:COL and exit 2 if there are any."""
    from stackrift.estate.loader import load_estate

    loaded = load_estate(estate)
    counts = ", ".join(
        f"{len(getattr(loaded.estate, k))} {k.replace('_', ' ')}"
        for k in ("entities", "sites", "systems", "components", "data_flows")
    )
    err.print(f"{estate}: valid estate ({counts})", markup=False, highlight=False)


@app.command()
def init(
    target: Annotated[Path, typer.Argument(help="Where to write the new estate file.")] = Path(
        "estate.yaml"),
    example: Annotated[
        str, typer.Option("--example", "-e", help="Starter: minimal or multinational.")
    ] = "minimal",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter estate that validates; edit it, then run `assess`."""
    from stackrift.estate.starter import StarterExample, write_starter

    try:
        chosen = StarterExample(example.lower())
    except ValueError:
        choices = ", ".join(e.value for e in StarterExample)
        raise UsageError(f"--example: '{example}' is not a starter; expected one of {choices}"
                         ) from None
    write_starter(chosen, target, overwrite=force)
    err.print(f"wrote {target} ({chosen.value} starter); next: stackrift validate {target}")


@schema_app.command("estate")
def schema_estate(output: OutputPath = None) -> None:
    """The JSON Schema of the estate file."""
    from stackrift.estate.schema import estate_json_schema

    write_output(estate_json_schema(), output)


# -- catalogue -------------------------------------------------------------------------------------


@catalog_app.command("list")
def catalog_list(
    json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List catalogued vendors with country, bloc and Entity List status."""
    from stackrift.catalog.views import catalogue_json

    catalogue = load_catalogue()
    if json:
        write_json(catalogue_json(catalogue), None)
        return
    table = Table(title=f"Provenance catalogue {catalogue.version} (as of {catalogue.as_of})")
    for column in ("vendor", "country", "bloc", "Entity List", "products"):
        table.add_column(column)
    for vendor in sorted(catalogue.vendors.values(), key=lambda v: v.name.lower()):
        status = vendor.entity_list
        listed = (
            f"listed since {status.since}" if status.listed else f"not listed as of {vendor.as_of}"
        )
        table.add_row(
            markup(vendor.name),
            vendor.country or "unknown",
            vendor.bloc.value,
            markup(listed),
            str(len(catalogue.products_of(vendor.id))),
        )
    out.print(table)


@catalog_app.command("show")
def catalog_show(
    name: Annotated[str, typer.Argument(help="Vendor or product name, alias or id.")],
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Everything the catalogue knows about one vendor or product, with sources."""
    from stackrift.catalog.views import describe

    catalogue = load_catalogue()
    record = describe(catalogue, name)
    if json:
        write_json(record, None)
        return
    for key, value in record.items():
        out.print(f"[bold]{markup(key)}[/bold]: {markup(value)}")


# -- assessment ------------------------------------------------------------------------------------


@app.command()
def assess(
    estate: EstateFile,
    as_of: AsOf = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", case_sensitive=False, help="Report format."),
    ] = OutputFormat.TERMINAL,
    output: OutputPath = None,
    fail_on: FailOn = Severity.HIGH,
    unknown_as: UnknownAs = Severity.HIGH,
    analysis: Annotated[
        list[str] | None,
        typer.Option("--analysis", "-a", help="Run only these analyses (repeatable)."),
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option("--db", envvar="STACKRIFT_DB", help="Advisory store (SQLite file)."),
    ] = None,
    rules: ExtraRules = None,
    vex: Annotated[
        list[Path] | None,
        typer.Option(
            "--vex", help="VEX document (CycloneDX VEX, OpenVEX or CSAF VEX); repeatable."
        ),
    ] = None,
    waivers: Annotated[
        Path | None,
        typer.Option("--waivers", help="Waivers file: each needs a reason and may expire."),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", help="A previous JSON report: the summary says what changed."),
    ] = None,
) -> None:
    """Run every analysis on an estate and render one report."""
    from stackrift.analyses.vulnerabilities import VulnerabilityOptions
    from stackrift.estate.loader import load_estate
    from stackrift.pipeline import assess as run_assess
    from stackrift.report.base import Renderer, renderer
    from stackrift.report.terminal import TerminalRenderer

    check_gate(fail_on, unknown_as)
    context = AnalysisContext.default(
        parse_as_of(as_of),
        catalogue=load_catalogue(),
        db=db,
        rules_dirs=tuple(rules or ()),
        options=[VulnerabilityOptions(vex=tuple(vex or ()), waivers=waivers)],
    )
    report = run_assess(
        load_estate(estate),
        context,
        only=frozenset(analysis) if analysis else None,
        fail_on=fail_on,
        unknown_as=unknown_as,
    )
    if baseline is not None:
        from stackrift.report.executive import compare_with_baseline, load_baseline

        report = dataclasses.replace(report, baseline=compare_with_baseline(
            report.findings, load_baseline(baseline), str(baseline)))
    chosen: Renderer = renderer(output_format.value)
    if output_format is OutputFormat.TERMINAL and output is None:
        # Colour and full width only for a person at a terminal; files and pipes get plain text.
        chosen = TerminalRenderer(color=out.is_terminal and not out.no_color,
                                  width=out.width if out.is_terminal else None)
    write_output(chosen.render(report), output)
    if report.failing():
        raise typer.Exit(EXIT_FINDINGS)


@app.command()
def demo(
    output_dir: Annotated[
        Path, typer.Option("-o", "--output-dir", help="Folder for the reports.")
    ] = Path("stackrift-demo"),
    as_of: AsOf = None,
) -> None:
    """Assess the bundled demo estate and write report.html, report.json and report.md."""
    from stackrift.demo import run_demo

    written = run_demo(output_dir, parse_as_of(as_of))
    for path in written:
        out.print(f"wrote {path}", markup=False, highlight=False)
    html = next((p for p in written if p.suffix == ".html"), None)
    if html is not None:
        out.print(f"open {html.resolve().as_uri()} in a browser to read the report",
                  markup=False, highlight=False)


def _register_input_schema(name: str, what: str) -> None:
    """`schema NAME` for one of the inputs in :mod:`stackrift.input_schemas`."""

    def command(output: OutputPath = None) -> None:
        from stackrift.input_schemas import InputSchema, input_json_schema

        write_output(input_json_schema(InputSchema(name)), output)

    command.__doc__ = f"The JSON Schema of a {what} file."
    schema_app.command(name)(command)


for _name, _what in (("scenario", "stress-test scenario"), ("rule-pack", "rule-pack"),
                     ("waivers", "waivers")):
    _register_input_schema(_name, _what)


@schema_app.command("report")
def schema_report(output: OutputPath = None) -> None:
    """The JSON Schema of the report written by `assess --format json`."""
    from stackrift.report.json_schema import report_json_schema

    write_output(report_json_schema(), output)


# -- supply chain ----------------------------------------------------------------------------------


@app.command()
def stress(
    estate: EstateFile,
    scenarios: Annotated[list[str], typer.Argument(help="Scenario files or packaged scenario ids "
                                                   "(e.g. h20-china-licence-2025).")],
    as_of: AsOf = None,
    output_format: TerminalOrJsonOption = TerminalOrJson.TERMINAL,
    output: OutputPath = None,
    rules: ExtraRules = None,
) -> None:
    """Propagate policy shocks through the estate: broken systems, substitutes, unlawful flows."""
    from stackrift.estate.loader import load_estate
    from stackrift.plan.lawful import FlowJudge
    from stackrift.plan.render import stress_json, stress_terminal
    from stackrift.plan.scenario import load_scenario, resolve_scenario
    from stackrift.plan.stress import run_scenarios

    loaded = load_estate(estate)
    parsed = [load_scenario(resolve_scenario(s)) for s in scenarios]
    results = run_scenarios(loaded.estate, parsed, load_catalogue(),
                            FlowJudge.load(tuple(rules or ())), parse_as_of(as_of))
    text = (stress_json(results) if output_format == TerminalOrJson.JSON
            else stress_terminal(results))
    write_output(text, output)


PlanObjective = Objective  # the library's enum of planning objectives


PROGRESS_MIN_SYSTEMS = 100  # smaller plans finish in a few seconds: no progress lines


@app.command()
def plan(
    estate: EstateFile,
    objective: Annotated[PlanObjective, typer.Option("--objective", case_sensitive=False,
                                                     help="What to minimise.")]
    = PlanObjective.COST,
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
    estate_out: Annotated[Path | None, typer.Option(
        "--estate-out", "--output-estate",
        help="Write the planned estate (YAML) here. (--output-estate is the old name.)")] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write the plan here in the --format (a .json name defaults "
        "to JSON). A .yaml/.yml name still writes the planned estate, as -o did before; "
        "use --estate-out for that.")] = None,
    as_of: AsOf = None,
    output_format: Annotated[TerminalOrJson | None, typer.Option(
        "--format", "-f", case_sensitive=False)] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Solver time limit, seconds.")]
    = 30.0,
    rules: ExtraRules = None,
    scenario: Annotated[list[str] | None, typer.Option(
        "--scenario", help="Plan as if this scenario (file or packaged id) were in force "
        "(repeatable).")] = None,
) -> None:
    """Plan a layout where every flow is lawful, export controls hold and shares stay capped.

    Exit 0 with a plan, 1 when no layout exists (the conflicting requirements are printed).
    """
    from stackrift.estate.loader import load_estate
    from stackrift.plan.lawful import FlowJudge
    from stackrift.plan.render import estate_yaml, plan_json, plan_terminal
    from stackrift.plan.scenario import load_scenario, resolve_scenario
    from stackrift.plan.solver import Planner

    if output is not None and output.suffix.lower() in (".yaml", ".yml"):
        err.print(f"note: -o {output} writes the planned estate for one more release; use "
                  "--estate-out for the estate and -o for the plan", markup=False)
        estate_out, output = estate_out or output, None
    if output_format is None:
        json_name = output is not None and output.suffix.lower() == ".json"
        output_format = TerminalOrJson.JSON if json_name else TerminalOrJson.TERMINAL
    loaded = load_estate(estate)
    shocks = [load_scenario(resolve_scenario(s)) for s in scenario or ()]
    day = parse_as_of(as_of)
    planner = Planner(loaded, load_catalogue(), FlowJudge.load(tuple(rules or ())), day)
    result = planner.solve(objective, max_bloc_share=max_bloc_share,
                           max_vendor_share=max_vendor_share, time_limit=time_limit,
                           cross_border=cross_border, scenarios=shocks,
                           exclude_listed=exclude_listed,
                           progress=_progress(len(loaded.estate.systems)))
    text = plan_json(result) if output_format == TerminalOrJson.JSON else plan_terminal(result)
    write_output(text, output)
    if estate_out is not None and result.new_estate is not None:
        header = (f"Planned by stackrift plan from {estate} as of {day} "
                  f"(objective {objective.value}).\nReview before use: not legal advice.")
        write_output(estate_yaml(result.new_estate, header), estate_out)
    if not result.feasible:
        raise typer.Exit(EXIT_FINDINGS)


def _progress(systems: int) -> Callable[[str], None] | None:
    """Progress lines on standard error for long plans (or with STACKRIFT_PROGRESS=1)."""
    if systems < PROGRESS_MIN_SYSTEMS and os.environ.get("STACKRIFT_PROGRESS") != "1":
        return None
    import time

    started = time.perf_counter()

    def show(message: str) -> None:
        err.print(f"[{time.perf_counter() - started:6.1f} s] {message}", markup=False,
                  highlight=False)

    return show


# -- data transfers and rules ----------------------------------------------------------------------

rules_app = typer.Typer(no_args_is_help=True, help="List, show and check transfer rule packs.")
app.add_typer(rules_app, name="rules")
RulesDirs = Annotated[
    list[Path] | None,
    typer.Option("--rules", help="Extra rule-pack folder, same format (repeatable)."),
]


@app.command()
def transfers(
    estate: EstateFile,
    as_of: AsOf = None,
    output_format: TerminalOrJsonOption = TerminalOrJson.TERMINAL,
    output: OutputPath = None,
    rules: RulesDirs = None,
) -> None:
    """Verdict of every data flow under every regime, the origin x destination matrix, conflicts.

    Flows whose id starts with "implied:" are not declared: they are the data of a system's
    users (users_countries) reaching its site and its outputs going back.
    """
    from stackrift.estate.implied import with_implied_flows
    from stackrift.estate.loader import load_estate
    from stackrift.rules.engine import load_rule_set
    from stackrift.rules.terminal import transfers_renderables
    from stackrift.rules.views import evaluate_all, transfers_json

    loaded = load_estate(estate)
    result = evaluate_all(with_implied_flows(loaded.estate), parse_as_of(as_of),
                          load_rule_set(tuple(rules or ())))
    if output_format is TerminalOrJson.JSON:
        write_json(transfers_json(result, str(estate)), output)
        return
    # at a terminal, lines wrap to its width; to a file or pipe they are written whole
    console = SafeConsole(soft_wrap=not (out.is_terminal and output is None),
                          record=output is not None)
    for renderable in transfers_renderables(result, str(estate)):
        console.print(renderable)
    if output is not None:
        write_output(console.export_text(), output)


@rules_app.command("list")
def rules_list(
    json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    rules: RulesDirs = None,
) -> None:
    """Every rule with its citation, in-force dates and confidence."""
    from stackrift.rules.engine import DISCLAIMER, load_rule_set
    from stackrift.rules.terminal import rules_listing
    from stackrift.rules.views import rules_list_json

    rule_set = load_rule_set(tuple(rules or ()))
    if json:
        write_json(rules_list_json(rule_set), None)
        return
    out.print(rules_listing(rule_set))
    out.print(DISCLAIMER, style="italic", markup=False)


@rules_app.command("show")
def rules_show(
    rule_id: Annotated[str, typer.Argument(help="Rule or conflict id, e.g. cn.cac.7.ciio-pi.")],
    rules: RulesDirs = None,
) -> None:
    """One rule or conflict in full: condition, outcome, mechanisms, citation, dates."""
    from stackrift.rules.engine import DISCLAIMER, load_rule_set
    from stackrift.rules.views import conflict_rule_json, rule_json

    rule_set = load_rule_set(tuple(rules or ()))
    rule = rule_set.rule(rule_id)
    conflict = rule_set.conflict(rule_id)
    if rule is None and conflict is None:
        close = difflib.get_close_matches(
            rule_id, [r.id for r in rule_set.rules] + [c.id for c in rule_set.conflicts], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"no rule or conflict with id '{rule_id}'{hint} "
                         "(see: stackrift rules list)")
    if rule is not None:
        record = rule_json(rule_set, rule)
    else:
        assert conflict is not None
        record = conflict_rule_json(rule_set, conflict)
    record["disclaimer"] = DISCLAIMER
    write_json(record, None)


@rules_app.command("check")
def rules_check(
    directory: Annotated[Path, typer.Argument(help="Folder of rule packs to validate.")],
) -> None:
    """Validate user rule packs (with the packaged ones); exit 2 with FILE:LINE:COL problems."""
    from stackrift.rules.engine import load_rule_set

    rule_set = load_rule_set((directory,))
    mine = [p for p in rule_set.packs if not p.packaged]
    err.print(f"{markup(directory)}: {len(mine)} valid pack(s), "
              f"{sum(len(p.pack.rules) for p in mine)} rules, "
              f"{sum(len(p.pack.conflicts) for p in mine)} conflicts")


# -- bills of materials ---------------------------------------------------------------------------

class BomOutputFormat(StrEnum):
    CYCLONEDX_JSON = "cyclonedx-json"
    CYCLONEDX_XML = "cyclonedx-xml"
    SPDX3_JSONLD = "spdx3-jsonld"


@app.command()
def bom(
    target: Annotated[Path | None, typer.Argument(help="SBOM/AI-BOM, lock file, requirements "
                                                  "file, model folder or site-packages.")] = None,
    output_format: Annotated[BomOutputFormat, typer.Option("--format", "-f", case_sensitive=False)]
    = BomOutputFormat.CYCLONEDX_JSON,
    spec_version: Annotated[str, typer.Option("--spec-version", help="CycloneDX version to write "
                                              "(1.5, 1.6, 1.7).")] = "1.6",
    output: OutputPath = None,
    env: Annotated[bool, typer.Option("--env", help="Read the running Python environment "
                                      "instead of a TARGET.")] = False,
    input_format: Annotated[str | None, typer.Option("--input-format", help="Force the input "
                                                     "format instead of detecting it.")] = None,
    catalog: Annotated[Path | None, typer.Option("--catalog", envvar="STACKRIFT_CATALOG",
                                                 help="Catalogue folder (default: the packaged "
                                                 "one).")] = None,
    as_of: AsOf = None,
    fail_on: FailOn = Severity.HIGH,
) -> None:
    """Read any SBOM, lock file or model folder; write CycloneDX or SPDX 3 with provenance."""
    from stackrift.bom.export import BomFormat, export, load_target, summary

    document = load_target(target, env=env, input_format=input_format)
    result = export(document, BomFormat(output_format.value), load_catalogue(catalog),
                    spec_version=spec_version, as_of=parse_as_of(as_of))
    write_output(result.text, output)
    unsafe = _print_artefacts(result.artefacts, fail_on)
    err.print(summary(result), markup=False, highlight=False)
    if unsafe:
        raise typer.Exit(EXIT_FINDINGS)


def _print_artefacts(findings: Sequence[ArtefactFinding], fail_on: Severity) -> bool:
    """Print model-artefact findings to stderr; whether any reaches ``fail_on``."""
    for finding in findings:
        err.print(f"{finding.severity.value.upper()}: {finding.path}: {finding.message}",
                  markup=False, highlight=False)
    return any(f.severity.at_least(fail_on) for f in findings)


# -- advisories and vulnerability scanning ---------------------------------------------------------

db_app = typer.Typer(no_args_is_help=True, help="The advisory store: import, inspect, update.")
app.add_typer(db_app, name="db")

DbOption = Annotated[Path | None, typer.Option("--db", envvar="STACKRIFT_DB",
                                               help="Advisory store (SQLite file); default in "
                                               "the user data directory.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


class AdvisoryFormat(StrEnum):
    OSV = "osv"
    CVE5 = "cve5"
    CSAF = "csaf"
    CNVD = "cnvd"
    CNNVD = "cnnvd"


def _print_json(data: object) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
                     .decode() + "\n")


@db_app.command("import")
def db_import(
    paths: Annotated[list[Path], typer.Argument(help="Advisory files, directories or all.zip "
                                                "archives.")],
    db: DbOption = None,
    feed_format: Annotated[AdvisoryFormat | None, typer.Option(
        "--format", case_sensitive=False, help="Force the feed format instead of detecting it.")]
    = None,
    strict: Annotated[bool, typer.Option("--strict", help="Refuse the whole import if any record "
                                         "is malformed.")] = False,
    json: JsonFlag = False,
) -> None:
    """Import advisories (OSV, CVE 5, CSAF, CNVD, CNNVD) into the store, atomically."""
    from rich.progress import Progress

    from stackrift.advisories.importer import advisory_files, import_paths
    from stackrift.advisories.starter_pack import ensure_starter
    from stackrift.advisories.store import open_store
    from stackrift.advisories.views import import_json

    files = sum(1 for _ in advisory_files(paths))
    # the starter pack is added after the import: into a new store, the feeds load in bulk
    with open_store(db, starter=False) as store, Progress(console=err, transient=True,
                                                          disable=files < 50 or json) as progress:
        task = progress.add_task("reading advisories", total=files)
        report = import_paths(store, paths, forced=feed_format.value if feed_format else None,
                              strict=strict, progress=lambda _p: progress.advance(task))
        starter = ensure_starter(store)
        if starter is not None:
            report.groups_total = starter.groups_total
    if json:
        _print_json({**import_json(report), "starter_pack": _starter_json(starter)})
        return
    table = Table(title=f"imported into {db or 'the default store'}")
    for column in ("source", "read", "new", "updated", "unchanged", "rejected", "duplicates"):
        table.add_column(column)
    for name, counts in sorted(report.sources.items()):
        table.add_row(name, str(counts.read), str(counts.new), str(counts.updated),
                      str(counts.unchanged), str(counts.rejected),
                      f"{counts.duplicates} ({counts.duplicate_identical} identical, "
                      f"{counts.duplicate_revised} revised)")
    err.print(table)
    err.print(f"{len(report.skipped)} non-advisory files skipped; {report.groups_total} "
              "vulnerability groups in the store")
    if starter is not None:
        err.print(f"packaged starter advisory pack added: {_starter_json(starter)['new']} new "
                  "records (it is part of every store)")
    if report.duplicate_ids:
        shown = ", ".join(report.duplicate_ids[:10])
        extra = len(report.duplicate_ids) - 10
        more = f" and {extra} more" if extra > 0 else ""
        err.print(f"{len(report.duplicate_ids)} ids appeared more than once (latest revision "
                  f"kept): {markup(shown)}{more}")
    for rejection in report.rejections[:50]:
        err.print(f"rejected: {rejection}", markup=False, highlight=False)
    if len(report.rejections) > 50:
        err.print(f"… and {len(report.rejections) - 50} more rejections (see --json)")


def _starter_line(status: dict[str, object]) -> str:
    state = "current" if status["current"] else (
        "an older version" if status["imported_version"] else "not imported")
    return (f"source: packaged starter advisory pack {status['packaged_version']} ({state}; "
            "part of every store)")


def _starter_json(report: ImportReport | None) -> dict[str, int]:
    """What importing the starter pack changed (nothing when it was already there)."""
    if report is None:
        return {"new": 0, "updated": 0}
    return {"new": sum(s.new for s in report.sources.values()),
            "updated": sum(s.updated for s in report.sources.values())}


@db_app.command("stats")
def db_stats(db: DbOption = None, json: JsonFlag = False) -> None:
    """Records per source and ecosystem, and groups by the sources that know them."""
    from stackrift.advisories.starter_pack import starter_status
    from stackrift.advisories.store import open_store

    with open_store(db, create=False) as store:
        stats = dict(store.describe(totals=True).totals or {})
        stats["starter_pack"] = starter_status(store).as_json()
    if json:
        _print_json(stats)
        return
    for key in ("records_by_source", "osv_by_ecosystem", "groups_by_sources"):
        table = Table(title=key.replace("_", " "))
        table.add_column("name")
        table.add_column("count", justify="right")
        for name, count in stats[key].items():
            table.add_row(markup(name), str(count))
        out.print(table)
    out.print(f"groups: {stats['groups_total']}; skipped files: {stats['skipped']}; "
              f"rejected records: {stats['rejected']}")
    out.print(_starter_line(stats["starter_pack"]), markup=False, highlight=False)


@db_app.command("show")
def db_show(ident: Annotated[str, typer.Argument(help="Any id: CVE, GHSA, PYSEC, GO, CNVD, "
                                                 "CNNVD…")],
            db: DbOption = None, json: JsonFlag = False) -> None:
    """Show a vulnerability group: all its ids, the sources that know it, dates and severity."""
    from stackrift.advisories.store import open_store
    from stackrift.advisories.views import group_json

    with open_store(db, create=False) as store:
        group = store.groups([ident], by_member=True).get(ident)
    if group is None:
        raise UsageError(f"{ident}: not in the advisory store; expected a known advisory id")
    data = group_json(group)
    if json:
        _print_json(data)
        return
    out.print(f"[bold]{markup(data['group'])}[/bold]  ids: {markup(', '.join(data['ids']))}")
    out.print(f"known to: {markup(', '.join(data['sources']))}")
    table = Table()
    for column in ("source", "id", "published", "modified", "severity", "affected"):
        table.add_column(column)
    for record in data["records"]:
        severity = ", ".join(f"{s['rating'] or ''} {s['score'] or ''}".strip()
                             for s in record["severity"]) or "unknown"
        affected = "; ".join(a.get("package") or a.get("product") or "" for a in
                             record["affected"][:4])
        table.add_row(*(markup(cell) for cell in (
            record["source"], record["id"], record["published"] or "", record["modified"] or "",
            severity, affected)))
    out.print(table)


@db_app.command("coverage")
def db_coverage(db: DbOption = None, json: JsonFlag = False) -> None:
    """Coverage gaps and disclosure lag between Western and Chinese databases."""
    from stackrift.advisories.coverage import coverage
    from stackrift.advisories.starter_pack import starter_status
    from stackrift.advisories.store import open_store

    with open_store(db, create=False) as store:
        data = coverage(store)
        data["starter_pack"] = starter_status(store).as_json()
    if json:
        _print_json(data)
        return
    table = Table(title=f"{data['groups_total']} vulnerability groups")
    for column in ("source", "groups known", "known only here"):
        table.add_column(column)
    for source, count in data["groups_by_source"].items():
        table.add_row(markup(source), str(count), str(data["only_in_source"].get(source, 0)))
    out.print(table)
    sides = data["sides"]
    out.print(f"known to both sides: {sides['both']}; Western only: {sides['western_only']}; "
              f"Chinese only: {sides['chinese_only']}")
    lag = data["lag_days"]
    for label, key in (("Chinese database later", "chinese_later"),
                       ("Western database later", "western_later")):
        part = lag[key]
        out.print(f"{label}: {part['n']} groups, median {part['median']} days, p75 "
                  f"{part['p75']}, p90 {part['p90']}")
    out.print(f"published the same day: {lag['same_day']}")
    out.print(_starter_line(data["starter_pack"]), markup=False, highlight=False)


@db_app.command("update")
def db_update(
    db: DbOption = None,
    ecosystem: Annotated[list[str] | None, typer.Option(
        "--ecosystem", "-e", help="OSV ecosystem to fetch (repeatable); default PyPI, Go, npm, "
        "Maven, crates.io.")] = None,
    base_url: Annotated[str, typer.Option("--osv-url", envvar="STACKRIFT_OSV_URL",
                                          help="Where the OSV per-ecosystem zips are served.")]
    = "https://osv-vulnerabilities.storage.googleapis.com",
    deadline: Annotated[float, typer.Option("--deadline", min=1.0, help="Seconds one download "
                                            "may take in all before it is abandoned.")]
    = 1800.0,
    json: JsonFlag = False,
) -> None:
    """Fetch current OSV feeds and import them (CNVD/CNNVD: use 'db import' on their releases).
    Only https is fetched (plain http only from 127.0.0.1/localhost)."""
    from stackrift.advisories.starter_pack import ensure_starter
    from stackrift.advisories.store import open_store
    from stackrift.advisories.update import DEFAULT_ECOSYSTEMS, update
    from stackrift.advisories.views import import_json

    with open_store(db, starter=False) as store:
        report = update(store, ecosystems=tuple(ecosystem or DEFAULT_ECOSYSTEMS),
                        base_url=base_url, deadline=deadline,
                        progress=lambda url: err.print(f"fetching {url}", markup=False))
        ensure_starter(store)
    if json:
        _print_json(import_json(report))
        return
    for name, counts in sorted(report.sources.items()):
        err.print(f"{name}: {counts.read} read, {counts.new} new, {counts.updated} updated, "
                  f"{counts.unchanged} unchanged, {counts.rejected} rejected")
    err.print(f"{report.groups_total} vulnerability groups in the store")


def _store_notices(info: StoreInfo, *, caveats: bool) -> None:
    """Say on standard error when no store existed and which one the starter pack filled."""
    if info.created:
        err.print(f"no advisory store existed: created {info.path} with the packaged starter "
                  "pack only", style="bold yellow", markup=False, highlight=False)
    if info.note:
        err.print(info.note, style="bold yellow", markup=False, highlight=False)
    for caveat in info.caveats if caveats else ():
        err.print(f"caveat: {caveat}", style="yellow", markup=False, highlight=False)


class ScanFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    CYCLONEDX_VEX = "cyclonedx-vex"


@app.command()
def scan(
    target: Annotated[Path | None, typer.Argument(help="CycloneDX or SPDX SBOM, requirements.txt, "
                                                  "pylock.toml, poetry.lock, uv.lock, "
                                                  "Pipfile.lock.")] = None,
    env: Annotated[bool, typer.Option("--env", help="Scan the running Python environment "
                                      "instead of a TARGET.")] = False,
    db: DbOption = None,
    output_format: Annotated[ScanFormat, typer.Option("--format", "-f", case_sensitive=False)]
    = ScanFormat.TABLE,
    output: OutputPath = None,
    fail_on: FailOn = Severity.HIGH,
    unknown_as: UnknownAs = Severity.HIGH,
    vex: Annotated[list[Path] | None, typer.Option("--vex", help="VEX document (CycloneDX, "
                                                   "OpenVEX or CSAF; repeatable).")] = None,
    waivers: Annotated[Path | None, typer.Option("--waivers", help="Waivers YAML: id, reason, "
                                                 "optional purl and expires.")] = None,
    input_format: Annotated[str | None, typer.Option("--input-format", help="Force the input "
                                                     "format instead of detecting it.")] = None,
    as_of: AsOf = None,
) -> None:
    """Match an SBOM's or lock file's components against the advisory store."""
    from stackrift.analyses.vulnerabilities import run_scan, scan_report
    from stackrift.bom.export import load_target

    check_gate(fail_on, unknown_as)
    day = parse_as_of(as_of)
    document = load_target(target, env=env, input_format=input_format)
    catalogue = load_catalogue()
    result = run_scan(document, db=db, catalogue=catalogue, vex=vex or (), waivers=waivers,
                      as_of=day)
    # the table prints the caveats itself; other formats carry them in the document
    _store_notices(result.store, caveats=output_format is not ScanFormat.TABLE or
                   output is not None)
    if output_format is ScanFormat.JSON:
        from stackrift.advisories.scan import scan_json

        write_output(orjson.dumps(scan_json(result), option=orjson.OPT_INDENT_2).decode(), output)
    elif output_format is ScanFormat.CYCLONEDX_VEX:
        from stackrift.report.cyclonedx_vex import render

        write_output(render(result, day), output)
    elif output_format is ScanFormat.SARIF:
        from stackrift.report.base import renderer

        report = scan_report(result, document, day, catalogue.version, fail_on, unknown_as)
        write_output(renderer("sarif").render(report), output)
    else:
        from stackrift.advisories.scan import render_table

        if output is None:
            # advisory and SBOM text goes into the table: no markup is interpreted in it
            render_table(result, SafeConsole(soft_wrap=True, markup=False, highlight=False),
                         unknown_as)
        else:
            with output.open("w", encoding="utf-8") as handle:
                render_table(result, SafeConsole(file=handle, width=160, markup=False,
                                                 highlight=False), unknown_as)
            err.print(f"wrote {output}")
    # A model file or folder scanned for advisories must not hide an unsafe pickle in it.
    unsafe = _print_artefacts(document.metadata.get("artefact_findings") or (), fail_on)
    # a component that could not be assessed counts as an unknown severity, never as clean
    severities = [m.severity for m in result.matches] + [Severity.UNKNOWN] * len(
        result.not_assessed)
    if unsafe or any(fails_gate(s, fail_on, unknown_as) for s in severities):
        raise typer.Exit(EXIT_FINDINGS)


# -- knowledge sets --------------------------------------------------------------------------------

knowledge_app = typer.Typer(no_args_is_help=True, help="The knowledge set: show, update, diff, "
                            "audit. See docs/knowledge.md.")
app.add_typer(knowledge_app, name="knowledge")


@knowledge_app.command("show")
def knowledge_show(json: JsonFlag = False) -> None:
    """The active knowledge set: version, date, where it comes from, digest."""
    from stackrift.knowledge.sets import active_knowledge
    from stackrift.knowledge.views import set_json, set_text

    knowledge = active_knowledge()
    if json:
        write_json(set_json(knowledge), None)
    else:
        out.print(set_text(knowledge), markup=False, highlight=False)


@knowledge_app.command("update")
def knowledge_update(
    source: Annotated[str, typer.Option("--from", help="Knowledge-set folder, .tar.gz file or "
                                        "https URL of a .tar.gz.")],
    json: JsonFlag = False,
) -> None:
    """Verify a knowledge set against its manifest, validate it, and make it active."""
    from stackrift.knowledge.install import install
    from stackrift.knowledge.views import set_json, set_text

    installed = install(source)
    if json:
        write_json(set_json(installed), None)
    else:
        err.print("installed " + set_text(installed), markup=False, highlight=False)


@knowledge_app.command("reset")
def knowledge_reset() -> None:
    """Go back to the knowledge set shipped with StackRift."""
    from stackrift.knowledge.install import uninstall

    previous = uninstall()
    err.print(f"using the packaged knowledge set{f' (was {previous})' if previous else ''}",
              markup=False, highlight=False)


@knowledge_app.command("diff")
def knowledge_diff(
    old: Annotated[str, typer.Argument(help="Folder, 'packaged' or 'active'.")],
    new: Annotated[str, typer.Argument(help="Folder, 'packaged' or 'active'.")],
    json: JsonFlag = False,
) -> None:
    """Files and facts added, removed or changed between two sets (exit 1 when they differ)."""
    from stackrift.knowledge.diff import diff_sets, resolve_side
    from stackrift.knowledge.views import diff_text

    result = diff_sets(resolve_side(old), resolve_side(new))
    if json:
        write_json(result.to_json(), None)
    else:
        out.print(diff_text(result), markup=False, highlight=False)
    if not result.empty:
        raise typer.Exit(EXIT_FINDINGS)


@knowledge_app.command("audit")
def knowledge_audit(
    older_than: Annotated[str, typer.Option("--older-than", help="Checks older than this are "
                                            "stale: days, e.g. 180d, or weeks, e.g. 26w.")]
    = "180d",
    as_of: AsOf = None,
    output_format: TerminalOrJsonOption = TerminalOrJson.TERMINAL,
    output: OutputPath = None,
) -> None:
    """List facts without a source, unverified, stale, overtaken or contradicting another pack.

    Exit 0 when nothing is at issue, 1 when something is listed, 2 on bad input.
    """
    from stackrift.knowledge.audit import audit_set, parse_window
    from stackrift.knowledge.sets import active_knowledge
    from stackrift.knowledge.views import audit_text, stamp_json

    knowledge = active_knowledge()
    report = audit_set(knowledge.root, as_of=parse_as_of(as_of),
                       older_than_days=parse_window(older_than))
    if output_format is TerminalOrJson.JSON:
        write_json({"knowledge": stamp_json(knowledge.stamp()), **report.to_json()}, output)
    else:
        write_output(f"knowledge {knowledge.stamp()}\n{audit_text(report)}", output)
    if report.items:
        raise typer.Exit(EXIT_FINDINGS)


@knowledge_app.command("export")
def knowledge_export(
    folder: Annotated[Path, typer.Argument(help="New folder to write the active set into.")],
) -> None:
    """Write the active knowledge set (data files and manifest) into FOLDER, to edit and publish."""
    from stackrift.knowledge.install import export_set
    from stackrift.knowledge.sets import active_knowledge

    written = export_set(active_knowledge(), folder)
    err.print(f"wrote {len(written)} files and manifest.json to {folder}", markup=False,
              highlight=False)


@knowledge_app.command("manifest")
def knowledge_manifest(
    folder: Annotated[Path, typer.Argument(help="Knowledge-set folder to describe.")],
    version: Annotated[str, typer.Option("--version", help="Version of the set, e.g. 2026.12.1.")],
    day: Annotated[str | None, typer.Option("--date", help="Date of the set (YYYY-MM-DD); "
                                            "default today.")] = None,
) -> None:
    """Write FOLDER/manifest.json (every data file's size and SHA-256) for publishing a set."""
    from stackrift.knowledge.install import validate_set
    from stackrift.knowledge.manifest import MANIFEST_NAME, build_manifest

    try:
        dated = date.fromisoformat(day) if day else date.today()
    except ValueError:
        raise UsageError(f"--date: '{day}' is not a date; expected YYYY-MM-DD") from None
    validate_set(folder)
    manifest = build_manifest(folder, version, dated)
    write_output(manifest.to_json(), folder / MANIFEST_NAME)


# -- entry point -----------------------------------------------------------------------------------


def _fail(code: int, lines: list[str]) -> NoReturn:
    for line in lines:
        err.print(line, markup=False, highlight=False)
    raise SystemExit(code)


def main(argv: list[str] | None = None) -> NoReturn:
    """Console-script entry point: the only place that exits."""
    args = sys.argv[1:] if argv is None else argv
    _State.verbose = "-v" in args or "--verbose" in args or bool(os.environ.get("STACKRIFT_DEBUG"))
    try:
        code = app(args=args, prog_name="stackrift", standalone_mode=False)
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        _fail(EXIT_INPUT, ["aborted"])
    except typer.TyperException as exc:  # usage errors: unknown option, bad value, missing argument
        show = getattr(exc, "show", None)
        if callable(show):  # the message quotes the arguments given: shown escaped
            shown = io.StringIO()
            show(file=shown)
            err.print(shown.getvalue().rstrip("\n"), markup=False, highlight=False)
        else:
            err.print(str(exc), markup=False, highlight=False)
        raise SystemExit(EXIT_INPUT) from None
    except InputError as exc:
        if _State.verbose:
            traceback.print_exc()
        _fail(EXIT_INPUT, exc.diagnostics())
    except StackRiftError as exc:
        if _State.verbose:
            traceback.print_exc()
        _fail(EXIT_INTERNAL, exc.diagnostics())
    except Exception as exc:
        if _State.verbose:
            traceback.print_exc()
        _fail(
            EXIT_INTERNAL,
            [
                f"internal error: {type(exc).__name__}: {exc}",
                "run again with -v for the traceback and report it",
            ],
        )
    raise SystemExit(code if isinstance(code, int) else EXIT_OK)
