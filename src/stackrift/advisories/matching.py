"""Version semantics per ecosystem and OSV range evaluation.

PEP 440 for PyPI (``packaging``), SemVer 2.0 for Go/npm/crates.io/NuGet, Maven's
ComparableVersion ordering for Maven, and a generic dotted ordering for anything else. A record
affects a version when the version is listed in ``versions`` or falls in one of its ``ECOSYSTEM``
/``SEMVER`` ranges (OSV schema § "Evaluation"); ``GIT`` ranges need commit history and are not
evaluated against package versions.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any
from urllib.parse import unquote

from packaging.version import InvalidVersion, Version

from stackrift.advisories.model import Affected, Range

# purl type -> OSV ecosystem name
PURL_ECOSYSTEMS = {"pypi": "PyPI", "golang": "Go", "npm": "npm", "maven": "Maven",
                   "cargo": "crates.io", "nuget": "NuGet", "gem": "RubyGems",
                   "composer": "Packagist", "hex": "Hex", "pub": "Pub", "swift": "SwiftURL",
                   "conan": "ConanCenter", "github": "GitHub Actions"}
_CANONICAL = {v.lower(): v for v in PURL_ECOSYSTEMS.values()}
SEMVER_ECOSYSTEMS = frozenset({"Go", "npm", "crates.io", "NuGet", "Hex", "Pub", "SwiftURL"})

_PEP503 = re.compile(r"[-_.]+")


@lru_cache(maxsize=65536)
def normalise_name(ecosystem: str | None, name: str) -> str:
    """Package names as the ecosystem compares them (PEP 503 for PyPI; npm/PyPI are case-blind)."""
    if ecosystem == "PyPI":
        lowered = name.lower()
        if "_" in lowered or "." in lowered or "--" in lowered:
            return _PEP503.sub("-", lowered)
        return lowered
    if ecosystem in ("npm", "NuGet", "Packagist"):
        return name.lower()
    return name


@lru_cache(maxsize=1024)
def ecosystem_key(ecosystem: str | None) -> str | None:
    """The canonical OSV ecosystem name (``PyPI``, ``Go``…) for a name in any case.

    OSV ecosystems may carry a suffix (``Debian:11``); the base name is what matches.
    """
    if not ecosystem:
        return None
    base = ecosystem.split(":", 1)[0]
    return _CANONICAL.get(base.lower(), base)


def parse_purl_identity(purl: str) -> tuple[str, str, str | None] | None:
    """(ecosystem, normalised name, version) from a purl; None if it is not a package purl.

    Not remembered: a scan target parses its purl once (:func:`purl_identity` remembers)."""
    if not purl.startswith("pkg:"):
        return None
    body = purl[4:]
    if "#" in body:  # subpath
        body = body[:body.find("#")]
    if "?" in body:  # qualifiers
        body = body[:body.find("?")]
    version = None
    at = body.rfind("@")
    if at > body.rfind("/"):
        body, version = body[:at], body[at + 1:]
        if "%" in version:
            version = unquote(version)
    parts = body.split("/")
    if "" in parts:  # empty segments (pkg:/pypi//name) are skipped
        parts = [p for p in parts if p]
    if "%" in body:
        parts = [unquote(p) for p in parts]
    if len(parts) < 2:
        return None
    kind = parts[0].lower()
    ecosystem = PURL_ECOSYSTEMS.get(kind, kind)
    if kind == "maven" and len(parts) >= 3:
        name = f"{parts[1]}:{parts[2]}"
    elif kind in ("golang", "npm", "composer", "swift", "github"):
        name = "/".join(parts[1:])
    else:
        name = parts[-1]
    if kind == "golang" and version and version.startswith("v"):
        version = version[1:]
    return ecosystem, normalise_name(ecosystem, name), version


# the same purls asked again and again (VEX statements against each match, versions of
# components without one); bounded, as a large scan's purls come once each
purl_identity = lru_cache(maxsize=16384)(parse_purl_identity)


def cpe_parts(cpe: str) -> tuple[str, str, str | None] | None:
    """(vendor, product, version) from a CPE 2.3 name or a CPE 2.2 URI; None if it is neither.

    ``*`` (any) and ``-`` (not applicable) are no version."""
    text = cpe.strip()
    if text.startswith("cpe:2.3:"):
        parts = re.split(r"(?<!\\):", text)[2:]
    elif text.startswith("cpe:/"):
        parts = text[5:].split(":")
    else:
        return None
    if len(parts) < 3 or not parts[1] or not parts[2]:
        return None
    version = parts[3] if len(parts) > 3 and parts[3] not in ("", "*", "-") else None
    return (unquote(parts[1]).replace("\\", ""), unquote(parts[2]).replace("\\", ""),
            unquote(version).replace("\\", "") if version else None)


def version_of(version: str | None, purl: str | None = None, cpe: str | None = None
               ) -> str | None:
    """A component's version: as declared, else the one inside its purl, else its CPE's."""
    if version:
        return version
    identity = purl_identity(purl) if purl else None
    if identity and identity[2]:
        return identity[2]
    parts = cpe_parts(cpe) if cpe else None
    return parts[2] if parts else None


# -- version keys ----------------------------------------------------------------------------------

class UnparseableVersionError(ValueError):
    """A version string the ecosystem's rules cannot order."""


