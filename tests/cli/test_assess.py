"""`stackrift assess` and `stackrift demo` end to end: formats, -o, --fail-on and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import lxml.html
import pytest

from stackrift.analyses import base as analyses_base
from stackrift.analyses.base import AnalysisContext, AnalysisResult
from stackrift.cli import main
from stackrift.estate.loader import LoadedEstate
from stackrift.findings import Citation, Finding, Severity, Subject, SubjectKind

ESTATE = """\
schema_version: 1
organisation:
  name: Probe Corp
  hq_country: US
entities:
  - id: probe-us
    name: Probe Corp Inc.
    country: US
"""


class Probe:
    """A test-only analysis: one finding per entity, at the severity the test sets."""

    name: ClassVar[str] = "probe"
    title: ClassVar[str] = "Probe"
    order: ClassVar[int] = 999
    severity: ClassVar[Severity] = Severity.MEDIUM

    def run(self, estate: LoadedEstate, context: AnalysisContext) -> AnalysisResult:
        findings = tuple(
            Finding(id=f"probe:seen:{e.id}", analysis="probe", rule="seen",
                    severity=self.severity, title=f"Saw {e.id} as of {context.as_of}",
                    subject=Subject(kind=SubjectKind.ENTITY, id=e.id, name=e.name),
                    citations=(Citation(source="Probe Act", section="1"),))
            for e in estate.estate.entities)
        return AnalysisResult(findings, {"charts": [{"kind": "bar", "title": "Seen",
                                                     "labels": ["entities"],
                                                     "series": [{"name": "n", "values": [1]}]}]})


class Broken(Probe):
    name: ClassVar[str] = "broken"

    def run(self, estate: LoadedEstate, context: AnalysisContext) -> AnalysisResult:
        raise RuntimeError("analysis bug")


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    path = tmp_path / "estate.yaml"
    path.write_text(ESTATE, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the probe for one test only, so other tests see the real registry."""
    analyses_base.ANALYSES.discover()
    monkeypatch.setitem(analyses_base.ANALYSES.registered, "probe", Probe)
    monkeypatch.setitem(analyses_base.ANALYSES.registered, "broken", Broken)


