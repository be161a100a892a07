"""Find the line and column of a JSON path in a document's text (used only to report errors).

A small scanner that descends along one path and skips everything else, so locating an error in a
large document costs one pass over the bytes before it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from stackrift.errors import text_position

_WS = re.compile(rb"[ \t\r\n]*")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(rb"[^,\]}\s]*")


class _LostError(Exception):
    """The text does not have the expected shape (it was parsed elsewhere, so this is rare)."""


def _ws(data: bytes, i: int) -> int:
    match = _WS.match(data, i)
    return match.end() if match else i


def _skip_value(data: bytes, i: int) -> int:
    i = _ws(data, i)
    if i >= len(data):
        raise _LostError
    ch = data[i:i + 1]
    if ch == b'"':
        match = _STRING.match(data, i)
        if not match:
            raise _LostError
        return match.end()
    if ch in (b"{", b"["):
        depth = 0
        while i < len(data):
            ch = data[i:i + 1]
            if ch == b'"':
                match = _STRING.match(data, i)
                if not match:
                    raise _LostError
                i = match.end()
                continue
            if ch in (b"{", b"["):
                depth += 1
            elif ch in (b"}", b"]"):
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise _LostError
    match = _SCALAR.match(data, i)
    return match.end() if match else i + 1


def _descend(data: bytes, i: int, part: str | int) -> int:
    """Offset of the value at ``part`` inside the container starting at ``i``."""
    i = _ws(data, i)
    opening = data[i:i + 1]
    i += 1
    if isinstance(part, int):
        if opening != b"[":
            raise _LostError
        for _ in range(part):
            i = _skip_value(data, i)
            i = _ws(data, i)
            if data[i:i + 1] != b",":
                raise _LostError
            i += 1
        return _ws(data, i)
    if opening != b"{":
        raise _LostError
    while True:
        i = _ws(data, i)
        match = _STRING.match(data, i)
        if not match:
            raise _LostError
        key = match.group()[1:-1].decode("utf-8", "replace")
        i = _ws(data, match.end())
        if data[i:i + 1] != b":":
            raise _LostError
        i = _ws(data, i + 1)
        if key == part:
            return i
        i = _ws(data, _skip_value(data, i))
        if data[i:i + 1] != b",":
            raise _LostError
        i += 1


def locate(data: bytes, path: Sequence[str | int]) -> tuple[int, int]:
    """1-based (line, column) of the value at ``path``; (0, 0) when it cannot be found."""
    try:
        i = _ws(data, 0)
        for part in path:
            i = _descend(data, i, part)
    except (_LostError, IndexError):
        return 0, 0
    return text_position(data, i)
