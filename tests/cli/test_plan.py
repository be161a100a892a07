"""`stress` and `plan`: -f terminal|json|md, -o, and text that follows the terminal's width."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Cli
from tests.terminal_support import run_at_terminal

SCENARIO = "h20-china-licence-2025"
BROKEN = ("cn-recommender", "cn-dev-copilot")  # both run the H20


def _at_terminal(columns: int, *args: str, cwd: Path) -> list[str]:
    """The lines a person sees running ``stackrift ARGS`` at a terminal ``columns`` wide."""
    return run_at_terminal(columns, *args, cwd=cwd).splitlines()


def test_stress_uses_a_wide_terminal_and_fits_a_narrow_one(demo_estate: Path,
                                                          tmp_path: Path) -> None:
    wide = _at_terminal(200, "stress", str(demo_estate), SCENARIO, cwd=tmp_path)
    assert 140 < max(len(line) for line in wide) <= 200  # no longer fixed at 140 columns
    narrow = _at_terminal(80, "stress", str(demo_estate), SCENARIO, cwd=tmp_path)
    assert max(len(line) for line in narrow) <= 80
    for system in BROKEN:
        assert any(system in line for line in narrow)  # an id is never cut or folded


def test_stress_markdown_and_json(cli: Cli, demo_estate: Path) -> None:
    as_json = json.loads(cli("stress", str(demo_estate), SCENARIO, "-f", "json").out)
    assert {b["system"] for b in as_json[0]["broken"]} >= set(BROKEN)
    text = cli("stress", str(demo_estate), SCENARIO, "-f", "md").out
    assert "**Broken systems**" in text and "| system | cause |" in text
    for system in BROKEN:
        assert f"| {system} |" in text
    assert "\\[" in text  # a bracket in a substitute's name is escaped, not read as a link


def test_plan_markdown_by_flag_and_by_file_name(cli: Cli, demo_estate: Path,
                                                tmp_path: Path) -> None:
    plan = json.loads(cli("plan", str(demo_estate), "-f", "json").out)
    systems = [c["system"] for c in plan["changes"]]
    assert systems
    text = cli("plan", str(demo_estate), "-f", "md").out
    assert text.startswith("# Plan (cost)")
    for system in systems:
        assert f"**{system.replace('_', chr(92) + '_')}**" in text
    target = tmp_path / "plan.md"
    written = cli("plan", str(demo_estate), "-o", str(target))
    assert written.out == ""
    assert target.read_text(encoding="utf-8").startswith("# Plan (cost)")  # solve time varies
