"""``init``: a commented starter estate for a new user."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stackrift.choices import DocumentFormat
from stackrift.cli.options import DocumentFormatOption, command_group
from stackrift.cli.output import note
from stackrift.errors import UsageError

app = command_group()


@app.command()
def init(
    target: Annotated[Path | None, typer.Argument(
        help="Where to write the new estate file (default estate.yaml, or -o).")] = None,
    example: Annotated[
        str, typer.Option("--example", "-e", help="Starter: minimal or multinational.")
    ] = "minimal",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    output_format: DocumentFormatOption = DocumentFormat.YAML,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Where to write the new estate file (same as TARGET).")] = None,
) -> None:
    """Write a commented starter estate that validates; edit it, then run `assess`.

    -f json writes the same estate as JSON (without the comments).
    """
    from stackrift.estate.starter import StarterExample, write_starter

    try:
        chosen = StarterExample(example.lower())
    except ValueError:
        choices = ", ".join(e.value for e in StarterExample)
        raise UsageError(f"--example: '{example}' is not a starter; expected one of {choices}"
                         ) from None
    if target is not None and output is not None and target != output:
        raise UsageError(f"init: two places to write ({target} and -o {output}); expected one")
    default = Path("estate.json" if output_format is DocumentFormat.JSON else "estate.yaml")
    path = target or output or default
    write_starter(chosen, path, overwrite=force, as_json=output_format is DocumentFormat.JSON)
    note(f"wrote {path} ({chosen.value} starter); next: stackrift validate {path}")
