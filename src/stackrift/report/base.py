"""The renderer interface: one module per output format, discovered like analyses."""

from __future__ import annotations

from typing import ClassVar, Protocol

from stackrift.registry import Registry
from stackrift.report.model import Report


class Renderer(Protocol):
    """Turns a report into the bytes of one output format."""

    format: ClassVar[str]  # the value of --format, e.g. "json"
    extension: ClassVar[str]  # file extension without the dot, e.g. "json"

    def render(self, report: Report) -> str:
        """The whole output as text; must be deterministic for the same report."""
        ...


RENDERERS: Registry[type[Renderer]] = Registry("renderer", "stackrift.report",
                                               lambda cls: cls.format,
                                               skip=frozenset({"base", "model", "formats"}))
register = RENDERERS.register


def renderer(name: str) -> Renderer:
    """The renderer for a format name; ``KeyError`` when there is none."""
    return RENDERERS.get(name)()


def formats() -> list[str]:
    return RENDERERS.names()
