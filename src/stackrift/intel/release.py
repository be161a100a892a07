"""The release engine: for a bundle and a destination, what may go, what is transformed, what stays.

Every in-force release rule whose selector matches an object (by STIX type) or one of its personal
properties (by kind) is evaluated with the transfer rules' three-valued conditions. The strictest
action of the rules that fire wins (withhold > remove > transform > keep). A rule left undetermined
by a missing fact whose action is stricter than the current one is applied anyway — fail closed —
and the record names the missing fact. Objects of a type no rule has been written for are withheld,
and so are relationships pointing at a withheld object. Nothing here is legal advice.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError

from stackrift.errors import InvalidInputError, Problem, combine
from stackrift.estate.loader import validation_error
from stackrift.estate.yamlsource import load_located
from stackrift.findings import Citation
from stackrift.intel.model import TLP_BY_MARKING
from stackrift.intel.release_model import (
    RELEASE_FACTS,
    Action,
    PropertyKind,
    ReleasePack,
    ReleaseRule,
)
from stackrift.rules.conditions import EvalContext, Tri, evaluate
from stackrift.rules.facts import EstateIndex, FactValue
from stackrift.rules.model import Condition

DISCLAIMER = ("Not legal advice: StackRift applies encoded release rules to what the bundle and "
              "the command line declare; a qualified lawyer must confirm every conclusion.")
PACKS_DIR = Path(__file__).parent / "packs"
# Object types whose content is not personal data of its own (personal properties are still
# checked); any other type is withheld unless a rule keeps it.
KNOWN_TYPES = frozenset({
    "vulnerability", "software", "infrastructure", "identity", "indicator", "relationship",
    "marking-definition", "extension-definition", "malware", "attack-pattern", "tool",
    "ipv4-addr", "ipv6-addr", "email-addr", "user-account", "domain-name", "url", "file",
    "x-stackrift-match-count"})
# Marking and extension definitions are published documents, marked or not.
_PUBLIC_DEFINITIONS = frozenset({"marking-definition", "extension-definition"})
_INTERNAL_HOST = re.compile(r"(^[^.]+$)|\.(local|lan|internal|corp|home|intranet)$", re.IGNORECASE)
_PATTERN_IPV4 = re.compile(r"ipv4-addr:value\s*=\s*'([0-9.]+)'")
_PATTERN_IPV6 = re.compile(r"ipv6-addr:value\s*=\s*'([0-9A-Fa-f:.]+)'")
_PATTERN_EMAIL = re.compile(r"email-addr:value\s*=\s*'[^']*'")


@dataclass(frozen=True)
class LoadedRelease:
    """Release packs, loaded and checked."""

    packs: tuple[ReleasePack, ...]

    @property
    def rules(self) -> tuple[ReleaseRule, ...]:
        return tuple(r for p in self.packs for r in p.rules)

    def conditions_of(self, rule: ReleaseRule) -> dict[str, Condition]:
        return next(p.conditions for p in self.packs if rule in p.rules)

    def regime_of(self, rule: ReleaseRule) -> str:
        return rule.regime or next(p.regime for p in self.packs if rule in p.rules)


def _fact_names(cond: Condition) -> Iterator[str]:
    for child in (*(cond.all or ()), *(cond.any or ()),
                  *((cond.not_,) if cond.not_ is not None else ())):
        yield from _fact_names(child)
    if cond.fact is not None:
        yield cond.fact
    if cond.volume is not None:
        yield "volume"


def _pack_problems(pack: ReleasePack, path: str) -> Iterator[Problem]:
    from stackrift.errors import Location

    conditions = [("conditions", name, c) for name, c in pack.conditions.items()]
    conditions += [("rules", rule.id, rule.when) for rule in pack.rules]
    for where, name, cond in conditions:
        for fact in _fact_names(cond):
            if fact not in RELEASE_FACTS:
                yield Problem(Location(path), f"{where} {name}: unknown release fact '{fact}'",
                              f"one of {', '.join(sorted(RELEASE_FACTS))}")


def load_release_pack(path: Path) -> ReleasePack:
    """One release pack, every problem located."""
    doc = load_located(path)
    try:
        pack = ReleasePack.model_validate(doc.data)
    except ValidationError as exc:
        raise validation_error(doc, exc, ReleasePack) from exc
    error = combine(_pack_problems(pack, str(path)))
    if error is not None:
        raise error
    return pack


@cache
def _packaged() -> tuple[ReleasePack, ...]:
    return tuple(load_release_pack(p) for p in sorted(PACKS_DIR.glob("*.yaml")))


def load_release_rules(extra_dirs: Sequence[Path] = ()) -> LoadedRelease:
    """The packaged release packs and those in ``extra_dirs``; rule ids must be unique."""
    packs = list(_packaged())
    for directory in extra_dirs:
        if not directory.is_dir():
            raise InvalidInputError.single(directory, "not a folder of release packs",
                                           "a folder of *.yaml release packs")
        packs += [load_release_pack(p) for p in sorted(directory.glob("*.yaml"))]
    seen: set[str] = set()
    for pack in packs:
        for rule in pack.rules:
            if rule.id in seen:
                raise InvalidInputError.single(pack.pack, f"release rule id '{rule.id}' is "
                                               "defined twice", "unique rule ids")
            seen.add(rule.id)
    return LoadedRelease(tuple(packs))


@dataclass(frozen=True)
class Destination:
    """Where a release goes and what is known about the recipient (``None``: not known)."""

    origin_country: str
    destination_country: str
    as_of: date
    recipient_name: str | None = None
    recipient_in_group: bool | None = None
    recipient_in_community: bool | None = None
    recipient_is_product_provider: bool | None = None
    transfer_lawful: bool | None = None

    def facts(self) -> dict[str, FactValue]:
        values: dict[str, FactValue | None] = {
            "origin_country": self.origin_country,
            "destination_country": self.destination_country,
            "cross_border": self.origin_country.upper() != self.destination_country.upper(),
            "recipient_name": self.recipient_name,
            "recipient_in_group": self.recipient_in_group,
            "recipient_in_community": self.recipient_in_community,
            "recipient_is_product_provider": self.recipient_is_product_provider,
            "transfer_lawful": self.transfer_lawful}
        return {k: v for k, v in values.items() if v is not None}


@dataclass
class Decision:
    """The combined action of the rules on one object or property, and why."""

    action: Action = Action.KEEP
    transform: str | None = None
    rules: list[str] = field(default_factory=list)
    held_by_missing: list[str] = field(default_factory=list)
    missing_facts: set[str] = field(default_factory=set)
    trace: list[str] = field(default_factory=list)
    evaluated: list[str] = field(default_factory=list)
    """Every in-force rule tested, fired or not (audit records cite them all)."""

    def apply(self, rule: ReleaseRule, fired: bool) -> None:
        if rule.action.rank > self.action.rank or (
                rule.action is self.action and self.transform is None and rule.transform):
            self.action, self.transform = rule.action, rule.transform
        (self.rules if fired else self.held_by_missing).append(rule.id)


def _evaluate(rule: ReleaseRule, rules: LoadedRelease, facts: dict[str, FactValue],
              as_of: date) -> tuple[Tri, set[str], list[str]]:
    # Release facts are plain values: the estate index and subject, which only ownership and
    # volume tests read (refused in release packs), are never touched.
    ctx = EvalContext(index=cast(EstateIndex, None), as_of=as_of, subject=cast(Any, None),
                      facts=facts, conditions=rules.conditions_of(rule))
    result = evaluate(rule.when, ctx)
    return result, ctx.unknown, ctx.trace


def decide(rules: LoadedRelease, selected: Sequence[ReleaseRule], facts: dict[str, FactValue],
           as_of: date) -> Decision:
    """Apply the in-force rules in ``selected`` to one object's or property's facts."""
    decision = Decision()
    for rule in selected:
        if not rule.in_force(as_of):
            continue
        result, unknown, trace = _evaluate(rule, rules, facts, as_of)
        decision.evaluated.append(rule.id)
        if result is True:
            decision.apply(rule, fired=True)
            decision.trace.append(f"{rule.id}: fires ({'; '.join(trace)})")
        elif result is None and rule.action.rank > decision.action.rank:
            decision.apply(rule, fired=False)
            decision.missing_facts |= unknown
            decision.trace.append(f"{rule.id}: undetermined, applied (fail closed); missing "
                                  f"{', '.join(sorted(unknown))}")
        else:
            decision.trace.append(f"{rule.id}: does not apply")
    return decision


def object_rules(rules: LoadedRelease, stix_type: str) -> list[ReleaseRule]:
    """The rules selecting objects of ``stix_type``."""
    return [r for r in rules.rules if stix_type in r.objects or "*" in r.objects]


def property_rules(rules: LoadedRelease, kind: PropertyKind) -> list[ReleaseRule]:
    """The rules selecting personal properties of ``kind``."""
    return [r for r in rules.rules if kind in r.properties]


# -- what a STIX object holds ---------------------------------------------------------------------

def _extension_facts(obj: dict[str, Any]) -> dict[str, Any]:
    for name, ext in (obj.get("extensions") or {}).items():
        if name.startswith("extension-definition--") and isinstance(ext, dict) and "tlp" in ext:
            return ext
    return {}


def object_facts(obj: dict[str, Any], as_of: date) -> dict[str, FactValue]:
    """Facts of one object: its type, TLP (from its markings), whether it is public, vendor."""
    facts: dict[str, FactValue] = {"object_type": str(obj.get("type"))}
    if obj.get("type") in _PUBLIC_DEFINITIONS:
        facts["tlp"] = "clear"
    levels = [TLP_BY_MARKING[m] for m in obj.get("object_marking_refs") or ()
              if m in TLP_BY_MARKING]
    if levels:
        facts["tlp"] = max(levels, key=lambda level: level.rank).value
    extension = _extension_facts(obj)
    if obj.get("type") == "vulnerability":
        public_on = extension.get("public_on")
        if isinstance(public_on, str):
            with suppress(ValueError):
                facts["vulnerability_public"] = date.fromisoformat(public_on[:10]) <= as_of
        elif extension.get("public") is False:
            facts["vulnerability_public"] = False
    if isinstance(extension.get("vendor_country"), str):
        facts["vendor_country"] = extension["vendor_country"]
    return facts


def personal_properties(obj: dict[str, Any]) -> list[tuple[str, PropertyKind]]:
    """(property, kind) of every personal-data value the object holds."""
    kind = obj.get("type")
    found: list[tuple[str, PropertyKind]] = []
    if kind == "ipv4-addr":
        found.append(("value", PropertyKind.IPV4))
    elif kind == "ipv6-addr":
        found.append(("value", PropertyKind.IPV6))
    elif kind == "email-addr":
        found += [("value", PropertyKind.EMAIL)]
        found += [("display_name", PropertyKind.USER_NAME)] if "display_name" in obj else []
    elif kind == "user-account":
        found += [(p, PropertyKind.USER_NAME) for p in ("user_id", "account_login",
                                                        "display_name") if p in obj]
    elif kind == "domain-name" and _INTERNAL_HOST.search(str(obj.get("value", ""))):
        found.append(("value", PropertyKind.HOSTNAME))
    elif kind == "indicator":
        pattern = str(obj.get("pattern", ""))
        found += [("pattern", k) for k, rx in ((PropertyKind.IPV4, _PATTERN_IPV4),
                                               (PropertyKind.IPV6, _PATTERN_IPV6),
                                               (PropertyKind.EMAIL, _PATTERN_EMAIL))
                  if rx.search(pattern)]
    return found


def truncate_ip(value: str) -> str:
    """The network of an address: IPv4 /24, IPv6 /48 (a CIDR already shorter is kept)."""
    network = ipaddress.ip_network(value, strict=False)
    prefix = 24 if network.version == 4 else 48
    if network.prefixlen <= prefix:
        return str(network)
    return str(network.supernet(new_prefix=prefix))


def _truncate_pattern(pattern: str) -> str:
    def ipv4(match: re.Match[str]) -> str:
        return f"ipv4-addr:value ISSUBSET '{truncate_ip(match.group(1))}'"

    def ipv6(match: re.Match[str]) -> str:
        return f"ipv6-addr:value ISSUBSET '{truncate_ip(match.group(1))}'"

    return _PATTERN_IPV6.sub(ipv6, _PATTERN_IPV4.sub(ipv4, pattern))


def transform_property(obj: dict[str, Any], prop: str, decision: Decision) -> bool:
    """Apply a property decision in place; ``False`` when the object cannot stand without it."""
    if decision.action is Action.KEEP:
        return True
    identifying = prop in ("value", "pattern")
    if decision.action is Action.TRANSFORM and decision.transform == "truncate_ip":
        try:
            obj[prop] = (_truncate_pattern(obj[prop]) if prop == "pattern"
                         else truncate_ip(str(obj[prop])))
        except ValueError:
            return False
        return True
    obj.pop(prop, None)
    return not identifying


@dataclass(frozen=True)
class RuleCitation:
    """A rule as the release record cites it."""

    id: str
    regime: str
    title: str
    citation: Citation
    obligations: tuple[str, ...]
    deadlines: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "regime": self.regime, "title": self.title,
                "citation": self.citation.model_dump(mode="json", exclude_none=True),
                "obligations": list(self.obligations), "deadlines": list(self.deadlines)}


def cite(rules: LoadedRelease, rule_ids: set[str]) -> list[dict[str, Any]]:
    """The citations (with in-force dates and confidence) of the rules named."""
    chosen = [r for r in rules.rules if r.id in rule_ids]
    return [RuleCitation(r.id, rules.regime_of(r), r.title, r.cited(), r.obligations,
                         r.deadlines).to_json() for r in sorted(chosen, key=lambda r: r.id)]


@dataclass(frozen=True)
class FlowBasis:
    """The transfer rules' verdict on the estate flow a release travels on."""

    flow_id: str
    lawful: bool
    verdict: str
    origin: str | None
    destination: str | None
    rules_fired: tuple[str, ...]


def flow_basis(estate_path: Path, flow_id: str, as_of: date) -> FlowBasis:
    """Evaluate the estate's transfer rules and read the named flow's verdict (the release's
    ``transfer_lawful`` fact)."""
    from stackrift.estate.loader import load_estate
    from stackrift.rules.engine import evaluate_estate, load_rule_set

    estate = load_estate(estate_path).estate
    for verdict in evaluate_estate(estate, as_of, load_rule_set()):
        if verdict.flow_id == flow_id:
            return FlowBasis(flow_id, verdict.lawful, verdict.verdict.value, verdict.origin,
                             verdict.destination, verdict.rules_fired)
    known = ", ".join(f.id for f in estate.data_flows) or "none"
    raise InvalidInputError.single(estate_path, f"no data flow '{flow_id}'",
                                   f"one of the estate's flows: {known}")
