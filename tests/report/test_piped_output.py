"""Output to a file or pipe at COLUMNS=80: every id is printed in full by every table command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.terminal_support import run_at_terminal

from stackrift.estate.loader import load_estate

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "src" / "stackrift" / "demo" / "estate.yaml"
REQUIREMENTS = "tensorflow==2.4.0\ntransformers==4.30.0\nlangchain==0.0.300\nmlflow==2.8.0\n"


def _piped(*args: str, cwd: Path) -> str:
    env = {**os.environ, "COLUMNS": "80", "LINES": "24", "STACKRIFT_AS_OF": "2026-11-15"}
    env.pop("NO_COLOR", None)
    result = subprocess.run([sys.executable, "-m", "stackrift", *args], capture_output=True,
                            text=True, env=env, cwd=cwd, timeout=600, check=False)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def demo_ids() -> dict[str, list[str]]:
    estate = load_estate(DEMO).estate
    return {"systems": [s.id for s in estate.systems],
            "flows": [f.id for f in estate.data_flows],
            "components": [c.id for c in estate.components]}


def _missing(text: str, ids: list[str]) -> list[str]:
    return [ident for ident in ids if ident not in text]


def test_assess(tmp_path: Path, demo_ids: dict[str, list[str]]) -> None:
    text = _piped("assess", str(DEMO), cwd=tmp_path)
    for kind in ("systems", "flows", "components"):
        assert _missing(text, demo_ids[kind]) == [], kind


def test_transfers(tmp_path: Path, demo_ids: dict[str, list[str]]) -> None:
    text = _piped("transfers", str(DEMO), cwd=tmp_path)
    assert _missing(text, demo_ids["flows"]) == []


def test_stress(tmp_path: Path) -> None:
    text = _piped("stress", str(DEMO), "h20-china-licence-2025", cwd=tmp_path)
    for system in ("cn-recommender", "cn-dev-copilot"):  # both run the H20
        assert system in text


def test_plan(tmp_path: Path) -> None:
    plan = json.loads(_piped("plan", str(DEMO), "-f", "json", cwd=tmp_path))
    ids = [c["system"] for c in plan["changes"]] + [f["flow"] for f in plan["flows"]]
    assert ids
    assert _missing(_piped("plan", str(DEMO), cwd=tmp_path), ids) == []


def test_scan(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(REQUIREMENTS)
    document = json.loads(_piped("scan", str(requirements), "-f", "json", cwd=tmp_path))
    ids = sorted({i for finding in document["findings"] for i in finding["ids"]})
    assert ids
    text = _piped("scan", str(requirements), cwd=tmp_path)
    assert _missing(text, ids) == []
    for package in ("tensorflow", "transformers", "langchain", "mlflow"):
        assert package in text


def test_transfers_at_an_80_column_terminal_fits_and_keeps_ids(
    tmp_path: Path, demo_ids: dict[str, list[str]]
) -> None:
    """Run under a pseudo-terminal, as a person would: lines fit 80 columns, flow ids stay whole."""
    text = run_at_terminal(80, "transfers", str(DEMO), cwd=tmp_path)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert _missing(text, demo_ids["flows"]) == []
