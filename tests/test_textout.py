"""Rendering to text: the width chosen for a file or pipe."""

from __future__ import annotations

import io

import pytest
from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from stackrift.textout import PIPE_MAX_WIDTH, PIPE_MIN_WIDTH, natural_width


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
