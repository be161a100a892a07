"""The root command: global options and the explicit list of commands, each loaded lazily.

Every command lives in one module per group and is imported only when it runs (or when its own
help is asked for): ``stackrift --help`` loads no analysis, renderer or reader, and no command
module. :func:`stackrift.cli.entry.main` runs this app and alone maps errors to exit codes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from stackrift import __version__


@dataclass(frozen=True)
class CommandEntry:
    """One top-level command: where it lives and the line ``stackrift --help`` shows for it."""

    name: str
    module: str  # under stackrift.cli; the module's ``app`` (a Typer) holds the command
    summary: str  # kept equal to the command's own first help line by a test
    group: bool = False  # True: the module's app is the sub-command group ``name`` itself


# The one list of commands, in the order `stackrift --help` shows them. New groups (crypto,
# compliance, intel, serve) are one module each plus one line here.
COMMANDS: tuple[CommandEntry, ...] = (
    CommandEntry("init", "init", "Write a commented starter estate that validates; edit it, "
                 "then run `assess`."),
    CommandEntry("validate", "assess", "Check an estate file; print every problem as "
                 "FILE:LINE:COL and exit 2 if there are any."),
    CommandEntry("assess", "assess", "Run every analysis on an estate and render one report."),
    CommandEntry("demo", "assess", "Assess the bundled demo estate and write its reports "
                 "(HTML, JSON and Markdown by default)."),
    CommandEntry("transfers", "rules", "Verdict of every data flow under every regime, the "
                 "origin x destination matrix, conflicts."),
    CommandEntry("rules", "rules", "List, show and check transfer rule packs.", group=True),
    CommandEntry("stress", "plan", "Propagate policy shocks through the estate: broken "
                 "systems, substitutes, unlawful flows."),
    CommandEntry("plan", "plan", "Plan a layout where every flow is lawful, export controls "
                 "hold and shares stay capped."),
    CommandEntry("bom", "bom", "Read any SBOM, lock file or model folder; write CycloneDX or "
                 "SPDX 3 with provenance."),
    CommandEntry("scan", "bom", "Match an SBOM's or lock file's components against the "
                 "advisory store."),
    CommandEntry("crypto", "crypto", "Cryptographic interoperability across regimes: check an "
                 "estate, probe a TLS endpoint, read an inventory.", group=True),
    CommandEntry("db", "db", "The advisory store: import, inspect, update.", group=True),
    CommandEntry("catalog", "catalog", "Browse the provenance catalogue.", group=True),
    CommandEntry("knowledge", "knowledge", "The knowledge set: show, update, diff, audit. See "
                 "docs/knowledge.md.", group=True),
    CommandEntry("compliance", "compliance", "Certification obligations per system across "
                 "regimes, and the smallest control set that meets them.", group=True),
    CommandEntry("schema", "schema", "Print JSON Schemas of StackRift's inputs.", group=True),
    CommandEntry("serve", "serve", "Run the StackRift server: projects, estates, SBOMs and "
                 "assessments over HTTP."),
)
_BY_NAME = {entry.name: entry for entry in COMMANDS}


@cache
def _module_group(module_name: str) -> TyperGroup:
    """The commands of one module, imported and built once per process."""
    module = importlib.import_module(f"stackrift.cli.{module_name}")
    return typer.main.get_group(module.app)


def load_command(entry: CommandEntry) -> Any:
    """Import the entry's module and build its command (a click command or group)."""
    group = _module_group(entry.module)
    if entry.group:
        group.name = entry.name
        return group
    return group.commands[entry.name]


class LazyGroup(TyperGroup):
    """The root group: knows its commands by name and imports one only when it is used.

    While the root's own help is formatted, commands are stand-ins carrying their summary, so
    ``stackrift --help`` imports no command module.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [entry.name for entry in COMMANDS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        entry = _BY_NAME.get(cmd_name)
        if entry is None:
            return None
        if self._listing:
            return TyperCommand(entry.name, help=entry.summary, short_help=entry.summary)
        return load_command(entry)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="stackrift",
    cls=LazyGroup,
    no_args_is_help=True,
    add_completion=False,
    help="Evidence-backed assessment of AI estates across the US/China split.",
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: see stackrift.cli.options.command_group
)


def _print_version(value: bool) -> None:
    """``--version`` after other root options (``stackrift.cli.entry`` answers it alone)."""
    if value:
        typer.echo(f"stackrift {__version__}")
        raise typer.Exit(0)


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
    del verbose  # read by main() from the arguments, before any command runs
    from stackrift.knowledge.sets import select_knowledge

    select_knowledge(knowledge)
