"""Rendering rich tables and text to a string, for a terminal of known width or for a file or pipe.

At a terminal, tables fit its width (at least 80 columns): descriptive columns wrap, and columns
holding ids are marked ``no_wrap`` so an id is never cut. Written to a file or a pipe, lines take
the natural width of the widest table up to 200 columns; lists are not shortened, so every id is
there in full for grep.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from rich.console import Console, Group, RenderableType
from rich.measure import Measurement

from stackrift.textsafe import SafeConsole

MIN_WIDTH = 80
PIPE_MIN_WIDTH = 100
PIPE_MAX_WIDTH = 200  # wider, descriptive text wraps; id columns never wrap (no_wrap)


def natural_width(renderables: Iterable[RenderableType]) -> int:
    """The width at which none of ``renderables`` needs to wrap (within the bounds above)."""
    probe = Console(width=PIPE_MAX_WIDTH, file=io.StringIO(), color_system=None)
    widest = max((Measurement.get(probe, probe.options, r).maximum for r in renderables),
                 default=PIPE_MIN_WIDTH)
    return max(PIPE_MIN_WIDTH, min(PIPE_MAX_WIDTH, widest))


def render_text(renderables: list[RenderableType], *, width: int | None,
                color: bool = False) -> str:
    """Render to text: ``width`` is a terminal's width, or ``None`` for a file or pipe."""
    chosen = max(MIN_WIDTH, width) if width is not None else natural_width(renderables)
    buffer = io.StringIO()
    console = SafeConsole(file=buffer, width=chosen, force_terminal=color,
                          color_system="standard" if color else None, no_color=not color,
                          highlight=False, emoji=False, markup=False, soft_wrap=False)
    console.print(Group(*renderables))
    return buffer.getvalue()
