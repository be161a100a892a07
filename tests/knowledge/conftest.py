"""Helpers for the knowledge-set tests: run the CLI in-process, make and edit set folders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from stackrift.cli import main


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


CliRunner = Callable[..., Run]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> CliRunner:
    """``stackrift ARGS`` through ``main``: the real argument parsing and exit-code mapping."""

    def run(*args: str) -> Run:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        captured = capsys.readouterr()
        code = exited.value.code
        return Run(code if isinstance(code, int) else 0, captured.out, captured.err)

    return run


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private folder for installed sets, so tests never see each other's installs."""
    folder = tmp_path / "home"
    monkeypatch.setenv("STACKRIFT_KNOWLEDGE_HOME", str(folder))
    monkeypatch.delenv("STACKRIFT_KNOWLEDGE", raising=False)
    return folder


@pytest.fixture
def exported(tmp_path: Path, cli: CliRunner, home: Path) -> Path:
    """The packaged set written out as a folder with its manifest."""
    folder = tmp_path / "set"
    result = cli("knowledge", "export", str(folder))
    assert result.code == 0, result.err
    return folder


def reseal(cli: CliRunner, folder: Path, version: str = "2026.12.9") -> None:
    """Rewrite the manifest after editing a set, as a publisher does."""
    result = cli("knowledge", "manifest", str(folder), "--version", version, "--date",
                 "2026-12-03")
    assert result.code == 0, result.err


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
