"""The CBOM writer: CycloneDX 1.6 documents that validate and read back to the same inventory."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from stackrift.crypto.cbom_out import Holder, build_cbom, cbom_text
from stackrift.crypto.inventory import Inventory, build_inventory
from stackrift.crypto.loader import load_registry
from stackrift.crypto.model import (
    AssetType,
    CryptoBlock,
    CryptoProfile,
    InventoryItem,
    Normalised,
    ProtocolType,
)
from stackrift.crypto.readers.cbom import read_cbom_bytes


def _valid(text: str) -> None:
    """Checked by the CycloneDX project's own library, independently of the writer's check."""
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, error


def test_every_registry_algorithm_and_suite_round_trips() -> None:
    registry = load_registry()
    items = tuple(InventoryItem(asset_type=AssetType.ALGORITHM, name=a.name, source="here",
                                algorithm=Normalised(algorithm_id=a.id))
                  for a in registry.algorithms)
    profile = CryptoProfile(protocols=("tls1.2", "tls1.3", "tlcp1.1"),
                            cipher_suites=tuple(s.name for s in registry.cipher_suites))
    text = cbom_text([Holder(None, None, None, Inventory(items, ())),
                      Holder("gw", "Gateway", profile, Inventory((), ()))], registry, title="t")
    _valid(text)
    back = read_cbom_bytes(text.encode(), "cbom.json", registry)
    algorithms = [i for i in back if i.asset_type is AssetType.ALGORITHM]
    assert sorted(i.algorithm.algorithm_id for i in algorithms  # type: ignore[union-attr,type-var]
                  ) == sorted(a.id for a in registry.algorithms)
    assert all(i.quantum_vulnerable == registry.algorithm(i.algorithm.algorithm_id)  # type: ignore[union-attr,arg-type]
               .quantum_vulnerable for i in algorithms)
    protocols = {i.name: i for i in back if i.asset_type is AssetType.PROTOCOL}
    assert set(protocols) == {"TLS 1.2", "TLS 1.3", "TLCP 1.1"}
    assert protocols["TLCP 1.1"].protocol is ProtocolType.OTHER  # not in CycloneDX 1.6
    written = {s for p in protocols.values() for s in p.cipher_suites}
    assert written == {s.name for s in registry.cipher_suites}
    assert not any(p.unknown_suites for p in protocols.values())
    doc = json.loads(text)
    [system] = [c for c in doc["components"] if c["type"] == "application"]
    assert system["bom-ref"] == "system/gw"
    [deps] = doc["dependencies"]
    assert "crypto/system/gw/protocol/tls1.3" in deps["dependsOn"]
    [tls13] = [c for c in doc["components"]
               if c["bom-ref"] == "crypto/system/gw/protocol/tls1.3"]
    [sm] = [s for s in tls13["cryptoProperties"]["protocolProperties"]["cipherSuites"]
            if s["name"] == "TLS_SM4_GCM_SM3"]
    assert sm["identifiers"] == ["0x00", "0xC6"]
    assert "crypto/algorithm/sm4-gcm" in sm["algorithms"]


def test_certificates_and_declared_crypto_of_a_system(tmp_path: Path) -> None:
    registry = load_registry()
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "api.example")])
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(9).not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=90)).sign(key, hashes.SHA256()))
    (tmp_path / "api.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    block = CryptoBlock(protocols=("tls1.3",), cipher_suites=("TLS_AES_128_GCM_SHA256",),
                        groups=("x25519", "nonsense"), signature_schemes=("ed25519",),
                        certificates=("api.pem",))
    inventory = build_inventory(block, registry, base=tmp_path, source="api")
    bom = build_cbom([Holder("api", "API", block, inventory)], registry, title="estate")
    text = json.dumps(bom)
    _valid(text)
    assert bom == build_cbom([Holder("api", "API", block, inventory)], registry,
                             title="estate"), "the same inventory gives the same document"
    back = read_cbom_bytes(text.encode(), "cbom.json", registry)
    [certificate] = [i for i in back if i.asset_type is AssetType.CERTIFICATE]
    assert certificate.name == "CN=api.example"
    assert certificate.algorithm is not None
    assert certificate.algorithm.algorithm_id == "ecdsa-sha256"
    assert certificate.quantum_vulnerable is True  # through its public-key component
    ids = {i.algorithm.algorithm_id for i in back if i.algorithm is not None}
    assert {"x25519", "ed25519", "aes-128-gcm"} <= ids
    assert not any("nonsense" in json.dumps(c) for c in bom["components"])
