"""Indented JSON of a document holding one long list, written in pieces.

A scan's JSON report and its SARIF log hold 10^4–10^5 findings or results. Serialised whole, the
objects and the text of all of them are held at once; written in pieces, only a thousand are.
The pieces join to exactly what serialising the whole document gives: the text around the list
comes from the document with a marker in the list's place, and each piece of the list from a
document holding only that piece at the same depth (so indented as in the whole).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

ITEMS_PER_PIECE = 1024
_MARKER = "\ue000items"  # a private-use character: no other string of a report is this


def list_in_pieces(document: Callable[[list[Any]], Any], path: Sequence[str | int],
                   items: Iterable[Any], count: int, dumps: Callable[[Any], bytes]
                   ) -> Iterator[bytes]:
    """``dumps(document(list(items)))`` in pieces, byte for byte.

    ``document(values)`` is the document with ``values`` as the list found at ``path`` (keys and
    list places from the top; the list's place in its own list does not matter to the text);
    ``count`` is the number of ``items``; ``dumps`` serialises with indentation. When some other
    string of the document is the marker, the document is serialised whole."""
    if not count:
        yield dumps(document([]))
        return
    marker = dumps(_MARKER)
    head, found, tail = dumps(document([_MARKER])).partition(marker)
    if not found or marker in tail:
        yield dumps(document(list(items)))
        return
    separator = b",\n" + head[head.rindex(b"\n") + 1:]  # between items, indented as there
    around_head, _, around_tail = dumps(_nested(path, [_MARKER])).partition(marker)
    yield head
    chunk: list[Any] = []
    for number, item in enumerate(items, 1):
        chunk.append(item)
        if len(chunk) == ITEMS_PER_PIECE or number == count:
            text = dumps(_nested(path, chunk))
            assert text.startswith(around_head) and text.endswith(around_tail)
            yield ((separator if number > len(chunk) else b"")
                   + text[len(around_head):len(text) - len(around_tail)])
            chunk = []
    yield tail


def _nested(path: Sequence[str | int], values: list[Any]) -> Any:
    """``values`` alone at ``path``: as deep, so as indented, as in the whole document."""
    nested: Any = values
    for step in reversed(path):
        nested = [nested] if isinstance(step, int) else {step: nested}
    return nested
