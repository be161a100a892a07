"""Options shared by the commands, declared once.

``-f/--format`` and ``-o/--output`` mean the same in every command: the format of the command's
report and the file it is written to (standard output by default). The choices are the library's
enums (:mod:`stackrift.choices`), never copies of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from stackrift.choices import (
    DocumentFormat,
    RecordFormat,
    ReportFormat,
    SummaryFormat,
    TableFormat,
)

# checked the same way by the commands and by scan's direct path (stackrift/cli/scanning.py)
from stackrift.cli.values import check_gate as check_gate
from stackrift.cli.values import parse_as_of as parse_as_of


def command_group(**settings: Any) -> typer.Typer:
    """A Typer app for one command module. Help is plain text (rich's help formatter costs about
    0.1 s of start-up, more than the rest of ``stackrift --help``); tables still use rich."""
    return typer.Typer(rich_markup_mode=None, **settings)


def _format(help_text: str) -> Any:  # what typer.Option returns, placed inside Annotated
    return typer.Option("--format", "-f", case_sensitive=False, help=help_text)


TableFormatOption = Annotated[TableFormat, _format("Output: terminal (text), json or md.")]
SummaryFormatOption = Annotated[SummaryFormat, _format("Output: terminal (text) or json.")]
RecordFormatOption = Annotated[RecordFormat, _format("Output: json or terminal (text).")]
DocumentFormatOption = Annotated[DocumentFormat, _format("Output: json or yaml.")]
ReportFormatOption = Annotated[ReportFormat, _format("Report format.")]
OutputPath = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write here instead of standard output.")
]
JsonAlias = Annotated[
    bool, typer.Option("--json", hidden=True, help="Same as -f json (deprecated).")
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Evaluate as of this date (YYYY-MM-DD); default today.",
        envvar="STACKRIFT_AS_OF",
    ),
]
EstateFile = Annotated[Path, typer.Argument(help="Estate file (YAML or JSON).")]
ExtraRules = Annotated[
    list[Path] | None, typer.Option("--rules", help="Extra rule-pack folder (repeatable).")
]
# a str, not a Path: a database URL (postgresql+psycopg://…) must keep its double slashes
DbOption = Annotated[str | None, typer.Option("--db", envvar="STACKRIFT_DB",
                                              help="Advisory store: a SQLite file, or a database "
                                              "URL (sqlite:///FILE, postgresql+psycopg://…); "
                                              "default in the user data directory.")]
VexFiles = Annotated[list[Path] | None, typer.Option(
    "--vex", help="VEX document (CycloneDX VEX, OpenVEX or CSAF VEX); repeatable.")]
InputFormat = Annotated[str | None, typer.Option(
    "--input-format", help="Force the input format instead of detecting it.")]
