"""Rendering to text: the width chosen for a file or pipe."""

from __future__ import annotations

import io
import random

import pytest
from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from stackrift.textout import PIPE_MAX_WIDTH, PIPE_MIN_WIDTH, grid_text, natural_width
from stackrift.textsafe import SafeConsole


def _table(width: int, rows: int = 3) -> Table:
    table = Table("id", "text")
    for row in range(rows):
        table.add_row(f"row-{row}", "w" * width)
    return table


def _measured(renderables: list[RenderableType]) -> int:
    """The width by measuring every renderable (what natural_width must give)."""
    probe = Console(width=PIPE_MAX_WIDTH, file=io.StringIO(), color_system=None)
    widest = max((Measurement.get(probe, probe.options, r).maximum for r in renderables),
                 default=PIPE_MIN_WIDTH)
    return max(PIPE_MIN_WIDTH, min(PIPE_MAX_WIDTH, widest))


@pytest.mark.parametrize("renderables", [
    [],
    [Text("short")],
    [_table(40), Text("x" * 150), _table(10)],
    [Panel("header"), _table(30)],
    [_table(300), _table(30)],  # the first reaches the cap: the rest is not measured
    [_table(20), _table(500), Text("after")],
    [Text("y" * 199), _table(5)],
])
def test_natural_width_is_the_widest_within_bounds(renderables: list[RenderableType]) -> None:
    assert natural_width(renderables) == _measured(renderables)


def test_natural_width_stops_measuring_at_the_cap() -> None:
    class Unmeasurable(Text):
        def __rich_measure__(self, console: object, options: object) -> Measurement:
            raise AssertionError("measured after the width reached its cap")

    assert natural_width([_table(300), Unmeasurable("late")]) == PIPE_MAX_WIDTH
    with pytest.raises(AssertionError, match="measured after"):
        natural_width([_table(30), Unmeasurable("late")])


_WORDS = ["critical", "torch 1.0", "CVE-2021-29550", "GHSA-xxxx-yyyy-zzzz", "osv", "cnvd+osv",
          "—", "range (1.0)", "名前 2.0", "emoji 🚀", "e\u0301", "a, b, c", "", "x" * 30,
          "pkg:pypi/a@1", "Ünïcödé", "10", "٣"]
_AWKWARD = ["two  spaces", " leading", "trailing ", "new\nline", "tab\there", "esc\x1b[31m",
            "bidi\u202e", "line\u2028sep"]


def _rich_grid(title: str | None, headers: list[str], rows: list[list[str]],
               min_widths: list[int]) -> str:
    """What rich draws for the same table, as a scan draws its findings to a file."""
    table = Table(title=title)
    for index, header in enumerate(headers):
        table.add_column(header, no_wrap=index % 2 == 0,
                         min_width=min_widths[index] if index < len(min_widths) else None)
    for row in rows:
        table.add_row(*row)
    buffer = io.StringIO()
    console = SafeConsole(file=buffer, width=160, markup=False, highlight=False)
    console.width = natural_width([table])
    console.print(table)
    # the width that lines printed after the table take
    drawn = grid_text(title, headers, rows, min_widths)
    assert drawn is not None
    assert console.width == max(PIPE_MIN_WIDTH, min(PIPE_MAX_WIDTH, drawn[1]))
    return buffer.getvalue()


def test_grid_text_draws_what_rich_draws() -> None:
    """On many tables that fit the pipe's width, the grid is rich's table, byte for byte; rich
    would lay out otherwise a cell or title not written as one plain line, so none is drawn."""
    chooser = random.Random(7)
    compared = 0
    for _ in range(400):
        columns = chooser.randint(1, 7)
        headers = [chooser.choice(["severity", "component", "also known as", "x", "名前"])
                   for _ in range(columns)]
        rows = [[chooser.choice(_WORDS) for _ in range(columns)]
                for _ in range(chooser.randint(0, 6))]
        min_widths = [chooser.choice([0, 5, 25]) for _ in range(chooser.randint(0, columns))]
        title = chooser.choice([None, "3 known vulnerabilities in 2 components", "t"])
        drawn = grid_text(title, headers, rows, min_widths)
        if drawn is None:  # only a title wider than the table is not drawn here
            untitled = grid_text(None, headers, rows, min_widths)
            assert title is not None and untitled is not None and len(title) > untitled[1]
            continue
        text, width = drawn
        if width <= PIPE_MAX_WIDTH and (title is None or len(title) <= width):
            assert text == _rich_grid(title, headers, rows, min_widths), (title, headers, rows)
            compared += 1
        assert {cell_len(line) for line in text.splitlines()} == {width}
    assert compared > 300
    for awkward in _AWKWARD:
        assert grid_text(None, ["h"], [["ok"], [awkward]]) is None
        assert grid_text(None, [awkward], [["ok"]]) is None
        assert grid_text(awkward, ["h"], [["ok"]]) is None
    assert grid_text("a title wider than the table", ["h"], [["x"]]) is None


def test_grid_text_is_as_wide_as_its_widest_row() -> None:
    text, width = grid_text("findings", ["id", "text"], [["a", "w" * 300], ["b", "v"]]) or ("", 0)
    assert width == 1 + (1 + 2 + 1) + 1 + (1 + 300 + 1) + 1
    assert {cell_len(line) for line in text.splitlines()} == {width}
    assert "w" * 300 in text
