"""Detection without moving the data: keyed digests out, match counts back.

1. ``digest`` (indicator holder): every simple indicator becomes HMAC-SHA256(community key,
   kind + value) under an opaque reference; the reference-to-indicator table stays local.
2. ``match`` (log holder): the same HMAC of every observable in its own logs (each domain's parent
   domains, each address's networks at the prefix lengths the digest uses) is looked up; only
   per-reference counts go back, and only when the log holder's release rules let them go. Log
   lines, addresses and host names never enter the message.
3. ``reveal`` (indicator holder): references back to indicators.

Messages are frozen records with a versioned JSON form; each step's audit record says what crossed
the border (the message's SHA-256, size and fields) and cites the rules applied. Anyone holding
the community key can test a guessed value against a digest, so the key is shared only within the
community, and digests of low-entropy values (single IPv4 addresses) are guessable by its members.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from stackrift.boundedio import read_bounded
from stackrift.errors import InvalidInputError
from stackrift.intel.matching import IndicatorSet, _domain_suffixes, _ip_number, normalise
from stackrift.intel.release import Destination, LoadedRelease, cite, decide, object_rules
from stackrift.intel.release_model import Action
from stackrift.intel.telemetry import Event, ReadStats

VERSION = 1
MIN_KEY = 32
MAX_MESSAGE = 64 << 20


def load_key(path: Path) -> bytes:
    """The community key: at least 32 bytes from a file kept out of every message."""
    key = read_bounded(path, 1 << 16).strip()
    if len(key) < MIN_KEY:
        raise InvalidInputError.single(path, f"key of {len(key)} bytes",
                                       f"a community key of at least {MIN_KEY} bytes")
    return key


def key_id(key: bytes) -> str:
    """A fingerprint naming the key in messages (not the key)."""
    return hashlib.sha256(b"stackrift-key-id\x1f" + key).hexdigest()[:16]


def digest_value(key: bytes, kind: str, value: str) -> str:
    """HMAC-SHA256 of one normalised observable."""
    return hmac.new(key, f"{kind}\x1f{value}".encode(), hashlib.sha256).hexdigest()


def canonical(document: dict[str, Any]) -> bytes:
    """The bytes a message is sent as and hashed over."""
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


@dataclass(frozen=True)
class DigestEntry:
    ref: str
    kind: str
    digest: str


@dataclass(frozen=True)
class DigestMessage:
    """What the indicator holder sends."""

    community: str
    key_id: str
    entries: tuple[DigestEntry, ...]
    prefixes: tuple[tuple[int, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"kind": "stackrift-digest", "version": VERSION, "algorithm": "hmac-sha256",
                "community": self.community, "key_id": self.key_id,
                "prefixes": [list(p) for p in self.prefixes],
                "entries": [{"ref": e.ref, "kind": e.kind, "digest": e.digest}
                            for e in self.entries]}

    @property
    def message_id(self) -> str:
        return hashlib.sha256(canonical(self.to_json())).hexdigest()


@dataclass(frozen=True)
class MatchMessage:
    """What the log holder sends back: counts per reference, nothing else of its logs."""

    digest_id: str
    community: str
    counts: tuple[tuple[str, int], ...]
    unreadable_lines: int
    released: bool

    def to_json(self) -> dict[str, Any]:
        return {"kind": "stackrift-match", "version": VERSION, "digest_id": self.digest_id,
                "community": self.community, "released": self.released,
                "unreadable_lines": self.unreadable_lines,
                "counts": [{"ref": r, "count": c} for r, c in self.counts]}


def _message(path: Path, kind: str) -> dict[str, Any]:
    try:
        document = orjson.loads(read_bounded(path, MAX_MESSAGE))
    except orjson.JSONDecodeError as exc:
        raise InvalidInputError.single(path, f"not JSON ({exc})", f"a {kind} message") from None
    if not isinstance(document, dict) or document.get("kind") != kind:
        raise InvalidInputError.single(path, "not a StackRift message of this kind",
                                       f"kind '{kind}'")
    if document.get("version") != VERSION:
        raise InvalidInputError.single(path, f"message version {document.get('version')!r}",
                                       f"version {VERSION}")
    return document


def read_digest(path: Path) -> DigestMessage:
    """A digest message, checked."""
    document = _message(path, "stackrift-digest")
    try:
        entries = tuple(DigestEntry(str(e["ref"]), str(e["kind"]), str(e["digest"]))
                        for e in document["entries"])
        prefixes = tuple((int(v), int(p)) for v, p in document.get("prefixes", []))
        return DigestMessage(str(document["community"]), str(document["key_id"]), entries,
                             prefixes)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError.single(path, f"malformed digest message ({exc})",
                                       "entries of ref, kind and digest") from None


def read_match(path: Path) -> MatchMessage:
    """A match message, checked."""
    document = _message(path, "stackrift-match")
    try:
        counts = tuple((str(c["ref"]), int(c["count"])) for c in document["counts"])
        return MatchMessage(str(document["digest_id"]), str(document["community"]), counts,
                            int(document["unreadable_lines"]), bool(document["released"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError.single(path, f"malformed match message ({exc})",
                                       "counts of ref and count") from None


def make_digest(indicators: IndicatorSet, key: bytes, community: str
                ) -> tuple[DigestMessage, dict[str, Any]]:
    """The digest message and the local state (reference -> indicator) reveal needs."""
    by_id: dict[str, list[tuple[str, str]]] = {}
    for (kind, value), ids in indicators.exact.items():
        for indicator_id in ids:
            by_id.setdefault(indicator_id, []).append((kind, value))
    for (version, prefix), table in indicators.networks.items():
        for number, ids in table.items():
            for indicator_id in ids:
                by_id.setdefault(indicator_id, []).append((f"net{version}/{prefix}", str(number)))
    refs = {i: hmac.new(key, f"ref\x1f{i}".encode(), hashlib.sha256).hexdigest()[:32]
            for i in by_id}
    entries = sorted((DigestEntry(refs[i], kind, digest_value(key, kind, value))
                      for i, values in by_id.items() for kind, value in values),
                     key=lambda e: (e.ref, e.kind, e.digest))
    message = DigestMessage(community, key_id(key), tuple(entries),
                            tuple(sorted(indicators.networks)))
    not_sent = [i for i in indicators.ids if i not in by_id]
    state = {"kind": "stackrift-digest-state", "version": VERSION,
             "digest_id": message.message_id, "community": community,
             "refs": {refs[i]: {"indicator": i, "name": indicators.names.get(i, i)}
                      for i in sorted(by_id)},
             "not_sent": sorted(not_sent)}
    return message, state


@dataclass
class DigestMatcher:
    """Looks up the HMAC of each observable of each event in a digest."""

    message: DigestMessage
    key: bytes
    table: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if key_id(self.key) != self.message.key_id:
            raise InvalidInputError.single("digest", "the digest was made with another key "
                                           f"(key id {self.message.key_id})",
                                           "the community key the digest names")
        for entry in self.message.entries:
            self.table.setdefault((entry.kind, entry.digest), []).append(entry.ref)

    def _candidates(self, kind: str, value: str) -> Iterable[tuple[str, str]]:
        if kind == "domain":
            yield from (("domain", s) for s in _domain_suffixes(value.lower().rstrip(".")))
            return
        yield kind, normalise(kind, value)
        if kind == "ip" and self.message.prefixes:
            parsed = _ip_number(value)
            if parsed is not None:
                version, number = parsed
                bits = 32 if version == 4 else 128
                yield from ((f"net{v}/{p}", str(number >> (bits - p)))
                            for v, p in self.message.prefixes if v == version)

    def refs(self, event: Event) -> set[str]:
        """References the event matches."""
        found: set[str] = set()
        for kind, value in event.observables:
            for candidate_kind, candidate in self._candidates(kind, value):
                digest = digest_value(self.key, candidate_kind, candidate)
                found.update(self.table.get((candidate_kind, digest), ()))
        return found


def match_digest(message: DigestMessage, key: bytes, logs: Sequence[Path], *,
                 strict: bool = False, fmt: str | None = None
                 ) -> tuple[Counter[str], list[ReadStats]]:
    """Counts per reference over the local logs (nothing leaves here)."""
    from stackrift.intel.telemetry.formats import read_events

    matcher = DigestMatcher(message, key)
    counts: Counter[str] = Counter()
    files = []
    for path in logs:
        stats = ReadStats(str(path), strict=strict)
        files.append(stats)
        for event in read_events(path, stats, fmt):
            stats.events += 1
            counts.update(matcher.refs(event))
    return counts, files


def release_counts(digest: DigestMessage, counts: Counter[str], files: list[ReadStats],
                   destination: Destination, rules: LoadedRelease
                   ) -> tuple[MatchMessage, list[dict[str, Any]], dict[str, Any]]:
    """The match message the release rules allow, their citations, and what stayed local.

    The answer is marked TLP:AMBER and goes to a member of the community (whoever holds the
    community key sent the digest), which the TLP rules read."""
    facts = {"tlp": "amber", "recipient_in_community": True, **destination.facts()}
    count_rules = object_rules(rules, "x-stackrift-match-count")
    counts_decision = decide(rules, count_rules, {**facts, "object_type":
                                                  "x-stackrift-match-count"}, destination.as_of)
    log_rules = object_rules(rules, "x-stackrift-log-line")
    lines_decision = decide(rules, log_rules, {**facts, "object_type": "x-stackrift-log-line"},
                            destination.as_of)
    released = counts_decision.action is Action.KEEP
    message = MatchMessage(digest.message_id, digest.community,
                           tuple(sorted(counts.items())) if released else (),
                           sum(f.unreadable for f in files), released)
    applied = set(counts_decision.evaluated) | set(lines_decision.evaluated)
    local = {"log_lines": {"action": "withhold" if lines_decision.action is not Action.KEEP
                           else "not sent", "rules": sorted(lines_decision.rules
                                                            + lines_decision.held_by_missing),
                           "evaluated": lines_decision.trace,
                           "missing_facts": sorted(lines_decision.missing_facts)},
             "counts": {"action": counts_decision.action.value,
                        "rules": sorted(counts_decision.rules),
                        "evaluated": counts_decision.trace,
                        "missing_facts": sorted(counts_decision.missing_facts)},
             "files": [{"path": f.source, "lines": f.lines, "unreadable": f.unreadable}
                       for f in files]}
    return message, cite(rules, applied), local


def release_digest(destination: Destination, rules: LoadedRelease
                   ) -> tuple[bool, list[dict[str, Any]], dict[str, Any]]:
    """Whether the indicator holder's release rules let the digests go, their citations, and
    the decision for the audit record."""
    facts = {"tlp": "amber", "recipient_in_community": True, **destination.facts(),
             "object_type": "x-stackrift-indicator-digest"}
    decision = decide(rules, object_rules(rules, "x-stackrift-indicator-digest"), facts,
                      destination.as_of)
    applied = set(decision.rules) | set(decision.held_by_missing)
    return (decision.action is Action.KEEP, cite(rules, set(decision.evaluated)),
            {"action": decision.action.value, "rules": sorted(applied),
             "evaluated": decision.trace, "missing_facts": sorted(decision.missing_facts)})


def reveal(state: dict[str, Any], match: MatchMessage) -> list[dict[str, Any]]:
    """Matched indicators with their counts, from the local state of the digest step."""
    if state.get("digest_id") != match.digest_id:
        raise InvalidInputError.single("match", "the match answers another digest "
                                       f"({match.digest_id[:16]}…)", "the digest this state "
                                       "was written with")
    refs = state.get("refs") or {}
    unknown = [r for r, _ in match.counts if r not in refs]
    if unknown:
        raise InvalidInputError.single("match", f"{len(unknown)} reference(s) the digest did not "
                                       "send", "references from the digest")
    return [{"indicator": refs[r]["indicator"], "name": refs[r]["name"], "count": c}
            for r, c in match.counts if c > 0]


def audit_record(step: str, crossed: dict[str, Any] | None, *, as_of: str, direction: str,
                 rules: list[dict[str, Any]], local: dict[str, Any]) -> dict[str, Any]:
    """What crossed the border in one step (the message's hash, size and fields), what stayed,
    and the rules applied."""
    sent = None
    if crossed is not None:
        data = canonical(crossed)
        sent = {"kind": crossed.get("kind"), "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data), "fields": sorted(crossed),
                "entries": len(crossed.get("entries", crossed.get("counts", [])))}
    return {"kind": "stackrift-audit", "version": VERSION, "step": step, "as_of": as_of,
            "direction": direction, "crossed": sent, "kept_local": local, "rules": rules}
