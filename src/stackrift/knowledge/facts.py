"""The fact-carrying records of a knowledge set, read straight from its files with locations.

Records are found by the shape of each section (vendors, products and their export controls,
Entity List statuses, cloud regions, trade measures; rules, conflicts and their sides, named
conditions; scenarios; country groups; the provider table; runtime support; the crypto registry's
algorithms, suites, groups and signature schemes, whose ``standards`` are their sources, and the
crypto regime rules). Any other top-level
list in a data file counts as a list of records too, so a new kind of record is audited and
diffed before this module learns its name. Inside a record, every mapping shaped like a citation
(a ``source`` and only citation keys) is one of its citations, wherever it sits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from stackrift.errors import InvalidInputError, Problem
from stackrift.estate.yamlsource import LocatedDocument, PathKey, load_located
from stackrift.findings import Citation
from stackrift.knowledge.manifest import set_files

_CITATION_KEYS = frozenset(Citation.model_fields)


class FactKind(StrEnum):
    VENDOR = "vendor"
    ENTITY_LISTING = "entity-listing"
    PRODUCT = "product"
    EXPORT_CONTROL = "export-control"
    REGION = "region"
    TRADE_MEASURE = "trade-measure"
    RULE = "rule"
    CONDITION = "condition"
    CONFLICT = "conflict"
    CONFLICT_SIDE = "conflict-side"
    SCENARIO = "scenario"
    COUNTRY_GROUP = "country-group"
    PROVIDER_COUNTRY = "provider-country"
    RUNTIME_SUPPORT = "runtime-support"
    CRYPTO_ALGORITHM = "crypto-algorithm"
    CRYPTO_SUITE = "crypto-suite"
    CRYPTO_GROUP = "crypto-group"
    CRYPTO_SIGNATURE_SCHEME = "crypto-signature-scheme"
    CRYPTO_RULE = "crypto-rule"
    OTHER = "record"


@dataclass(frozen=True)
class Fact:
    """One record of a knowledge set and what it says about its sources.

    ``confidence``, ``in_force_from`` and ``in_force_until`` are the record's own fields (a rule's
    window, a control's licence dates); each citation may carry its own as well.
    """

    kind: FactKind
    id: str
    file: str
    line: int
    record: Any
    citations: tuple[Citation, ...]
    needs_source: bool = True
    confidence: str | None = None
    unverified_reason: str | None = None
    in_force_from: date | None = None
    in_force_until: date | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind.value, self.id)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def read_facts(root: Path) -> list[Fact]:
    """Every fact-carrying record under ``root`` (a knowledge-set folder), in file order."""
    facts: list[Fact] = []
    problems: list[Problem] = []
    for name in set_files(root):
        try:
            doc = load_located(Path(name), text=(root / name).read_text(encoding="utf-8-sig"))
        except InvalidInputError as exc:
            problems.extend(exc.problems)
            continue
        try:
            facts.extend(_file_facts(_Reader(doc, name)))
        except InvalidInputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidInputError(problems)
    return facts


@dataclass(frozen=True)
class _Reader:
    doc: LocatedDocument
    name: str

    def line(self, path: PathKey) -> int:
        return self.doc.locate(path).line

    def fact(self, kind: FactKind, ident: str, path: PathKey, record: Any, *,
             skip: frozenset[str] = frozenset(), **fields: Any) -> Fact:
        try:
            found = tuple(citations_in(record, skip)) + _inline_citation(record)
        except ValidationError as exc:
            error = exc.errors()[0]
            raise InvalidInputError.single(
                self.name, f"malformed citation in {kind.value} '{ident}': "
                f"{'.'.join(map(str, error['loc']))}: {error['msg']}",
                "source, section, url, in_force_from/until, confidence, checked_on, "
                "unverified_reason", self.line(path)) from exc
        if isinstance(record, Mapping):
            fields.setdefault("confidence", _text(record.get("confidence")))
            fields.setdefault("unverified_reason", _text(record.get("unverified_reason")))
        return Fact(kind, ident, self.name, self.line(path), record, found, **fields)


def _file_facts(reader: _Reader) -> Iterator[Fact]:
    data = reader.doc.data
    if not isinstance(data, Mapping):
        return
    section = reader.name.rpartition("/")[0]
    if section == "plan/scenarios":
        yield reader.fact(FactKind.SCENARIO, str(data.get("id", reader.name)), (), data,
                          in_force_from=_day(data.get("effective")))
        return
    if section.startswith("crypto/packs"):
        yield from _crypto_facts(reader, data, section)
        return
    for key, value in data.items():
        if str(key).startswith("x-"):
            continue  # YAML anchors shared by records of the same file, not records themselves
        if key == "providers" and isinstance(value, Mapping):
            yield from _providers(reader, value)
        elif key == "runtimes" and isinstance(value, Mapping):
            yield from _runtimes(reader, value)
        elif key == "conditions" and isinstance(value, Mapping):
            pack = str(data.get("pack", reader.name))
            yield from (reader.fact(FactKind.CONDITION, f"{pack}:{n}", (key, n), c,
                                    needs_source=False) for n, c in value.items())
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    yield from _record(reader, str(key), index, item)


def _record(reader: _Reader, key: str, index: int, item: Mapping[str, Any]) -> Iterator[Fact]:
    path: PathKey = (key, index)
    ident = str(item.get("id", index))
    if key == "vendors":
        yield reader.fact(FactKind.VENDOR, ident, path, item, skip=frozenset({"entity_list"}))
        status = item.get("entity_list")
        if isinstance(status, Mapping):
            yield reader.fact(FactKind.ENTITY_LISTING, ident, (*path, "entity_list"), status,
                              needs_source=bool(status.get("listed")),
                              in_force_from=_day(status.get("since")))
    elif key == "products":
        yield reader.fact(FactKind.PRODUCT, ident, path, item, skip=frozenset({"controls"}))
        for j, control in enumerate(item.get("controls") or ()):
            if isinstance(control, Mapping):
                yield reader.fact(FactKind.EXPORT_CONTROL, f"{ident}/{control.get('id', j)}",
                                  (*path, "controls", j), control,
                                  in_force_from=_day(control.get("licence_required_from")),
                                  in_force_until=_day(control.get("licence_required_until")))
    elif key == "regions":
        yield reader.fact(FactKind.REGION, f"{item.get('provider')}/{item.get('code')}", path,
                          item)
    elif key == "rules":
        yield reader.fact(FactKind.RULE, ident, path, item,
                          in_force_from=_day(item.get("in_force_from")),
                          in_force_until=_day(item.get("in_force_until")))
    elif key == "conflicts":
        # The sides carry the sources; the conflict itself is diffed as a whole.
        yield reader.fact(FactKind.CONFLICT, ident, path, item, needs_source=False,
                          skip=frozenset({"sides"}))
        for j, side in enumerate(item.get("sides") or ()):
            if isinstance(side, Mapping):
                yield reader.fact(FactKind.CONFLICT_SIDE, f"{ident}/{side.get('regime', j)}",
                                  (*path, "sides", j), side,
                                  in_force_from=_day(side.get("in_force_from")),
                                  in_force_until=_day(side.get("in_force_until")))
    elif key == "groups":
        yield reader.fact(FactKind.COUNTRY_GROUP, ident, path, item)
    else:
        kind, name = ((FactKind.TRADE_MEASURE, ident) if key == "measures"
                      else (FactKind.OTHER, f"{key}/{ident}"))
        yield reader.fact(kind, name, path, item, in_force_from=_day(item.get("in_force_from")),
                          in_force_until=_day(item.get("in_force_until")))


_CRYPTO_REGISTRY = {"algorithms": FactKind.CRYPTO_ALGORITHM,
                    "cipher_suites": FactKind.CRYPTO_SUITE, "groups": FactKind.CRYPTO_GROUP,
                    "signature_schemes": FactKind.CRYPTO_SIGNATURE_SCHEME}


def _crypto_facts(reader: _Reader, data: Mapping[str, Any], section: str) -> Iterator[Fact]:
    """Crypto regime rules (cited like transfer rules, named ``REGIME:rule-id``) and registry
    entries, whose standards are their sources, checked on the file's ``checked_on``."""
    if section == "crypto/packs/regimes":
        regime = str(data.get("regime", reader.name))
        for index, rule in enumerate(data.get("rules") or ()):
            if isinstance(rule, Mapping):
                yield reader.fact(FactKind.CRYPTO_RULE, f"{regime}:{rule.get('id', index)}",
                                  ("rules", index), rule,
                                  in_force_from=_day(rule.get("in_force_from")),
                                  in_force_until=_day(rule.get("in_force_until")))
        return
    checked = _day(data.get("checked_on"))
    for key, kind in _CRYPTO_REGISTRY.items():
        for index, item in enumerate(data.get(key) or ()):
            if isinstance(item, Mapping):
                ident = str(item.get("id") or item.get("name") or index)
                fact = reader.fact(kind, ident, (key, index), item, skip=frozenset({"standards"}))
                yield replace(fact, citations=fact.citations + _standards(item, checked))


