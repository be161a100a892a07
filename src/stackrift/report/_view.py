"""What every renderer shares: the summary contract read into typed records, and report figures.

Analyses put ``"tables"`` and ``"charts"`` into their summary (shapes in
:class:`stackrift.analyses.base.AnalysisResult`). Renderers never trust those shapes blindly: an
entry that does not fit is not drawn and its problem is listed instead, so one faulty analysis
cannot take down the whole report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from stackrift.findings import Citation, Finding, Severity
from stackrift.report.model import AnalysisSection, Report
from stackrift.summaries import BarChart, Cell, Heatmap, Series, Table
from stackrift.summaries import format_number as format_number

SEVERITIES_DESC: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: -s.rank))
"""Severities from critical down to info, the order every renderer lists them in."""

# White text on each of these has a contrast of at least 4.5:1 (WCAG AA), except medium, which
# carries dark text; every badge also says its severity in words.
SEVERITY_COLOURS: dict[str, str] = {
    "critical": "#7a1010",
    "high": "#b42318",
    "unknown": "#7a5195",
    "medium": "#e6a023",
    "low": "#2f6ea5",
    "info": "#57606a",
}

# Verdicts of the transfer rules keep one meaning everywhere: red prohibited, amber allowed with a
# mechanism, green allowed, grey undetermined. Each also has a pattern (for colour-blind readers and
# black-and-white print) and is always labelled in words.
VERDICT_COLOURS: dict[str, str] = {
    "prohibited": "#b42318",
    "allowed_with": "#e6a023",
    "allowed": "#1a7f37",
    "undetermined": "#6e7781",
    "not_applicable": "#eaeef2",
}
VERDICT_PATTERNS: dict[str, str] = {
    "prohibited": "hatch",
    "allowed_with": "dots",
    "allowed": "solid",
    "undetermined": "cross",
    "not_applicable": "solid",
}
DARK_TEXT_ON = frozenset({"medium", "allowed_with", "not_applicable"})
"""Colours light enough that text on them must be dark."""


# The typed models analyses build and renderers draw (read back from the JSON summary here)
TableView = Table
SeriesView = Series
BarChartView = BarChart
HeatmapView = Heatmap
ChartView = BarChartView | HeatmapView


@dataclass(frozen=True)
class SummaryView:
    """A section's summary as renderers see it."""

    tables: tuple[TableView, ...]
    charts: tuple[ChartView, ...]
    extra: dict[str, Any]
    """Analysis-specific keys other than tables and charts (shown in JSON only)."""
    problems: tuple[str, ...]
    """Why some entries were not drawn (a fault of the analysis, shown so it gets noticed)."""


class _ShapeError(ValueError):
    """One summary entry does not fit the documented shape."""


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise _ShapeError(f"{what} is {type(value).__name__}, expected a string")
    return value


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise _ShapeError(f"{what} is not a list")
    return tuple(_text(v, f"{what}[{i}]") for i, v in enumerate(value))


