"""Defect 6: where plan output goes, progress on stderr, 80-column terminal output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackrift.cli import main

HERE = Path(__file__).parent
DEMO = HERE.parents[1] / "src" / "stackrift" / "demo" / "estate.yaml"
SMALL = HERE / "estate_small.yaml"
BASE = ["--as-of", "2026-11-29", "--time-limit", "10"]


def _run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(args)
    return int(info.value.code or 0)


def test_output_is_the_plan_and_estate_out_the_estate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan_file, estate_file = tmp_path / "plan.json", tmp_path / "planned.yaml"
    assert _run(["plan", str(SMALL), *BASE, "-o", str(plan_file),
                 "--estate-out", str(estate_file)]) == 0
    assert json.loads(plan_file.read_text())["status"] == "optimal"  # .json name: JSON
    capsys.readouterr()
    assert _run(["validate", str(estate_file)]) == 0
    text_file = tmp_path / "plan.txt"
    assert _run(["plan", str(SMALL), *BASE, "-o", str(text_file)]) == 0
    assert text_file.read_text().startswith("Plan (cost)")


def test_legacy_yaml_output_still_writes_the_estate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    legacy = tmp_path / "new.yaml"
    assert _run(["plan", str(SMALL), *BASE, "-o", str(legacy)]) == 0
    captured = capsys.readouterr()
    assert "--estate-out" in captured.err and captured.out.startswith("Plan (cost)")
    assert _run(["validate", str(legacy)]) == 0


def test_terminal_plan_fits_80_columns_and_keeps_ids(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["plan", str(DEMO), *BASE, "--objective", "balanced", "--max-bloc-share",
                 "0.6", "--cross-border", "-f", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert _run(["plan", str(DEMO), *BASE, "--objective", "balanced", "--max-bloc-share",
                 "0.6", "--cross-border"]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    words = set(text.replace(",", " ").split())
    for change in plan["changes"]:
        assert change["system"] in words
    for flow in plan["flows"]:
        assert flow["flow"] in words


def test_long_plans_report_progress_on_stderr(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("STACKRIFT_PROGRESS", "1")
    assert _run(["plan", str(SMALL), *BASE]) == 0
    captured = capsys.readouterr()
    assert "searching" in captured.err and "judging" in captured.err
    assert "searching" not in captured.out


def test_exclude_listed_is_named_when_it_is_what_blocks_a_plan(
        capsys: pytest.CaptureFixture[str]) -> None:
    # The demo's China chatbot runs on Ascend 910B (GP10, US-controlled user); every
    # consistent substitute in China is Entity-Listed or needs a licence.
    assert _run(["plan", str(DEMO), *BASE, "--exclude-listed", "-f", "json"]) == 1
    plan = json.loads(capsys.readouterr().out)
    assert "exclude-listed:cn-support-bot" in {c["id"] for c in plan["conflicts"]}
    assert _run(["plan", str(DEMO), *BASE, "-f", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert any("exposure" in change for change in plan["changes"])