_SEMVER = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?"
                     r"(?:\+[0-9A-Za-z.-]+)?$")


@lru_cache(maxsize=262144)
def semver_key(text: str) -> tuple[Any, ...]:
    """SemVer 2.0 precedence; missing minor/patch count as 0 and a leading ``v`` is allowed."""
    match = _SEMVER.match(text.strip())
    if not match:
        raise UnparseableVersionError(text)
    major, minor, patch, pre = match.groups()
    core = (int(major), int(minor or 0), int(patch or 0))
    if pre is None:
        return (core, 1, ())
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (core, 0, ids)


_NOT_PEP440: set[str] = set()  # lru_cache keeps no exceptions: refused texts are kept here


@lru_cache(maxsize=262144)
def pep440_key(text: str) -> Version:
    if text in _NOT_PEP440:  # e.g. a commit hash given as a fixed version, asked again
        raise UnparseableVersionError(text)
    try:
        return Version(text)
    except InvalidVersion as exc:
        if len(_NOT_PEP440) < 262144:
            _NOT_PEP440.add(text)
        raise UnparseableVersionError(text) from exc


_MAVEN_QUALIFIERS = {"alpha": 0, "a": 0, "beta": 1, "b": 1, "milestone": 2, "m": 2, "rc": 3,
                     "cr": 3, "snapshot": 4, "": 5, "ga": 5, "final": 5, "release": 5, "sp": 6}
_TOKENS = re.compile(r"\d+|[A-Za-z]+")


_NULL = (1, 5, "")  # what a missing item compares as: the plain release


