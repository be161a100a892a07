"""Reading the summary contract: good entries become records, bad ones become problems."""

from __future__ import annotations

from datetime import date

from stackrift.report import summary_problems
from stackrift.report._view import (
    BarChartView,
    HeatmapView,
    evidence_text,
    format_cell,
    read_summary,
    severity_chart,
)
from stackrift.report.model import Report


def test_reads_tables_bars_and_heatmaps(report: Report) -> None:
    section = report.section("provenance")
    assert section is not None
    view = read_summary(section.summary)
    assert [t.title for t in view.tables] == ["Bloc per layer"]
    assert view.tables[0].rows[1][2] is None
    bar, heat = view.charts
    assert isinstance(bar, BarChartView) and bar.stacked
    assert bar.maximum() == 5.0  # stack total of support-bot (0 + 4 + 1)
    assert isinstance(heat, HeatmapView)
    assert heat.text(0, 0) == "3 systems"
    assert heat.value_range() == (0.0, 4.0)
    assert view.extra == {"resolved": 12}
    assert view.problems == ()


def test_unknown_chart_kind_is_a_problem_not_a_crash(report: Report) -> None:
    section = report.section("hygiene")
    assert section is not None
    view = read_summary(section.summary)
    assert len(view.charts) == 1
    assert view.problems == ("not drawn: charts[1].kind is 'pie', expected 'bar' or 'heatmap'",)


def test_each_shape_error_is_named() -> None:
    problems = summary_problems({
        "tables": [{"title": "t", "columns": ["a", "b"], "rows": [["x"]]}, "nope"],
        "charts": [
            {"kind": "bar", "title": "b", "labels": ["a", "b"],
             "series": [{"name": "s", "values": [1]}]},
            {"kind": "bar", "title": "b", "labels": ["a"], "series": [{"name": "s",
                                                                      "values": ["x"]}]},
            {"kind": "heatmap", "title": "h", "x_labels": ["a"], "y_labels": ["r", "s"],
             "values": [[1]]},
            {"kind": "heatmap", "title": "h", "x_labels": ["a"], "y_labels": ["r"],
             "values": [[1]], "cells": [["x", "y"]]},
            {"kind": "bar", "title": "b", "labels": ["a"], "series": []},
        ],
    })
    assert problems == (
        "not drawn: tables[0].rows[0] is not a list of 2 cells",
        "not drawn: tables[1] is not an object",
        "not drawn: charts[0].series[0].values has 1 values for 2 labels",
        "not drawn: charts[1].series[0].values[0] is 'x', expected a number or null",
        "not drawn: charts[2].values needs one row per y label (2)",
        "not drawn: charts[3].cells[0] needs 1 texts",
        "not drawn: charts[4].series is not a non-empty list",
    )
    assert summary_problems({"charts": "bar"}) == ("not drawn: summary.charts is not a list",)
    assert summary_problems({}) == ()
    dated = read_summary({"tables": [{"title": "t", "columns": ["since", "ok"],
                                      "rows": [[date(2024, 12, 2), True]]}]})
    assert dated.tables[0].rows == (("2024-12-02", "yes"),)
    assert summary_problems({"tables": [{"title": "t", "columns": ["x"], "rows": [[{}]]}]}) == (
        "not drawn: tables[0].rows[0][0] is dict, expected text, a number or null",)


def test_severity_chart_counts_every_severity(report: Report) -> None:
    chart = severity_chart(report)
    assert chart.labels == ("critical", "high", "unknown", "medium", "low", "info")
    assert chart.series[0].values == (1.0, 0.0, 0.0, 1.0, 1.0, 1.0)


def test_cell_and_evidence_text() -> None:
    assert format_cell(None) == "–"
    assert format_cell(3.0) == "3"
    assert format_cell(1.5) == "1.5"
    assert format_cell(2 / 3) == "0.67"
    assert evidence_text({"b": [1, 2], "a": None}) == "a: unknown; b: 1, 2"
    assert evidence_text(frozenset({"z", "a"})) == "a, z"
    assert evidence_text(True) == "yes"
