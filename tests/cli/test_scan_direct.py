"""``scan`` with plain arguments runs without typer, reading them exactly as typer does.

Three checks: every option the typer command declares is read directly or left to typer; for
many command lines, the direct reading either gives the values typer passes the command or
declines; and whole runs (outputs, messages, exit codes) are the same both ways, on a real
SBOM when ``../shared/data`` is there and on a small one otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from stackrift.advisories.starter_pack import starter_pack_path
from stackrift.cli import scanning
from stackrift.cli.scanning import ScanArguments, plain_arguments

from .conftest import Cli, declared_options, typer_reading

LEFT_TO_TYPER = {"--env", "--help"}


def _typer_reading(args: list[str], monkeypatch: pytest.MonkeyPatch) -> object:
    """What typer passes the command for ``scan ARGS``, or its refusal."""
    return typer_reading("scan", scanning, "run_scan_command", args, monkeypatch)


def test_every_declared_option_is_read_or_left_to_typer() -> None:
    assert declared_options("scan") == set(scanning._VALUED) | LEFT_TO_TYPER


PLAIN = [
    ["bom.json"],
    ["bom.json", "-f", "json"],
    ["bom.json", "--format", "json", "-o", "out.json"],
    ["bom.json", "--format=sarif", "--output=out.sarif"],
    ["-f", "cyclonedx-vex", "bom.json"],
    ["bom.json", "-f", "table", "--fail-on", "critical", "--unknown-severity-as", "low"],
    ["bom.json", "--fail-on", "unknown"],
    ["bom.json", "--db", "store.sqlite", "--as-of", "2026-01-02"],
    ["bom.json", "--db", "sqlite:///x.sqlite"],
    ["bom.json", "--vex", "a.json", "--vex", "b.json", "--waivers", "w.yaml"],
    ["bom.json", "--input-format", "requirements"],
    ["bom.json", "--as-of", "not-a-date"],
    [],
]
DECLINED = [
    ["bom.json", "-f", "JSON"],
    ["bom.json", "-fjson"],
    ["bom.json", "-f=json"],
    ["bom.json", "-f", "xml"],
    ["bom.json", "--fail-on", "severe"],
    ["bom.json", "-f", "json", "-f", "sarif"],
    ["bom.json", "other.json"],
    ["bom.json", "--env"],
    ["--env"],
    ["bom.json", "--help"],
    ["bom.json", "--db"],
    ["bom.json", "--db", ""],
    ["bom.json", "--db", "-f"],
    ["bom.json", "--unknown"],
    ["bom.json", "--"],
    ["-", "-f", "json"],
    [""],
]


@pytest.mark.parametrize("args", PLAIN + DECLINED)
@pytest.mark.parametrize("environment", [{}, {"STACKRIFT_DB": "env.sqlite",
                                              "STACKRIFT_AS_OF": "2026-03-04"},
                                         {"STACKRIFT_DB": ""}])
def test_the_direct_reading_is_typers_or_declines(args: list[str], environment: dict[str, str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("STACKRIFT_DB", "STACKRIFT_AS_OF"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    direct = plain_arguments(args, dict(environment))
    empty_db = environment.get("STACKRIFT_DB") == "" and "--db" not in args
    assert (direct is None) == (args in DECLINED or empty_db)
    if direct is not None:
        assert direct == _typer_reading(args, monkeypatch)


def test_plain_command_lines_are_read_directly() -> None:
    assert plain_arguments(["bom.json", "-f", "json", "-o", "x.json"], {}) == ScanArguments(
        target=Path("bom.json"), output_format=scanning.ScanFormat.JSON, output=Path("x.json"))
    assert plain_arguments(["bom.json", "--help"], {}) is None


def _sbom(tmp_path: Path, shared_data: Path | None) -> Path:
    if shared_data is not None:
        real = shared_data / "cyclonedx" / "bom-examples" / "SBOM" / "juice-shop" / "v11.1.2"
        if (real / "bom.json").is_file():
            return real / "bom.json"
    path = tmp_path / "bom.json"
    path.write_bytes(orjson.dumps({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": [{"type": "library", "name": "tensorflow", "version": "2.4.0",
                        "purl": "pkg:pypi/tensorflow@2.4.0"},
                       {"type": "library", "name": "left-pad", "version": "1.0.0",
                        "purl": "pkg:npm/left-pad@1.0.0"}]}))
    return path


@pytest.fixture
def store(tmp_path: Path, cli: Cli) -> Path:
    db = tmp_path / "store.sqlite"
    assert cli("db", "import", "--db", str(db), str(starter_pack_path())).code == 0
    return db


RUNS = [
    ["-f", "json"],
    ["-f", "json", "--fail-on", "critical"],
    ["-f", "table", "--unknown-severity-as", "info"],
    ["-f", "cyclonedx-vex", "--as-of", "2026-06-01"],
    ["-f", "sarif", "--as-of", "2026-06-01"],
    ["-f", "json", "--fail-on", "unknown"],
    ["-f", "json", "--as-of", "someday"],
]


@pytest.mark.parametrize("options", RUNS)
def test_whole_runs_are_the_same_both_ways(options: list[str], tmp_path: Path, store: Path,
                                           cli: Cli, request: pytest.FixtureRequest) -> None:
    try:
        shared: Path | None = request.getfixturevalue("shared_data")
    except pytest.skip.Exception:
        shared = None
    sbom = _sbom(tmp_path, shared)
    base = [str(sbom), "--db", str(store), *options]
    # the attached form "-fFORMAT" is left to typer: the same command line, read by typer
    attached = [str(sbom), "--db", str(store), *[
        f"-f{options[i + 1]}" if o == "-f" else o for i, o in enumerate(options)
        if not (i and options[i - 1] == "-f")]]
    assert plain_arguments(base, {}) is not None and plain_arguments(attached, {}) is None
    direct, typed = cli("scan", *base), cli("scan", *attached)
    assert (direct.code, direct.out, direct.err) == (typed.code, typed.out, typed.err)
    out_direct, out_typed = tmp_path / "direct.out", tmp_path / "typed.out"
    direct = cli("scan", *base, "-o", str(out_direct))
    typed = cli("scan", *attached, "-o", str(out_typed))
    assert direct.code == typed.code
    assert direct.err.replace(str(out_direct), "OUT") == typed.err.replace(str(out_typed), "OUT")
    if out_direct.exists() or out_typed.exists():
        assert out_direct.read_bytes() == out_typed.read_bytes()


def test_missing_and_malformed_inputs_are_reported_the_same(tmp_path: Path, store: Path,
                                                            cli: Cli) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [1]}')
    for target in (tmp_path / "absent.json", broken, tmp_path):
        direct = cli("scan", str(target), "--db", str(store), "-f", "json")
        typed = cli("scan", str(target), "--db", str(store), "-fjson")
        assert (direct.code, direct.out, direct.err) == (typed.code, typed.out, typed.err)
        assert direct.code == 2


def test_a_plain_scan_loads_neither_typer_nor_pydantic_nor_rich(tmp_path: Path,
                                                               store: Path) -> None:
    sbom = _sbom(tmp_path, None)
    probe = ("import json, sys\nfrom stackrift.cli import main\ntry:\n    main({args!r})\n"
             "except SystemExit:\n    pass\nsys.stderr.write('MODULES:' + json.dumps("
             "sorted(sys.modules)))")
    args = ["scan", str(sbom), "--db", str(store), "-f", "json", "-o", str(tmp_path / "o.json")]
    result = subprocess.run([sys.executable, "-c", probe.format(args=args)],
                            capture_output=True, text=True, check=True, timeout=120)
    modules = json.loads(result.stderr.rsplit("MODULES:", 1)[1])
    assert "wrote" in result.stderr
    assert not [m for m in modules if m.split(".")[0] in ("typer", "pydantic", "rich", "yaml")]
