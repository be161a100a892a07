"""Cross-regime interoperability, as pure functions that return their trace.

Given two endpoints (what each offers, where it runs and for whom) and the regime packs, compute
what they can negotiate, whether each shared configuration is acceptable under the rules that
apply at each end on a date, why not when it is not (per rule, cited), and remediation options
as data. A rule whose condition cannot be decided because a fact is unknown is applied anyway
and reported as undetermined: failing closed, never a false "interoperable".
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from itertools import product

from stackrift.crypto.checks import Check, Configuration, Forbids, requirement_check
from stackrift.crypto.loader import LoadedRegime, Registry
from stackrift.crypto.model import (
    Condition,
    CryptoProfile,
    Effect,
    Endpoint,
    EndpointFacts,
    ModuleValidation,
    ProtocolVersion,
    RegimeRule,
    ValidationScheme,
)
from stackrift.findings import Citation


class InteropStatus(StrEnum):
    INTEROPERABLE = "interoperable"
    FORBIDDEN_ONLY = "interoperable only with a suite one regime forbids"
    NO_COMMON_SUITE = "no common suite"


# --- conditions -------------------------------------------------------------------------------

def evaluate_condition(cond: Condition, facts: EndpointFacts) -> bool | None:
    """True, False, or None when an unknown fact decides it (three-valued logic)."""
    if cond.all is not None:
        results = [evaluate_condition(c, facts) for c in cond.all]
        return False if False in results else (None if None in results else True)
    if cond.any is not None:
        results = [evaluate_condition(c, facts) for c in cond.any]
        return True if True in results else (None if None in results else False)
    if cond.not_ is not None:
        inner = evaluate_condition(cond.not_, facts)
        return None if inner is None else not inner
    return _test_fact(cond, facts)


def _test_fact(cond: Condition, facts: EndpointFacts) -> bool | None:
    value = getattr(facts, cond.fact) if cond.fact else None
    if value is None:
        return None
    if cond.eq is not None:
        return bool(value == cond.eq)
    if cond.in_ is not None:
        return value in cond.in_
    if cond.gte is not None:
        return isinstance(value, int) and value >= cond.gte
    return None


@dataclass(frozen=True)
class ApplicableRule:
    regime: str
    rule: RegimeRule
    check: Check
    undetermined: bool   # applied because a fact it depends on is unknown

    @property
    def binding(self) -> bool:
        """Only in-force requirements and prohibitions block; drafts, guidance and
        deprecations are reported as deadlines."""
        return self.rule.status == "in_force" and self.rule.effect is not Effect.DEPRECATE


def _in_force(rule: RegimeRule, as_of: date) -> bool:
    return ((rule.in_force_from is None or rule.in_force_from <= as_of)
            and (rule.in_force_until is None or as_of <= rule.in_force_until))


def applicable_rules(endpoint: Endpoint, regimes: Mapping[str, LoadedRegime], registry: Registry,
                     as_of: date) -> tuple[ApplicableRule, ...]:
    """Rules in force on ``as_of`` whose condition holds (or is undetermined) for the endpoint."""
    found: list[ApplicableRule] = []
    for code in sorted(regimes):
        for rule in regimes[code].pack.rules:
            if not _in_force(rule, as_of):
                continue
            holds = evaluate_condition(rule.applies_when, endpoint.facts)
            if holds is False:
                continue
            check = (requirement_check(rule.requires, registry) if rule.effect is Effect.REQUIRE
                     else Forbids(rule.selects, registry))
            found.append(ApplicableRule(code, rule, check, holds is None))
    return tuple(found)


# --- negotiation --------------------------------------------------------------------------------

def _versions(profile: CryptoProfile, registry: Registry) -> set[ProtocolVersion]:
    if profile.protocols:
        return set(profile.protocols)
    implied: set[ProtocolVersion] = set()
    for name in profile.cipher_suites:
        suite = registry.suite(name)
        if suite is not None:
            implied.update(suite.versions)
    return implied


def _names(items: Iterable[str], resolve: object) -> dict[str, object]:
    out: dict[str, object] = {}
    for text in items:
        found = resolve(text)  # type: ignore[operator]
        if found is not None:
            out[found.name] = found
    return out


def negotiate(a: CryptoProfile, b: CryptoProfile, registry: Registry) -> list[Configuration]:
    """Every configuration both profiles offer. Groups and signature schemes are intersected
    where the version negotiates them separately; a side that declares none leaves them open."""
    versions = _versions(a, registry) & _versions(b, registry)
    suites_a = _names(a.cipher_suites, registry.suite)
    suites_b = _names(b.cipher_suites, registry.suite)
    groups = _shared(_names(a.groups, registry.group), _names(b.groups, registry.group))
    schemes = _shared(_names(a.signature_schemes, registry.signature_scheme),
                      _names(b.signature_schemes, registry.signature_scheme))
    configs: list[Configuration] = []
    for name in sorted(set(suites_a) & set(suites_b)):
        suite = suites_a[name]
        for version in sorted(set(suite.versions) & versions):  # type: ignore[attr-defined]
            use_group = version is ProtocolVersion.TLS1_3 or suite.key_exchange == "ecdh"  # type: ignore[attr-defined]
            use_scheme = version is ProtocolVersion.TLS1_3
            for group, scheme in product(groups if use_group else [None],
                                         schemes if use_scheme else [None]):
                configs.append(Configuration(version, suite, group, scheme))  # type: ignore[arg-type]
    return configs


def _shared(left: dict[str, object], right: dict[str, object]) -> list[object | None]:
    if not left or not right:
        return [None]  # undeclared on a side: left open rather than guessed
    return [left[n] for n in sorted(set(left) & set(right))] or []


# --- verdicts ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleOutcome:
    """One rule that a configuration fails at one end (``source`` or ``target`` of the flow;
    the assessment names both endpoints)."""

    side: str
    regime: str
    rule_id: str
    title: str
    effect: Effect
    binding: bool
    undetermined: bool
    reason: str
    citation: Citation
    deadline: date | None = None


@dataclass(frozen=True)
class ConfigurationVerdict:
    configuration: str
    acceptable: bool
    violations: tuple[RuleOutcome, ...]
    deadlines: tuple[RuleOutcome, ...]


def _outcomes(config: Configuration, endpoint: Endpoint, rules: Sequence[ApplicableRule],
              side: str = "source") -> list[RuleOutcome]:
    out = []
    for applied in rules:
        result = applied.check.verify(config, endpoint)
        if result.ok:
            continue
        rule = applied.rule
        out.append(RuleOutcome(side, applied.regime, rule.id, rule.title, rule.effect,
                               applied.binding, applied.undetermined, result.reason,
                               rule.citation, rule.in_force_until))
    return out


@dataclass(frozen=True)
class Remediation:
    kind: str            # dual-stack-gateway | hybrid-pq-group | reconfigure-endpoint | ...
    description: str
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class FlowAssessment:
    source: str
    target: str
    as_of: date
    status: InteropStatus
    verdicts: tuple[ConfigurationVerdict, ...]
    remediations: tuple[Remediation, ...]
    undetermined_rules: tuple[str, ...]
    trace: tuple[str, ...]
    binding_rules: tuple[tuple[str, str, Citation], ...] = ()  # (endpoint, rule id, citation)

    @property
    def citations(self) -> tuple[Citation, ...]:
        """Citations of every rule behind the verdict: the rules each configuration fails and,
        when nothing is shared, the binding rules that constrain each end."""
        seen: dict[str, Citation] = {rule: cite for _, rule, cite in self.binding_rules}
        for verdict in self.verdicts:
            for o in (*verdict.violations, *verdict.deadlines):
                seen.setdefault(o.rule_id, o.citation)
        return tuple(seen[k] for k in sorted(seen))


def _status(configs: Sequence[Configuration],
            verdicts: Sequence[ConfigurationVerdict]) -> InteropStatus:
    if not configs:
        return InteropStatus.NO_COMMON_SUITE
    if any(v.acceptable for v in verdicts):
        return InteropStatus.INTEROPERABLE
    return InteropStatus.FORBIDDEN_ONLY


@dataclass
class Interop:
    """The engine for one set of regimes, one registry and one date. Steps are memoised by
    what they depend on (facts, profiles, configurations), so a matrix or an estate with many
    similar systems reuses the work; results are the same as computing each flow alone."""

    regimes: Mapping[str, LoadedRegime]
    registry: Registry
    as_of: date
    _ids: dict[int, tuple[int, object]] = field(default_factory=dict)
    _canon: dict[object, int] = field(default_factory=dict)
    _rules: dict[int, tuple[ApplicableRule, ...]] = field(default_factory=dict)
    _configs: dict[tuple[int, int], tuple[Configuration, ...]] = field(default_factory=dict)
    _outcomes: dict[tuple[object, ...], tuple[RuleOutcome, ...]] = field(default_factory=dict)
    _accepts: dict[tuple[object, ...], bool] = field(default_factory=dict)
    _statuses: dict[tuple[int, int, int, int], InteropStatus] = field(default_factory=dict)
    _held: dict[int, frozenset[ValidationScheme]] = field(default_factory=dict)
    _ends: dict[int, tuple[tuple[int, frozenset[ValidationScheme]], Endpoint]] = field(
        default_factory=dict)
    _verdicts: dict[tuple[int, int, int, int], tuple[ConfigurationVerdict, ...]] = field(
        default_factory=dict)
    _own: dict[tuple[int, int], tuple[Configuration, ...]] = field(default_factory=dict)

    def _token(self, obj: Hashable) -> int:
        """A small integer per distinct value, found by identity first (hashing a frozen
        model compares its whole content, which is what the caches would otherwise repeat)."""
        hit = self._ids.get(id(obj))
        if hit is not None and hit[1] is obj:
            return hit[0]
        token = self._canon.setdefault(obj, len(self._canon))
        self._ids[id(obj)] = (token, obj)
        return token

    def rules(self, endpoint: Endpoint) -> tuple[ApplicableRule, ...]:
        key = self._token(endpoint.facts)
        if key not in self._rules:
            self._rules[key] = applicable_rules(endpoint, self.regimes, self.registry,
                                                self.as_of)
        return self._rules[key]

    def configurations(self, a: CryptoProfile, b: CryptoProfile) -> tuple[Configuration, ...]:
        key = (self._token(a), self._token(b))
        if key not in self._configs:
            self._configs[key] = tuple(negotiate(a, b, self.registry))
        return self._configs[key]

    def _key(self, config: Configuration, endpoint: Endpoint) -> tuple[object, ...]:
        """What a configuration's outcomes at one end depend on. Suites, groups and schemes
        are the registry's own objects (negotiation resolves every name through it), so their
        identities stand for them: hashing the records themselves costs more than the rules."""
        hit = self._ends.get(id(endpoint))
        if hit is None or hit[1] is not endpoint:
            profile = self._token(endpoint.profile)
            held = self._held.get(profile)
            if held is None:
                held = self._held[profile] = frozenset(
                    v.scheme for v in endpoint.profile.module_validations)
            hit = self._ends[id(endpoint)] = ((self._token(endpoint.facts), held), endpoint)
        return (config.version, id(config.suite), id(config.group), id(config.scheme), *hit[0])

    def outcomes(self, config: Configuration, endpoint: Endpoint,
                 side: str = "source") -> tuple[RuleOutcome, ...]:
        key = (*self._key(config, endpoint), side)
        if key not in self._outcomes:
            self._outcomes[key] = tuple(_outcomes(config, endpoint, self.rules(endpoint), side))
        return self._outcomes[key]

    def acceptable(self, config: Configuration, endpoint: Endpoint) -> bool:
        """Whether no binding rule at ``endpoint`` rejects ``config`` (the side does not
        matter: a rule binds an end whichever way the flow runs)."""
        key = self._key(config, endpoint)
        found = self._accepts.get(key)
        if found is None:
            found = all(not x.binding or x.check.verify(config, endpoint).ok
                        for x in self.rules(endpoint))
            self._accepts[key] = found
        return found

    def status(self, a: Endpoint, b: Endpoint) -> InteropStatus:
        """The status :meth:`flow` would give, without its explanation: what matrices need."""
        key = (self._token(a.profile), self._token(a.facts), self._token(b.profile),
               self._token(b.facts))
        if key not in self._statuses:
            configs = self.configurations(a.profile, b.profile)
            self._statuses[key] = (
                InteropStatus.NO_COMMON_SUITE if not configs else
                InteropStatus.INTEROPERABLE if any(
                    self.acceptable(c, a) and self.acceptable(c, b) for c in configs)
                else InteropStatus.FORBIDDEN_ONLY)
        return self._statuses[key]

    def judge(self, config: Configuration, ends: Sequence[Endpoint]) -> ConfigurationVerdict:
        """``ends`` are the source and (optionally) the target of the flow."""
        found = [o for e, side in zip(ends, ("source", "target"), strict=False)
                 # an end that accepts it and has only binding rules has nothing to say
                 if not (self.acceptable(config, e) and all(x.binding for x in self.rules(e)))
                 for o in self.outcomes(config, e, side)]
        blocking = tuple(o for o in found if o.binding)
        return ConfigurationVerdict(config.label(), not blocking, blocking,
                                    tuple(o for o in found if not o.binding))

    def verdicts(self, a: Endpoint, b: Endpoint) -> tuple[ConfigurationVerdict, ...]:
        key = (self._token(a.profile), self._token(a.facts), self._token(b.profile),
               self._token(b.facts))
        if key not in self._verdicts:
            self._verdicts[key] = tuple(self.judge(c, (a, b))
                                        for c in self.configurations(a.profile, b.profile))
        return self._verdicts[key]

    def own_acceptable(self, endpoint: Endpoint) -> tuple[Configuration, ...]:
        """What the endpoint can speak that its own rules accept."""
        key = (self._token(endpoint.profile), self._token(endpoint.facts))
        if key not in self._own:
            self._own[key] = tuple(
                c for c in self.configurations(endpoint.profile, endpoint.profile)
                if self.acceptable(c, endpoint))
        return self._own[key]

    def flow(self, a: Endpoint, b: Endpoint) -> FlowAssessment:
        """The interoperability of the flow between ``a`` and ``b``."""
        rules_a, rules_b = self.rules(a), self.rules(b)
        trace = [f"{e.id}: {len(r)} rule(s) apply on {self.as_of}: "
                 + (", ".join(x.rule.id + (" (undetermined)" if x.undetermined else "")
                              for x in r) or "none") for e, r in ((a, rules_a), (b, rules_b))]
        configs = self.configurations(a.profile, b.profile)
        trace.append(f"{len(configs)} shared configuration(s)")
        verdicts = self.verdicts(a, b)
        status = _status(configs, verdicts)
        trace.append(f"status: {status.value}")
        remediations = () if status is InteropStatus.INTEROPERABLE else tuple(
            self.remediate(a, b))
        undetermined = tuple(sorted({f"{x.regime}:{x.rule.id}" for x in (*rules_a, *rules_b)
                                     if x.undetermined}))
        binding = tuple((e.id, x.rule.id, x.rule.citation)
                        for e, r in ((a, rules_a), (b, rules_b)) for x in r if x.binding)
        return FlowAssessment(a.id, b.id, self.as_of, status, verdicts, remediations,
                              undetermined, tuple(trace), binding)

    def remediate(self, a: Endpoint, b: Endpoint) -> list[Remediation]:
        """Designs that would let the flow work, and what each still leaves open."""
        side_a, side_b = list(self.own_acceptable(a)), list(self.own_acceptable(b))
        options: list[Remediation] = []
        for endpoint, side in ((a, side_a), (b, side_b)):
            if not side:
                options.append(Remediation(
                    kind="reconfigure-endpoint",
                    description=f"{endpoint.id} offers nothing its own rules accept; fix it "
                                "first.", details={"endpoint": endpoint.id}))
        if side_a and side_b:
            options.append(_gateway(a, b, side_a, side_b))
        hybrid = self.registry.group("X25519MLKEM768")
        offered = {g.casefold() for g in (*a.profile.groups, *b.profile.groups)}
        if hybrid is not None and hybrid.name.casefold() not in offered:
            options.append(Remediation(
                kind="hybrid-pq-group",
                description="Offer the hybrid post-quantum group X25519MLKEM768 on TLS 1.3 at "
                            "both ends to meet post-quantum deadlines; it does not satisfy an "
                            "SM-only or GOST-only requirement.",
                details={"group": hybrid.name, "code": f"0x{hybrid.code:04X}"}))
        return options


def evaluate_flow(a: Endpoint, b: Endpoint, regimes: Mapping[str, LoadedRegime],
                  registry: Registry, as_of: date) -> FlowAssessment:
    """The interoperability of the flow between ``a`` and ``b`` on ``as_of``."""
    return Interop(regimes, registry, as_of).flow(a, b)


def judge(config: Configuration, ends: Sequence[tuple[Endpoint, Sequence[ApplicableRule]]]
          ) -> ConfigurationVerdict:
    """Whether ``config`` is acceptable to the given rules of every end."""
    outcomes = [o for (endpoint, rules), side in zip(ends, ("source", "target"), strict=False)
                for o in _outcomes(config, endpoint, rules, side)]
    blocking = tuple(o for o in outcomes if o.binding)
    return ConfigurationVerdict(config.label(), not blocking, blocking,
                                tuple(o for o in outcomes if not o.binding))


def _gateway(a: Endpoint, b: Endpoint, side_a: list[Configuration],
             side_b: list[Configuration]) -> Remediation:
    return Remediation(
        kind="dual-stack-gateway",
        description=(f"Terminate the connection at a gateway that speaks {side_a[0].label()} "
                     f"towards {a.id} and {side_b[0].label()} towards {b.id}. The data is in "
                     "clear text inside the gateway: its location makes the gateway-to-far-end "
                     "hop a data transfer of its own, to be assessed by the transfers analysis, "
                     "and the gateway's own cryptography must satisfy the rules where it runs."),
        details={"towards": {a.id: [c.label() for c in side_a[:3]],
                             b.id: [c.label() for c in side_b[:3]]},
                 "placements": sorted({c for c in (a.facts.country, b.facts.country) if c}),
                 "hops": [[a.id, "gateway"], ["gateway", b.id]]})


# --- matrices -------------------------------------------------------------------------------

def interop_matrix(endpoints: Sequence[Endpoint], regimes: Mapping[str, LoadedRegime],
                   registry: Registry, as_of: date) -> dict[tuple[str, str], InteropStatus]:
    """Status for every ordered pair of distinct endpoints (system × system)."""
    engine = Interop(regimes, registry, as_of)
    return {(x.id, y.id): engine.status(x, y)
            for x in endpoints for y in endpoints if x.id != y.id}


def universal_endpoint(endpoint_id: str, facts: EndpointFacts, registry: Registry) -> Endpoint:
    """An endpoint that offers everything in the registry, with every validation: what a
    regime allows at best, for the regime × regime matrix."""
    profile = CryptoProfile(
        cipher_suites=tuple(s.name for s in registry.cipher_suites),
        groups=tuple(g.name for g in registry.groups),
        signature_schemes=tuple(s.name for s in registry.signature_schemes),
        module_validations=tuple(ModuleValidation(scheme=s) for s in ValidationScheme))
    return Endpoint(id=endpoint_id, profile=profile, facts=facts)


def regime_matrix(profiles: Mapping[str, EndpointFacts], regimes: Mapping[str, LoadedRegime],
                  registry: Registry, as_of: date) -> dict[tuple[str, str], InteropStatus]:
    """For named endpoint profiles (e.g. 'CN CII', 'US federal'), whether any configuration in
    the registry is acceptable to both sides' rules."""
    ends = [universal_endpoint(name, facts, registry) for name, facts in profiles.items()]
    return interop_matrix(ends, regimes, registry, as_of)


# --- paths through gateways --------------------------------------------------------------------

@dataclass(frozen=True)
class PathAssessment:
    """A flow carried over several hops (e.g. through a dual-stack gateway): every hop must
    interoperate; each hop is also a data transfer of its own for the transfers analysis."""

    hops: tuple[FlowAssessment, ...]

    @property
    def status(self) -> InteropStatus:
        order = list(InteropStatus)
        return max((h.status for h in self.hops), key=order.index)


def evaluate_path(hops: Sequence[tuple[Endpoint, Endpoint]], regimes: Mapping[str, LoadedRegime],
                  registry: Registry, as_of: date) -> PathAssessment:
    """Assess each hop; a gateway appears as two endpoints (one face per hop) sharing its facts."""
    engine = Interop(regimes, registry, as_of)
    return PathAssessment(tuple(engine.flow(a, b) for a, b in hops))
