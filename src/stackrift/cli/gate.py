"""The severity gate options (``--fail-on``, ``--unknown-severity-as``) of assess, scan and bom.

Apart from :mod:`stackrift.cli.options` because they need the library's ``Severity`` (and so
pydantic) when the command is built; commands without a gate do not load it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from stackrift.findings import Severity

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