class MavenVersion:
    """Maven ComparableVersion order: items compared pairwise, a missing item counting as the
    release (so ``1.0-rc1 < 1.0 < 1.0-sp1 < 1.0.1``), zeros before a qualifier dropped."""

    __slots__ = ("items",)

    def __init__(self, items: tuple[tuple[int, int, str], ...]) -> None:
        self.items = items

    def _padded(self, other: MavenVersion) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        size = max(len(self.items), len(other.items))
        return (self.items + (_NULL,) * (size - len(self.items)),
                other.items + (_NULL,) * (size - len(other.items)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MavenVersion):
            return NotImplemented
        mine, theirs = self._padded(other)
        return mine == theirs

    def __hash__(self) -> int:
        return hash(self.items)

    def __lt__(self, other: MavenVersion) -> bool:
        mine, theirs = self._padded(other)
        return mine < theirs

    def __le__(self, other: MavenVersion) -> bool:
        return self == other or self < other

    def __gt__(self, other: MavenVersion) -> bool:
        return other < self

    def __ge__(self, other: MavenVersion) -> bool:
        return other <= self


def maven_key(text: str) -> MavenVersion:
    """Maven ComparableVersion ordering (numbers numerically, known qualifiers ranked)."""
    tokens = _TOKENS.findall(text.lower())
    if not tokens:
        raise UnparseableVersionError(text)
    key: list[tuple[int, int, str]] = []
    for token in tokens:
        if token.isdigit():
            key.append((2, int(token), ""))
            continue
        while key and key[-1] == (2, 0, ""):
            key.pop()  # 1.0-rc1 is 1-rc1
        if token in _MAVEN_QUALIFIERS:
            key.append((1, _MAVEN_QUALIFIERS[token], ""))
        else:
            key.append((1, 5, token))  # unknown qualifiers sort after release, lexically
    while key and key[-1] in ((2, 0, ""), _NULL):
        key.pop()  # 1.0 == 1.0.0 == 1.0-ga
    return MavenVersion(tuple(key))


def generic_key(text: str) -> tuple[Any, ...]:
    tokens = _TOKENS.findall(text)
    if not tokens:
        raise UnparseableVersionError(text)
    return tuple((1, int(t), "") if t.isdigit() else (0, 0, t) for t in tokens)


@lru_cache(maxsize=64)
def key_function(ecosystem: str | None, range_type: str = "ECOSYSTEM") -> Callable[[str], Any]:
    """The ordering for versions of ``ecosystem`` (SEMVER ranges always use SemVer)."""
    eco = ecosystem_key(ecosystem)
    if range_type == "SEMVER" or eco in SEMVER_ECOSYSTEMS:
        return semver_key
    if eco == "PyPI":
        return pep440_key
    if eco == "Maven":
        return maven_key
    return generic_key


# -- evaluation ------------------------------------------------------------------------------------

_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2, "limit": 3}


def in_range(version: str, rng: Range, ecosystem: str | None) -> bool | None:
    """Whether ``version`` falls in an OSV range; None when it cannot be decided (GIT range or
    an unparseable version).

    Follows the OSV schema's evaluation: events sorted by version, ``introduced: 0`` is the
    lowest version, ``fixed`` and ``limit`` exclude their version, ``last_affected`` includes it.
    Walking the sorted events, the last one at or below the version decides, so only the
    greatest such event (ties ordered introduced < last_affected < fixed) is looked for.
    """
    if rng.type == "GIT":
        return None
    key = key_function(ecosystem, rng.type)
    try:
        target = key(version)
    except UnparseableVersionError:
        return None
    affected = False  # before any event: not affected
    deciding: tuple[Any, int] | None = None
    limits: list[Any] = []
    try:
        for kind, at in rng.events:
            if kind == "limit":
                if at != "*":
                    limits.append(key(at))
                continue
            if kind == "introduced" and at == "0":
                affected = True  # the lowest version: sorts before every other event
                continue
            point = key(at)
            # events above the version change nothing; last_affected only excludes above it
            if point < target or (point == target and kind != "last_affected"):
                rank = _ORDER[kind]
                if deciding is None or (point, rank) > deciding:
                    deciding = (point, rank)
    except UnparseableVersionError:
        return None
    if deciding is not None:
        affected = deciding[1] == _ORDER["introduced"]
    if affected and limits and not any(target < limit for limit in limits):
        return False
    return affected


def affects(affected: Affected, version: str, ecosystem: str | None = None) -> bool | None:
    """Whether an affected entry covers ``version``: listed, or in a range.

    True when listed or in any range; False when ranges were evaluated and none matched;
    None when nothing could be decided (no ranges, or versions the rules cannot order).
    """
    if version in affected.versions:
        return True
    eco = ecosystem or affected.ecosystem
    decided = False
    for rng in affected.ranges:
        result = in_range(version, rng, eco)
        if result:
            return True
        if result is False:
            decided = True
    if eco == "PyPI" and affected.versions and _pep440_listed(version, affected.versions):
        return True
    if decided or affected.versions:
        return False
    return None


def _pep440_listed(version: str, versions: tuple[str, ...]) -> bool:
    """PEP 440 equality (1.0 == 1.0.0) for listed versions."""
    return _pep440_in_index(version, _listed_by_numbers(versions))


