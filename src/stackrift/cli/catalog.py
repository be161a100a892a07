"""``catalog list`` and ``catalog show``: the provenance catalogue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from stackrift.choices import TableFormat
from stackrift.cli.options import JsonAlias, OutputPath, TableFormatOption, command_group
from stackrift.cli.output import chosen_format, write_tables

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table

    from stackrift.catalog.catalogue import Catalogue

app = command_group(no_args_is_help=True, help="Browse the provenance catalogue.")


@app.command("list")
def catalog_list(
    output_format: TableFormatOption = TableFormat.TERMINAL,
    output: OutputPath = None,
    json: JsonAlias = False,
) -> None:
    """List catalogued vendors with country, bloc and Entity List status."""
    from stackrift.catalog.catalogue import load_catalogue
    from stackrift.catalog.views import catalogue_json

    catalogue = load_catalogue()
    write_tables(chosen_format(output_format, json, TableFormat.JSON), output,
                 data=lambda: catalogue_json(catalogue),
                 renderables=lambda: [_vendor_table(catalogue)])


def _vendor_table(catalogue: Catalogue) -> Table:
    from rich.table import Table

    table = Table(title=f"Provenance catalogue {catalogue.version} (as of {catalogue.as_of})")
    table.add_column("vendor", no_wrap=True)  # the name a user looks up: never cut
    for column in ("country", "bloc", "Entity List", "products"):
        table.add_column(column)
    for vendor in sorted(catalogue.vendors.values(), key=lambda v: v.name.lower()):
        status = vendor.entity_list
        listed = (
            f"listed since {status.since}" if status.listed else f"not listed as of {vendor.as_of}"
        )
        table.add_row(vendor.name, vendor.country or "unknown", vendor.bloc.value, listed,
                      str(len(catalogue.products_of(vendor.id))))
    return table


@app.command("show")
def catalog_show(
    name: Annotated[str, typer.Argument(help="Vendor or product name, alias or id.")],
    output_format: TableFormatOption = TableFormat.TERMINAL,
    output: OutputPath = None,
    json: JsonAlias = False,
) -> None:
    """Everything the catalogue knows about one vendor or product, with sources."""
    from stackrift.catalog.catalogue import load_catalogue
    from stackrift.catalog.views import describe

    record = describe(load_catalogue(), name)
    write_tables(chosen_format(output_format, json, TableFormat.JSON), output,
                 data=lambda: record, renderables=lambda: record_lines(record))


def record_lines(record: dict[str, Any]) -> list[RenderableType]:
    """One ``key: value`` line per field (values as given, nothing read as markup)."""
    from rich.text import Text

    lines: list[RenderableType] = []
    for key, value in record.items():
        line = Text(f"{key}", style="bold")
        line.append(f": {value}")
        lines.append(line)
    return lines
