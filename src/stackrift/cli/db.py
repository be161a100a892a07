"""The ``db`` group: the advisory store imported, inspected and updated."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stackrift.choices import FeedFormat, SummaryFormat, TableFormat
from stackrift.cli.options import (
    DbOption,
    JsonAlias,
    OutputPath,
    SummaryFormatOption,
    TableFormatOption,
    command_group,
)
from stackrift.cli.output import (
    chosen_format,
    err,
    note,
    write_json,
    write_summary,
    write_tables,
)
from stackrift.errors import UsageError

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table

    from stackrift.advisories.model import ImportReport

app = command_group(no_args_is_help=True, help="The advisory store: import, inspect, update.")


def _table(title: str | None, columns: tuple[str, ...], rows: Sequence[Sequence[str]],
           *, ids: int = 1) -> Table:
    """A table whose first ``ids`` columns hold names or ids (never wrapped); cells are literal
    text (see :func:`stackrift.textout.render_text`)."""
    from rich.table import Table

    table = Table(title=title)
    for index, column in enumerate(columns):
        table.add_column(column, no_wrap=index < ids)
    for row in rows:
        table.add_row(*row)
    return table


@app.command("import")
def db_import(
    paths: Annotated[list[Path], typer.Argument(help="Advisory files, directories or all.zip "
                                                "archives.")],
    db: DbOption = None,
    feed_format: Annotated[FeedFormat | None, typer.Option(
        "--feed-format", case_sensitive=False,
        help="Force the feed format instead of detecting it.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Refuse the whole import if any record "
                                         "is malformed.")] = False,
    output_format: SummaryFormatOption = SummaryFormat.TERMINAL,
    output: OutputPath = None,
    json: JsonAlias = False,
) -> None:
    """Import advisories (OSV, CVE 5, CSAF, CNVD, CNNVD) into the store, atomically."""
    from rich.progress import Progress

    from stackrift.advisories.importer import advisory_files, import_paths
    from stackrift.advisories.starter_pack import ensure_starter
    from stackrift.advisories.store import open_store

    output_format = chosen_format(output_format, json, SummaryFormat.JSON)
    quiet = output_format is SummaryFormat.JSON
    files = list(advisory_files(paths))  # walked once: the import reads this list
    console = err()
    # a bar only where it is seen: off a terminal it draws nothing, yet its refresh thread
    # would render it ten times a second for the whole import
    shown = len(files) >= 50 and not quiet and console.is_terminal
    # the starter pack is added after the import: into a new store, the feeds load in bulk
    with open_store(db, starter=False) as store, Progress(
            console=console, transient=True, disable=not shown) as progress:
        task = progress.add_task("reading advisories", total=len(files))
        report = import_paths(store, files, forced=feed_format.value if feed_format else None,
                              strict=strict, progress=lambda _p: progress.advance(task))
        starter = ensure_starter(store)
        if starter is not None:
            report.groups_total = starter.groups_total
    if quiet:
        from stackrift.advisories.views import import_json

        write_json({**import_json(report), "starter_pack": _starter_json(starter)}, output)
        return
    write_tables(TableFormat.TERMINAL, output, data=dict, summary=True,
                 renderables=lambda: _import_lines(report, starter, db))


def _import_lines(report: ImportReport, starter: ImportReport | None,
                  db: str | None) -> list[RenderableType]:
    rows = [(name, str(c.read), str(c.new), str(c.updated), str(c.unchanged), str(c.rejected),
             f"{c.duplicates} ({c.duplicate_identical} identical, {c.duplicate_revised} revised)")
            for name, c in sorted(report.sources.items())]
    lines: list[RenderableType] = [
        _table(f"imported into {_shown(db)}", ("source", "read", "new", "updated",
               "unchanged", "rejected", "duplicates"), rows),
        f"{len(report.skipped)} non-advisory files skipped; {report.groups_total} "
        "vulnerability groups in the store"]
    if starter is not None:
        lines.append(f"packaged starter advisory pack added: {_starter_json(starter)['new']} new "
                     "records (it is part of every store)")
    if report.duplicate_ids:
        extra = len(report.duplicate_ids) - 10
        lines.append(f"{len(report.duplicate_ids)} ids appeared more than once (latest revision "
                     f"kept): {', '.join(report.duplicate_ids[:10])}"
                     f"{f' and {extra} more' if extra > 0 else ''}")
    lines += [f"rejected: {rejection}" for rejection in report.rejections[:50]]
    if len(report.rejections) > 50:
        lines.append(f"… and {len(report.rejections) - 50} more rejections (see -f json)")
    return lines


def _shown(db: str | None) -> str:
    """The store as messages name it: a database URL without its password."""
    from stackrift.advisories.storeurl import is_store_url

    if db is None:
        return "the default store"
    if not is_store_url(db):
        return db
    from stackrift.advisories.sqlstore import safe_url  # loads SQLAlchemy: only for a URL

    return safe_url(db)


def _starter_line(status: dict[str, Any]) -> str:
    state = "current" if status["current"] else (
        "an older version" if status["imported_version"] else "not imported")
    return (f"source: packaged starter advisory pack {status['packaged_version']} "
            f"({state}; part of every store)")


def _starter_json(report: ImportReport | None) -> dict[str, int]:
    """What importing the starter pack changed (nothing when it was already there)."""
    if report is None:
        return {"new": 0, "updated": 0}
    return {"new": sum(s.new for s in report.sources.values()),
            "updated": sum(s.updated for s in report.sources.values())}


@app.command("stats")
def db_stats(db: DbOption = None, output_format: TableFormatOption = TableFormat.TERMINAL,
             output: OutputPath = None, json: JsonAlias = False) -> None:
    """Records per source and ecosystem, and groups by the sources that know them."""
    from stackrift.advisories.starter_pack import starter_status
    from stackrift.advisories.store import open_store

    with open_store(db, create=False) as store:
        stats = dict(store.describe(totals=True).totals or {})
        stats["starter_pack"] = starter_status(store).as_json()
    write_tables(chosen_format(output_format, json, TableFormat.JSON), output,
                 data=lambda: stats, renderables=lambda: _stats_lines(stats))


def _stats_lines(stats: dict[str, Any]) -> list[RenderableType]:
    lines: list[RenderableType] = [
        _table(key.replace("_", " "), ("name", "count"),
               [(name, str(count)) for name, count in stats[key].items()])
        for key in ("records_by_source", "osv_by_ecosystem", "groups_by_sources")]
    lines.append(f"groups: {stats['groups_total']}; skipped files: {stats['skipped']}; "
                 f"rejected records: {stats['rejected']}")
    return [*lines, _starter_line(stats["starter_pack"])]


@app.command("show")
def db_show(ident: Annotated[str, typer.Argument(help="Any id: CVE, GHSA, PYSEC, GO, CNVD, "
                                                 "CNNVD…")],
            db: DbOption = None, output_format: TableFormatOption = TableFormat.TERMINAL,
            output: OutputPath = None, json: JsonAlias = False) -> None:
    """Show a vulnerability group: all its ids, the sources that know it, dates and severity."""
    from stackrift.advisories.store import open_store
    from stackrift.advisories.views import group_json

    with open_store(db, create=False) as store:
        group = store.groups([ident], by_member=True).get(ident)
    if group is None:
        raise UsageError(f"{ident}: not in the advisory store; expected a known advisory id")
    data = group_json(group)
    write_tables(chosen_format(output_format, json, TableFormat.JSON), output,
                 data=lambda: data, renderables=lambda: _group_lines(data))


def _group_lines(data: dict[str, Any]) -> list[RenderableType]:
    rows = []
    for record in data["records"]:
        severity = ", ".join(f"{s['rating'] or ''} {s['score'] or ''}".strip()
                             for s in record["severity"]) or "unknown"
        affected = "; ".join(a.get("package") or a.get("product") or "" for a in
                             record["affected"][:4])
        rows.append((record["source"], record["id"], record["published"] or "",
                     record["modified"] or "", severity, affected))
    return [f"{data['group']}  ids: {', '.join(data['ids'])}",
            f"known to: {', '.join(data['sources'])}",
            _table(None, ("source", "id", "published", "modified", "severity", "affected"),
                   rows, ids=2)]


@app.command("coverage")
def db_coverage(db: DbOption = None, output_format: TableFormatOption = TableFormat.TERMINAL,
                output: OutputPath = None, json: JsonAlias = False) -> None:
    """Coverage gaps and disclosure lag between Western and Chinese databases."""
    from stackrift.advisories.coverage import coverage
    from stackrift.advisories.starter_pack import starter_status
    from stackrift.advisories.store import open_store

    with open_store(db, create=False) as store:
        data = coverage(store)
        data["starter_pack"] = starter_status(store).as_json()
    write_tables(chosen_format(output_format, json, TableFormat.JSON), output,
                 data=lambda: data, renderables=lambda: _coverage_lines(data))


def _coverage_lines(data: dict[str, Any]) -> list[RenderableType]:
    rows = [(source, str(count), str(data["only_in_source"].get(source, 0)))
            for source, count in data["groups_by_source"].items()]
    sides, lag = data["sides"], data["lag_days"]
    lines: list[RenderableType] = [
        _table(f"{data['groups_total']} vulnerability groups",
               ("source", "groups known", "known only here"), rows),
        f"known to both sides: {sides['both']}; Western only: {sides['western_only']}; "
        f"Chinese only: {sides['chinese_only']}"]
    for label, key in (("Chinese database later", "chinese_later"),
                       ("Western database later", "western_later")):
        part = lag[key]
        lines.append(f"{label}: {part['n']} groups, median {part['median']} days, p75 "
                     f"{part['p75']}, p90 {part['p90']}")
    lines.append(f"published the same day: {lag['same_day']}")
    return [*lines, _starter_line(data["starter_pack"])]


@app.command("update")
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
    output_format: SummaryFormatOption = SummaryFormat.TERMINAL,
    output: OutputPath = None,
    json: JsonAlias = False,
) -> None:
    """Fetch current OSV feeds and import them (CNVD/CNNVD: use 'db import' on their releases).
    Only https is fetched (plain http only from 127.0.0.1/localhost)."""
    from stackrift.advisories.starter_pack import ensure_starter
    from stackrift.advisories.store import open_store
    from stackrift.advisories.update import DEFAULT_ECOSYSTEMS, update
    from stackrift.advisories.views import import_json

    output_format = chosen_format(output_format, json, SummaryFormat.JSON)
    with open_store(db, starter=False) as store:
        report = update(store, ecosystems=tuple(ecosystem or DEFAULT_ECOSYSTEMS),
                        base_url=base_url, deadline=deadline,
                        progress=lambda url: note(f"fetching {url}"))
        ensure_starter(store)
    lines = [f"{name}: {c.read} read, {c.new} new, {c.updated} updated, {c.unchanged} "
             f"unchanged, {c.rejected} rejected" for name, c in sorted(report.sources.items())]
    lines.append(f"{report.groups_total} vulnerability groups in the store")
    write_summary(output_format, output, text="\n".join(lines),
                  data=lambda: import_json(report))