def _pep440_in_index(version: str, index: dict[tuple[int, ...], tuple[str, ...]]) -> bool:
    """:func:`_pep440_listed` with the list's :func:`_listed_by_numbers` index given."""
    candidates = index.get(_nonzero_numbers(version))
    if not candidates:
        return False
    try:
        target = pep440_key(version)
    except UnparseableVersionError:
        return False
    for listed in candidates:
        try:
            if pep440_key(listed) == target:
                return True
        except UnparseableVersionError:
            continue
    return False


def _pep440_equals(version: str, key: Version) -> bool:
    """Whether ``version`` is PEP 440 equal to the version whose key is ``key``."""
    try:
        return pep440_key(version) == key
    except UnparseableVersionError:
        return False


_DIGITS = re.compile(r"\d+")


@lru_cache(maxsize=65536)  # bounded: a large scan meets many versions once
def _nonzero_numbers(version: str) -> tuple[int, ...]:
    """The non-zero numbers of a version, in order.

    Equal PEP 440 versions have the same ones: zero padding (1.0 / 1.0.0), implicit zeros
    (1.0a / 1.0a0), leading zeros, a "v" and spelling variants (-1 / .post1, c / rc) change only
    zeros and letters. So only listed versions with the same numbers need parsing."""
    return tuple(n for digits in _DIGITS.findall(version) if (n := int(digits)))


def _index_listed(versions: tuple[str, ...]) -> dict[tuple[int, ...], tuple[str, ...]]:
    """A versions list indexed by :func:`_nonzero_numbers`."""
    index: dict[tuple[int, ...], list[str]] = {}
    for listed in versions:
        index.setdefault(_nonzero_numbers(listed), []).append(listed)
    return {numbers: tuple(found) for numbers, found in index.items()}


# built once per list: a scan asks the same record's list about many versions of its package,
# and records of one vulnerability (GHSA, PYSEC) often list the same versions; bounded, as it
# keeps the lists it holds alive
_listed_by_numbers = lru_cache(maxsize=1024)(_index_listed)


def forget_listed_indexes() -> None:
    """Drop the remembered list indexes: each keeps its list, and so the record's version
    strings, alive (a matcher calls this as it lets a batch of packages' records go)."""
    _listed_by_numbers.cache_clear()


def fixed_versions(affected: Affected) -> tuple[str, ...]:
    """Versions where a range is fixed (what to upgrade to), deduplicated in order."""
    return tuple(dict.fromkeys(e.version for r in affected.ranges for e in r.events
                               if e.kind == "fixed"))


# -- entries prepared for deciding many versions ---------------------------------------------------

class PreparedRange:
    """An OSV range with its event versions parsed once, for deciding many versions: what
    :func:`in_range` says of each (a scan asks a package's records about every version of the
    package that it meets)."""

    __slots__ = ("key", "limits", "opened", "points", "undecidable")

    def __init__(self, rng: Range, ecosystem: str | None) -> None:
        self.key = key_function(ecosystem, rng.type)
        # a GIT range or an event version the rules cannot order: never decided
        self.undecidable = rng.type == "GIT"
        self.opened = False  # introduced: 0, the lowest version
        # (version, rank, whether last_affected), greatest first: the first at or below the
        # version (last_affected only below) is the greatest such event, which decides
        points: list[tuple[Any, int, bool]] = []
        limits: list[Any] = []
        if not self.undecidable:
            try:
                for kind, at in rng.events:
                    if kind == "limit":
                        if at != "*":
                            limits.append(self.key(at))
                        continue
                    if kind == "introduced" and at == "0":
                        self.opened = True
                        continue
                    points.append((self.key(at), _ORDER[kind], kind == "last_affected"))
            except UnparseableVersionError:
                self.undecidable = True
        points.sort(key=lambda point: (point[0], point[1]), reverse=True)
        self.points = tuple(points)
        self.limits = tuple(limits)

    def contains(self, version: str) -> bool | None:
        """:func:`in_range` of this range."""
        if self.undecidable:
            return None
        try:
            target = self.key(version)
        except UnparseableVersionError:
            return None
        affected = self.opened
        for point, rank, last_affected in self.points:
            if point < target or (point == target and not last_affected):
                affected = rank == _INTRODUCED
                break
        if affected and self.limits and not any(target < limit for limit in self.limits):
            return False
        return affected

    def split(self, versions: VersionSet) -> tuple[list[str], list[str]] | None:
        """:meth:`contains` of every version of ``versions`` at once: those in the range and
        those not (a version the ordering refuses is in neither); None when undecidable.

        The event deciding a version is the greatest (version, rank) at or below it
        (``last_affected`` only below), so each event decides from one place in the ordered
        versions on, found by bisection: the cost grows with the events, not the versions."""
        if self.undecidable:
            return None
        keys, names = versions.ordered(self.key)
        # (where the event starts to count, its place in ascending (version, rank), its rank)
        starts = sorted((bisect_right(keys, point) if last_affected else bisect_left(keys, point),
                         place, rank)
                        for place, (point, rank, last_affected) in enumerate(reversed(self.points)))
        cut = bisect_left(keys, max(self.limits)) if self.limits else len(keys)
        inside: list[str] = []
        outside: list[str] = []
        deciding, affected, begin = -1, self.opened, 0
        for start, place, rank in starts:
            if start > begin:
                _divide(names, begin, start, affected, cut, inside, outside)
                begin = start
            if place > deciding:
                deciding, affected = place, rank == _INTRODUCED
        _divide(names, begin, len(names), affected, cut, inside, outside)
        return inside, outside


