"""EAR Country Groups (15 CFR Part 740 Supp. 1) and matching export-control destinations.

Catalogue export controls name their destinations as Country Groups (``"D:1"``, ``"D:4"``,
``"D:5"``), ISO codes (``"MO"``), or ``"*"`` (anywhere: the General Prohibition 10 convention for
Ascend 910B/C/D). This module expands them against a country, with the group's citation.

Membership changes by rule (Cambodia joined D:5 on 2021-12-09 and left it on 2025-11-07). A
group's ``changes`` give dated windows for the countries whose membership changed; given an as-of
date, membership is evaluated on that date. Countries listed in ``members`` without a change
record count as members on every date (their earlier history is not recorded). Without an as-of
date, the current ``members`` list is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from stackrift.catalog.model import EU_MEMBERS, ExportControl
from stackrift.estate.yamlsource import load_yaml_data
from stackrift.findings import Citation


@dataclass(frozen=True)
class MembershipWindow:
    """A dated period during which a country belonged to a group (``until`` exclusive)."""

    country: str
    start: date
    until: date | None
    citation: Citation

    def covers(self, as_of: date) -> bool:
        return self.start <= as_of and (self.until is None or as_of < self.until)


@dataclass(frozen=True)
class CountryGroup:
    """One EAR Country Group with its members (ISO alpha-2), dated changes and source."""

    id: str
    title: str
    members: frozenset[str]
    unverified_members: frozenset[str]
    citation: Citation
    changes: tuple[MembershipWindow, ...] = ()

    def contains(self, country: str, as_of: date | None = None) -> bool:
        """Membership on ``as_of`` (dated changes applied); the current list without a date."""
        windows = [w for w in self.changes if w.country == country]
        if as_of is not None and windows:
            return any(w.covers(as_of) for w in windows)
        return country in self.members or country in self.unverified_members

    def window(self, country: str, as_of: date) -> MembershipWindow | None:
        """The dated window that makes ``country`` a member on ``as_of``, if one does."""
        return next((w for w in self.changes if w.country == country and w.covers(as_of)), None)

    def members_on(self, as_of: date | None = None) -> frozenset[str]:
        """Every member on ``as_of`` (current members without a date)."""
        everyone = self.members | self.unverified_members | {w.country for w in self.changes}
        return frozenset(c for c in everyone if self.contains(c, as_of))


def country_groups() -> dict[str, CountryGroup]:
    """The Country Groups of the active knowledge set, keyed by id (``"D:1"``…)."""
    from stackrift.knowledge.sets import active_knowledge

    return _groups_in(active_knowledge().root)


@cache
def _groups_in(root: Path) -> dict[str, CountryGroup]:
    # Keyed by the knowledge set's folder: planning asks thousands of times per estate.
    return load_country_groups(root / "plan" / "data" / "country_groups.yaml")


@cache
def load_country_groups(path: Path) -> dict[str, CountryGroup]:
    """Country Groups from one file, keyed by id (read once per process and file)."""
    text = path.read_text("utf-8")
    raw: dict[str, Any] = load_yaml_data(text, str(path))
    groups = {}
    for item in raw["groups"]:
        changes = tuple(
            MembershipWindow(country=c["country"], start=c["from"], until=c.get("until"),
                             citation=Citation.model_validate(c["citation"]))
            for c in item.get("changes") or ())
        groups[item["id"]] = CountryGroup(
            id=item["id"], title=item["title"], members=frozenset(item["members"]),
            unverified_members=frozenset(item.get("unverified_members") or ()),
            citation=Citation.model_validate(item["citation"]), changes=changes)
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
    headquarters: str | None = None
    """Set when the match is by the end user's headquarters country, not the site's country."""

    def describe(self, country: str) -> str:
        if self.anywhere:
            return "applies wherever the item is used"
        where = self.headquarters or country
        groups = [e for e in self.entries if ":" in e or e == "EU"]
        text = (f"{where} is in Country Group {', '.join(groups)}" if groups
                else f"{where} is named")
        if self.headquarters is not None:
            return f"the user is headquartered (or has its ultimate parent) in {where}: {text}"
        return text


def covers(entry: str, country: str, as_of: date | None = None) -> bool:
    """Whether one destination entry (a group, an ISO code or ``"*"``) covers ``country``."""
    groups = country_groups()
    if entry == "*":
        return True
    if entry in groups:
        return groups[entry].contains(country, as_of)
    return entry.upper() == country


def match_destination(destinations: tuple[str, ...], country: str,
                      as_of: date | None = None) -> DestinationMatch | None:
    """The destination entries that cover ``country`` (on ``as_of`` when given); ``None`` when
    none does."""
    groups = country_groups()
    key = (id(groups), destinations, country, as_of)  # cached group tables live as long
    if key not in _matches:
        _matches[key] = _match_destination(groups, destinations, country, as_of)
    return _matches[key]


_matches: dict[tuple[int, tuple[str, ...], str, date | None], DestinationMatch | None] = {}


def _match_destination(groups: dict[str, CountryGroup], destinations: tuple[str, ...],
                       country: str, as_of: date | None) -> DestinationMatch | None:
    entries: list[str] = []
    citations: list[Citation] = []
    anywhere = False
    for entry in destinations:
        if entry == "*":
            anywhere = True
            entries.append(entry)
        elif entry in groups:
            group = groups[entry]
            if group.contains(country, as_of):
                entries.append(entry)
                citations.append(group.citation)
                window = group.window(country, as_of) if as_of is not None else None
                if window is not None:
                    citations.append(window.citation)
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


def expand_destinations(destinations: tuple[str, ...],
                        as_of: date | None = None) -> frozenset[str]:
    """Every ISO code a destination list names (``"*"`` is left out: it means anywhere), on
    ``as_of`` when given."""
    groups = country_groups()
    codes: set[str] = set()
    for entry in destinations:
        if entry in groups:
            codes |= groups[entry].members_on(as_of)
        elif entry != "*":
            codes.add(entry.upper())
    return frozenset(codes)