def _number(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _ShapeError(f"{what} is {value!r}, expected a number or null")
    if not math.isfinite(value):
        raise _ShapeError(f"{what} is {value!r}, expected a finite number")
    return float(value)


def _numbers(value: Any, what: str, length: int) -> tuple[float | None, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise _ShapeError(f"{what} is not a list")
    if len(value) != length:
        raise _ShapeError(f"{what} has {len(value)} values for {length} labels")
    return tuple(_number(v, f"{what}[{i}]") for i, v in enumerate(value))


def _cell(value: Any, what: str) -> Cell:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, date):
        return value.isoformat()
    raise _ShapeError(f"{what} is {type(value).__name__}, expected text, a number or null")


def _table(raw: Any, where: str) -> TableView:
    if not isinstance(raw, Mapping):
        raise _ShapeError(f"{where} is not an object")
    title = _text(raw.get("title", ""), f"{where}.title")
    columns = _strings(raw.get("columns"), f"{where}.columns")
    rows_raw = raw.get("rows", [])
    if not isinstance(rows_raw, Sequence) or isinstance(rows_raw, str):
        raise _ShapeError(f"{where}.rows is not a list")
    rows = []
    for r, row in enumerate(rows_raw):
        if not isinstance(row, Sequence) or isinstance(row, str) or len(row) != len(columns):
            raise _ShapeError(f"{where}.rows[{r}] is not a list of {len(columns)} cells")
        rows.append(tuple(_cell(c, f"{where}.rows[{r}][{i}]") for i, c in enumerate(row)))
    return TableView(title, columns, tuple(rows))


def _bar(raw: Mapping[str, Any], where: str) -> BarChartView:
    labels = _strings(raw.get("labels"), f"{where}.labels")
    series_raw = raw.get("series")
    if not isinstance(series_raw, Sequence) or isinstance(series_raw, str) or not series_raw:
        raise _ShapeError(f"{where}.series is not a non-empty list")
    series = []
    for i, item in enumerate(series_raw):
        if not isinstance(item, Mapping):
            raise _ShapeError(f"{where}.series[{i}] is not an object")
        name = _text(item.get("name", ""), f"{where}.series[{i}].name")
        series.append(SeriesView(name, _numbers(item.get("values"), f"{where}.series[{i}].values",
                                                len(labels))))
    return BarChartView(_text(raw.get("title", ""), f"{where}.title"), labels, tuple(series),
                        bool(raw.get("stacked", False)))


def _heatmap(raw: Mapping[str, Any], where: str) -> HeatmapView:
    x_labels = _strings(raw.get("x_labels"), f"{where}.x_labels")
    y_labels = _strings(raw.get("y_labels"), f"{where}.y_labels")
    values_raw = raw.get("values")
    if not isinstance(values_raw, Sequence) or len(values_raw) != len(y_labels):
        raise _ShapeError(f"{where}.values needs one row per y label ({len(y_labels)})")
    values = tuple(_numbers(row, f"{where}.values[{r}]", len(x_labels))
                   for r, row in enumerate(values_raw))
    cells_raw = raw.get("cells")
    cells = None
    if cells_raw is not None:
        if not isinstance(cells_raw, Sequence) or len(cells_raw) != len(y_labels):
            raise _ShapeError(f"{where}.cells needs one row per y label ({len(y_labels)})")
        cells = []
        for r, row in enumerate(cells_raw):
            texts = tuple("" if c is None else str(c) for c in row) if isinstance(
                row, Sequence) and not isinstance(row, str) else ()
            if len(texts) != len(x_labels):
                raise _ShapeError(f"{where}.cells[{r}] needs {len(x_labels)} texts")
            cells.append(texts)
    return HeatmapView(_text(raw.get("title", ""), f"{where}.title"), x_labels, y_labels, values,
                       tuple(cells) if cells is not None else None,
                       _classes(raw.get("classes"), where, len(y_labels), len(x_labels)))


def _classes(raw: Any, where: str, rows: int, columns: int
             ) -> tuple[tuple[str | None, ...], ...] | None:
    """Optional per-cell verdict classes; each must be a known verdict or null."""
    if raw is None:
        return None
    if not isinstance(raw, Sequence) or isinstance(raw, str) or len(raw) != rows:
        raise _ShapeError(f"{where}.classes needs one row per y label ({rows})")
    result = []
    for r, row in enumerate(raw):
        if not isinstance(row, Sequence) or isinstance(row, str) or len(row) != columns:
            raise _ShapeError(f"{where}.classes[{r}] needs {columns} entries")
        for c, value in enumerate(row):
            if value is not None and value not in VERDICT_COLOURS:
                raise _ShapeError(f"{where}.classes[{r}][{c}] is {value!r}, expected one of "
                                  f"{', '.join(VERDICT_COLOURS)} or null")
        result.append(tuple(row))
    return tuple(result)


def _chart(raw: Any, where: str) -> ChartView:
    if not isinstance(raw, Mapping):
        raise _ShapeError(f"{where} is not an object")
    kind = raw.get("kind")
    if kind == "bar":
        return _bar(raw, where)
    if kind == "heatmap":
        return _heatmap(raw, where)
    raise _ShapeError(f"{where}.kind is {kind!r}, expected 'bar' or 'heatmap'")


def _entries(summary: Mapping[str, Any], key: str, reader: Callable[[Any, str], object],
             problems: list[str]) -> list[object]:
    raw = summary.get(key, [])
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        problems.append(f"not drawn: summary.{key} is not a list")
        return []
    read = []
    for index, item in enumerate(raw):
        try:
            read.append(reader(item, f"{key}[{index}]"))
        except _ShapeError as exc:
            problems.append(f"not drawn: {exc}")
    return read


def read_summary(summary: Mapping[str, Any]) -> SummaryView:
    """Read a section summary; entries that do not fit the contract become ``problems``."""
    problems: list[str] = []
    tables = [t for t in _entries(summary, "tables", _table, problems) if isinstance(t, TableView)]
    charts = [c for c in _entries(summary, "charts", _chart, problems)
              if isinstance(c, BarChartView | HeatmapView)]
    extra = {k: v for k, v in summary.items() if k not in {"tables", "charts"}}
    return SummaryView(tuple(tables), tuple(charts), extra, tuple(problems))


def summary_problems(summary: Mapping[str, Any]) -> tuple[str, ...]:
    """What in a summary breaks the tables/charts contract; empty when every entry can be drawn.

    Analyses can assert this is empty in their tests.
    """
    return read_summary(summary).problems


def severity_chart(report: Report) -> BarChartView:
    """Findings by severity across the report, one bar per severity (critical first)."""
    counts = report.severity_counts()
    return BarChartView("Findings by severity", tuple(s.value for s in SEVERITIES_DESC),
                        (SeriesView("findings", tuple(float(counts[s.value])
                                                      for s in SEVERITIES_DESC)),),
                        stacked=False)


def section_severity_counts(section: AnalysisSection) -> dict[str, int]:
    """Findings of one section by severity, critical first, zeros included."""
    return {s.value: sum(1 for f in section.findings if f.severity is s) for s in SEVERITIES_DESC}


def format_cell(value: Cell) -> str:
    """A table cell as text; ``None`` is shown as a dash (unknown or not applicable)."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return format_number(value)


def subject_text(finding: Finding) -> str:
    """``kind id`` plus the name and field when known, e.g. ``system chat-cn (Chatbot).model``."""
    subject = finding.subject
    text = f"{subject.kind.value} {subject.id}"
    if subject.name and subject.name != subject.id:
        text += f" ({subject.name})"
    if subject.field:
        text += f", field {subject.field}"
    return text


def safe_url(url: str | None) -> str | None:
    """The URL when it is an http(s) link, else ``None`` (no ``javascript:`` or ``data:`` links)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in {"http", "https"} and parts.netloc else None


def citation_text(citation: Citation) -> str:
    """``source, section`` and an ``(unverified)`` mark when the source is weak."""
    text = f"{citation.source}, {citation.section}" if citation.section else citation.source
    return text + " (unverified)" if citation.confidence == "unverified" else text


def evidence_items(finding: Finding) -> list[tuple[str, str]]:
    """Evidence as sorted ``(key, text)`` pairs; nested values are shown compactly."""
    return [(key, evidence_text(finding.evidence[key])) for key in sorted(finding.evidence)]


def evidence_text(value: Any) -> str:
    """One evidence value as short readable text."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {evidence_text(value[k])}" for k in sorted(value, key=str))
    if isinstance(value, list | tuple):
        return ", ".join(evidence_text(v) for v in value)
    if isinstance(value, set | frozenset):
        return ", ".join(sorted(evidence_text(v) for v in value))
    return str(value)