def _divide(names: list[str], begin: int, end: int, affected: bool, cut: int,
            inside: list[str], outside: list[str]) -> None:
    """Versions ``names[begin:end]`` into ``inside`` when affected, but only below ``cut`` (at
    or above every ``limit`` a version is outside), else into ``outside``."""
    if end <= begin:
        return
    if not affected:
        outside.extend(names[begin:end])
        return
    below = min(end, max(begin, cut))
    inside.extend(names[begin:below])
    outside.extend(names[below:end])


class VersionSet:
    """The distinct versions of one package that a scan asks about, ordered once per ordering,
    so that each record of the package is decided for all of them at once
    (:meth:`PreparedEntry.split`)."""

    __slots__ = ("_by_digits", "_orders", "versions")

    def __init__(self, versions: Iterable[str]) -> None:
        self.versions = set(versions)  # read only
        self._orders: dict[Callable[[str], Any], tuple[list[Any], list[str]]] = {}
        self._by_digits: dict[bytes, list[str]] | None = None

    def ordered(self, key: Callable[[str], Any]) -> tuple[list[Any], list[str]]:
        """The versions ``key`` accepts, ascending: their keys and the versions."""
        found = self._orders.get(key)
        if found is None:
            pairs = []
            for version in self.versions:
                try:
                    pairs.append((key(version), version))
                except UnparseableVersionError:
                    continue
            pairs.sort(key=_KEY_OF_PAIR)
            found = self._orders[key] = ([k for k, _ in pairs], [v for _, v in pairs])
        return found

    def by_digits(self) -> dict[bytes, list[str]]:
        """The versions by their :func:`nonzero_digits`."""
        if self._by_digits is None:
            found: dict[bytes, list[str]] = {}
            for version in self.versions:
                found.setdefault(digits_of(version), []).append(version)
            self._by_digits = found
        return self._by_digits


# bytes deleted to leave the digits 1-9 (of a list: those and the newlines between versions)
_NOT_DIGIT = bytes(b for b in range(256) if b not in b"123456789")
_NOT_NONZERO_DIGIT = bytes(b for b in range(256) if b not in b"123456789\n")


def digits_of(version: str) -> bytes:
    """One version's :func:`nonzero_digits`."""
    return version.encode("utf-8", "surrogatepass").translate(None, _NOT_DIGIT)


def nonzero_digits(versions: Sequence[str]) -> list[bytes]:
    """Each version's ASCII digits 1-9, in order, worked out for the whole list at once (in C:
    a PyPI record lists every affected version, often hundreds).

    Equal :func:`_nonzero_numbers` give equal digits (they are those numbers' digits without
    their zeros), so PEP 440 equal versions, whose digits are ASCII, have equal ones. A list in
    which a version holds a newline gives one entry too many: callers check the length."""
    joined = "\n".join(versions).encode("utf-8", "surrogatepass")
    return joined.translate(None, _NOT_NONZERO_DIGIT).split(b"\n")


