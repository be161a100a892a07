"""A CycloneDX 1.6 CBOM of what systems (or files) hold: ``cryptographic-asset`` components with
their ``cryptoProperties``, written in the vocabulary the CBOM reader reads back.

Algorithms are written once each (``bom-ref`` ``crypto/algorithm/ID``) and named by their
registry name and first OID, so reading the CBOM again resolves every asset to the same registry
entry. A system's declared protocol versions become one ``protocol`` component per version with
the suites valid for it (TLCP, which CycloneDX 1.6 does not list, is written as ``other`` with
its name kept); its groups and signature schemes become the algorithms behind them; the items
of its CBOMs and certificates follow. Each system is an ``application`` component that depends
on its assets. The document is checked against the CycloneDX 1.6 schema before it is returned:
nothing invalid is written.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from stackrift import __version__
from stackrift.crypto.inventory import Inventory
from stackrift.crypto.loader import Registry
from stackrift.crypto.model import (
    Algorithm,
    AssetType,
    CipherSuite,
    CryptoProfile,
    InventoryItem,
    MaterialType,
    Normalised,
    ProtocolType,
    ProtocolVersion,
)

SPEC_VERSION = "1.6"
_PROTOCOL_NAMES = {ProtocolVersion.SSL3: ("tls", "3.0", "SSL 3.0"),
                   ProtocolVersion.TLS1_0: ("tls", "1.0", "TLS 1.0"),
                   ProtocolVersion.TLS1_1: ("tls", "1.1", "TLS 1.1"),
                   ProtocolVersion.TLS1_2: ("tls", "1.2", "TLS 1.2"),
                   ProtocolVersion.TLS1_3: ("tls", "1.3", "TLS 1.3"),
                   ProtocolVersion.TLCP1_1: ("other", "1.1", "TLCP 1.1")}


@dataclass(frozen=True)
class Holder:
    """Whose cryptography a part of the CBOM describes: a system of the estate (``id`` and its
    effective profile) or, with ``id`` None, files named on the command line."""

    id: str | None
    name: str | None
    profile: CryptoProfile | None
    inventory: Inventory


@dataclass
class _Builder:
    registry: Registry
    components: dict[str, dict[str, Any]] = field(default_factory=dict)

    def algorithm(self, algorithm: Algorithm) -> str:
        ref = f"crypto/algorithm/{algorithm.id}"
        if ref not in self.components:
            props: dict[str, Any] = {"primitive": algorithm.primitive.value}
            if algorithm.classical_security_bits is not None:
                props["classicalSecurityLevel"] = algorithm.classical_security_bits
            level = (algorithm.nist_quantum_level if algorithm.nist_quantum_level is not None
                     else 0 if algorithm.quantum_vulnerable else None)
            if level is not None:
                props["nistQuantumSecurityLevel"] = level
            crypto: dict[str, Any] = {"assetType": "algorithm", "algorithmProperties": props}
            if algorithm.oids:
                crypto["oid"] = algorithm.oids[0]
            self._add(ref, algorithm.name, crypto)
        return ref

    def normalised(self, found: Normalised | None, owner: str, index: int) -> str | None:
        """The algorithm an inventory item names; an unresolved one is kept as written, with
        primitive ``unknown``, so a reader sees the same unknown name."""
        if found is None:
            return None
        if found.algorithm_id is not None:
            return self.algorithm(self.registry.algorithm(found.algorithm_id))
        ref = f"crypto/{owner}/unresolved/{index}"
        crypto: dict[str, Any] = {"assetType": "algorithm",
                                  "algorithmProperties": {"primitive": "unknown"}}
        if found.given_oid:
            crypto["oid"] = found.given_oid
        self._add(ref, found.given_name or found.given_oid or "unknown", crypto)
        return ref

    def suite(self, suite: CipherSuite) -> dict[str, Any]:
        ids = [self.algorithm(self.registry.algorithm(a)) for a in
               (suite.key_exchange, suite.authentication, suite.cipher, suite.hash) if a]
        return {"name": suite.name, "algorithms": list(dict.fromkeys(ids)),
                "identifiers": [f"0x{suite.code >> 8:02X}", f"0x{suite.code & 0xFF:02X}"]}

    def _add(self, ref: str, name: str, crypto: dict[str, Any], **extra: Any) -> None:
        self.components[ref] = {"type": "cryptographic-asset", "bom-ref": ref, "name": name,
                                **extra, "cryptoProperties": crypto}


def _versions(profile: CryptoProfile, registry: Registry) -> list[ProtocolVersion]:
    if profile.protocols:
        return sorted(set(profile.protocols), key=list(ProtocolVersion).index)
    found = {v for s in profile.cipher_suites if (x := registry.suite(s)) for v in x.versions}
    return sorted(found, key=list(ProtocolVersion).index)


def _declared(builder: _Builder, owner: str, profile: CryptoProfile) -> list[str]:
    """Components for what a profile declares: protocols with their suites, the algorithms of
    its groups and signature schemes. Names the registry does not know are left out here
    (the inventory lists them as unknown)."""
    registry = builder.registry
    refs: list[str] = []
    suites = [s for s in (registry.suite(n) for n in profile.cipher_suites) if s is not None]
    validations = [f"{v.scheme.value}" + (f" #{v.certificate}" if v.certificate else "")
                   for v in profile.module_validations]
    for version in _versions(profile, registry):
        kind, number, label = _PROTOCOL_NAMES[version]
        ref = f"crypto/{owner}/protocol/{version.value}"
        crypto = {"assetType": "protocol", "protocolProperties": {
            "type": kind, "version": number,
            "cipherSuites": [builder.suite(s) for s in suites if version in s.versions]}}
        extra = ({"properties": [{"name": "stackrift:module-validation", "value": v}
                                 for v in validations]} if validations else {})
        builder._add(ref, label, crypto, **extra)
        refs.append(ref)
    for name in profile.groups:
        group = registry.group(name)
        if group is not None:
            refs.append(builder.algorithm(registry.algorithm(group.algorithm)))
    for name in profile.signature_schemes:
        scheme = registry.signature_scheme(name)
        if scheme is not None:
            refs += [builder.algorithm(registry.algorithm(a)) for a in scheme.algorithms]
    return refs


def _certificate(builder: _Builder, item: InventoryItem) -> str:
    cert = item.certificate
    assert cert is not None
    ref = f"crypto/certificate/{cert.sha256[:32]}"
    if ref in builder.components:
        return ref
    signature = builder.normalised(cert.signature_algorithm, ref, 0)
    key_ref = f"{ref}/public-key"
    key = cert.public_key_algorithm
    key_alg = builder.normalised(key, ref, 1)
    material: dict[str, Any] = {"type": "public-key"}
    if key_alg is not None:
        material["algorithmRef"] = key_alg
    if key.key_size:
        material["size"] = key.key_size
    key_crypto: dict[str, Any] = {"assetType": "related-crypto-material",
                                  "relatedCryptoMaterialProperties": material}
    known = builder.registry.by_id.get(key.algorithm_id or "")
    if known is not None and known.oids:
        key_crypto["oid"] = known.oids[0]
    builder._add(key_ref, known.name if known else (key.given_name or "public key"), key_crypto)
    props: dict[str, Any] = {"subjectName": cert.subject, "issuerName": cert.issuer,
                             "certificateFormat": "X.509", "subjectPublicKeyRef": key_ref}
    if signature is not None:
        props["signatureAlgorithmRef"] = signature
    if cert.not_before:
        props["notValidBefore"] = f"{cert.not_before.isoformat()}T00:00:00Z"
    if cert.not_after:
        props["notValidAfter"] = f"{cert.not_after.isoformat()}T00:00:00Z"
    builder._add(ref, cert.subject, {"assetType": "certificate", "certificateProperties": props})
    return ref


def _protocol_item(builder: _Builder, owner: str, index: int, item: InventoryItem) -> str:
    registry = builder.registry
    suites = [builder.suite(s) for s in (registry.suite(n) for n in item.cipher_suites)
              if s is not None]
    suites += [{"name": name} for name in item.unknown_suites]
    kind = item.protocol.value if item.protocol and item.protocol is not ProtocolType.TLCP \
        else "other"
    props: dict[str, Any] = {"type": kind, "cipherSuites": suites}
    if item.protocol_version:
        props["version"] = item.protocol_version
    ref = f"crypto/{owner}/item/{index}"
    builder._add(ref, item.name or "protocol", {"assetType": "protocol",
                                                "protocolProperties": props})
    return ref


def _material_item(builder: _Builder, owner: str, index: int, item: InventoryItem) -> str:
    ref = f"crypto/{owner}/item/{index}"
    found = item.algorithm
    material: dict[str, Any] = {"type": (item.material_type or MaterialType.UNKNOWN).value}
    if found is not None and found.key_size:
        material["size"] = found.key_size
    crypto: dict[str, Any] = {"assetType": "related-crypto-material",
                              "relatedCryptoMaterialProperties": material}
    known = builder.registry.by_id.get(found.algorithm_id or "") if found else None
    if known is not None and known.oids:
        crypto["oid"] = known.oids[0]
    elif found is not None and found.given_oid:
        crypto["oid"] = found.given_oid
    builder._add(ref, known.name if known else item.name, crypto)
    return ref


def _item(builder: _Builder, owner: str, index: int, item: InventoryItem) -> str | None:
    if item.asset_type is AssetType.CERTIFICATE and item.certificate is not None:
        return _certificate(builder, item)
    if item.asset_type is AssetType.PROTOCOL:
        return _protocol_item(builder, owner, index, item)
    if item.asset_type is AssetType.RELATED_CRYPTO_MATERIAL:
        return _material_item(builder, owner, index, item)
    if item.asset_type is AssetType.CERTIFICATE:
        # a certificate a CBOM named without its X.509 details: kept, with its signature
        ref = f"crypto/{owner}/item/{index}"
        signature = builder.normalised(item.algorithm, ref, 0)
        props = {"signatureAlgorithmRef": signature} if signature else {}
        builder._add(ref, item.name or "certificate",
                     {"assetType": "certificate", "certificateProperties": props})
        return ref
    return builder.normalised(item.algorithm, owner, index)


def _holder_refs(builder: _Builder, holder: Holder) -> list[str]:
    owner = f"system/{holder.id}" if holder.id is not None else "files"
    refs = _declared(builder, owner, holder.profile) if holder.profile is not None else []
    for index, item in enumerate(holder.inventory.items):
        if holder.id is not None and item.source == holder.id:
            continue  # what the profile declares is written from the profile above
        ref = _item(builder, owner, index, item)
        if ref is not None:
            refs.append(ref)
    return list(dict.fromkeys(refs))


def build_cbom(holders: Sequence[Holder], registry: Registry, *, title: str) -> dict[str, Any]:
    """The CBOM as a JSON-able mapping (checked against the CycloneDX 1.6 schema)."""
    builder = _Builder(registry)
    systems: list[dict[str, Any]] = []
    dependencies: list[dict[str, Any]] = []
    for holder in holders:
        refs = _holder_refs(builder, holder)
        if holder.id is None:
            continue
        ref = f"system/{holder.id}"
        systems.append({"type": "application", "bom-ref": ref, "name": holder.name or holder.id})
        dependencies.append({"ref": ref, "dependsOn": refs})
    components = [*systems, *(builder.components[k] for k in sorted(builder.components))]
    bom: dict[str, Any] = {
        "bomFormat": "CycloneDX", "specVersion": SPEC_VERSION, "version": 1,
        "metadata": {"tools": {"components": [{"type": "application", "name": "StackRift",
                                               "version": __version__}]},
                     "component": {"type": "application", "bom-ref": "cbom-subject",
                                   "name": title}},
        "components": components}
    if dependencies:
        bom["dependencies"] = dependencies
    body = orjson.dumps(bom, option=orjson.OPT_SORT_KEYS)
    # the same inventory gives the same serial number: reports stay reproducible
    serial = uuid.UUID(bytes=hashlib.sha256(body).digest()[:16], version=5)
    bom["serialNumber"] = f"urn:uuid:{serial}"
    _check(bom)
    return bom


def _check(bom: dict[str, Any]) -> None:
    from stackrift.bom._cdx_schema import check

    raw = orjson.dumps(bom)
    check(Path("<cbom>"), raw, orjson.loads(raw))


def cbom_text(holders: Iterable[Holder], registry: Registry, *, title: str) -> str:
    """The CBOM as indented JSON text."""
    bom = build_cbom(list(holders), registry, title=title)
    return orjson.dumps(bom, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"
