"""Detection without moving the data: keyed digests out, match counts back.

1. ``digest`` (indicator holder): every simple indicator becomes HMAC-SHA256(community key,
   kind + value) under an opaque reference; the reference-to-indicator table stays local.
2. ``match`` (log holder): the same HMAC of every observable in its own logs (each domain's parent
   domains, each address's networks at the prefix lengths the digest uses) is looked up; only
   per-reference counts go back, and only when the log holder's release rules let them go. Log
   lines, addresses and host names never enter the message.
3. ``reveal`` (indicator holder): references back to indicators.

Two digest algorithms. ``hmac-sha256`` sends one keyed digest per indicator value: exact, and
as large as the indicator set. ``bloom`` sends a Bloom filter of keyed, salted hashes at a stated
false-positive rate plus, per reference, a short bucket of the same hash: a value the log holder
finds in the filter is counted for the references of its bucket. The message is smaller, carries
no full digest of any indicator, and a fresh salt makes two digests of the same indicators
unlinkable; the price is a stated rate of false matches (filter and bucket both hit by a value
that is no indicator), which reveal reports with every count.

Messages are frozen records with a versioned JSON form; each step's audit record says what crossed
the border (the message's SHA-256, size and fields) and cites the rules applied. Anyone holding
the community key can test a guessed value against a digest, so the key is shared only within the
community, and digests of low-entropy values (single IPv4 addresses) are guessable by its members.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
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


HMAC = "hmac-sha256"
BLOOM = "bloom"
ALGORITHMS = (HMAC, BLOOM)
MAX_BLOOM_HASHES = 32
MAX_BLOOM_BITS = 8 * (48 << 20)  # the filter must fit a message


@dataclass(frozen=True)
class BloomFilter:
    """A Bloom filter over HMAC(key, salt, kind, value); positions by double hashing."""

    bits: int
    hashes: int
    elements: int
    salt: str  # hex; fresh per digest
    bucket_bits: int
    data: bytes

    @classmethod
    def sized(cls, elements: int, false_positive_rate: float) -> BloomFilter:
        """An empty filter for ``elements`` values at the requested rate (bits and hashes by
        the usual optimum: m = -n ln p / (ln 2)^2, k = m/n ln 2)."""
        n = max(elements, 1)
        bits = max(64, math.ceil(-n * math.log(false_positive_rate) / math.log(2) ** 2))
        if bits > MAX_BLOOM_BITS:
            from stackrift.errors import UsageError

            raise UsageError(f"a Bloom filter for {elements} values at a false-positive rate of "
                             f"{false_positive_rate} needs {bits} bits, more than a message "
                             f"carries ({MAX_BLOOM_BITS}); raise the rate or use {HMAC}")
        hashes = min(MAX_BLOOM_HASHES, max(1, round(bits / n * math.log(2))))
        # buckets: enough bits that references rarely share one, few enough that a bucket
        # stands for many possible values
        bucket_bits = min(48, max(12, math.ceil(math.log2(n)) + 8))
        return cls(bits, hashes, elements, secrets.token_hex(16), bucket_bits,
                   bytes((bits + 7) // 8))

    @property
    def false_positive_rate(self) -> float:
        """The filter's rate at its element count: (1 - e^(-kn/m))^k."""
        k, n, m = self.hashes, self.elements, self.bits
        return (1 - math.exp(-k * n / m)) ** k if n else 0.0

    def locate(self, key: bytes, kind: str, value: str) -> tuple[list[int], str]:
        """The bit positions and the bucket (hex) of one normalised value."""
        raw = hmac.new(key, f"{self.salt}\x1f{kind}\x1f{value}".encode(),
                       hashlib.sha256).digest()
        first = int.from_bytes(raw[:8], "big")
        step = int.from_bytes(raw[8:16], "big") | 1
        bucket = int.from_bytes(raw[16:24], "big") >> (64 - self.bucket_bits)
        return ([(first + i * step) % self.bits for i in range(self.hashes)],
                format(bucket, "x"))

    def contains(self, positions: list[int]) -> bool:
        data = self.data
        return all(data[p >> 3] >> (p & 7) & 1 for p in positions)

    def with_values(self, key: bytes, values: Iterable[tuple[str, str]]) -> BloomFilter:
        data = bytearray(self.data)
        for kind, value in values:
            for p in self.locate(key, kind, value)[0]:
                data[p >> 3] |= 1 << (p & 7)
        return BloomFilter(self.bits, self.hashes, self.elements, self.salt,
                           self.bucket_bits, bytes(data))

    def to_json(self) -> dict[str, Any]:
        return {"bits": self.bits, "hashes": self.hashes, "elements": self.elements,
                "salt": self.salt, "bucket_bits": self.bucket_bits,
                "false_positive_rate": self.false_positive_rate,
                "filter": base64.b64encode(self.data).decode("ascii")}

    @classmethod
    def from_json(cls, document: Any) -> BloomFilter:
        """Checked: sizes agree and stay within the limits (a hostile message fails here)."""
        if not isinstance(document, dict):
            raise ValueError("bloom is not an object")
        bits, hashes = int(document["bits"]), int(document["hashes"])
        elements, bucket_bits = int(document["elements"]), int(document["bucket_bits"])
        salt = str(document["salt"])
        data = base64.b64decode(str(document["filter"]), validate=True)
        if not (64 <= bits <= MAX_BLOOM_BITS and 1 <= hashes <= MAX_BLOOM_HASHES
                and 8 <= bucket_bits <= 64 and elements >= 0 and len(salt) <= 128):
            raise ValueError("bloom parameters out of range")
        if len(data) != (bits + 7) // 8:
            raise ValueError(f"filter of {len(data)} bytes for {bits} bits")
        return cls(bits, hashes, elements, salt, bucket_bits, data)


