"""The command tree: every command takes -f/--format and -o/--output, and the root's list of
commands matches the commands themselves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stackrift.cli.app import COMMANDS, load_command


def _walk(command: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every leaf command under ``command``, with its full name."""
    children = getattr(command, "commands", None)
    if children is None:
        yield path, command
        return
    for name, child in children.items():
        yield from _walk(child, f"{path} {name}")


def _all_commands() -> list[tuple[str, Any]]:
    return [leaf for entry in COMMANDS for leaf in _walk(load_command(entry), entry.name)]


def test_the_tree_has_every_group_and_command() -> None:
    names = {name for name, _ in _all_commands()}
    assert len(names) >= 30
    for expected in ("assess", "demo", "validate", "init", "transfers", "rules list", "stress",
                     "plan", "bom", "scan", "db import", "db stats", "catalog list",
                     "knowledge audit", "schema estate", "schema report"):
        assert expected in names


@pytest.mark.parametrize(("name", "command"), _all_commands(), ids=lambda v: str(v))
def test_every_command_accepts_format_and_output(name: str, command: Any) -> None:
    options = {opt: param for param in command.params for opt in param.opts}
    assert "-f" in options and "--format" in options, f"{name}: no -f/--format"
    assert options["-f"] is options["--format"]
    assert "-o" in options, f"{name}: no -o"
    assert "--output" in options["-o"].opts + options["-o"].secondary_opts, name


def test_root_summaries_are_the_commands_own_first_help_line() -> None:
    for entry in COMMANDS:
        command = load_command(entry)
        first = (command.help or "").strip().splitlines()[0]
        assert entry.summary == first, entry.name


def test_no_command_module_is_listed_twice_under_one_name() -> None:
    names = [entry.name for entry in COMMANDS]
    assert len(names) == len(set(names))
