"""The terminal report: header, sections, tables and the fail-on verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from stackrift.findings import Severity
from stackrift.report.base import renderer
from stackrift.report.model import Report
from stackrift.report.terminal import TerminalRenderer


def test_plain_text_by_default(report: Report) -> None:
    text = renderer("terminal").render(report)
    assert "\x1b[" not in text
    lines = text.splitlines()
    assert "StackRift 0.1.0 assessment" in lines[0]
    assert any("As of" in line and "2026-11-15" in line for line in lines)
    assert any("Catalogue" in line and "2026.11" in line for line in lines)
    assert any("1 critical  0 high  1 medium  1 low  1 info" in line for line in lines)
    assert any(line.startswith("Provenance ─") for line in lines)
    assert any(line.startswith("Estate hygiene ─") for line in lines)
    assert any("CRITICAL" in line and "Ascend 910B is made by an Entity-Listed" in line
               for line in lines)
    assert any("line 40" in line for line in lines)
    # sources by short name only; sections and URLs are in the other formats
    assert any("15 CFR 744; Trade press" in line for line in lines)
    assert "Supplement No. 4" not in text
    assert "Bloc per layer" in text and "Layers by bloc" in text and "Gaps by kind" in text
    assert "3 systems" in text  # heatmap cell text
    assert "! not drawn: charts[1].kind is 'pie'" in text
    assert lines[-1].strip() == "1 finding at or above 'high' (--fail-on): exit code 1."


def test_verdict_follows_fail_on(make_report: Callable[[Severity], Report]) -> None:
    text = renderer("terminal").render(make_report(Severity.CRITICAL))
    assert text.splitlines()[-1].strip() == \
        "1 finding at or above 'critical' (--fail-on): exit code 1."
    text = renderer("terminal").render(make_report(Severity.INFO))
    assert text.splitlines()[-1].strip() == \
        "4 findings at or above 'info' (--fail-on): exit code 1."


def test_passing_report(empty_report: Report) -> None:
    text = renderer("terminal").render(empty_report)
    assert "No analysis ran." in text
    assert text.splitlines()[-1].strip() == \
        "No finding at or above 'high' (--fail-on): exit code 0."


def test_colour_on_request_and_names_never_read_as_markup(report: Report) -> None:
    estate = replace(report.estate, organisation="[bold red]Mallory[/]")
    text = TerminalRenderer(color=True, width=100).render(replace(report, estate=estate))
    assert "\x1b[" in text
    assert "[bold red]Mallory[/]" in text
    assert max(len(line) for line in
               TerminalRenderer(width=100).render(report).splitlines()) <= 100


def test_long_lists_are_cut_with_a_note(report: Report) -> None:
    section = report.sections[1]
    finding = section.findings[0]
    many = tuple(finding.model_copy(update={"id": f"hygiene:x:{i:03}", "title": f"Gap {i:03}"})
                 for i in range(130))
    rows = [[f"r{i}", i] for i in range(45)]
    big = replace(section, findings=many,
                  summary={"tables": [{"title": "Long", "columns": ["a", "b"], "rows": rows}]})
    text = TerminalRenderer(width=120).render(replace(report, sections=(big,)))
    assert "Gap 099" in text and "Gap 100" not in text
    assert ("… and 30 more findings of lower or equal severity (all of them are in --format "
            "json, md or html)") in text
    assert "r39" in text and "r40" not in text
    assert "… and 5 more rows" in text


def test_files_and_pipes_get_everything_uncut(report: Report) -> None:
    section = report.sections[1]
    finding = section.findings[0]
    many = tuple(finding.model_copy(update={"id": f"hygiene:x:{i:03}", "title": f"Gap {i:03}"})
                 for i in range(130))
    rows = [[f"a-rather-long-identifier-{i:02}", "text " * 40] for i in range(45)]
    big = replace(section, findings=many,
                  summary={"tables": [{"title": "Long", "columns": ["id", "b"], "rows": rows}]})
    lines = TerminalRenderer(width=None).render(replace(report, sections=(big,))).splitlines()
    text = "\n".join(lines)
    assert "Gap 129" in text and "more findings" not in text
    assert all(f"a-rather-long-identifier-{i:02}" in text for i in range(45))
    assert max(len(line) for line in lines) <= 200


def test_narrow_terminal_lists_findings_with_whole_ids(report: Report) -> None:
    lines = TerminalRenderer(width=80).render(report).splitlines()
    assert max(len(line) for line in lines) <= 80
    for finding in report.findings:
        subject = f"{finding.subject.kind.value} {finding.subject.id}"
        assert any(subject in line for line in lines), subject
