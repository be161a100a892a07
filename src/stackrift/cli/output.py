"""The one output writer of the command line.

A command's report (what ``-f/--format`` shapes) goes to standard output, or to the ``-o/--output``
file, written atomically (a temporary file beside it, then renamed). Progress, notes and summaries
go to standard error. Consoles are created on first use, so ``--version`` loads no rich.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from stackrift.choices import SummaryFormat, TableFormat
from stackrift.errors import UsageError

if TYPE_CHECKING:
    from rich.console import RenderableType

    from stackrift.bom.artefacts import ArtefactFinding
    from stackrift.report.model import Report
    from stackrift.severities import Severity
    from stackrift.textsafe import SafeConsole

E = TypeVar("E")


@cache
def out() -> SafeConsole:
    """Standard output; every text passes through SafeConsole (control characters escaped)."""
    from stackrift.textsafe import SafeConsole

    return SafeConsole(soft_wrap=True)


@cache
def err() -> SafeConsole:
    """Standard error: progress, notes, summaries and error messages."""
    from stackrift.textsafe import SafeConsole

    return SafeConsole(stderr=True, soft_wrap=True)


def note(message: str, *, style: str | None = None) -> None:
    """One line on standard error, shown as given (no markup read in it)."""
    if style is None and _PLAIN_NOTE.fullmatch(message) and not _is_terminal(sys.stderr):
        # what the console writes for such a line (a test checks it): no need to load rich
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
        return
    err().print(message, style=style, markup=False, highlight=False)


def note_sarif_limits(report: Report) -> None:
    """Warn on standard error when the SARIF run of ``report`` holds more results than GitHub
    code scanning keeps: a dashboard showing part of them must not pass for the whole."""
    from stackrift.report.sarif import github_limit_note

    # counted, not read through Report.findings, which sorts them (10^4–10^5 in a large scan)
    limit = github_limit_note(sum(len(section.findings) for section in report.sections))
    if limit is not None:
        note(f"warning: {limit}", style="bold yellow")


def print_artefacts(findings: Sequence[ArtefactFinding], fail_on: Severity) -> bool:
    """Model-artefact findings (an unsafe pickle in a model folder…) on standard error; whether
    any reaches ``fail_on``."""
    for finding in findings:
        note(f"{finding.severity.value.upper()}: {finding.path}: {finding.message}")
    return any(f.severity.at_least(fail_on) for f in findings)


# printable ASCII without ':' (rich reads :name: as an emoji) and without control characters
_PLAIN_NOTE = re.compile(r"[ -9;-~]*")


def _is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return not callable(isatty) or bool(isatty())


def write_report(text: str | bytes, path: Path | None, *, filtered: bool = False) -> None:
    """``text`` to standard output, or to ``path`` atomically (then 'wrote PATH' on stderr).

    ``text`` may be UTF-8 bytes (large JSON reports: written without decoding them first).
    ``filtered``: the text was rendered by a SafeConsole (input text already escaped), so the
    colour codes rich added itself are kept at a terminal.
    """
    if isinstance(text, bytes):
        write_report_pieces((text,), path)
        return
    if path is None:
        if sys.stdout.isatty() and not filtered:  # plain() writes JSON's \uXXXX escapes
            from stackrift.textsafe import plain

            text = plain(text)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    write_atomic(path, text)
    note(f"wrote {path}")


def write_report_pieces(pieces: Iterable[bytes], path: Path | None) -> None:
    """:func:`write_report` of UTF-8 text made in pieces (a large report is never held whole
    when it goes to a file or a pipe)."""
    stream = getattr(sys.stdout, "buffer", None) if path is None else None
    utf8 = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "") == "utf8"
    if path is None and (stream is None or not utf8 or sys.stdout.isatty()):
        write_report(b"".join(pieces).decode("utf-8"), None)
        return
    if stream is not None:  # the bytes the text stream would have written
        sys.stdout.flush()
        last = b""
        for piece in pieces:
            stream.write(piece)
            last = piece or last
        if not last.endswith(b"\n"):
            stream.write(b"\n")
        stream.flush()
        return
    assert path is not None
    write_atomic(path, pieces)
    note(f"wrote {path}")


def write_atomic(path: Path, content: str | bytes | Iterable[bytes]) -> None:
    """Write ``path`` (text as UTF-8) so that a reader sees the old file or the whole new one,
    never a part. A path that is not a regular file (``/dev/null``, ``/dev/stdout``, a named
    pipe) is written in place: renaming over it would replace the device with a file."""
    if path.exists() and not path.is_file():
        _write_in_place(path, content)
        return
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                             dir=path.parent)
        with os.fdopen(handle, "wb") as stream:
            _emit(stream, content)
        Path(temporary).replace(path)
        temporary = None
    except OSError as exc:
        raise UsageError(f"{path}: cannot write output ({exc.strerror}); expected a writable "
                         "file path") from exc
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def _write_in_place(path: Path, content: str | bytes | Iterable[bytes]) -> None:
    try:
        with path.open("wb") as stream:
            _emit(stream, content)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write output ({exc.strerror}); expected a writable "
                         "file path") from exc


def _emit(stream: BinaryIO, content: str | bytes | Iterable[bytes]) -> None:
    """Text as UTF-8, bytes as they are, or pieces of bytes in order."""
    if isinstance(content, str):
        stream.write(content.encode("utf-8"))
    elif isinstance(content, bytes):
        stream.write(content)
    else:
        stream.writelines(content)


def json_text(data: object) -> str:
    """Indented JSON with sorted-as-given keys; non-string keys (counts by year) allowed."""
    return json_bytes(data).decode()


def json_bytes(data: object) -> bytes:
    """:func:`json_text` as UTF-8 bytes (a large report need not be decoded to be written)."""
    import orjson

    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)


def write_json(data: object, path: Path | None) -> None:
    """Indented JSON to ``path`` or standard output (see :func:`write_report`)."""
    write_report(json_text(data), path)


def terminal_width(path: Path | None) -> int | None:
    """The terminal's width when the report goes to one; ``None`` for files and pipes."""
    return out().width if path is None and out().is_terminal else None


