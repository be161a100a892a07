"""The renderer interface: one module per output format, discovered like analyses."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, ClassVar, Protocol, TypeVar

from stackrift.report.model import Report


class Renderer(Protocol):
    """Turns a report into the bytes of one output format."""

    format: ClassVar[str]  # the value of --format, e.g. "json"
    extension: ClassVar[str]  # file extension without the dot, e.g. "json"

    def render(self, report: Report) -> str:
        """The whole output as text; must be deterministic for the same report."""
        ...


R = TypeVar("R", bound=type[Any])
_RENDERERS: dict[str, type[Any]] = {}


def register(cls: R) -> R:
    """Class decorator adding a renderer under its ``format`` name."""
    _RENDERERS[cls.format] = cls
    return cls


def _discover() -> None:
    import stackrift.report as package

    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_") and module.name not in {"base", "model"}:
            importlib.import_module(f"{package.__name__}.{module.name}")


def renderer(name: str) -> Renderer:
    """The renderer for a format name; ``KeyError`` when there is none."""
    _discover()
    instance: Renderer = _RENDERERS[name]()
    return instance


def formats() -> list[str]:
    _discover()
    return sorted(_RENDERERS)