_KEY_OF_PAIR = itemgetter(0)
_INTRODUCED = _ORDER["introduced"]


class PreparedEntry:
    """An affected entry prepared for deciding many versions of one ecosystem: what
    :func:`affects` says, with its listed versions indexed and its ranges prepared once."""

    __slots__ = ("fixed", "fixed_keys", "index", "listed", "order", "pep440", "ranges",
                 "versions")

    def __init__(self, affected: Affected, ecosystem: str | None) -> None:
        eco = ecosystem or affected.ecosystem
        self.order = key_function(eco)
        # listed versions as a set, built when a version is first asked alone (:meth:`affects`;
        # :meth:`split` needs none)
        self.versions: frozenset[str] | None = None
        self.listed = affected.versions
        # PEP 440 equality (1.0 == 1.0.0) of listed versions, by their non-zero numbers: the
        # index is built when first needed (most versions asked are listed as written)
        self.pep440 = eco == "PyPI" and bool(affected.versions)
        self.index: dict[tuple[int, ...], tuple[str, ...]] | None = None
        self.ranges = tuple(PreparedRange(rng, eco) for rng in affected.ranges)
        self.fixed = fixed_versions(affected)
        fixed_keys = []
        for fixed in self.fixed:
            try:
                fixed_keys.append((fixed, self.order(fixed)))
            except UnparseableVersionError:
                continue  # never after any version
        self.fixed_keys = tuple(fixed_keys)

    def _listed_index(self) -> dict[tuple[int, ...], tuple[str, ...]]:
        """The listed versions by their non-zero numbers, built when first needed."""
        if self.index is None:
            self.index = _listed_by_numbers(self.listed)
        return self.index

    def fixed_after(self, version: str) -> list[str]:
        """The fixed versions after ``version`` in the ecosystem's order (what to upgrade to)."""
        if not self.fixed_keys:
            return []
        try:
            current = self.order(version)
        except UnparseableVersionError:
            return []
        return [fixed for fixed, key in self.fixed_keys if key > current]

    def affects(self, version: str) -> bool | None:
        """:func:`affects` of this entry."""
        listed = self.versions
        if listed is None:
            listed = self.versions = frozenset(self.listed)
        if version in listed:
            return True
        decided = False
        for rng in self.ranges:
            result = rng.contains(version)
            if result:
                return True
            if result is False:
                decided = True
        if self.pep440 and _pep440_in_index(version, self._listed_index()):
            return True
        if decided or self.listed:
            return False
        return None

    def _add_respelled(self, versions: VersionSet, affected: set[str]) -> None:
        """Add to ``affected`` the versions listed under another spelling (1.0 == 1.0.0).

        Only listed versions with a version's :func:`nonzero_digits` can equal it, found for the
        whole list at once; most lists hold none, and the rest hold a few."""
        digits = nonzero_digits(self.listed)
        if len(digits) != len(self.listed):  # a newline in a listed version: one at a time
            digits = [digits_of(listed) for listed in self.listed]
        wanted = versions.by_digits()
        for found, listed in zip(digits, self.listed, strict=True):
            if found not in wanted:
                continue
            try:
                key = pep440_key(listed)
            except UnparseableVersionError:
                continue
            for version in wanted[found]:
                if version not in affected and _pep440_equals(version, key):
                    affected.add(version)

    def split(self, versions: VersionSet) -> tuple[set[str], set[str]]:
        """:meth:`affects` of every version of ``versions`` at once: the affected ones, and
        those decided not affected (the rest are undecided)."""
        affected = versions.versions.intersection(self.listed)
        decided: set[str] = set()
        for rng in self.ranges:
            found = rng.split(versions)
            if found is not None:
                affected.update(found[0])
                decided.update(found[1])
        if self.pep440 and len(affected) < len(versions.versions):
            self._add_respelled(versions, affected)
        if self.listed:
            return affected, versions.versions - affected
        decided -= affected
        return affected, decided