def write_tables(fmt: TableFormat, path: Path | None, *, data: Callable[[], object],
                 renderables: Callable[[], Iterable[RenderableType]],
                 summary: bool = False) -> None:
    """A table-shaped report: JSON from ``data``, text or Markdown from ``renderables``.

    Text fits the terminal's width (ids never wrap); to a file or pipe it takes its natural
    width so that nothing is cut. A ``summary`` in text goes to standard error unless ``path``.
    """
    from stackrift.textout import markdown, render_text

    if summary and fmt is TableFormat.TERMINAL and path is None:
        console = err()
        sys.stderr.write(render_text(list(renderables()), width=console.width
                                     if console.is_terminal else None))
        return
    if fmt is TableFormat.JSON:
        write_json(data(), path)
        return

    if fmt is TableFormat.MD:
        write_report(markdown(renderables()), path)
        return
    width = terminal_width(path)
    color = width is not None and not out().no_color
    write_report(render_text(list(renderables()), width=width, color=color), path,
                 filtered=True)


def write_lines(fmt: TableFormat, path: Path | None, *, text: str,
                data: Callable[[], object]) -> None:
    """A report of plain lines: written as they are (never wrapped), as JSON, or as Markdown."""
    if fmt is TableFormat.JSON:
        write_json(data(), path)
    elif fmt is TableFormat.MD:
        from rich.text import Text

        from stackrift.textout import markdown

        write_report(markdown([Text(text)]), path)
    else:
        write_report(text, path)


def write_summary(fmt: SummaryFormat, path: Path | None, *, text: str,
                  data: Callable[[], object]) -> None:
    """A summary: as text on standard error (or in ``path``), or as JSON on stdout (or ``path``)."""
    if fmt is SummaryFormat.JSON:
        write_json(data(), path)
    elif path is None:
        note(text)
    else:
        write_report(text, path)


def chosen_format(fmt: E, json_alias: bool, json_choice: E) -> E:
    """``--json`` (hidden, kept for one release) means ``-f json``, with a note on stderr."""
    if not json_alias:
        return fmt
    note("note: --json is deprecated and will be removed in the next release; use -f json")
    return json_choice
