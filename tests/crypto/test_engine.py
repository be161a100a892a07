"""The interoperability engine: negotiation, regime verdicts, remediation, matrices."""

from __future__ import annotations

from datetime import date

import pytest

from stackrift.crypto.checks import AllOf, AnyOf, Configuration, HasValidation, UsesProtocol
from stackrift.crypto.engine import (
    InteropStatus,
    applicable_rules,
    evaluate_condition,
    evaluate_flow,
    evaluate_path,
    interop_matrix,
    negotiate,
    regime_matrix,
)
from stackrift.crypto.loader import load_regimes, load_registry
from stackrift.crypto.model import (
    Condition,
    CryptoProfile,
    Endpoint,
    EndpointFacts,
    ModuleValidation,
    ProtocolVersion,
    ValidationScheme,
)

AS_OF = date(2026, 12, 4)
SM_TLS13 = {"protocols": [ProtocolVersion.TLS1_3], "cipher_suites": ["TLS_SM4_GCM_SM3"],
                "groups": ["curveSM2"], "signature_schemes": ["sm2sig_sm3"]}
FIPS_TLS = {"protocols": [ProtocolVersion.TLS1_2, ProtocolVersion.TLS1_3],
                "cipher_suites": ["TLS_AES_256_GCM_SHA384",
                                  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"],
                "groups": ["secp384r1"], "signature_schemes": ["ecdsa_secp384r1_sha384"]}
CN_FACTS = EndpointFacts(country="CN", mlps_level=3, cii=False)
US_FACTS = EndpointFacts(country="US", federal=True, fedramp=False, nss=False)


def _endpoint(name: str, facts: EndpointFacts, validation: ValidationScheme,
              **profile: object) -> Endpoint:
    return Endpoint(id=name, facts=facts, profile=CryptoProfile(
        module_validations=(ModuleValidation(scheme=validation, certificate="1"),),
        **profile))  # type: ignore[arg-type]


def shanghai() -> Endpoint:
    return _endpoint("shanghai", CN_FACTS, ValidationScheme.CN_COMMERCIAL_CRYPTO, **SM_TLS13)


def virginia() -> Endpoint:
    return _endpoint("virginia", US_FACTS, ValidationScheme.FIPS_140_3, **FIPS_TLS)


def test_sm_only_shanghai_and_fips_federal_system_share_no_suite_and_get_a_gateway() -> None:
    registry, regimes = load_registry(), load_regimes()
    flow = evaluate_flow(shanghai(), virginia(), regimes, registry, AS_OF)
    assert flow.status is InteropStatus.NO_COMMON_SUITE
    cited = {c.source for c in flow.citations}
    assert any("GB/T 39786" in s for s in cited) and any("SP 800-140C" in s for s in cited)
    kinds = [r.kind for r in flow.remediations]
    assert kinds[0] == "dual-stack-gateway"
    gateway = flow.remediations[0]
    assert gateway.details["placements"] == ["CN", "US"]
    assert "TLS_SM4_GCM_SM3" in str(gateway.details["towards"])


def test_through_a_dual_stack_gateway_every_hop_interoperates() -> None:
    registry, regimes = load_registry(), load_regimes()
    inner = _endpoint("gateway-cn-face", CN_FACTS, ValidationScheme.CN_COMMERCIAL_CRYPTO,
                      **SM_TLS13)
    outer = Endpoint(id="gateway-us-face", facts=EndpointFacts(country="US", federal=True),
                     profile=virginia().profile)
    path = evaluate_path([(shanghai(), inner), (outer, virginia())], regimes, registry, AS_OF)
    assert [h.status for h in path.hops] == [InteropStatus.INTEROPERABLE] * 2
    assert path.status is InteropStatus.INTEROPERABLE


def test_a_shared_suite_one_regime_forbids_is_reported_as_such() -> None:
    registry, regimes = load_registry(), load_regimes()
    both = {"protocols": [ProtocolVersion.TLS1_3],
                "cipher_suites": ["TLS_SM4_GCM_SM3", "TLS_AES_256_GCM_SHA384"],
                "groups": ["curveSM2", "secp384r1"],
                "signature_schemes": ["sm2sig_sm3", "ecdsa_secp384r1_sha384"]}
    dual = _endpoint("shanghai-dual", CN_FACTS, ValidationScheme.CN_COMMERCIAL_CRYPTO, **both)
    flow = evaluate_flow(dual, virginia(), regimes, registry, AS_OF)
    assert flow.status is InteropStatus.FORBIDDEN_ONLY
    reasons = {o.rule_id for v in flow.verdicts for o in v.violations}
    assert "cn.gbt39786.level3" in reasons


def test_unknown_facts_apply_the_rule_and_say_so() -> None:
    registry, regimes = load_registry(), load_regimes()
    unknown = EndpointFacts(country="CN")  # CII and MLPS level not recorded
    end = _endpoint("cn-unknown", unknown, ValidationScheme.OTHER, **FIPS_TLS)
    rules = applicable_rules(end, regimes, registry, AS_OF)
    assert {r.rule.id for r in rules if r.undetermined} >= {"cn.gbt39786.level3",
                                                             "cn.crypto-law.27.cii"}
    flow = evaluate_flow(end, virginia(), regimes, registry, AS_OF)
    assert flow.status is not InteropStatus.INTEROPERABLE  # fails closed
    assert "CN:cn.gbt39786.level3" in flow.undetermined_rules


def test_rules_outside_their_dates_do_not_apply() -> None:
    registry, regimes = load_registry(), load_regimes()
    before = {r.rule.id for r in applicable_rules(shanghai(), regimes, registry, date(2021, 9, 30))}
    after = {r.rule.id for r in applicable_rules(shanghai(), regimes, registry, AS_OF)}
    assert "cn.gbt39786.level3" not in before and "cn.gbt39786.level3" in after


def test_deprecations_and_drafts_report_deadlines_without_blocking() -> None:
    registry, regimes = load_registry(), load_regimes()
    flow = evaluate_flow(virginia(), virginia(), regimes, registry, date(2031, 6, 1))
    assert flow.status is InteropStatus.INTEROPERABLE
    deadlines = {o.rule_id for v in flow.verdicts for o in v.deadlines}
    assert "us.nsm10.pqc-transition" in deadlines


def test_negotiation_intersects_groups_and_schemes_for_tls13() -> None:
    registry = load_registry()
    a = CryptoProfile(protocols=[ProtocolVersion.TLS1_3],
                      cipher_suites=["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"],
                      groups=["x25519", "X25519MLKEM768"], signature_schemes=["ed25519"])
    b = CryptoProfile(protocols=[ProtocolVersion.TLS1_3], cipher_suites=["0x1302"],
                      groups=["0x11EC"], signature_schemes=["ed25519", "rsa_pss_rsae_sha256"])
    [config] = negotiate(a, b, registry)
    assert config.label() == "tls1.3 / TLS_AES_256_GCM_SHA384 / X25519MLKEM768 / ed25519"


def test_three_valued_conditions() -> None:
    facts = EndpointFacts(country="CN")
    cond = Condition.model_validate({"all": [{"fact": "country", "eq": "CN"},
                                             {"fact": "cii", "eq": True}]})
    assert evaluate_condition(cond, facts) is None
    assert evaluate_condition(Condition.model_validate(
        {"any": [{"fact": "country", "eq": "CN"}, {"fact": "cii", "eq": True}]}), facts) is True
    assert evaluate_condition(Condition.model_validate(
        {"not": {"fact": "country", "in": ["US", "DE"]}}), facts) is True
    assert evaluate_condition(Condition.model_validate(
        {"fact": "mlps_level", "gte": 3}), EndpointFacts(mlps_level=2)) is False


def test_checks_compose() -> None:
    registry = load_registry()
    suite = registry.suite("TLS_AES_128_GCM_SHA256")
    assert suite is not None
    config = Configuration(ProtocolVersion.TLS1_3, suite)
    end = virginia()
    fips = HasValidation((ValidationScheme.FIPS_140_3,))
    gost = HasValidation((ValidationScheme.RU_FSB,))
    assert AllOf([fips, UsesProtocol((ProtocolVersion.TLS1_3,))]).verify(config, end).ok
    assert not AllOf([fips, gost]).verify(config, end).ok
    assert AnyOf([gost, fips]).verify(config, end).ok
    assert "ru-fsb" in AnyOf([gost]).verify(config, end).reason


@pytest.fixture(scope="module")
def matrix() -> dict[tuple[str, str], InteropStatus]:
    """The regime x regime matrix, computed once: every registry configuration is judged."""
    profiles = {"CN MLPS3": CN_FACTS, "US federal": US_FACTS,
                "DE": EndpointFacts(country="DE", cii=False, criticality="low"),
                "RU state": EndpointFacts(country="RU", state_system=True)}
    return regime_matrix(profiles, load_regimes(), load_registry(), AS_OF)


@pytest.mark.parametrize(("left", "right", "status"), [
    ("CN MLPS3", "US federal", InteropStatus.FORBIDDEN_ONLY),
    ("US federal", "DE", InteropStatus.INTEROPERABLE),
    ("RU state", "CN MLPS3", InteropStatus.FORBIDDEN_ONLY),
])
def test_regime_matrix(matrix: dict[tuple[str, str], InteropStatus], left: str, right: str,
                       status: InteropStatus) -> None:
    assert matrix[(left, right)] is status


def test_system_matrix_covers_every_ordered_pair() -> None:
    ends = [shanghai(), virginia()]
    matrix = interop_matrix(ends, load_regimes(), load_registry(), AS_OF)
    assert matrix == {("shanghai", "virginia"): InteropStatus.NO_COMMON_SUITE,
                      ("virginia", "shanghai"): InteropStatus.NO_COMMON_SUITE}
