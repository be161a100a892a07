"""EAR Country Groups (15 CFR Part 740 Supp. 1) and matching export-control destinations.

Catalogue export controls name their destinations as Country Groups (``"D:1"``, ``"D:4"``,
``"D:5"``), ISO codes (``"MO"``), or ``"*"`` (anywhere: the General Prohibition 10 convention for
Ascend 910B/C/D). This module expands them against a country, with the group's citation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from stackrift.catalog.model import EU_MEMBERS, ExportControl
from stackrift.findings import Citation


@dataclass(frozen=True)
class CountryGroup:
    """One EAR Country Group with its members (ISO alpha-2) and source."""

    id: str
    title: str
    members: frozenset[str]
    unverified_members: frozenset[str]
    citation: Citation

    def contains(self, country: str) -> bool:
        return country in self.members or country in self.unverified_members


def country_groups() -> dict[str, CountryGroup]:
    """The Country Groups of the active knowledge set, keyed by id (``"D:1"``…)."""
    from stackrift.knowledge.sets import knowledge_path

    return load_country_groups(knowledge_path("plan/data") / "country_groups.yaml")


@cache
def load_country_groups(path: Path) -> dict[str, CountryGroup]:
    """Country Groups from one file, keyed by id (read once per process and file)."""
    text = path.read_text("utf-8")
    raw: dict[str, Any] = yaml.safe_load(text)
    groups = {}
    for item in raw["groups"]:
        groups[item["id"]] = CountryGroup(
            id=item["id"], title=item["title"], members=frozenset(item["members"]),
            unverified_members=frozenset(item.get("unverified_members") or ()),
            citation=Citation.model_validate(item["citation"]))
    # Not an EAR group: lets scenarios (e.g. a model licence) name the EU's member states at once.
    groups["EU"] = CountryGroup("EU", "European Union member states", EU_MEMBERS, frozenset(),
                                Citation(source="Treaty on European Union", section="Art 52(1)"))
    return groups


@dataclass(frozen=True)
class DestinationMatch:
    """Why a control's destination list catches a country: the matching entries and sources."""

    entries: tuple[str, ...]
    citations: tuple[Citation, ...]
    anywhere: bool

    def describe(self, country: str) -> str:
        if self.anywhere:
            return "applies wherever the item is used"
        groups = [e for e in self.entries if ":" in e or e == "EU"]
        if groups:
            return f"{country} is in Country Group {', '.join(groups)}"
        return f"{country} is named"


def match_destination(destinations: tuple[str, ...], country: str) -> DestinationMatch | None:
    """The destination entries that cover ``country``; ``None`` when none does."""
    groups = country_groups()
    entries: list[str] = []
    citations: list[Citation] = []
    anywhere = False
    for entry in destinations:
        if entry == "*":
            anywhere = True
            entries.append(entry)
        elif entry in groups:
            if groups[entry].contains(country):
                entries.append(entry)
                citations.append(groups[entry].citation)
        elif entry.upper() == country:
            entries.append(entry)
    if not entries:
        return None
    return DestinationMatch(tuple(entries), tuple(dict.fromkeys(citations)), anywhere)


def control_in_force(control: ExportControl, as_of: date) -> bool:
    """Whether the control's licence requirement is in force on ``as_of``."""
    if control.licence_required_from is not None and as_of < control.licence_required_from:
        return False
    return control.licence_required_until is None or as_of < control.licence_required_until


def is_gp10(control: ExportControl) -> bool:
    """The catalogue's convention for General Prohibition 10 risk (``regime: "EAR GP10"``)."""
    return "GP10" in control.regime.upper().replace(" ", "")


def expand_destinations(destinations: tuple[str, ...]) -> frozenset[str]:
    """Every ISO code a destination list names (``"*"`` is left out: it means anywhere)."""
    groups = country_groups()
    codes: set[str] = set()
    for entry in destinations:
        if entry in groups:
            codes |= groups[entry].members | groups[entry].unverified_members
        elif entry != "*":
            codes.add(entry.upper())
    return frozenset(codes)
