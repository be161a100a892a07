"""``transfers`` with plain arguments runs without typer, reading them exactly as typer does.

Three checks: every option the typer command declares is read directly or left to typer; for
many command lines, the direct reading either gives the values typer passes the command or
declines; and whole runs (outputs, messages, exit codes) are the same both ways, on the demo
estate and on an estate with a problem.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stackrift.cli import transfers
from stackrift.cli.transfers import TransfersArguments, plain_arguments

from .conftest import Cli, declared_options, typer_reading

LEFT_TO_TYPER = {"--help"}
DEMO_ESTATE = Path(__file__).resolve().parents[2] / "src" / "stackrift" / "demo" / "estate.yaml"


def _typer_reading(args: list[str], monkeypatch: pytest.MonkeyPatch) -> object:
    """What typer passes the command for ``transfers ARGS``, or its refusal."""
    return typer_reading("transfers", transfers, "run_transfers_command", args, monkeypatch)


def test_every_declared_option_is_read_or_left_to_typer() -> None:
    assert declared_options("transfers") == set(transfers._VALUED) | LEFT_TO_TYPER


PLAIN = [
    ["estate.yaml"],
    ["estate.yaml", "-f", "json"],
    ["estate.yaml", "--format", "md", "-o", "out.md"],
    ["estate.yaml", "--format=json", "--output=out.json"],
    ["-f", "terminal", "estate.yaml"],
    ["estate.yaml", "--as-of", "2026-01-02"],
    ["estate.yaml", "--as-of", "not-a-date"],
    ["estate.yaml", "--rules", "packs"],
    ["estate.yaml", "--rules", "a", "--rules", "b", "-f", "json"],
    ["dir/estate.json", "-o", "dir/out.txt"],
]
DECLINED = [
    [],
    ["estate.yaml", "-f", "JSON"],
    ["estate.yaml", "-fjson"],
    ["estate.yaml", "-f=json"],
    ["estate.yaml", "-f", "xml"],
    ["estate.yaml", "-f", "json", "-f", "md"],
    ["estate.yaml", "--as-of", "2026-01-02", "--as-of", "2026-01-03"],
    ["estate.yaml", "other.yaml"],
    ["estate.yaml", "--help"],
    ["estate.yaml", "--as-of"],
    ["estate.yaml", "--as-of", ""],
    ["estate.yaml", "-o", "-f"],
    ["estate.yaml", "--unknown"],
    ["estate.yaml", "-v"],
    ["estate.yaml", "--"],
    ["-", "-f", "json"],
    [""],
]


@pytest.mark.parametrize("args", PLAIN + DECLINED)
@pytest.mark.parametrize("environment", [{}, {"STACKRIFT_AS_OF": "2026-03-04"},
                                         {"STACKRIFT_AS_OF": ""}])
def test_the_direct_reading_is_typers_or_declines(args: list[str], environment: dict[str, str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STACKRIFT_AS_OF", raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    direct = plain_arguments(args, dict(environment))
    empty_as_of = environment.get("STACKRIFT_AS_OF") == "" and "--as-of" not in args
    assert (direct is None) == (args in DECLINED or empty_as_of)
    if direct is not None:
        assert direct == _typer_reading(args, monkeypatch)


def test_plain_command_lines_are_read_directly() -> None:
    assert plain_arguments(["e.yaml", "-f", "json", "-o", "x.json", "--rules", "p"], {}) == \
        TransfersArguments(estate=Path("e.yaml"), output_format=transfers.TableFormat.JSON,
                           output=Path("x.json"), rules=(Path("p"),))
    assert plain_arguments(["e.yaml", "--help"], {}) is None


def _attached(options: list[str]) -> list[str]:
    """The same options with ``-f FORMAT`` written ``-fFORMAT``, a form left to typer."""
    return [f"-f{options[i + 1]}" if o == "-f" else o for i, o in enumerate(options)
            if not (i and options[i - 1] == "-f")]


RUNS = [
    ["-f", "json", "--as-of", "2026-11-29"],
    ["-f", "md", "--as-of", "2026-11-29"],
    ["-f", "terminal", "--as-of", "2026-11-29"],
    ["-f", "json", "--as-of", "someday"],
]


@pytest.mark.parametrize("options", RUNS)
def test_whole_runs_are_the_same_both_ways(options: list[str], tmp_path: Path,
                                           cli: Cli) -> None:
    base = [str(DEMO_ESTATE), *options]
    attached = [str(DEMO_ESTATE), *_attached(options)]
    assert plain_arguments(base, {}) is not None and plain_arguments(attached, {}) is None
    direct, typed = cli("transfers", *base), cli("transfers", *attached)
    assert (direct.code, direct.out, direct.err) == (typed.code, typed.out, typed.err)
    out_direct, out_typed = tmp_path / "direct.out", tmp_path / "typed.out"
    direct = cli("transfers", *base, "-o", str(out_direct))
    typed = cli("transfers", *attached, "-o", str(out_typed))
    assert direct.code == typed.code
    assert direct.err.replace(str(out_direct), "OUT") == typed.err.replace(str(out_typed), "OUT")
    if out_direct.exists() or out_typed.exists():
        assert out_direct.read_bytes() == out_typed.read_bytes()


def test_missing_and_malformed_inputs_are_reported_the_same(tmp_path: Path, cli: Cli) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("schema_version: 1\norganisation: [1]\n")
    for target in (tmp_path / "absent.yaml", broken, tmp_path):
        direct = cli("transfers", str(target), "-f", "json")
        typed = cli("transfers", str(target), "-fjson")
        assert (direct.code, direct.out, direct.err) == (typed.code, typed.out, typed.err)
        assert direct.code == 2


def test_a_plain_transfers_run_loads_neither_typer_nor_rich(tmp_path: Path) -> None:
    probe = ("import json, sys\nfrom stackrift.cli import main\ntry:\n    main({args!r})\n"
             "except SystemExit:\n    pass\nsys.stderr.write('MODULES:' + json.dumps("
             "sorted(sys.modules)))")
    args = ["transfers", str(DEMO_ESTATE), "-f", "json", "-o", str(tmp_path / "o.json")]
    result = subprocess.run([sys.executable, "-c", probe.format(args=args)],
                            capture_output=True, text=True, check=True, timeout=120)
    modules = json.loads(result.stderr.rsplit("MODULES:", 1)[1])
    assert "wrote" in result.stderr
    assert not [m for m in modules if m.split(".")[0] in ("typer", "rich")]