def run(*args: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    code = exit_info.value.code
    assert isinstance(code, int)
    return code


@pytest.mark.parametrize(("fail_on", "expected"), [
    ("info", 1), ("low", 1), ("medium", 1), ("high", 0), ("critical", 0), ("MEDIUM", 1)])
def test_exit_code_follows_fail_on(estate: Path, fail_on: str, expected: int,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert run("assess", str(estate), "-a", "probe", "--fail-on", fail_on,
               "--as-of", "2026-11-15") == expected
    assert "Saw probe-us as of 2026-11-15" in capsys.readouterr().out


def test_default_fail_on_is_high(estate: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert run("assess", str(estate), "-a", "probe") == 0
    monkeypatch.setattr(Probe, "severity", Severity.HIGH)
    assert run("assess", str(estate), "-a", "probe") == 1
    assert "1 finding at or above 'high'" in capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["terminal", "json", "md", "html", "sarif"])
def test_every_format_to_stdout_and_file(estate: Path, tmp_path: Path, fmt: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert run("assess", str(estate), "-a", "probe", "--format", fmt, "--as-of",
               "2026-11-15") == 0
    printed = capsys.readouterr().out
    target = tmp_path / "out" / f"report.{fmt}"
    assert run("assess", str(estate), "-a", "probe", "-f", fmt, "-o", str(target),
               "--as-of", "2026-11-15") == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"wrote {target}" in captured.err
    written = target.read_text(encoding="utf-8")
    assert written == printed  # same text whether printed or written (no colour in a pipe)
    if fmt in {"json", "sarif"}:
        document = json.loads(written)
        assert document["as_of" if fmt == "json" else "version"] in {"2026-11-15", "2.1.0"}
    if fmt == "html":
        page = lxml.html.document_fromstring(written)
        assert page.xpath("//section[@id='analysis-probe']")


def test_sarif_over_github_limits_is_said(estate: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from stackrift.report import sarif

    assert run("assess", str(estate), "-a", "probe", "-f", "sarif") == 0
    assert "GitHub" not in capsys.readouterr().err
    monkeypatch.setattr(sarif, "GITHUB_KEPT_RESULTS", 0)
    assert run("assess", str(estate), "-a", "probe", "-f", "sarif") == 0
    captured = capsys.readouterr()
    assert "warning: this SARIF run holds 1 result: GitHub code scanning keeps only the 0 " \
        "most severe" in " ".join(captured.err.split())
    assert json.loads(captured.out)["runs"][0]["invocations"]
    assert run("assess", str(estate), "-a", "probe", "-f", "json") == 0
    assert "GitHub" not in capsys.readouterr().err  # a note of SARIF only


def test_json_findings_on_cli(estate: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("assess", str(estate), "-a", "probe", "-f", "json", "--as-of",
               "2026-11-15") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["as_of"] == "2026-11-15"
    assert [f["id"] for f in document["findings"]] == ["probe:seen:probe-us"]
    assert document["findings"][0]["location"] == {"file": str(estate), "line": 6,
                                                   "column": 5}


@pytest.mark.parametrize("args", [
    ("--fail-on", "severe"),
    ("--format", "pdf"),
    ("--as-of", "15/11/2026"),
    ("-a", "nope"),
])
def test_usage_errors_exit_2(estate: Path, args: tuple[str, ...],
                             capsys: pytest.CaptureFixture[str]) -> None:
    assert run("assess", str(estate), *args) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_bad_estate_exits_2_with_location(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(ESTATE.replace("hq_country: US", "hq_country: ZZ"), encoding="utf-8")
    assert run("assess", str(bad)) == 2
    err = capsys.readouterr().err
    assert f"{bad}:4:15: organisation.hq_country:" in err
    assert "Traceback" not in err
    assert run("assess", str(tmp_path / "missing.yaml")) == 2


def test_internal_error_exits_3(estate: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("assess", str(estate), "-a", "broken") == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: analysis bug" in err
    assert "Traceback" not in err


def test_schema_report_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("schema", "report") == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "StackRift assessment report"


def test_demo_writes_three_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(analyses_base.ANALYSES.registered, "broken")
    target = tmp_path / "demo"
    assert run("demo", "-o", str(target), "--as-of", "2026-11-15") == 0
    captured = capsys.readouterr()
    assert captured.out == ""  # what was written is a summary: standard error
    for name in ("report.html", "report.json", "report.md"):
        assert f"wrote {target / name}" in captured.err
        assert (target / name).stat().st_size > 0
    assert "in a browser" in captured.err
    document = json.loads((target / "report.json").read_text(encoding="utf-8"))
    assert document["estate"]["organisation"] == "Meridian Dynamics Group"
    assert "probe" in document["analyses"]  # every registered analysis ran
    page = lxml.html.document_fromstring((target / "report.html").read_text(encoding="utf-8"))
    assert page.xpath("//figure[@class='severity-chart']//svg")


def test_demo_into_unwritable_place_exits_2(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(analyses_base.ANALYSES.registered, "broken")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    assert run("demo", "-o", str(blocker / "demo")) == 2
    assert f"{blocker / 'demo'}: cannot write the demo reports" in capsys.readouterr().err


def test_every_report_format_has_a_renderer() -> None:
    from stackrift.choices import ReportFormat
    from stackrift.report.base import formats

    assert set(formats()) == {f.value for f in ReportFormat}


def test_demo_writes_only_the_formats_asked_for(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(analyses_base.ANALYSES.registered, "broken")
    target = tmp_path / "demo"
    assert run("demo", "-o", str(target), "-f", "sarif", "-f", "md", "--as-of",
               "2026-11-15") == 0
    assert sorted(p.name for p in target.iterdir()) == ["report.md", "report.sarif"]
