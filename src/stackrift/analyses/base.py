"""The analysis interface: every analysis takes the estate and a context and returns findings.

A new analysis is one new module in :mod:`stackrift.analyses` that defines a class satisfying
:class:`Analysis` and decorates it with :func:`register`; the pipeline discovers it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from stackrift.findings import Finding

if TYPE_CHECKING:
    from stackrift.catalog.catalogue import Catalogue
    from stackrift.estate.loader import LoadedEstate


@dataclass(frozen=True)
class AnalysisContext:
    """What an analysis may consult besides the estate.

    ``options`` carries per-analysis settings from the command line (e.g. VEX files, rule dirs),
    keyed by analysis name, so adding an analysis never changes this class's shape.
    """

    as_of: date
    catalogue: Catalogue
    advisory_db: Path | None = None
    rules_dirs: tuple[Path, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisResult:
    """Findings plus a summary that renderers show without knowing the analysis.

    ``summary`` is JSON-serialisable. Two keys have a fixed shape that every renderer draws:

    - ``"tables"``: ``[{"title": str, "columns": [str], "rows": [[str | int | float | None]]}]``
    - ``"charts"``: ``[{"kind": "bar", "title": str, "labels": [str],
      "series": [{"name": str, "values": [number]}], "stacked": bool}]`` or
      ``[{"kind": "heatmap", "title": str, "x_labels": [str], "y_labels": [str],
      "values": [[number | None]], "cells": [[str]] (optional text per cell)}]``

    Any other key is analysis-specific data that appears as-is in the JSON output.
    """

    findings: tuple[Finding, ...]
    summary: dict[str, Any] = field(default_factory=dict)


class Analysis(Protocol):
    """One analysis. ``order`` places its section in reports; lower comes first."""

    name: ClassVar[str]
    title: ClassVar[str]
    order: ClassVar[int]

    def run(self, estate: LoadedEstate, context: AnalysisContext) -> AnalysisResult:
        """Analyse the estate; must not modify anything and must be deterministic."""
        ...


A = TypeVar("A", bound=type[Any])
_REGISTRY: dict[str, type[Any]] = {}


def register(cls: A) -> A:
    """Class decorator adding an analysis to the registry under its ``name``."""
    name = cls.name
    if name in _REGISTRY and _REGISTRY[name] is not cls:
        raise RuntimeError(f"two analyses are named {name!r}")
    _REGISTRY[name] = cls
    return cls


def _discover() -> None:
    import stackrift.analyses as package

    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_") and module.name != "base":
            importlib.import_module(f"{package.__name__}.{module.name}")


def registered_analyses() -> list[Analysis]:
    """Instances of every registered analysis, in report order."""
    _discover()
    factories: list[Callable[[], Analysis]] = list(_REGISTRY.values())
    return sorted((f() for f in factories), key=lambda a: (a.order, a.name))
