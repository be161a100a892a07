"""Indicators from STIX bundles, matched against local logs as they stream past.

Simple patterns (``[ipv4-addr:value = '…']``, CIDRs with ``ISSUBSET``, domains, URLs, e-mail
addresses, file hashes) and observables become set look-ups: a log line costs a few dictionary
probes whatever the number of indicators. Any other pattern is checked by stix2-patterns'
validator and matcher, after limits that keep a hostile pattern cheap (length, nesting depth,
``REPEATS`` count, number of such patterns).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from stackrift.errors import InvalidInputError
from stackrift.intel.model import Caveat
from stackrift.intel.telemetry import Event, ReadStats

MAX_PATTERN = 4_096
MAX_NESTING = 16
MAX_REPEATS = 100
MAX_COMPLEX = 1_000
_SIMPLE = re.compile(
    r"^\[\s*(ipv4-addr|ipv6-addr|domain-name|url|email-addr):value\s*(=|ISSUBSET)\s*"
    r"'((?:[^'\\]|\\.)*)'\s*\]$")
_HASH = re.compile(r"^\[\s*file:hashes\.(?:'(SHA-256|SHA-1|MD5)'|(SHA256|SHA1|MD5))\s*=\s*"
                   r"'([0-9A-Fa-f]{32,128})'\s*\]$")
_REPEATS = re.compile(r"REPEATS\s+(\d+)\s+TIMES", re.IGNORECASE)
_KIND_OF_TYPE = {"ipv4-addr": "ip", "ipv6-addr": "ip", "domain-name": "domain", "url": "url",
                 "email-addr": "email"}
_KIND = itemgetter(0)  # of an observable (kind, value)


@dataclass
class IndicatorSet:
    """Indicators by kind: exact values, CIDR networks, and checked complex patterns."""

    exact: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    networks: dict[tuple[int, int], dict[int, list[str]]] = field(default_factory=dict)
    """(IP version, prefix length) -> network number -> indicator ids."""
    complex: list[tuple[str, Any]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    caveats: list[Caveat] = field(default_factory=list)

    def add_exact(self, kind: str, value: str, indicator_id: str) -> None:
        self.exact.setdefault((kind, normalise(kind, value)), []).append(indicator_id)

    def kinds(self) -> set[str]:
        """The kinds of value (``ip``, ``domain``, ``hash``…) the exact and network indicators
        name; complex patterns, which may name several, are not included."""
        return {kind for kind, _value in self.exact} | ({"ip"} if self.networks else set())

    def ids_of(self, kind: str) -> list[str]:
        """The ids of the exact and network indicators naming a ``kind`` of value (sorted)."""
        found = {i for (named, _value), ids in self.exact.items() if named == kind for i in ids}
        if kind == "ip":
            found.update(i for table in self.networks.values() for ids in table.values()
                         for i in ids)
        return sorted(found)

    def add_network(self, cidr: str, indicator_id: str) -> None:
        network = ipaddress.ip_network(cidr, strict=False)
        bits = network.max_prefixlen
        key = (network.version, network.prefixlen)
        number = int(network.network_address) >> (bits - network.prefixlen)
        self.networks.setdefault(key, {}).setdefault(number, []).append(indicator_id)


def normalise(kind: str, value: str) -> str:
    """Compare domains, hashes and e-mail addresses case-insensitively, domains without a dot
    at the end; IPv6 addresses in their canonical form; URLs as written apart from scheme and
    host case."""
    if kind in ("domain", "hash", "email"):
        return value.lower().rstrip(".")
    if kind == "ip" and ":" in value:  # IPv6 has many spellings (Suricata writes it in full)
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            return value
    if kind == "url" and "://" in value:
        scheme, rest = value.split("://", 1)
        host, _, path = rest.partition("/")
        return f"{scheme.lower()}://{host.lower()}" + (f"/{path}" if path or "/" in rest else "")
    return value


def check_complex(pattern: str, where: str) -> Any:
    """A compiled stix2-patterns pattern, after the limits on hostile input; errors name it."""
    if len(pattern) > MAX_PATTERN:
        raise InvalidInputError.single(where, f"pattern of {len(pattern):,} characters",
                                       f"at most {MAX_PATTERN:,}")
    depth = deepest = 0
    for char in pattern:
        depth += 1 if char in "([" else (-1 if char in ")]" else 0)
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        raise InvalidInputError.single(where, f"pattern nests {deepest} levels deep",
                                       f"at most {MAX_NESTING}")
    for count in _REPEATS.findall(pattern):
        if int(count) > MAX_REPEATS:
            raise InvalidInputError.single(where, f"pattern repeats {count} times",
                                           f"REPEATS at most {MAX_REPEATS}")
    from stix2matcher.matcher import Pattern
    from stix2patterns.validator import run_validator

    if not pattern.strip():
        raise InvalidInputError.single(where, "empty STIX pattern", "a STIX 2.1 pattern")
    try:
        errors = run_validator(pattern, stix_version="2.1")
    except Exception as exc:  # the validator's own failures on odd input (a library bug)
        errors = [f"the pattern validator failed on it ({type(exc).__name__})"]
    if errors:
        raise InvalidInputError.single(where, f"invalid STIX pattern: {errors[0]}",
                                       "a STIX 2.1 pattern")
    return Pattern(pattern, stix_version="2.1")


def _add_pattern(found: IndicatorSet, obj: dict[str, Any], where: str) -> None:
    pattern = obj.get("pattern")
    if obj.get("pattern_type", "stix") != "stix" or not isinstance(pattern, str):
        found.caveats.append(Caveat(obj["id"], f"pattern type {obj.get('pattern_type')!r} is "
                                    "not matched"))
        return
    simple = _SIMPLE.match(pattern.strip())
    if simple:
        stix_type, operator, value = simple.groups()
        value = value.replace("\\'", "'").replace("\\\\", "\\")
        if stix_type.startswith("ipv") and (operator == "ISSUBSET" or "/" in value):
            found.add_network(value, obj["id"])
        else:
            found.add_exact(_KIND_OF_TYPE[stix_type], value, obj["id"])
        return
    hashed = _HASH.match(pattern.strip())
    if hashed:
        found.add_exact("hash", hashed.group(3), obj["id"])
        return
    if len(found.complex) >= MAX_COMPLEX:
        raise InvalidInputError.single(where, f"more than {MAX_COMPLEX:,} indicators need the "
                                       "full pattern matcher", "simple equality patterns")
    found.complex.append((obj["id"], check_complex(pattern, f"{where}: {obj['id']}")))


def _add_observable(found: IndicatorSet, obj: dict[str, Any]) -> None:
    kind = _KIND_OF_TYPE.get(obj["type"])
    if kind and isinstance(obj.get("value"), str):
        if kind == "ip" and "/" in obj["value"]:
            found.add_network(obj["value"], obj["id"])
        else:
            found.add_exact(kind, obj["value"], obj["id"])
    elif obj["type"] == "file" and isinstance(obj.get("hashes"), dict):
        for value in obj["hashes"].values():
            if isinstance(value, str):
                found.add_exact("hash", value, obj["id"])


def indicators_from(bundles: Iterable[tuple[str, dict[str, Any]]]) -> IndicatorSet:
    """Indicators and observables of partner bundles (name, bundle)."""
    found = IndicatorSet()
    for where, bundle in bundles:
        for obj in bundle.get("objects", []):
            before = len(found.exact) + len(found.networks) + len(found.complex)
            try:
                if obj["type"] == "indicator":
                    _add_pattern(found, obj, where)
                else:
                    _add_observable(found, obj)
            except ValueError as exc:
                raise InvalidInputError.single(where, f"{obj['id']}: {exc}",
                                               "a valid address or network") from None
            if obj["type"] == "indicator" or len(found.exact) + len(found.networks) + len(
                    found.complex) != before:
                found.ids.append(obj["id"])
                found.names[obj["id"]] = str(obj.get("name") or obj.get("value") or obj["id"])
    return found


def _ip_number(value: str) -> tuple[int, int] | None:
    try:
        return 4, int.from_bytes(socket.inet_pton(socket.AF_INET, value), "big")
    except OSError:
        pass
    try:
        return 6, int.from_bytes(socket.inet_pton(socket.AF_INET6, value), "big")
    except OSError:
        return None


def _domain_suffixes(domain: str) -> list[str]:
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)] or [domain]


@dataclass
class MatchResult:
    """Counts per indicator over the logs read, and what the reading saw."""

    counts: Counter[str] = field(default_factory=Counter)
    files: list[ReadStats] = field(default_factory=list)
    caveats: list[Caveat] = field(default_factory=list)

    @property
    def unreadable(self) -> int:
        return sum(f.unreadable for f in self.files)


_OBSERVED_TYPES = {"ip": "ipv4-addr", "domain": "domain-name", "url": "url",
                   "email": "email-addr"}


def _observed(event: Event) -> list[dict[str, Any]]:
    """The event as the STIX 2.1 bundle stix2-matcher reads: one observed-data and its SCOs."""
    scos: list[dict[str, Any]] = []
    for index, (kind, value) in enumerate(event.observables):
        sco_id = f"--00000000-0000-4000-8000-{index:012d}"
        if kind in _OBSERVED_TYPES:
            stix_type = "ipv6-addr" if kind == "ip" and ":" in value else _OBSERVED_TYPES[kind]
            scos.append({"type": stix_type, "id": stix_type + sco_id, "value": value})
        elif kind == "hash":
            algorithm = {32: "MD5", 40: "SHA-1", 64: "SHA-256"}.get(len(value), "SHA-256")
            scos.append({"type": "file", "id": "file" + sco_id, "hashes": {algorithm: value}})
    if not scos:
        return []
    stamp = "1970-01-01T00:00:00Z"
    observed = {"type": "observed-data", "id": "observed-data--00000000-0000-4000-8000-"
                "000000000000", "number_observed": 1, "first_observed": stamp,
                "last_observed": stamp, "object_refs": [o["id"] for o in scos]}
    return [{"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000",
             "objects": [observed, *scos]}]


ADDRESS_MEMO = 1 << 18
"""Addresses whose hits a :class:`Matcher` remembers (then it starts again; full of IPv4
addresses it holds about 23 MiB, more with IPv6): logs name the same hosts over and over, and an
address costs a parse and a look-up per network size otherwise."""


class Matcher:
    """Matches events against one indicator set; one instance per run."""

    def __init__(self, indicators: IndicatorSet) -> None:
        self.indicators = indicators
        self.exact = indicators.exact
        self.networks = sorted(indicators.networks.items())
        self._addresses: dict[str, tuple[str, ...]] = {}

    def hits(self, event: Event) -> set[str]:
        """Ids of the indicators the event matches (each at most once per event)."""
        found: set[str] = set()
        exact = self.exact
        addresses = self._addresses
        for kind, value in event.observables:
            if kind == "ip":  # the hot path
                ids = addresses.get(value)
                if ids is None:
                    ids = self._address_hits(value)
                    if len(addresses) >= ADDRESS_MEMO:
                        addresses.clear()
                    addresses[value] = ids
                if ids:
                    found.update(ids)
            elif kind == "domain":
                for suffix in _domain_suffixes(value.lower().rstrip(".")):
                    found.update(exact.get(("domain", suffix), ()))
            else:
                found.update(exact.get((kind, normalise(kind, value)), ()))
        if self.indicators.complex:
            observed = _observed(event)
            found.update(i for i, pattern in self.indicators.complex
                         if observed and pattern.match(observed))
        return found

    def _address_hits(self, value: str) -> tuple[str, ...]:
        """The indicators an address matches: listed as written (IPv6 normalised), or inside a
        listed network."""
        found = list(self.exact.get(("ip", normalise("ip", value) if ":" in value else value),
                                    ()))
        if self.networks:
            found += self._network_hits(value)
        return tuple(found)

    def _network_hits(self, value: str) -> list[str]:
        parsed = _ip_number(value)
        if parsed is None:
            return []
        version, number = parsed
        bits = 32 if version == 4 else 128
        hits: list[str] = []
        for (net_version, prefix), table in self.networks:
            if net_version == version:
                hits += table.get(number >> (bits - prefix), ())
        return hits


def match_logs(indicators: IndicatorSet, logs: Sequence[Path], *, strict: bool = False,
               fmt: str | None = None) -> MatchResult:
    """Stream every log once and count matching lines per indicator."""
    from stackrift.intel.telemetry.formats import read_events

    result = MatchResult(caveats=list(indicators.caveats))
    matcher = Matcher(indicators)
    # kinds of value that no event has carried yet: an indicator of such a kind could not
    # have matched (a file hash against connection logs), which must not read as "not seen";
    # checked only until every kind has turned up
    unseen = indicators.kinds()
    for path in logs:
        stats = ReadStats(str(path), strict=strict)
        result.files.append(stats)
        counts, hits, events = result.counts, matcher.hits, 0
        for event in read_events(path, stats, fmt):
            events += 1
            if unseen and not unseen.isdisjoint(map(_KIND, event.observables)):
                unseen.difference_update(map(_KIND, event.observables))
            found = hits(event)
            if found:
                counts.update(found)
        stats.events = events
        if stats.unreadable:
            result.caveats.append(Caveat(str(path), f"{stats.unreadable:,} unreadable line(s) "
                                         "not matched; first: " + "; ".join(
                                             str(p) for p in stats.problems)))
    for kind in sorted(unseen):  # their ids only now: most runs see every kind
        ids = indicators.ids_of(kind)
        result.caveats.append(Caveat(
            ids[0] if len(ids) == 1 else f"{len(ids)} indicators ({ids[0]}, …)",
            f"no event of the logs read carries {_KIND_WORDS.get(kind, kind)}, so "
            f"{'it' if len(ids) == 1 else 'they'} could not match: not seen is not absent"))
    return result


_KIND_WORDS = {"ip": "an IP address", "domain": "a domain name", "url": "a URL",
               "hash": "a file hash", "email": "an e-mail address", "user": "a user name"}