@dataclass(frozen=True)
class DigestMessage:
    """What the indicator holder sends. With ``bloom``, each entry's ``digest`` is the
    reference's bucket, and the filter says whether a value is (probably) an indicator."""

    community: str
    key_id: str
    entries: tuple[DigestEntry, ...]
    prefixes: tuple[tuple[int, int], ...] = ()
    bloom: BloomFilter | None = None

    @property
    def algorithm(self) -> str:
        return BLOOM if self.bloom is not None else HMAC

    def to_json(self) -> dict[str, Any]:
        document = {"kind": "stackrift-digest", "version": VERSION, "algorithm": self.algorithm,
                    "community": self.community, "key_id": self.key_id,
                    "prefixes": [list(p) for p in self.prefixes],
                    "entries": [{"ref": e.ref, "kind": e.kind, "digest": e.digest}
                                for e in self.entries]}
        if self.bloom is not None:
            document["bloom"] = self.bloom.to_json()
        return document

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
    algorithm = document.get("algorithm", HMAC)
    if algorithm not in ALGORITHMS:
        raise InvalidInputError.single(path, f"digest algorithm {algorithm!r}",
                                       f"one of {', '.join(ALGORITHMS)}")
    try:
        entries = tuple(DigestEntry(str(e["ref"]), str(e["kind"]), str(e["digest"]))
                        for e in document["entries"])
        prefixes = tuple((int(v), int(p)) for v, p in document.get("prefixes", []))
        bloom = BloomFilter.from_json(document["bloom"]) if algorithm == BLOOM else None
        return DigestMessage(str(document["community"]), str(document["key_id"]), entries,
                             prefixes, bloom)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError.single(path, f"malformed digest message ({exc})",
                                       "entries of ref, kind and digest"
                                       + (" and a bloom filter" if algorithm == BLOOM else "")
                                       ) from None


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


def _values_by_indicator(indicators: IndicatorSet) -> dict[str, list[tuple[str, str]]]:
    """Each indicator's (kind, normalised value) pairs, networks as (netV/P, number)."""
    by_id: dict[str, list[tuple[str, str]]] = {}
    for (kind, value), ids in indicators.exact.items():
        for indicator_id in ids:
            by_id.setdefault(indicator_id, []).append((kind, value))
    for (version, prefix), table in indicators.networks.items():
        for number, ids in table.items():
            for indicator_id in ids:
                by_id.setdefault(indicator_id, []).append((f"net{version}/{prefix}", str(number)))
    return by_id


def make_digest(indicators: IndicatorSet, key: bytes, community: str, *,
                algorithm: str = HMAC, false_positive_rate: float = 1e-6
                ) -> tuple[DigestMessage, dict[str, Any]]:
    """The digest message and the local state (reference -> indicator) reveal needs;
    ``false_positive_rate`` sizes the Bloom filter (``algorithm="bloom"``)."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"digest algorithm {algorithm!r}")
    by_id = _values_by_indicator(indicators)
    refs = {i: hmac.new(key, f"ref\x1f{i}".encode(), hashlib.sha256).hexdigest()[:32]
            for i in by_id}
    bloom = None
    if algorithm == BLOOM:
        values = {v for found in by_id.values() for v in found}
        bloom = BloomFilter.sized(len(values), false_positive_rate).with_values(key, values)
    entries = sorted((DigestEntry(refs[i], kind, bloom.locate(key, kind, value)[1]
                                  if bloom is not None else digest_value(key, kind, value))
                      for i, values in by_id.items() for kind, value in values),
                     key=lambda e: (e.ref, e.kind, e.digest))
    message = DigestMessage(community, key_id(key), tuple(entries),
                            tuple(sorted(indicators.networks)), bloom)
    not_sent = [i for i in indicators.ids if i not in by_id]
    state: dict[str, Any] = {
        "kind": "stackrift-digest-state", "version": VERSION, "digest_id": message.message_id,
        "community": community,
        "refs": {refs[i]: {"indicator": i, "name": indicators.names.get(i, i)}
                 for i in sorted(by_id)},
        "not_sent": sorted(not_sent), "algorithm": message.algorithm}
    if bloom is not None:
        # a value that is no indicator is counted when it hits the filter and a used bucket
        buckets = len({(e.kind, e.digest) for e in entries})
        state["false_match_rate"] = bloom.false_positive_rate * min(
            1.0, buckets / 2 ** bloom.bucket_bits)
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
        bloom = self.message.bloom
        for kind, value in event.observables:
            for candidate_kind, candidate in self._candidates(kind, value):
                if bloom is None:
                    digest = digest_value(self.key, candidate_kind, candidate)
                else:
                    positions, digest = bloom.locate(self.key, candidate_kind, candidate)
                    if not bloom.contains(positions):
                        continue
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
    rate = state.get("false_match_rate")
    return [{"indicator": refs[r]["indicator"], "name": refs[r]["name"], "count": c,
             **({"false_match_rate_per_value": rate} if rate is not None else {})}
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
