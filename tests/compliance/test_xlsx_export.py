"""The XLSX workbook opens with openpyxl, has one row per system × requirement, and holds no
formula whatever the input text."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from stackrift.compliance.views import ComplianceOutcome, run_compliance
from stackrift.compliance.xlsx_export import COLUMNS, safe_cell, workbook
from stackrift.estate.loader import load_estate

from .helpers import DATA

AS_OF = date(2026, 12, 4)


@pytest.fixture(scope="module")
def outcome(demo_estate: Path) -> ComplianceOutcome:
    return run_compliance(load_estate(demo_estate).estate, AS_OF,
                          controls=DATA / "demo-controls.yaml", with_plan=True)


def test_one_row_per_system_and_requirement(outcome: ComplianceOutcome) -> None:
    book = load_workbook(io.BytesIO(workbook(outcome, estate_name="estate.yaml", as_of=AS_OF)),
                         read_only=True)
    assert book.sheetnames == ["Obligations", "Plan", "About"]
    rows = list(book["Obligations"].iter_rows(values_only=True))
    assert rows[0] == COLUMNS
    body = rows[1:]
    keys = [(r[0], f"{r[1]}:{r[2]}") for r in body]
    assert len(body) == len(outcome.verdicts) == len(set(keys))
    assert set(keys) == {(v.system_id, v.ref) for v in outcome.verdicts}
    by_key = dict(zip(keys, body, strict=True))
    filing = by_key[("cn-support-bot", "cn-genai-measures:art17")]
    col = {name: i for i, name in enumerate(COLUMNS)}
    assert filing[col["status"]] == "applies"
    assert filing[col["from"]].date() == date(2023, 8, 15)
    dated = next(r[0] for r in book["Obligations"].iter_rows(min_row=2, min_col=6, max_col=6)
                 if r[0].value is not None)
    assert dated.number_format == "yyyy-mm-dd"  # a date, not a date and midnight
    assert filing[col["controls status"]] == "met"
    assert filing[col["smallest control set"]] == "CAC-FILING"
    assert "生成式人工智能服务管理暂行办法" in filing[col["sources"]]
    risk = by_key[("eu-hr-analytics", "eu-ai-act:art9")]
    assert risk[col["status"]] == "future" and risk[col["citation URLs"]].startswith("https://")
    undetermined = [r for r in body if r[col["status"]] == "undetermined"]
    assert undetermined and all(r[col["missing facts"]] for r in undetermined)
    assert {r[col["status"]] for r in body} >= {"applies", "future", "undetermined",
                                                 "not_applicable"}
    plan = list(book["Plan"].iter_rows(values_only=True))
    assert plan[0][0] == "control" and any(r and r[0] == "saving" for r in plan)


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)",
                                  "\t=1", "\r=1"])
def test_formula_starts_are_escaped(text: str) -> None:
    assert safe_cell(text) == "'" + text


def test_plain_text_and_other_types_are_kept() -> None:
    assert safe_cell("eu-ai-act") == "eu-ai-act"
    assert safe_cell(3) == 3 and safe_cell(None) is None
    assert safe_cell("a\x00b\x1bc") == "a\ufffdb\ufffdc"  # XML cannot hold these


def test_hostile_framework_text_stays_text_in_the_workbook(demo_estate: Path,
                                                           tmp_path: Path) -> None:
    folder = tmp_path / "fw"
    folder.mkdir()
    (folder / "evil.yaml").write_text(
        "id: evil\ntitle: t\nversion: '1'\npublisher: p\nbinding: guidance\n"
        "source: {title: t, checked_on: 2026-12-04, confidence: verified}\n"
        "requirements:\n  - {id: r1, kind: obligation, title: \"=cmd|' /C calc'!A0\"}\n",
        encoding="utf-8")
    outcome = run_compliance(load_estate(demo_estate).estate, AS_OF, frameworks=[folder])
    data = workbook(outcome, estate_name="e", as_of=AS_OF)
    book = load_workbook(io.BytesIO(data))
    sheet = book["Obligations"]
    titles = [c.value for c in sheet["D"] if c.value and "calc" in str(c.value)]
    assert titles and all(t.startswith("'=") for t in titles)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
