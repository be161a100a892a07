"""Text from inputs made safe to show: the one place that neutralises terminal control.

Estate names, SBOM component names, advisory titles and file names are attacker-controlled.
Written raw to a terminal, an ESC or C1 byte starts a control sequence (clear the screen, set the
window title, plant an OSC 8 hyperlink, move the cursor to overwrite earlier lines), and a bidi
override reorders what the reader sees. :func:`plain` replaces every such character with a
visible ``\\uXXXX`` escape (the same spelling JSON uses, so JSON text stays equivalent), keeping
newlines and tabs. :func:`markup` additionally escapes rich markup (``[bold]``, ``[link=…]``) for
text placed inside a markup string. :class:`SafeConsole` applies :func:`plain` to every piece of
text it writes, as the last line of defence for every terminal output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.segment import Segment

# C0 controls except tab and newline, DEL, C1 controls, lone surrogates, and the bidirectional
# embedding/override/isolate controls (U+202A-U+202E, U+2066-U+2069) plus LRM/RLM/ALM marks.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f"
                     "\u202a-\u202e\u2066-\u2069]")
_UNSAFE_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f"
                             "\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def plain(text: str, *, single_line: bool = False) -> str:
    """``text`` with terminal controls and bidi overrides shown as ``\\uXXXX`` escapes;
    ``single_line`` escapes newlines and tabs too (for one-line messages and table cells)."""
    pattern = _UNSAFE_IN_LINE if single_line else _UNSAFE
    return pattern.sub(_visible, text)


def is_plain_line(text: str) -> bool:
    """Whether ``text`` is one line that :func:`plain` leaves as it is (no control character,
    newline, tab or bidi override)."""
    return _UNSAFE_IN_LINE.search(text) is None


# Parentheses need no escape: with brackets escaped no link or image can form.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def md(text: str) -> str:
    """Text safe to place anywhere in Markdown, on one line (also inside a table cell)."""
    text = plain(" ".join(text.split()), single_line=True)  # no terminal controls either
    return _MD_SPECIAL.sub(r"\\\1", text.replace("&", "&amp;"))


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot hold shown as ``\\uXXXX`` escapes (an SBOM
    name holding an ESC byte would otherwise stop a CycloneDX XML export)."""
    return _NOT_XML.sub(_visible, text)


def markup(text: object) -> str:
    """``text`` made safe to embed in a rich markup string: controls escaped as by
    :func:`plain`, and square brackets escaped so that no tag (style, link) can form."""
    return escape(plain(str(text)))


class SafeConsole(Console):
    """A rich console that never writes a control character it was given as text.

    Styles (colour, bold) are still rendered, since rich emits them itself from the style of
    each segment; only the text of segments is filtered.
    """

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(_filtered(buffer))

    def export_text(self, *, clear: bool = True, styles: bool = False) -> str:
        if styles:  # rich's own escape codes are in the result: filter the text beforehand
            with self._record_buffer_lock:
                self._record_buffer[:] = list(_filtered(self._record_buffer))
            return super().export_text(clear=clear, styles=styles)
        return plain(super().export_text(clear=clear, styles=styles))


def _filtered(buffer: Iterable[Segment]) -> Iterable[Segment]:
    for segment in buffer:
        if segment.control or not _UNSAFE.search(segment.text):
            yield segment
        else:
            yield Segment(plain(segment.text), segment.style, segment.control)


def safe_console(**options: Any) -> SafeConsole:
    """A :class:`SafeConsole` with the given rich ``Console`` options."""
    return SafeConsole(**options)
