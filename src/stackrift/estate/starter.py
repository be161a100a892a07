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


def starter_json(example: StarterExample) -> str:
    """The same starter estate as JSON (without the comments, which JSON cannot hold)."""
    import orjson
    import yaml

    data = yaml.safe_load(starter_text(example))  # a packaged template, not user input
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"


def write_starter(example: StarterExample, target: Path, *, overwrite: bool = False,
                  as_json: bool = False) -> None:
    """Write a starter estate to ``target``; an existing file is kept unless ``overwrite``."""
    if target.exists() and not overwrite:
        raise UsageError(f"{target}: already exists; choose another name or pass --force")
    text = starter_json(example) if as_json else starter_text(example)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{target}: cannot write the starter estate ({exc.strerror})") from exc
