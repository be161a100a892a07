"""Typed tables and charts for analysis summaries, and their JSON form.

An analysis builds :class:`Table`, :class:`BarChart` and :class:`Heatmap` records and puts
their JSON (:func:`summary_json`) in its summary; the shape is the documented contract of
:class:`stackrift.analyses.base.AnalysisResult`. Renderers read the JSON back into the same
records (:func:`stackrift.report._view.read_summary`), checking every entry, so a report written
by another tool or an older version is drawn the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Cell = str | int | float | None
Json = dict[str, Any]


def format_number(value: float | int) -> str:
    """A number as people read it: integers without a decimal point, others to 2 places."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Table:
    """A summary table: column headings and rows of plain cells."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    @classmethod
    def of(cls, title: str, columns: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Table:
        return cls(title, tuple(columns), tuple(tuple(row) for row in rows))

    def to_json(self) -> Json:
        return {"title": self.title, "columns": list(self.columns),
                "rows": [list(row) for row in self.rows]}


@dataclass(frozen=True)
class Series:
    """One named series of a bar chart, one value per label (``None`` when unknown)."""

    name: str
    values: tuple[float | None, ...]

    def to_json(self) -> Json:
        return {"name": self.name, "values": list(self.values)}


@dataclass(frozen=True)
class BarChart:
    """Bars per label; several series are drawn side by side or, when ``stacked``, on top."""

    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    stacked: bool

    @classmethod
    def of(cls, title: str, labels: Sequence[str],
           series: Iterable[tuple[str, Sequence[float | None]]], *, stacked: bool) -> BarChart:
        return cls(title, tuple(labels), tuple(Series(name, tuple(values))
                                               for name, values in series), stacked)

    @property
    def kind(self) -> str:
        return "bar"

    def maximum(self) -> float:
        """The largest bar (stack total when stacked); at least 0."""
        if self.stacked:
            totals = [sum(s.values[i] or 0.0 for s in self.series) for i in range(len(self.labels))]
            return max([0.0, *totals])
        return max([0.0, *(v for s in self.series for v in s.values if v is not None)])

    def to_json(self) -> Json:
        return {"kind": self.kind, "title": self.title, "labels": list(self.labels),
                "series": [s.to_json() for s in self.series], "stacked": self.stacked}


@dataclass(frozen=True)
class Heatmap:
    """A grid of values, rows ``y_labels`` by columns ``x_labels``, optionally with cell text."""

    title: str
    x_labels: tuple[str, ...]
    y_labels: tuple[str, ...]
    values: tuple[tuple[float | None, ...], ...]
    cells: tuple[tuple[str, ...], ...] | None
    classes: tuple[tuple[str | None, ...], ...] | None = None
    """Per cell, a verdict name whose fixed colour replaces the value scale (``None``: no value)."""

    @property
    def kind(self) -> str:
        return "heatmap"

    def value_range(self) -> tuple[float, float]:
        known = [v for row in self.values for v in row if v is not None]
        return (min(known), max(known)) if known else (0.0, 0.0)

    def text(self, row: int, column: int) -> str:
        """The text shown in a cell: the given cell text, else the value, else empty."""
        if self.cells is not None:
            return self.cells[row][column]
        value = self.values[row][column]
        return "" if value is None else format_number(value)

    def to_json(self) -> Json:
        data: Json = {"kind": self.kind, "title": self.title, "x_labels": list(self.x_labels),
                      "y_labels": list(self.y_labels),
                      "values": [list(row) for row in self.values]}
        if self.cells is not None:
            data["cells"] = [list(row) for row in self.cells]
        if self.classes is not None:
            data["classes"] = [list(row) for row in self.classes]
        return data


Chart = BarChart | Heatmap


def summary_json(tables: Iterable[Table] | None = None,
                 charts: Iterable[Chart] | None = None) -> Json:
    """The ``tables`` and ``charts`` keys of a summary, in the documented shape (a key only
    when given)."""
    data: Json = {}
    if tables is not None:
        data["tables"] = [t.to_json() for t in tables]
    if charts is not None:
        data["charts"] = [c.to_json() for c in charts]
    return data
