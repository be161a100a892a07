"""What a command reads as its target: an SBOM, lock file or model folder, or the running
environment. Kept apart from :mod:`stackrift.bom.export` so that ``scan`` does not load the BOM
writers and their schema validator."""

from __future__ import annotations

from pathlib import Path

from stackrift.bom.base import BomDocument, read_bom
from stackrift.errors import UsageError


def load_target(target: Path | None, *, env: bool = False,
                input_format: str | None = None) -> BomDocument:
    if env:
        if target is not None:
            raise UsageError("give either a TARGET or --env, not both")
        from stackrift.bom.environment import read_environment

        return read_environment()
    if target is None:
        raise UsageError("missing TARGET (an SBOM, lock file or model folder) or --env")
    return read_bom(target, input_format)
