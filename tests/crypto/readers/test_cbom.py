"""CycloneDX CBOMs: the CycloneDX project's own examples, unknown names, hostile input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackrift.crypto.errors import CryptoInputError
from stackrift.crypto.loader import load_registry
from stackrift.crypto.model import AssetType
from stackrift.crypto.readers.cbom import read_cbom, read_cbom_bytes

CBOM = Path("cyclonedx") / "bom-examples" / "CBOM"


def test_protocol_example_resolves_suites_algorithms_and_flags_a_name_oid_conflict(
        shared_data: Path) -> None:
    items = read_cbom(shared_data / CBOM / "Protocol" / "bom.json", load_registry())
    protocol = next(i for i in items if i.asset_type is AssetType.PROTOCOL)
    assert protocol.cipher_suites == ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",)
    algorithms = {i.name: i.algorithm for i in items if i.asset_type is AssetType.ALGORITHM}
    assert algorithms["AES-256-GCM"].algorithm_id == "aes-256-gcm"  # type: ignore[union-attr]
    assert algorithms["SHA512withRSA"].algorithm_id == "rsa-sha512"  # type: ignore[union-attr]
    # the example names SHA384 but gives the OID of SHA3-384: reported, not resolved
    certificate = next(i for i in items if i.asset_type is AssetType.CERTIFICATE)
    assert certificate.algorithm.algorithm_id == "rsa-sha512"  # type: ignore[union-attr]
    assert certificate.quantum_vulnerable is True  # via subjectPublicKeyRef -> RSA-2048
    sha = algorithms["SHA384"]
    assert sha is not None and sha.algorithm_id is None
    assert "conflicting" in (sha.unknown_reason or "")


def test_spec_conformance_cbom_keeps_unknown_names_with_reasons(shared_data: Path) -> None:
    path = shared_data / "cyclonedx" / "spec-conformance" / "1.6" / \
        "valid-cryptography-full-1.6.json"
    items = read_cbom(path, load_registry())
    assert {i.asset_type for i in items} == set(AssetType)
    algorithm = next(i for i in items if i.asset_type is AssetType.ALGORITHM)
    assert algorithm.algorithm is not None and algorithm.algorithm.algorithm_id is None
    assert "no registry entry" in (algorithm.algorithm.unknown_reason or "")
    protocol = next(i for i in items if i.asset_type is AssetType.PROTOCOL)
    assert protocol.unknown_suites == ("TLS_DHE_RSA_WITH_AES_128_CCM",)  # name/code disagree


def test_generic_name_resolves_through_parameter_set_and_mode() -> None:
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
        {"type": "cryptographic-asset", "name": "SM4", "bom-ref": "sm4",
         "cryptoProperties": {"assetType": "algorithm",
                              "algorithmProperties": {"primitive": "ae", "mode": "gcm"}}},
        {"type": "cryptographic-asset", "name": "MyHomeCipher", "bom-ref": "x",
         "cryptoProperties": {"assetType": "algorithm"}}]}
    items = read_cbom_bytes(json.dumps(doc).encode(), "c.json", load_registry())
    assert items[0].algorithm.algorithm_id == "sm4-gcm"  # type: ignore[union-attr]
    assert items[0].source == "c.json#sm4"
    assert items[1].algorithm.algorithm_id is None  # type: ignore[union-attr]


@pytest.mark.parametrize(("data", "message"), [
    (b"{", "not JSON"),
    (b"[]", "not a CycloneDX document"),
    (b'{"bomFormat": "CycloneDX", "components": {}}', "'components' is not a list"),
    (b'{"bomFormat": "CycloneDX", "components": [{"type": "cryptographic-asset"}]}',
     "without cryptoProperties"),
    (b'{"bomFormat": "CycloneDX", "components": [{"type": "cryptographic-asset", '
     b'"cryptoProperties": {"assetType": "spell"}}]}', "unknown assetType 'spell'"),
])
def test_hostile_cboms_fail_with_the_file_named(data: bytes, message: str) -> None:
    with pytest.raises(CryptoInputError, match=rf"^bad\.json: .*{message}"):
        read_cbom_bytes(data, "bad.json", load_registry())


def test_deeply_nested_components_are_refused() -> None:
    inner: dict[str, object] = {"type": "library", "name": "x"}
    for _ in range(40):
        inner = {"type": "library", "name": "x", "components": [inner]}
    doc = {"bomFormat": "CycloneDX", "components": [inner]}
    with pytest.raises(CryptoInputError, match="nested deeper"):
        read_cbom_bytes(json.dumps(doc).encode(), "deep.json", load_registry())
