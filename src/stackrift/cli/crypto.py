"""The ``crypto`` group: cross-regime interoperability check, live TLS probe, inventory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stackrift.choices import InventoryFormat, RecordFormat, ReportFormat, TableFormat
from stackrift.cli.entry import EXIT_FINDINGS
from stackrift.cli.options import (
    AsOf,
    EstateFile,
    OutputPath,
    RecordFormatOption,
    TableFormatOption,
    command_group,
    parse_as_of,
)
from stackrift.cli.output import write_json, write_report, write_tables
from stackrift.errors import UsageError

if TYPE_CHECKING:
    from rich.console import RenderableType

    from stackrift.crypto.cbom_out import Holder
    from stackrift.crypto.inventory import Inventory
    from stackrift.crypto.loader import Registry
    from stackrift.crypto.model import InventoryItem

app = command_group(no_args_is_help=True, help="Cryptographic interoperability across regimes: "
                    "check an estate, probe a TLS endpoint, read an inventory.")
RegimeDirs = Annotated[list[Path] | None, typer.Option(
    "--regimes", help="Extra crypto regime-pack folder, same format (repeatable).")]


@app.command("check")
def crypto_check(
    estate: EstateFile,
    as_of: AsOf = None,
    output_format: TableFormatOption = TableFormat.TERMINAL,
    output: OutputPath = None,
    regimes: RegimeDirs = None,
) -> None:
    """Run the crypto analysis alone: every flow's interop status, inventory, matrices."""
    from stackrift.analyses.base import AnalysisContext
    from stackrift.analyses.crypto import NAME, CryptoOptions
    from stackrift.cli.assess import _renderer
    from stackrift.estate.loader import load_estate
    from stackrift.pipeline import assess as run_assess

    context = AnalysisContext.default(
        parse_as_of(as_of), options=[CryptoOptions(regime_dirs=tuple(regimes or ()))])
    report = run_assess(load_estate(estate), context, only=frozenset({NAME}))
    write_report(_renderer(ReportFormat(output_format.value), output).render(report), output)
    if report.failing():
        raise typer.Exit(EXIT_FINDINGS)


def _host_port(endpoint: str) -> tuple[str, int]:
    host, sep, port = endpoint.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"'{endpoint}' is not HOST:PORT (e.g. example.com:443)")
    return host.strip("[]"), int(port)


@app.command("probe")
def crypto_probe(
    endpoint: Annotated[str, typer.Argument(help="HOST:PORT of a TLS or TLCP server.")],
    sni: Annotated[str | None, typer.Option("--sni", help="Server name to send.")] = None,
    timeout: Annotated[float, typer.Option(
        "--timeout", min=0.1, max=60.0, help="Seconds allowed per connection.")] = 3.0,
    enumerate_each: Annotated[bool, typer.Option(
        "--enumerate", help="One offer per suite, per TLS 1.3 group and per signature scheme "
        "(80 connections) instead of one per family.")] = False,
    output_format: RecordFormatOption = RecordFormat.JSON,
    output: OutputPath = None,
) -> None:
    """Offer international, SM, GOST, TLCP and hybrid post-quantum suites; report what the
    server selects. The JSON can be referenced from a system's crypto.probes."""
    from stackrift.crypto.loader import load_registry
    from stackrift.crypto.probe import (
        ProbeSettings,
        enumeration_offers,
        probe_endpoint,
        results_json,
    )

    host, port = _host_port(endpoint)
    registry = load_registry()
    results = probe_endpoint(host, port, registry, ProbeSettings(sni=sni, timeout=timeout),
                             offers=enumeration_offers(registry) if enumerate_each else None)
    data = results_json(host, port, results)
    if output_format is RecordFormat.JSON:
        write_json(data, output)
        return
    write_tables(TableFormat.TERMINAL, output, data=lambda: data,
                 renderables=lambda: [_probe_table(data)])


def _probe_table(data: dict[str, Any]) -> RenderableType:
    from rich.table import Table

    table = Table(title=f"TLS probe of {data['endpoint']}")
    for column in ("offer", "accepted", "version", "suite", "group", "signature scheme",
                   "certificate", "alert / notes"):
        table.add_column(column)
    for row in data["offers"]:
        cert = row["certificates"][0]["subject"] if row["certificates"] else ""
        why = "; ".join(filter(None, [str(row["alert"] or ""), *row["notes"]]))
        table.add_row(row["offer"], "yes" if row["accepted"] else "no", row["version"] or "",
                      row["suite"] or "", row["group"] or "", row["signature_scheme"] or "",
                      cert, why)
    return table


