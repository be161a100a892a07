"""The typed table and chart models: their JSON is the documented summary shape, and renderers
read that JSON back into the same models."""

from __future__ import annotations

from stackrift.report._view import read_summary, summary_problems
from stackrift.summaries import BarChart, Heatmap, Table, summary_json


def test_models_serialise_to_the_documented_shape() -> None:
    table = Table.of("t", ["a", "b"], [["x", 1], [None, 2.5]])
    bar = BarChart.of("b", ["p", "q"], [("s", [1, None])], stacked=True)
    heat = Heatmap("h", ("x",), ("y",), ((3,),), (("prohibited",),), (("prohibited",),))
    assert summary_json(tables=[table], charts=[bar, heat]) == {
        "tables": [{"title": "t", "columns": ["a", "b"], "rows": [["x", 1], [None, 2.5]]}],
        "charts": [
            {"kind": "bar", "title": "b", "labels": ["p", "q"],
             "series": [{"name": "s", "values": [1, None]}], "stacked": True},
            {"kind": "heatmap", "title": "h", "x_labels": ["x"], "y_labels": ["y"],
             "values": [[3]], "cells": [["prohibited"]], "classes": [["prohibited"]]}]}
    assert summary_json(tables=[table]).keys() == {"tables"}  # a key only when given
    assert "cells" not in Heatmap("h", (), (), (), None).to_json()


def test_renderers_read_the_json_back_into_the_same_models() -> None:
    table = Table.of("t", ["a", "b"], [["x", 1], [None, 2.5]])
    bar = BarChart.of("b", ["p", "q"], [("s", [1, None]), ("r", [2, 3])], stacked=False)
    heat = Heatmap("h", ("x", "z"), ("y",), ((3, None),), None, (("allowed", None),))
    summary = summary_json(tables=[table], charts=[bar, heat])
    assert summary_problems(summary) == ()
    view = read_summary(summary)
    assert view.tables == (table,)
    assert view.charts == (bar, heat)
