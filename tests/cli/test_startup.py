"""Start-up: ``stackrift --version`` and ``--help`` load no analysis, renderer or reader.

Checked in a fresh interpreter (the modules a test process already imported would hide it).
Timing is measured by benchmarks/bench_startup.py, never here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
from stackrift.cli import main
try:
    main({args!r})
except SystemExit:
    pass
sys.stderr.write("\\nMODULES:" + json.dumps(sorted(sys.modules)))
"""

HEAVY_PREFIXES = ("stackrift.analyses", "stackrift.report", "stackrift.bom",
                  "stackrift.advisories", "stackrift.rules", "stackrift.plan", "stackrift.estate",
                  "stackrift.catalog", "pydantic", "ortools", "jinja2", "lxml", "networkx")


def _loaded(*args: str) -> tuple[str, list[str]]:
    result = subprocess.run([sys.executable, "-c", PROBE.format(args=list(args))],
                            capture_output=True, text=True, check=True, timeout=120)
    return result.stdout + result.stderr, json.loads(result.stderr.rsplit("MODULES:", 1)[1])


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.startswith(HEAVY_PREFIXES)]


def test_version_loads_neither_typer_nor_rich_nor_any_analysis() -> None:
    out, modules = _loaded("--version")
    assert out.startswith("stackrift ")
    assert _heavy(modules) == []
    assert not [m for m in modules if m.split(".")[0] in ("typer", "rich", "yaml", "orjson")]


@pytest.mark.parametrize("args", [["--help"], ["-v", "--version"], []])
def test_root_help_loads_no_command_module(args: list[str]) -> None:
    out, modules = _loaded(*args)
    assert _heavy(modules) == []
    command_modules = [m for m in modules if m.startswith("stackrift.cli.")]
    assert set(command_modules) <= {"stackrift.cli.entry", "stackrift.cli.app",
                                    "stackrift.cli.output"}
    if args != ["-v", "--version"]:
        assert "assess" in out and "knowledge" in out  # the commands are listed all the same


def test_a_group_help_loads_only_its_module() -> None:
    out, modules = _loaded("catalog", "--help")
    assert "list" in out
    assert "stackrift.cli.catalog" in modules
    assert not [m for m in modules if m.startswith(("stackrift.cli.assess", "stackrift.cli.bom",
                                                    "stackrift.analyses", "stackrift.report"))]