InventoryFormatOption = Annotated[InventoryFormat, typer.Option(
    "--format", "-f", case_sensitive=False,
    help="Output: terminal (text), json, md, or cbom (a CycloneDX 1.6 CBOM).")]


@app.command("inventory")
def crypto_inventory(
    files: Annotated[list[Path] | None, typer.Argument(
        help="CycloneDX CBOM (JSON) or X.509 certificate (PEM/DER) files.")] = None,
    estate: Annotated[Path | None, typer.Option(
        "--estate", help="Inventory every system of this estate: its crypto block (or its "
        "site's), CBOMs and certificates.")] = None,
    output_format: InventoryFormatOption = InventoryFormat.TERMINAL,
    output: OutputPath = None,
) -> None:
    """Read CBOMs and certificates (or an estate's crypto); every algorithm normalised to the
    registry. -f cbom writes them as one CycloneDX 1.6 CBOM."""
    from stackrift.crypto.cbom_out import cbom_text
    from stackrift.crypto.inventory import Inventory
    from stackrift.crypto.loader import load_registry

    if not files and estate is None:
        raise UsageError("name CBOM or certificate FILES, or --estate ESTATE")
    registry = load_registry()
    holders = [*_estate_holders(estate, registry), *_file_holders(files or [], registry)]
    if output_format is InventoryFormat.CBOM:
        title = f"cryptography of {estate.name}" if estate else "cryptography of the given files"
        write_report(cbom_text(holders, registry, title=title), output)
        return
    inventory = Inventory(tuple(i for h in holders for i in h.inventory.items),
                          tuple(u for h in holders for u in h.inventory.unknown))
    write_tables(TableFormat(output_format.value), output,
                 data=lambda: _inventory_json(inventory),
                 renderables=lambda: [_inventory_table(inventory)])


def _file_holders(files: list[Path], registry: Registry) -> list[Holder]:
    from stackrift.crypto.cbom_out import Holder
    from stackrift.crypto.inventory import build_inventory
    from stackrift.crypto.model import CryptoProfile

    if not files:
        return []
    cboms = tuple(str(f) for f in files if _is_json(f))
    certs = tuple(str(f) for f in files if not _is_json(f))
    inventory = build_inventory(CryptoProfile(cboms=cboms, certificates=certs), registry,
                                base=Path.cwd(), source="command line")
    return [Holder(None, None, None, inventory)]


def _estate_holders(path: Path | None, registry: Registry) -> list[Holder]:
    from stackrift.crypto.cbom_out import Holder
    from stackrift.crypto.endpoints import system_blocks
    from stackrift.crypto.inventory import build_inventory
    from stackrift.estate.loader import load_estate

    if path is None:
        return []
    loaded = load_estate(path)
    base = Path(loaded.path).parent
    names = {s.id: s.name for s in loaded.estate.systems}
    files: dict[str, tuple[InventoryItem, ...] | str] = {}
    return [Holder(system_id, names[system_id], block,
                   build_inventory(block, registry, base=base, source=system_id, files=files))
            for system_id, block in system_blocks(loaded.estate).items()]


def _is_json(path: Path) -> bool:
    """CBOMs are JSON documents; anything else is read as certificates."""
    try:
        with path.open("rb") as handle:
            return handle.read(64).lstrip().startswith(b"{")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None


def _inventory_rows(inventory: Inventory) -> list[list[str]]:
    rows = []
    for item in inventory.items:
        alg = item.algorithm
        name = (alg.algorithm_id or f"unknown: {alg.unknown_reason}") if alg else ""
        qv = {True: "yes", False: "no", None: "unknown"}[item.quantum_vulnerable]
        rows.append([item.asset_type.value, item.name, name, qv, item.source])
    return rows


def _inventory_json(inventory: Inventory) -> dict[str, Any]:
    return {"items": [i.model_dump(mode="json", exclude_none=True) for i in inventory.items],
            "unknown": list(inventory.unknown),
            "quantum_vulnerable": len(inventory.quantum_vulnerable)}


def _inventory_table(inventory: Inventory) -> RenderableType:
    from rich.table import Table

    table = Table(title=f"Cryptographic inventory: {len(inventory.items)} item(s), "
                        f"{len(inventory.quantum_vulnerable)} quantum-vulnerable")
    for column in ("type", "name", "algorithm", "quantum-vulnerable", "source"):
        table.add_column(column)
    for row in _inventory_rows(inventory):
        table.add_row(*row)
    return table
