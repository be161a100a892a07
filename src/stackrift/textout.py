"""Rendering rich tables and text to a string, for a terminal of known width or for a file or pipe.

At a terminal, tables fit its width (at least 80 columns): descriptive columns wrap, and columns
holding ids are marked ``no_wrap`` so an id is never cut. Written to a file or a pipe, lines take
the natural width of the widest table up to 200 columns; lists are not shortened, so every id is
there in full for grep. A table of one-line cells can also be drawn without rich
(:func:`grid_text`, for the thousands of rows of a scan's findings): each row on one line, as
wide as it needs. The same renderables also become Markdown (:func:`markdown`), so a command
that prints tables offers ``-f md`` without a second rendering of its own.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence

from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from stackrift.textsafe import SafeConsole, is_plain_line, md

MIN_WIDTH = 80
PIPE_MIN_WIDTH = 100
PIPE_MAX_WIDTH = 200  # wider, descriptive text wraps; id columns never wrap (no_wrap)


def natural_width(renderables: Iterable[RenderableType]) -> int:
    """The width at which none of ``renderables`` needs to wrap (within the bounds above)."""
    probe = Console(width=PIPE_MAX_WIDTH, file=io.StringIO(), color_system=None)
    widest = PIPE_MIN_WIDTH
    for renderable in renderables:
        widest = max(widest, Measurement.get(probe, probe.options, renderable).maximum)
        if widest >= PIPE_MAX_WIDTH:
            # the width is capped there, so the rest cannot change it (measuring a report's
            # tables of thousands of rows cost seconds)
            return PIPE_MAX_WIDTH
    return widest


# whitespace that rich would lay out otherwise than as written: all but single inner spaces
_NOT_AS_WRITTEN = re.compile(r"[^\S ]|  |^ | $")


def _as_written(text: str) -> bool:
    """Whether rich shows ``text`` in a wide enough cell as it is written (one plain line)."""
    return is_plain_line(text) and _NOT_AS_WRITTEN.search(text) is None


def _natural_widths(headers: Sequence[str], rows: Sequence[Sequence[str]],
                    min_widths: Sequence[int]) -> list[int] | None:
    """Each column's widest cell (and header, and least width); None unless all as written."""
    if not all(_as_written(header) for header in headers):
        return None
    widths = [cell_len(header) for header in headers]
    for index, least in enumerate(min_widths):
        widths[index] = max(widths[index], least)
    for row in rows:
        for index, cell in enumerate(row):
            if not _as_written(cell):
                return None
            width = cell_len(cell)
            if width > widths[index]:
                widths[index] = width
    return widths


def grid_text(title: str | None, headers: Sequence[str], rows: Sequence[Sequence[str]],
              min_widths: Sequence[int] = ()) -> tuple[str, int] | None:
    """A table of one-line text cells drawn as rich draws a :class:`~rich.table.Table` with no
    style at its natural width (heavy head, one space of padding, the title centred above), and
    the table's width; each row is one line, however wide, so nothing is wrapped or cut.

    Rich lays out every cell of a table on its own, ~0.2 ms each: the table of a 10,000-component
    scan (11,000 findings) took 16 s. ``None`` when rich would lay something out otherwise than
    as written (a cell holding a control character, a newline, a tab, leading, trailing or
    repeated spaces; a title wider than the table): the caller then renders with rich.
    ``tests/test_textout.py`` compares the two on many tables."""
    widths = _natural_widths(headers, rows, min_widths)
    if widths is None:
        return None
    total = sum(widths) + 3 * len(widths) + 1
    lines = []
    if title is not None:
        if not _as_written(title) or cell_len(title) > total:
            return None
        left = (total - cell_len(title)) // 2
        lines.append(" " * left + title + " " * (total - cell_len(title) - left))

    def line(cells: Iterable[str], edge: str, between: str) -> str:
        return edge + between.join(" " + cell + " " * (width - cell_len(cell) + 1)
                                   for cell, width in zip(cells, widths, strict=True)) + edge

    lines.append("┏" + "┳".join("━" * (width + 2) for width in widths) + "┓")
    lines.append(line(headers, "┃", "┃"))
    lines.append("┡" + "╇".join("━" * (width + 2) for width in widths) + "┩")
    lines.extend(line(row, "│", "│") for row in rows)
    lines.append("└" + "┴".join("─" * (width + 2) for width in widths) + "┘")
    return "\n".join(lines) + "\n", total


def render_text(renderables: list[RenderableType], *, width: int | None,
                color: bool = False) -> str:
    """Render to text: ``width`` is a terminal's width, or ``None`` for a file or pipe.

    Strings (also in table cells) are literal text: no markup is read in them.
    """
    chosen = max(MIN_WIDTH, width) if width is not None else natural_width(renderables)
    buffer = io.StringIO()
    console = SafeConsole(file=buffer, width=chosen, force_terminal=color,
                          color_system="standard" if color else None, no_color=not color,
                          highlight=False, emoji=False, markup=False, soft_wrap=False)
    console.print(Group(*renderables))
    return buffer.getvalue()


def _cell_text(cell: RenderableType) -> str:
    """A table cell's text; strings are literal, as in :func:`render_text` (never markup)."""
    if isinstance(cell, Text):
        return cell.plain
    if isinstance(cell, str):
        return cell
    return _plain_text(cell)


def _plain_text(renderable: RenderableType) -> str:
    buffer = io.StringIO()
    SafeConsole(file=buffer, width=PIPE_MAX_WIDTH, color_system=None, highlight=False,
                emoji=False, soft_wrap=True).print(renderable)
    return buffer.getvalue().rstrip("\n")


def _md_cell(cell: RenderableType) -> str:
    return "<br>".join(md(line) for line in _cell_text(cell).splitlines()) or " "


def _md_table(table: Table) -> list[str]:
    lines = [f"**{md(_cell_text(table.title))}**", ""] if table.title else []
    headers = [_md_cell(column.header) for column in table.columns]
    lines += ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    cells = [list(column.cells) for column in table.columns]
    for row in zip(*cells, strict=True):
        lines.append("| " + " | ".join(_md_cell(cell) for cell in row) + " |")
    return [*lines, ""]


def markdown(renderables: Iterable[RenderableType]) -> str:
    """GitHub-flavoured Markdown of tables and text; every input text escaped (see ``md``)."""
    lines: list[str] = []
    for renderable in renderables:
        if isinstance(renderable, Table):
            lines += _md_table(renderable)
            continue
        text = [md(line) for line in _cell_text(renderable).splitlines() if line.strip()]
        lines += ["  \n".join(text), ""] if text else []
    return "\n".join(lines)
