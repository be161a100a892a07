"""Checks over one negotiated configuration, composed like policies: one small class per check,
``AllOf``/``AnyOf`` to combine them. Every check returns a result with its reason; none raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from stackrift.crypto.loader import Registry
from stackrift.crypto.model import (
    Algorithm,
    CipherSuite,
    Endpoint,
    NamedGroup,
    ProtocolVersion,
    Requirement,
    Role,
    Selector,
    SignatureScheme,
    ValidationScheme,
)
from stackrift.crypto.normalise import security_bits


@dataclass(frozen=True)
class Configuration:
    """One thing two endpoints could negotiate: version, suite, and (where the version
    negotiates them separately) the key-exchange group and the signature scheme."""

    version: ProtocolVersion
    suite: CipherSuite
    group: NamedGroup | None = None
    scheme: SignatureScheme | None = None
    _parts: tuple[tuple[Role, Algorithm], ...] | None = field(
        default=None, compare=False, repr=False)

    def label(self) -> str:
        parts = [self.version.value, self.suite.name]
        if self.group:
            parts.append(self.group.name)
        if self.scheme:
            parts.append(self.scheme.name)
        return " / ".join(parts)

    def components(self, registry: Registry) -> tuple[tuple[Role, Algorithm], ...]:
        """Every algorithm in use and the role it plays (computed once per configuration)."""
        if self._parts is None:
            object.__setattr__(self, "_parts", self._components(registry))
        assert self._parts is not None
        return self._parts

    def _components(self, registry: Registry) -> tuple[tuple[Role, Algorithm], ...]:
        found: list[tuple[Role, str]] = [(Role.CIPHER, self.suite.cipher),
                                         (Role.HASH, self.suite.hash)]
        if self.group is not None:
            found.append((Role.KEY_EXCHANGE, self.group.algorithm))
        elif self.suite.key_exchange:
            found.append((Role.KEY_EXCHANGE, self.suite.key_exchange))
        if self.scheme is not None:
            first, *rest = self.scheme.algorithms
            found.append((Role.AUTHENTICATION, first))
            found.extend((Role.HASH, r) for r in rest)
        elif self.suite.authentication:
            found.append((Role.AUTHENTICATION, self.suite.authentication))
        return tuple((role, registry.algorithm(alg)) for role, alg in found)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    reason: str


class Check(Protocol):
    def verify(self, config: Configuration, endpoint: Endpoint) -> CheckResult: ...


def _selected(selector: Selector, role: Role, alg: Algorithm) -> bool:
    """A component is selected when it matches every criterion the selector gives."""
    if selector.roles and role not in selector.roles:
        return False
    tests = []
    if selector.families:
        tests.append(alg.family in selector.families)
    if selector.algorithms:
        tests.append(alg.id in selector.algorithms)
    if selector.quantum_vulnerable is not None:
        tests.append(alg.quantum_vulnerable is selector.quantum_vulnerable)
    if selector.below_security_bits is not None:
        bits = security_bits(alg, None)
        tests.append(bits is None or bits < selector.below_security_bits)
    return bool(tests) and all(tests)


@dataclass(frozen=True)
class Forbids:
    """Fails when the configuration uses anything the selector picks (or a selected version)."""

    selector: Selector
    registry: Registry

    def verify(self, config: Configuration, endpoint: Endpoint) -> CheckResult:
        if config.version in self.selector.protocols:
            return CheckResult(False, f"protocol {config.version.value}")
        hits = sorted({f"{alg.name} ({role.value})" for role, alg in
                       config.components(self.registry) if _selected(self.selector, role, alg)})
        if hits:
            return CheckResult(False, "uses " + ", ".join(hits))
        return CheckResult(True, "nothing selected")


@dataclass(frozen=True)
class OnlyFamilies:
    """Fails when a component (in the given roles) is outside the allowed families."""

    families: tuple[str, ...]
    roles: tuple[Role, ...]
    registry: Registry

    def verify(self, config: Configuration, endpoint: Endpoint) -> CheckResult:
        outside = sorted({f"{alg.name} ({role.value})" for role, alg in
                          config.components(self.registry)
                          if (not self.roles or role in self.roles)
                          and alg.family not in self.families})
        if outside:
            return CheckResult(False, f"not {'/'.join(self.families)}: {', '.join(outside)}")
        return CheckResult(True, f"only {'/'.join(self.families)}")


@dataclass(frozen=True)
class HasValidation:
    """Fails unless the endpoint declares a module/product validation of one of the schemes."""

    schemes: tuple[ValidationScheme, ...]

    def verify(self, config: Configuration, endpoint: Endpoint) -> CheckResult:
        held = {v.scheme for v in endpoint.profile.module_validations}
        if held & set(self.schemes):
            return CheckResult(True, "validated module declared")
        wanted = " or ".join(s.value for s in self.schemes)
        return CheckResult(False, f"no {wanted} validation declared for {endpoint.id}")


@dataclass(frozen=True)
class UsesProtocol:
    versions: tuple[ProtocolVersion, ...]

    def verify(self, config: Configuration, endpoint: Endpoint) -> CheckResult:
        if config.version in self.versions:
            return CheckResult(True, f"protocol {config.version.value}")
        return CheckResult(False, f"protocol {config.version.value} is not "
                           + " or ".join(v.value for v in self.versions))


@dataclass(frozen=True)
class AllOf:
    checks: Sequence[Check]

    def verify(self, config: Configuration, endpoint: Endpoint) -> CheckResult:
        for check in self.checks:
            result = check.verify(config, endpoint)
            if not result.ok:
                return result
        return CheckResult(True, "all checks pass")


@dataclass(frozen=True)
class AnyOf:
    checks: Sequence[Check]

    def verify(self, config: Configuration, endpoint: Endpoint) -> CheckResult:
        reasons = []
        for check in self.checks:
            result = check.verify(config, endpoint)
            if result.ok:
                return result
            reasons.append(result.reason)
        return CheckResult(False, "none passes: " + "; ".join(reasons))


def requirement_check(requirement: Requirement, registry: Registry) -> Check:
    """The checks a ``require`` rule stands for, all of which must pass."""
    checks: list[Check] = []
    if requirement.only_families:
        checks.append(OnlyFamilies(requirement.only_families, requirement.roles, registry))
    if requirement.module_validation:
        checks.append(HasValidation(requirement.module_validation))
    if requirement.protocols:
        checks.append(UsesProtocol(requirement.protocols))
    return AllOf(checks)