def _standards(item: Mapping[str, Any], checked: date | None) -> tuple[Citation, ...]:
    unverified = item.get("confidence") == "unverified"
    return tuple(Citation(source=str(ref["name"]), url=_text(ref.get("url")),
                          checked_on=checked,
                          confidence="unverified" if unverified else "verified",
                          unverified_reason=_text(item.get("unverified_reason")))
                 for ref in item.get("standards") or () if isinstance(ref, Mapping)
                 and ref.get("name"))


def _providers(reader: _Reader, table: Mapping[str, Any]) -> Iterator[Fact]:
    for name, value in table.items():
        yield reader.fact(FactKind.PROVIDER_COUNTRY, str(name), ("providers", name), value)


def _runtimes(reader: _Reader, table: Mapping[str, Any]) -> Iterator[Fact]:
    for runtime, frameworks in table.items():
        for framework, entry in (frameworks or {}).items():
            yield reader.fact(FactKind.RUNTIME_SUPPORT, f"{runtime}/{framework}",
                              ("runtimes", runtime, framework), entry)


def _inline_citation(record: Any) -> tuple[Citation, ...]:
    """A table entry that states its value next to citation keys (``{country: US, source: …,
    checked_on: …}``, or runtime support's ``source`` URL) cites that source."""
    if not (isinstance(record, Mapping) and isinstance(record.get("source"), str)
            and not set(record) <= _CITATION_KEYS):
        return ()
    return (Citation.model_validate({k: v for k, v in record.items() if k in _CITATION_KEYS}),)


def citations_in(node: Any, skip: frozenset[str] = frozenset()) -> Iterator[Citation]:
    """Every citation-shaped mapping in ``node`` (not under the top-level keys in ``skip``)."""
    if isinstance(node, Mapping):
        if isinstance(node.get("source"), str) and set(node) <= _CITATION_KEYS:
            yield Citation.model_validate(node)  # a malformed one raises: never silently dropped
            return
        for key, value in node.items():
            if key not in skip:
                yield from citations_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from citations_in(item)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _day(value: Any) -> date | None:
    return value if isinstance(value, date) else None
