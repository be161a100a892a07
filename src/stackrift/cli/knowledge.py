"""The ``knowledge`` group: the versioned set of catalogue, rule packs, scenarios and groups."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from stackrift.choices import SummaryFormat, TableFormat
from stackrift.cli.entry import EXIT_FINDINGS
from stackrift.cli.options import (
    AsOf,
    JsonAlias,
    OutputPath,
    SummaryFormatOption,
    TableFormatOption,
    command_group,
    parse_as_of,
)
from stackrift.cli.output import (
    chosen_format,
    write_atomic,
    write_lines,
    write_summary,
)
from stackrift.errors import UsageError

app = command_group(no_args_is_help=True, help="The knowledge set: show, update, diff, audit. See "
                  "docs/knowledge.md.")


@app.command("show")
def knowledge_show(output_format: TableFormatOption = TableFormat.TERMINAL,
                   output: OutputPath = None, json: JsonAlias = False) -> None:
    """The active knowledge set: version, date, where it comes from, digest."""
    from stackrift.knowledge.sets import active_knowledge
    from stackrift.knowledge.views import set_json, set_text

    knowledge = active_knowledge()
    write_lines(chosen_format(output_format, json, TableFormat.JSON), output,
                text=set_text(knowledge), data=lambda: set_json(knowledge))


@app.command("update")
def knowledge_update(
    source: Annotated[str, typer.Option("--from", help="Knowledge-set folder, .tar.gz file or "
                                        "https URL of a .tar.gz.")],
    output_format: SummaryFormatOption = SummaryFormat.TERMINAL,
    output: OutputPath = None,
    json: JsonAlias = False,
) -> None:
    """Verify a knowledge set against its manifest, validate it, and make it active."""
    from stackrift.knowledge.install import install
    from stackrift.knowledge.views import set_json, set_text

    installed = install(source)
    write_summary(chosen_format(output_format, json, SummaryFormat.JSON), output,
                  text="installed " + set_text(installed), data=lambda: set_json(installed))


@app.command("reset")
def knowledge_reset(output_format: SummaryFormatOption = SummaryFormat.TERMINAL,
                    output: OutputPath = None) -> None:
    """Go back to the knowledge set shipped with StackRift."""
    from stackrift.knowledge.install import uninstall

    previous = uninstall()
    was = f" (was {previous})" if previous else ""
    write_summary(output_format, output, text=f"using the packaged knowledge set{was}",
                  data=lambda: {"active": "packaged", "previous": str(previous) if previous
                                else None})


@app.command("diff")
def knowledge_diff(
    old: Annotated[str, typer.Argument(help="Folder, 'packaged' or 'active'.")],
    new: Annotated[str, typer.Argument(help="Folder, 'packaged' or 'active'.")],
    output_format: TableFormatOption = TableFormat.TERMINAL,
    output: OutputPath = None,
    json: JsonAlias = False,
) -> None:
    """Files and facts added, removed or changed between two sets (exit 1 when they differ)."""
    from stackrift.knowledge.diff import diff_sets, resolve_side
    from stackrift.knowledge.views import diff_text

    result = diff_sets(resolve_side(old), resolve_side(new))
    write_lines(chosen_format(output_format, json, TableFormat.JSON), output,
                text=diff_text(result), data=result.to_json)
    if not result.empty:
        raise typer.Exit(EXIT_FINDINGS)


@app.command("audit")
def knowledge_audit(
    older_than: Annotated[str, typer.Option("--older-than", help="Checks older than this are "
                                            "stale: days, e.g. 180d, or weeks, e.g. 26w.")]
    = "180d",
    as_of: AsOf = None,
    output_format: TableFormatOption = TableFormat.TERMINAL,
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
    write_lines(output_format, output, text=f"knowledge {knowledge.stamp()}\n{audit_text(report)}",
                data=lambda: {"knowledge": stamp_json(knowledge.stamp()), **report.to_json()})
    if report.items:
        raise typer.Exit(EXIT_FINDINGS)


@app.command("export")
def knowledge_export(
    folder: Annotated[Path, typer.Argument(help="New folder to write the active set into.")],
    output_format: SummaryFormatOption = SummaryFormat.TERMINAL,
    output: OutputPath = None,
) -> None:
    """Write the active knowledge set (data files and manifest) into FOLDER, to edit and publish."""
    from stackrift.knowledge.install import export_set
    from stackrift.knowledge.sets import active_knowledge

    written = export_set(active_knowledge(), folder)
    write_summary(output_format, output,
                  text=f"wrote {len(written)} files and manifest.json to {folder}",
                  data=lambda: {"folder": str(folder), "files": [str(p) for p in written]})


@app.command("manifest")
def knowledge_manifest(
    folder: Annotated[Path, typer.Argument(help="Knowledge-set folder to describe.")],
    version: Annotated[str, typer.Option("--version", help="Version of the set, e.g. 2026.12.1.")],
    day: Annotated[str | None, typer.Option("--date", help="Date of the set (YYYY-MM-DD); "
                                            "default today.")] = None,
    output_format: SummaryFormatOption = SummaryFormat.TERMINAL,
    output: OutputPath = None,
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
    target = folder / MANIFEST_NAME
    write_atomic(target, manifest.to_json())
    write_summary(output_format, output, text=f"wrote {target}",
                  data=lambda: {"manifest": str(target), "version": version,
                                "date": dated.isoformat()})
