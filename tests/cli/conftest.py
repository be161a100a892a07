"""In-process runs of the command line for tests/cli: exit code, standard output and error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
