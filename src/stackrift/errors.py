"""One error hierarchy for the whole library.

Every error a user can cause is a :class:`StackRiftError` carrying a message written for that user
(``FILE:LINE:COL: what is wrong; what was expected``). Only ``stackrift.cli.entry``
turns errors into exit codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Location:
    """A place in an input file (1-based line and column; 0 when unknown)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column or 1}"
        return self.file


def text_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, column) of byte ``offset`` in ``data`` (columns counted in bytes)."""
    return data.count(b"\n", 0, offset) + 1, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where, what, and what was expected instead."""

    location: Location
    message: str
    expected: str = ""

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        return f"{text}; {self.expected}" if self.expected else text


class StackRiftError(Exception):
    """Base of every error the library raises on purpose."""

    def diagnostics(self) -> list[str]:
        """Lines of advice for the person reading the error."""
        return [str(self)]


class InputError(StackRiftError):
    """The user's input (a file, an option) is wrong. The CLI maps this to exit code 2."""


class InvalidInputError(InputError):
    """One or more problems found in an input file; all of them are reported at once."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def diagnostics(self) -> list[str]:
        return [str(p) for p in self.problems]

    @classmethod
    def single(
        cls, path: str | Path, message: str, expected: str = "", line: int = 0, column: int = 0
    ) -> InvalidInputError:
        return cls([Problem(Location(str(path), line, column), message, expected)])


class UsageError(InputError):
    """A command was called with options that do not fit together."""


class StoreError(StackRiftError):
    """The advisory store could not be opened, migrated or written."""


class UnusableStoreError(InputError):
    """An advisory store exists but cannot be used (a newer schema, corrupt, not SQLite).

    Exit code 2, and never replaced by another store: scanning something else instead would
    report a false "clean"."""


def combine(problems: Iterable[Problem]) -> InvalidInputError | None:
    """An :class:`InvalidInputError` for the problems, or ``None`` when there are none."""
    collected = sorted(
        problems, key=lambda p: (p.location.file, p.location.line, p.location.column, p.message)
    )
    return InvalidInputError(collected) if collected else None


def json_syntax_error(path: str | Path, exc: ValueError, message: str, expected: str,
                      error: type[InvalidInputError] = InvalidInputError) -> InvalidInputError:
    """A JSON decoding error (``json``'s or orjson's) as ``error``, located at the line and
    column the decoder names; ``message`` is formatted with the decoder's ``reason``."""
    reason = str(getattr(exc, "msg", "") or "").split(":")[0] or "invalid JSON"
    return error.single(path, message.format(reason=reason), expected,
                        int(getattr(exc, "lineno", 0) or 0), int(getattr(exc, "colno", 0) or 0))
