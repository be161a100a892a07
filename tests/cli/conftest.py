"""In-process runs of the command line for tests/cli: exit code, standard output and error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import pytest

from stackrift.cli import main


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


Cli = Callable[..., Run]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """``cli(*args)`` runs ``stackrift ARGS`` through ``main()`` and returns what it printed."""

    def run(*args: str) -> Run:
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        captured = capsys.readouterr()
        code = exited.value.code
        return Run(code if isinstance(code, int) else 0, captured.out, captured.err)

    return run


def typer_reading(command: str, module: ModuleType, runner: str, args: list[str],
                  monkeypatch: pytest.MonkeyPatch) -> object:
    """What typer passes ``module.runner`` (the function the command runs with its read
    arguments) for ``stackrift COMMAND ARGS``, or the name of its refusal's exception."""
    from stackrift.cli.app import app

    seen: list[object] = []

    def record(arguments: object) -> int:
        seen.append(arguments)
        return 0

    monkeypatch.setattr(module, runner, record)
    try:
        app(args=[command, *args], prog_name="stackrift", standalone_mode=False)
    except Exception as exc:
        return type(exc).__name__
    return seen[0]


def declared_options(command: str) -> set[str]:
    """The options the typer command declares, and ``--help``."""
    from stackrift.cli.app import COMMANDS, load_command

    loaded = load_command(next(e for e in COMMANDS if e.name == command))
    return {name for param in loaded.params for name in param.opts
            if name.startswith("-")} | {"--help"}
