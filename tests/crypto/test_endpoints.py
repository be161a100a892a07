"""Endpoints from the estate's `crypto` block, probe result files, and gateways."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from stackrift.crypto.endpoints import (
    endpoint_from_block,
    gateway_endpoints,
    load_probed_profile,
)
from stackrift.crypto.engine import Interop, InteropStatus, evaluate_flow, evaluate_path
from stackrift.crypto.errors import CryptoInputError
from stackrift.crypto.loader import load_regimes, load_registry
from stackrift.crypto.model import CryptoBlock
from stackrift.estate.yamlsource import load_located

DATA = Path(__file__).parent / "data"
AS_OF = date(2026, 12, 4)


def _systems() -> dict[str, tuple[str, CryptoBlock]]:
    doc = load_located(DATA / "rift-systems.yaml").data
    return {k: (v["country"], CryptoBlock.model_validate(v["crypto"])) for k, v in doc.items()}


def test_declared_blocks_give_no_common_suite_and_the_gateway_fixes_it() -> None:
    systems = _systems()
    regimes, registry = load_regimes(), load_registry()
    sh = endpoint_from_block("shanghai-ai", systems["shanghai-ai"][1], "CN", base=DATA)
    va = endpoint_from_block("virginia-api", systems["virginia-api"][1], "US", base=DATA)
    direct = evaluate_flow(sh, va, regimes, registry, AS_OF)
    assert direct.status is InteropStatus.NO_COMMON_SUITE
    assert direct.remediations[0].kind == "dual-stack-gateway"
    country, block = systems["hk-gateway"]
    faces = gateway_endpoints("hk-gateway", block, country)
    path = evaluate_path([(sh, faces["shanghai-ai"]), (faces["virginia-api"], va)],
                         regimes, registry, AS_OF)
    # the gateway sits in CN: its US-facing face is a CN MLPS-3 system speaking AES, which the
    # CN rules forbid -> the conflict the gateway leaves is reported, not hidden
    assert path.hops[0].status is InteropStatus.INTEROPERABLE
    assert path.hops[1].status is InteropStatus.FORBIDDEN_ONLY
    rules = {o.rule_id for v in path.hops[1].verdicts for o in v.violations}
    assert "cn.gbt39786.level3" in rules


def test_a_gateway_placed_in_the_us_interoperates_on_both_hops() -> None:
    systems = _systems()
    regimes, registry = load_regimes(), load_registry()
    sh = endpoint_from_block("shanghai-ai", systems["shanghai-ai"][1], "CN", base=DATA)
    va = endpoint_from_block("virginia-api", systems["virginia-api"][1], "US", base=DATA)
    _, block = systems["hk-gateway"]
    cn_face = gateway_endpoints("gw", block, "CN")["shanghai-ai"]
    us_block = block.model_copy(update={"facts": block.facts.model_copy(
        update={"mlps_level": None, "federal": True, "cii": None})})
    us_face = gateway_endpoints("gw", us_block, "US")["virginia-api"]
    path = evaluate_path([(sh, cn_face), (us_face, va)], regimes, registry, AS_OF)
    assert path.status is InteropStatus.INTEROPERABLE


def test_probe_files_add_what_a_server_was_seen_to_accept(tmp_path: Path) -> None:
    (tmp_path / "va.json").write_text(json.dumps({"endpoint": "x:443", "profile": {
        "protocols": ["tls1.3"], "cipher_suites": ["TLS_AES_128_GCM_SHA256"],
        "groups": ["x25519"], "signature_schemes": ["ed25519"]}}))
    block = CryptoBlock(cipher_suites=("TLS_AES_256_GCM_SHA384",), probes=("va.json",))
    endpoint = endpoint_from_block("va", block, "US", base=tmp_path)
    assert endpoint.profile.cipher_suites == ("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256")
    assert endpoint.profile.groups == ("x25519",)


@pytest.mark.parametrize(("text", "message"), [
    ("{", "not JSON"), ("[]", "no 'profile'"),
    ('{"profile": {"protocols": ["tls9"]}}', "profile.protocols.0"),
])
def test_bad_probe_files_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(text)
    with pytest.raises(CryptoInputError, match=rf"p\.json: .*{message}"):
        load_probed_profile(path)


def test_memoised_engine_equals_fresh_evaluation() -> None:
    systems = _systems()
    regimes, registry = load_regimes(), load_registry()
    ends = [endpoint_from_block(f"{name}-{i}", block, country, base=DATA)
            for i in range(3) for name, (country, block) in systems.items()
            if name != "hk-gateway"]
    engine = Interop(regimes, registry, AS_OF)
    for a in ends:
        for b in ends:
            cached, fresh = engine.flow(a, b), evaluate_flow(a, b, regimes, registry, AS_OF)
            assert cached == fresh


def test_a_flow_pin_narrows_each_end_to_the_pinned_values() -> None:
    from stackrift.crypto.endpoints import pinned, unknown_pins
    from stackrift.crypto.model import (
        CryptoProfile,
        Endpoint,
        FlowCryptoBlock,
        ModuleValidation,
        ProtocolVersion,
        ValidationScheme,
    )

    registry = load_registry()
    end = Endpoint(id="e", profile=CryptoProfile(
        protocols=(ProtocolVersion.TLS1_2, ProtocolVersion.TLS1_3),
        cipher_suites=("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384")))
    pin = FlowCryptoBlock(protocols=(ProtocolVersion.TLS1_3,),
                          cipher_suites=("0x1302",), groups=("x25519",),
                          module_validations=(ModuleValidation(
                              scheme=ValidationScheme.FIPS_140_3, certificate="4282"),))
    narrowed, unmet = pinned(end, pin, registry)
    assert unmet == ()
    assert narrowed.profile.cipher_suites == ("TLS_AES_256_GCM_SHA384",)  # 0x1302 by code
    assert narrowed.profile.protocols == (ProtocolVersion.TLS1_3,)
    assert narrowed.profile.protocols[0] is ProtocolVersion.TLS1_3
    assert narrowed.profile.groups == ("x25519",)  # left open by the end: the pin decides
    assert narrowed.profile.module_validations[0].certificate == "4282"
    _, unmet = pinned(end, FlowCryptoBlock(cipher_suites=("TLS_SM4_GCM_SM3",)), registry)
    assert unmet and "e offers none of the pinned cipher suite(s) TLS_SM4_GCM_SM3" in unmet[0]
    assert unknown_pins(FlowCryptoBlock(groups=("nonsense",)), registry) == (
        "group 'nonsense'",)


def test_a_site_block_is_a_default_the_system_block_overrides_key_by_key() -> None:
    from stackrift.crypto.model import SiteCryptoBlock, effective_block

    site = SiteCryptoBlock.model_validate({"cipher_suites": ["TLS_AES_256_GCM_SHA384"],
                                           "groups": ["secp384r1"],
                                           "facts": {"federal": True, "sector": "finance"}})
    own = CryptoBlock.model_validate({"groups": ["x25519"], "facts": {"sector": "health"}})
    merged = effective_block(own, site)
    assert merged is not None
    assert merged.cipher_suites == ("TLS_AES_256_GCM_SHA384",)
    assert merged.groups == ("x25519",)
    assert (merged.facts.federal, merged.facts.sector) == (True, "health")
    assert effective_block(None, site) is not None
    assert effective_block(None, None) is None
    explicit_empty = CryptoBlock.model_validate({"groups": []})
    merged = effective_block(explicit_empty, site)
    assert merged is not None and merged.groups == ()  # an explicit empty list is the system's
