"""The packaged crypto packs load, cross-check, and bad packs fail with located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackrift.crypto.errors import CryptoInputError
from stackrift.crypto.loader import load_regime, load_regimes, load_registry, load_registry_files
from stackrift.errors import InputError

PACKS = Path(__file__).resolve().parents[2] / "src" / "stackrift" / "crypto" / "packs"


def test_registry_covers_the_required_algorithms_and_code_points() -> None:
    registry = load_registry()
    for oid, alg in {"1.2.156.10197.1.301": "sm2", "1.2.156.10197.1.501": "sm2-with-sm3",
                     "1.2.156.10197.1.401": "sm3", "1.2.156.10197.1.104.8": "sm4-gcm",
                     "1.2.643.7.1.1.3.2": "gost3410-2012-256-sig",
                     "1.2.643.7.1.1.2.2": "streebog-256", "1.2.643.7.1.1.5.2": "kuznyechik",
                     "2.16.840.1.101.3.4.4.2": "ml-kem-768", "2.16.840.1.101.3.4.3.18": "ml-dsa-65",
                     "2.16.840.1.101.3.4.3.20": "slh-dsa-sha2-128s", "1.3.101.112": "ed25519",
                     "1.3.101.110": "x25519", "1.3.6.1.5.5.7.6.34": "xmss"}.items():
        assert registry.by_oid[oid].id == alg
    assert registry.suite("TLS_SM4_GCM_SM3").code == 0x00C6  # type: ignore[union-attr]
    assert registry.suite("TLS_SM4_CCM_SM3").code == 0x00C7  # type: ignore[union-attr]
    assert registry.suite("0xE053").name == "ECC_SM4_GCM_SM3"  # type: ignore[union-attr]
    assert registry.suite("ECDHE_SM4_CBC_SM3").code == 0xE011  # type: ignore[union-attr]
    assert registry.suite("0xC103").name == "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L"  # type: ignore[union-attr]
    assert registry.group("curveSM2").code == 41  # type: ignore[union-attr]
    assert registry.group("0x11EC").name == "X25519MLKEM768"  # type: ignore[union-attr]
    assert registry.signature_scheme("sm2sig_sm3").code == 0x0708  # type: ignore[union-attr]


def test_every_regime_rule_carries_a_dated_citation() -> None:
    regimes = load_regimes()
    assert set(regimes) == {"CN", "EU", "RU", "US"}
    for loaded in regimes.values():
        for rule in loaded.pack.rules:
            assert rule.citation.checked_on is not None, rule.id
            if rule.citation.confidence == "unverified":
                assert rule.citation.unverified_reason, rule.id


def test_registry_cross_reference_errors_are_located(tmp_path: Path) -> None:
    tls = (PACKS / "tls.yaml").read_text().replace("cipher: sm4-gcm", "cipher: sm4-gcmx", 1)
    bad = tmp_path / "tls.yaml"
    bad.write_text(tls)
    with pytest.raises(CryptoInputError) as info:
        load_registry_files(PACKS / "algorithms.yaml", bad)
    message = str(info.value)
    assert f"{bad}:" in message and "unknown algorithm id 'sm4-gcmx'" in message
    assert isinstance(info.value, InputError)  # the CLI maps it to exit code 2


def test_regime_pack_with_unknown_family_and_bad_key_is_located(tmp_path: Path) -> None:
    pack = tmp_path / "xx.yaml"
    pack.write_text(
        "regime: XX\ntitle: t\nversion: '1'\nrules:\n"
        "  - id: a\n    title: t\n    applies_when: {fact: country, eq: XX}\n"
        "    effect: require\n    requires: {only_families: [NOPE]}\n"
        "    citation: {source: s, checked_on: 2026-12-04}\n")
    with pytest.raises(CryptoInputError, match=r"xx\.yaml:9:\d+: unknown family 'NOPE'"):
        load_regime(pack)
    pack.write_text(pack.read_text().replace("effect: require", "effect: require\n    colour: red"))
    with pytest.raises(CryptoInputError, match=r"xx\.yaml:9:\d+: unknown key 'colour'"):
        load_regime(pack)
