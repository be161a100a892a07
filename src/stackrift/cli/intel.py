"""The ``intel`` group: threat intelligence across borders."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stackrift.choices import DigestAlgorithm, IntelFormat, MessageFormat, TableFormat, TlpLevel
from stackrift.cli.options import AsOf, DbOption, OutputPath, TableFormatOption, command_group
from stackrift.cli.output import note, write_json, write_report, write_tables

if TYPE_CHECKING:
    from stackrift.intel.service import ReleaseRequest

app = command_group(no_args_is_help=True, help="Share threat intelligence across borders: STIX "
                    "and MISP out, release rules, matching without moving logs.")

IntelFormatOption = Annotated[IntelFormat, typer.Option(
    "--format", "-f", case_sensitive=False, help="stix (STIX 2.1 bundle) or misp (MISP event).")]
MessageFormatOption = Annotated[MessageFormat, typer.Option(
    "--format", "-f", case_sensitive=False, help="Message format: versioned JSON.")]
Origin = Annotated[str, typer.Option("--from", help="Country the data leaves (ISO code).")]
Target = Annotated[str, typer.Option("--to", help="Country the data goes to (ISO code).")]
Packs = Annotated[list[Path] | None, typer.Option(
    "--packs", help="Extra release-pack folder (repeatable).")]
Recipient = Annotated[str | None, typer.Option("--recipient", help="Recipient's name.")]
Lawful = Annotated[bool | None, typer.Option(
    "--transfer-lawful/--transfer-unlawful", help="Whether the transfer of personal data to the "
    "recipient has a lawful basis (default: unknown, so personal data is transformed).")]
AuditPath = Annotated[Path, typer.Option("--audit", help="Write the audit record (JSON) here.")]
KeyFile = Annotated[Path, typer.Option("--key", help="File holding the community key (>= 32 "
                                       "bytes); never sent.")]
Logs = Annotated[list[Path], typer.Option("--logs", help="Log file: Zeek TSV/JSON, Suricata "
                                          "EVE, syslog/CEF (repeatable).")]
Strict = Annotated[bool, typer.Option("--strict", help="Stop at the first unreadable log line "
                                      "instead of counting it.")]


def _as_of(value: str | None) -> Any:
    from stackrift.cli.options import parse_as_of

    return parse_as_of(value)


def _write_file(path: Path, document: object) -> None:
    from stackrift.cli.output import json_text, write_atomic

    write_atomic(path, json_text(document) + "\n")


@app.command("export")
def export(
    source: Annotated[Path, typer.Argument(help="Estate file, or a JSON report of assess.")],
    output_format: IntelFormatOption = IntelFormat.STIX,
    output: OutputPath = None,
    tlp: Annotated[TlpLevel, typer.Option(
        "--tlp", case_sensitive=False, help="TLP 2.0 marking of every object.")] = TlpLevel.AMBER,
    as_of: AsOf = None,
    db: DbOption = None,
) -> None:
    """Turn findings into a STIX 2.1 bundle (or a MISP event) for threat-intel teams.

    Vulnerabilities with CVE, GHSA, CNVD and CNNVD references, software with purl and CPE,
    hash indicators for unsafe model files, systems and their relationships, TLP-marked.
    """
    from stackrift.intel.model import Tlp
    from stackrift.intel.service import export as run_export

    text, caveats = run_export(source, output_format.value, Tlp(tlp.value), _as_of(as_of), db)
    for caveat in caveats:
        note(f"caveat: {caveat}")
    write_report(text, output)


def _request(origin: str, target: str, as_of: str | None, **known: Any) -> ReleaseRequest:
    from stackrift.intel.service import ReleaseRequest

    return ReleaseRequest(origin, target, _as_of(as_of), **known)


@app.command("release")
def release(
    bundle: Annotated[Path, typer.Argument(help="STIX 2.1 bundle to release.")],
    origin: Origin,
    target: Target,
    record: Annotated[Path, typer.Option("--record", help="Write the release record (JSON) "
                                         "here.")],
    output_format: IntelFormatOption = IntelFormat.STIX,
    output: OutputPath = None,
    as_of: AsOf = None,
    recipient: Recipient = None,
    in_group: Annotated[bool | None, typer.Option(
        "--recipient-in-group/--recipient-outside-group", help="Recipient is in the sender's own "
        "organisation (TLP:AMBER+STRICT).")] = None,
    in_community: Annotated[bool | None, typer.Option(
        "--community-member/--not-community-member", help="Recipient is in the sharing "
        "community (TLP:AMBER, TLP:GREEN).")] = None,
    product_provider: Annotated[bool | None, typer.Option(
        "--product-provider/--not-product-provider", help="Recipient is the provider of the "
        "affected products.")] = None,
    transfer_lawful: Lawful = None,
    estate: Annotated[Path | None, typer.Option("--estate", help="Estate whose transfer rules "
                                                "decide --flow.")] = None,
    flow: Annotated[str | None, typer.Option("--flow", help="Estate data flow the release "
                                             "travels on.")] = None,
    packs: Packs = None,
) -> None:
    """Write the part of a bundle that may go to a destination, and a record of why.

    Each object is kept, transformed (IP truncation, names removed) or withheld by the release
    rules in force on --as-of; what cannot be decided is withheld, naming the missing fact.
    """
    from stackrift.intel.service import release as run_release

    request = _request(origin, target, as_of, recipient=recipient, in_group=in_group,
                       in_community=in_community, product_provider=product_provider,
                       transfer_lawful=transfer_lawful, estate=estate, flow=flow,
                       packs=tuple(packs or ()))
    text, release_record = run_release(bundle, request, output_format.value)
    _write_file(record, release_record)
    counts = release_record["counts"]
    note(f"released to {target.upper()}: {counts['keep']} kept, {counts['transform']} "
         f"transformed, {counts['withhold']} withheld; record in {record}")
    write_report(text, output)


@app.command("sightings")
def sightings(
    bundles: Annotated[list[Path], typer.Argument(help="STIX bundles with indicators or "
                                                  "observables.")],
    logs: Logs,
    output_format: TableFormatOption = TableFormat.TERMINAL,
    output: OutputPath = None,
    strict: Strict = False,
    log_format: Annotated[str | None, typer.Option(
        "--log-format", help="zeek-tsv, zeek-json, suricata-eve or syslog (default: detected "
        "per file).")] = None,
) -> None:
    """Match indicators against local logs, streamed; nothing leaves the machine.

    Unreadable lines (invalid UTF-8, too long, not the format) are counted and the first ones
    named; with --strict the first one is an error.
    """
    from stackrift.intel.service import sightings as run_sightings

    result = run_sightings(bundles, logs, strict, log_format)
    for caveat in result["caveats"]:
        note(f"caveat: {caveat}")

    def renderables() -> list[Any]:
        from rich.table import Table as RichTable

        from stackrift.textsafe import markup

        shown = RichTable(title=f"Matches of {result['indicators']} indicators")
        for column in ("indicator", "name", "lines"):
            shown.add_column(column, no_wrap=column == "indicator")
        for found in result["matched"]:
            shown.add_row(found["indicator"], markup(found["name"]), str(found["count"]))
        return [shown]

    write_tables(output_format, output, data=lambda: result, renderables=renderables)


@app.command("digest")
def digest(
    bundles: Annotated[list[Path], typer.Argument(help="STIX bundles with the indicators.")],
    key: KeyFile,
    community: Annotated[str, typer.Option("--community", help="Name of the sharing "
                                           "community.")],
    state: Annotated[Path, typer.Option("--state", help="Write the local reference table "
                                        "here (kept; reveal needs it).")],
    audit: AuditPath,
    origin: Origin,
    target: Target,
    output_format: MessageFormatOption = MessageFormat.JSON,
    output: OutputPath = None,
    as_of: AsOf = None,
    recipient: Recipient = None,
    transfer_lawful: Lawful = None,
    packs: Packs = None,
    algorithm: Annotated[DigestAlgorithm, typer.Option(
        "--algorithm", help="hmac-sha256: one keyed digest per value (exact); bloom: a keyed, "
        "salted Bloom filter with short buckets (smaller, unlinkable, with a stated "
        "false-match rate).")] = DigestAlgorithm.HMAC,
    false_positive_rate: Annotated[float, typer.Option(
        "--false-positive-rate", min=1e-12, max=0.1,
        help="The Bloom filter's false-positive rate (with --algorithm bloom).")] = 1e-6,
) -> None:
    """Write keyed digests of indicators for a partner to match without seeing them."""
    from stackrift.intel.service import digest as run_digest

    del output_format  # one format
    request = _request(origin, target, as_of, recipient=recipient,
                       transfer_lawful=transfer_lawful, packs=tuple(packs or ()))
    message, local_state, audit_record = run_digest(
        bundles, key, community, request, algorithm=algorithm.value,
        false_positive_rate=false_positive_rate)
    _write_file(state, local_state)
    _write_file(audit, audit_record)
    write_json(message, output)


@app.command("match")
def match(
    digest_file: Annotated[Path, typer.Argument(help="Digest message from the partner.")],
    logs: Logs,
    key: KeyFile,
    origin: Origin,
    target: Target,
    audit: AuditPath,
    output_format: MessageFormatOption = MessageFormat.JSON,
    output: OutputPath = None,
    as_of: AsOf = None,
    recipient: Recipient = None,
    transfer_lawful: Lawful = None,
    packs: Packs = None,
    strict: Strict = False,
) -> None:
    """Match a partner's digests against local logs; answer only what may cross the border."""
    from stackrift.intel.service import match as run_match

    del output_format  # one format
    request = _request(origin, target, as_of, recipient=recipient,
                       transfer_lawful=transfer_lawful, packs=tuple(packs or ()))
    message, audit_record = run_match(digest_file, logs, key, request, strict)
    _write_file(audit, audit_record)
    write_json(message, output)


