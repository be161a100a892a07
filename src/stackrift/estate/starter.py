"""Commented starter estates that `stackrift init` writes for new users."""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from pathlib import Path

from stackrift.errors import UsageError


class StarterExample(StrEnum):
    """The starter estates shipped in ``estate/templates``."""

    MINIMAL = "minimal"
    MULTINATIONAL = "multinational"


def starter_text(example: StarterExample) -> str:
    """The commented YAML of one starter estate."""
    return (resources.files("stackrift.estate") / "templates" / f"{example.value}.yaml").read_text(
        encoding="utf-8")


def write_starter(example: StarterExample, target: Path, *, overwrite: bool = False) -> None:
    """Write a starter estate to ``target``; an existing file is kept unless ``overwrite``."""
    if target.exists() and not overwrite:
        raise UsageError(f"{target}: already exists; choose another name or pass --force")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(starter_text(example), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{target}: cannot write the starter estate ({exc.strerror})") from exc
