"""`stackrift init`: every starter estate validates, and nothing is overwritten by accident."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackrift.cli import main
from stackrift.estate.loader import load_estate
from stackrift.estate.starter import StarterExample, starter_text


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The CLI in-process, with its exit code and everything it printed."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out + captured.err


@pytest.mark.parametrize("example", list(StarterExample))
def test_init_writes_a_starter_that_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], example: StarterExample
) -> None:
    target = tmp_path / "estate.yaml"
    code, output = run(capsys, "init", str(target), "--example", example.value)
    assert code == 0, output
    assert target.read_text(encoding="utf-8") == starter_text(example)
    loaded = load_estate(target)
    assert loaded.estate.systems and loaded.estate.data_flows
    assert "#" in target.read_text(encoding="utf-8")  # commented for the reader


def test_init_keeps_an_existing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "estate.yaml"
    target.write_text("mine", encoding="utf-8")
    code, output = run(capsys, "init", str(target))
    assert code == 2
    assert "already exists" in output
    assert target.read_text(encoding="utf-8") == "mine"
    assert run(capsys, "init", str(target), "--force")[0] == 0
    assert target.read_text(encoding="utf-8") != "mine"


def test_init_names_the_starters_on_a_wrong_choice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run(capsys, "init", str(tmp_path / "e.yaml"), "--example", "huge")
    assert code == 2
    assert "minimal" in output and "multinational" in output
    assert not (tmp_path / "e.yaml").exists()