@app.command("reveal")
def reveal(
    match_file: Annotated[Path, typer.Argument(help="Match message from the partner.")],
    state: Annotated[Path, typer.Option("--state", help="The state file intel digest "
                                        "wrote.")],
    audit: AuditPath,
    output_format: MessageFormatOption = MessageFormat.JSON,
    output: OutputPath = None,
    as_of: AsOf = None,
) -> None:
    """Turn a partner's match answer back into indicators and counts."""
    from stackrift.intel.service import reveal as run_reveal

    del output_format  # one format
    result, audit_record = run_reveal(match_file, state, _as_of(as_of))
    _write_file(audit, audit_record)
    write_json(result, output)


@app.command("rules")
def rules(
    output_format: TableFormatOption = TableFormat.TERMINAL,
    output: OutputPath = None,
    packs: Packs = None,
) -> None:
    """List the release rules: what each selects and does, its source, dates and confidence."""
    from stackrift.intel.release import DISCLAIMER
    from stackrift.intel.service import rule_rows

    rows = rule_rows(tuple(packs or ()))

    def renderables() -> list[Any]:
        from rich.table import Table as RichTable

        from stackrift.textsafe import markup

        shown = RichTable(title="Release rules")
        for column in ("id", "selects", "action", "in force", "confidence", "source"):
            shown.add_column(column, no_wrap=column == "id")
        for row in rows:
            until = row["in_force_until"]
            shown.add_row(row["id"], markup(row["selects"]), row["action"],
                          f"{row['in_force_from']}" + (f" to {until}" if until else " on"),
                          row["confidence"], markup(row["source"]))
        return [shown]

    write_tables(output_format, output, data=lambda: {"rules": rows, "disclaimer": DISCLAIMER},
                 renderables=renderables)
