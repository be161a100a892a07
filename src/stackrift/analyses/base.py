"""The analysis interface: every analysis takes the estate and a context and returns findings.

A new analysis is one new module in :mod:`stackrift.analyses` that defines a class satisfying
:class:`Analysis` and decorates it with :func:`register`; the pipeline discovers it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from stackrift.advisories.sources import AdvisorySource, StoreAtPath
from stackrift.findings import Finding
from stackrift.registry import Registry

if TYPE_CHECKING:
    from collections.abc import Sequence

    from stackrift.catalog.catalogue import Catalogue
    from stackrift.estate.loader import LoadedEstate
    from stackrift.rules.loader import RuleSet

OptionsT = TypeVar("OptionsT")


@dataclass(frozen=True, kw_only=True)
class AnalysisContext:
    """The services and settings an analysis may consult besides the estate.

    ``advisories`` lends an advisory reader (by default the default store, opened fail closed
    when an analysis first asks); ``rules`` is the rule set (``None``: the packaged packs);
    ``options`` holds one frozen options record per analysis that takes any, found by type with
    :meth:`options_for`, so adding an analysis never changes this class's shape.
    """

    as_of: date
    catalogue: Catalogue
    advisories: AdvisorySource = field(default_factory=StoreAtPath)
    rules: RuleSet | None = None
    options: tuple[object, ...] = ()

    @classmethod
    def default(cls, as_of: date, *, catalogue: Catalogue | None = None,
                db: Path | str | None = None, rules_dirs: Sequence[Path] = (),
                options: Sequence[object] = ()) -> AnalysisContext:
        """The usual context: the packaged (or given) catalogue, the store at ``db`` or the
        default one, the packaged rule packs plus those in ``rules_dirs`` (loaded now, so a bad
        pack is refused before any analysis runs)."""
        from stackrift.catalog.catalogue import load_catalogue

        rules = None
        if rules_dirs:
            from stackrift.rules.engine import load_rule_set

            rules = load_rule_set(tuple(rules_dirs))
        return cls(as_of=as_of, catalogue=catalogue or load_catalogue(),
                   advisories=StoreAtPath(db), rules=rules, options=tuple(options))

    def rule_set(self) -> RuleSet:
        """The rule set to apply: the given one, else the packaged packs."""
        if self.rules is not None:
            return self.rules
        from stackrift.rules.engine import load_rule_set

        return load_rule_set(())

    def options_for(self, kind: type[OptionsT]) -> OptionsT:
        """The options record of one type, else its defaults."""
        for option in self.options:
            if isinstance(option, kind):
                return option
        return kind()


@dataclass(frozen=True)
class AnalysisResult:
    """Findings plus a summary that renderers show without knowing the analysis.

    ``summary`` is JSON-serialisable. Two keys have a fixed shape that every renderer draws, built
    from the typed models of :mod:`stackrift.summaries` (``Table``, ``BarChart``, ``Heatmap``)
    with :func:`~stackrift.summaries.summary_json`:

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


ANALYSES: Registry[type[Analysis]] = Registry("analysis", "stackrift.analyses",
                                               lambda cls: cls.name)
register = ANALYSES.register


def registered_analyses() -> list[Analysis]:
    """Instances of every registered analysis, in report order."""
    return sorted((cls() for cls in ANALYSES.discover().values()),
                  key=lambda a: (a.order, a.name))
