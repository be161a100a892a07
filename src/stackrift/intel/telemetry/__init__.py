"""Local telemetry readers: one per log format behind :class:`TelemetryReader`.

Every reader streams: it holds one line at a time (at most :data:`MAX_LINE` bytes), so a log of
any size is read in bounded memory. A line that is too long, not UTF-8 or not in the format is
never skipped silently: it is counted, the first few are kept with their file and line, and with
``strict`` the first one is an error naming them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

from stackrift.errors import InvalidInputError, Location, Problem

MAX_LINE = 1 << 20
KEPT_PROBLEMS = 5


class Event(NamedTuple):
    """One log record: where it is, and the observables it holds as (kind, value) pairs.

    Kinds: ``ip``, ``domain``, ``url``, ``hash``, ``email``, ``user``."""

    line: int
    observables: tuple[tuple[str, str], ...]


@dataclass
class ReadStats:
    """What a read saw: lines, events, and the lines it could not read (never silent)."""

    source: str
    strict: bool = False
    lines: int = 0
    events: int = 0
    unreadable: int = 0
    problems: list[Problem] = field(default_factory=list)

    def bad_line(self, line: int, message: str, expected: str) -> None:
        """Count an unreadable line; keep the first few; in strict mode, stop with an error."""
        self.unreadable += 1
        problem = Problem(Location(self.source, line, 1), message, expected)
        if self.strict:
            raise InvalidInputError([problem])
        if len(self.problems) < KEPT_PROBLEMS:
            self.problems.append(problem)


class TelemetryReader(Protocol):
    """A log format: its name and how to turn its lines into events."""

    name: str

    def events(self, lines: Iterator[tuple[int, str]], stats: ReadStats) -> Iterator[Event]:
        """Events of the decoded lines (line number, text without the line end)."""
        ...


def _skip_rest(handle: BinaryIO) -> None:
    while (chunk := handle.readline(MAX_LINE)) and not chunk.endswith(b"\n"):
        pass


def text_lines(handle: BinaryIO, stats: ReadStats) -> Iterator[tuple[int, str]]:
    """Decoded lines of a binary stream, each at most MAX_LINE bytes; others are counted."""
    number = 0
    while raw := handle.readline(MAX_LINE + 1):
        number += 1
        stats.lines = number
        if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
            _skip_rest(handle)
            stats.bad_line(number, f"line longer than {MAX_LINE:,} bytes", "a log line")
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            stats.bad_line(number, f"invalid UTF-8 at byte {exc.start + 1}", "UTF-8 text")
            continue
        yield number, text.rstrip("\r\n")


def open_log(path: Path) -> BinaryIO:
    """Open a log for streaming, with a clear error when it cannot be read."""
    try:
        return path.open("rb")
    except OSError as exc:
        raise InvalidInputError.single(path, f"cannot read file ({exc.strerror or exc})",
                                       "an existing, readable log file") from exc
