"""``transfers`` and the ``rules`` group: data-flow verdicts and the rule packs behind them."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stackrift.choices import RecordFormat, SummaryFormat, TableFormat
from stackrift.cli.options import (
    AsOf,
    EstateFile,
    JsonAlias,
    OutputPath,
    RecordFormatOption,
    SummaryFormatOption,
    TableFormatOption,
    command_group,
)
from stackrift.cli.output import (
    chosen_format,
    write_json,
    write_summary,
    write_tables,
)
from stackrift.errors import UsageError

if TYPE_CHECKING:
    from stackrift.rules.loader import RuleSet

app = command_group(no_args_is_help=True, help="List, show and check transfer rule packs.")
RulesDirs = Annotated[
    list[Path] | None,
    typer.Option("--rules", help="Extra rule-pack folder, same format (repeatable)."),
]


@app.command()
def transfers(
    estate: EstateFile,
    as_of: AsOf = None,
    output_format: TableFormatOption = TableFormat.TERMINAL,
    output: OutputPath = None,
    rules: RulesDirs = None,
) -> None:
    """Verdict of every data flow under every regime, the origin x destination matrix, conflicts.

    Flows whose id starts with "implied:" are not declared: they are the data of a system's
    users (users_countries) reaching its site and its outputs going back.
    """
    from stackrift.cli.transfers import TransfersArguments, run_transfers_command

    # plain command lines skip typer and run the same function (see stackrift.cli.transfers)
    run_transfers_command(TransfersArguments(estate=estate, as_of=as_of,
                                             output_format=output_format, output=output,
                                             rules=tuple(rules or ())))


@app.command("list")
def rules_list(
    output_format: TableFormatOption = TableFormat.TERMINAL,
    output: OutputPath = None,
    rules: RulesDirs = None,
    json: JsonAlias = False,
) -> None:
    """Every rule with its citation, in-force dates and confidence."""
    from rich.text import Text

    from stackrift.rules.engine import DISCLAIMER, load_rule_set
    from stackrift.rules.terminal import rules_listing
    from stackrift.rules.views import rules_list_json

    rule_set = load_rule_set(tuple(rules or ()))
    write_tables(chosen_format(output_format, json, TableFormat.JSON), output,
                 data=lambda: rules_list_json(rule_set),
                 renderables=lambda: [rules_listing(rule_set), Text(DISCLAIMER, style="italic")])


@app.command("show")
def rules_show(
    rule_id: Annotated[str, typer.Argument(help="Rule or conflict id, e.g. cn.cac.7.ciio-pi.")],
    output_format: RecordFormatOption = RecordFormat.JSON,
    output: OutputPath = None,
    rules: RulesDirs = None,
) -> None:
    """One rule or conflict in full: condition, outcome, mechanisms, citation, dates."""
    from stackrift.rules.engine import load_rule_set

    record = _rule_record(load_rule_set(tuple(rules or ())), rule_id)
    if output_format is RecordFormat.JSON:
        write_json(record, output)
        return
    from stackrift.cli.catalog import record_lines

    write_tables(TableFormat.TERMINAL, output, data=lambda: record,
                 renderables=lambda: record_lines(record))


def _rule_record(rule_set: RuleSet, rule_id: str) -> dict[str, Any]:
    from stackrift.rules.engine import DISCLAIMER
    from stackrift.rules.views import conflict_rule_json, rule_json

    rule = rule_set.rule(rule_id)
    conflict = rule_set.conflict(rule_id)
    if rule is not None:
        record = rule_json(rule_set, rule)
    elif conflict is not None:
        record = conflict_rule_json(rule_set, conflict)
    else:
        close = difflib.get_close_matches(
            rule_id, [r.id for r in rule_set.rules] + [c.id for c in rule_set.conflicts], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"no rule or conflict with id '{rule_id}'{hint} "
                         "(see: stackrift rules list)")
    record["disclaimer"] = DISCLAIMER
    return record


@app.command("check")
def rules_check(
    directory: Annotated[Path, typer.Argument(help="Folder of rule packs to validate.")],
    output_format: SummaryFormatOption = SummaryFormat.TERMINAL,
    output: OutputPath = None,
) -> None:
    """Validate user rule packs (with the packaged ones); exit 2 with FILE:LINE:COL problems."""
    from stackrift.rules.engine import load_rule_set

    rule_set = load_rule_set((directory,))
    mine = [p for p in rule_set.packs if not p.packaged]
    counts = {"packs": len(mine), "rules": sum(len(p.pack.rules) for p in mine),
              "conflicts": sum(len(p.pack.conflicts) for p in mine)}
    write_summary(output_format, output,
                  text=f"{directory}: {counts['packs']} valid pack(s), {counts['rules']} rules, "
                  f"{counts['conflicts']} conflicts",
                  data=lambda: {"folder": str(directory), "valid": True, **counts})
