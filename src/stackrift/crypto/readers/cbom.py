"""CycloneDX 1.6+ CBOMs: the ``cryptographic-asset`` components and their ``cryptoProperties``.

Algorithms are normalised to the registry (an unknown or conflicting name/OID is kept, with the
reason); protocols keep their cipher suites, each resolved against the TLS registry or listed as
unknown; certificates and related material keep the algorithms they reference.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from stackrift.boundedio import read_bounded
from stackrift.crypto.errors import CryptoInputError
from stackrift.crypto.loader import Registry
from stackrift.crypto.model import AssetType, InventoryItem, MaterialType, Normalised, ProtocolType
from stackrift.crypto.normalise import normalise

MAX_CBOM_BYTES = 64 << 20
MAX_COMPONENTS = 200_000
MAX_NESTING = 32


def _components(items: Any, name: str, depth: int = 0) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path, component) for every component, nested ones included (bounded depth)."""
    if items is None:
        return
    if not isinstance(items, list):
        raise CryptoInputError.single(name, "'components' is not a list", "a JSON array")
    if depth > MAX_NESTING:
        raise CryptoInputError.single(name, f"components nested deeper than {MAX_NESTING}",
                                      "a flatter component tree")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise CryptoInputError.single(name, f"component {i} at depth {depth} is not an object",
                                          "a JSON object per component")
        yield f"{i}", item
        yield from _components(item.get("components"), name, depth + 1)


def _enum(cls: type[ProtocolType] | type[MaterialType], value: Any) -> Any:
    try:
        return cls(value)
    except ValueError:
        return cls.UNKNOWN


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _algorithm_item(registry: Registry, comp: Mapping[str, Any], props: Mapping[str, Any],
                    source: str) -> InventoryItem:
    algo = props.get("algorithmProperties") or {}
    if not isinstance(algo, dict):
        algo = {}
    found = normalise(registry, name=_str(comp.get("name")), oid=_str(props.get("oid")),
                      parameter=_str(algo.get("parameterSetIdentifier")),
                      mode=_str(algo.get("mode")))
    return InventoryItem(asset_type=AssetType.ALGORITHM, name=str(comp.get("name") or ""),
                         source=source, algorithm=found,
                         quantum_vulnerable=_qv(registry, found))


def _qv(registry: Registry, found: Normalised | None) -> bool | None:
    if found is None or found.algorithm_id is None:
        return None
    return registry.algorithm(found.algorithm_id).quantum_vulnerable


def _suite_names(registry: Registry, suites: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    known: list[str] = []
    unknown: list[str] = []
    for suite in suites if isinstance(suites, list) else []:
        if not isinstance(suite, dict):
            continue
        label = _str(suite.get("name"))
        ids = suite.get("identifiers")
        code = None
        if isinstance(ids, list) and len(ids) == 2 and all(isinstance(x, str) for x in ids):
            try:
                code = int(ids[0], 16) << 8 | int(ids[1], 16)
            except ValueError:
                code = None
        entry = registry.suite(label) if label else None
        if entry is None and code is not None:
            entry = registry.suite(f"0x{code:04X}")
        if entry is not None and (code is None or code == entry.code):
            known.append(entry.name)
        else:
            unknown.append(label or (f"0x{code:04X}" if code is not None else "(unnamed)"))
    return tuple(known), tuple(unknown)


def _protocol_item(registry: Registry, comp: Mapping[str, Any], props: Mapping[str, Any],
                   source: str) -> InventoryItem:
    proto = props.get("protocolProperties") or {}
    if not isinstance(proto, dict):
        proto = {}
    known, unknown = _suite_names(registry, proto.get("cipherSuites"))
    return InventoryItem(asset_type=AssetType.PROTOCOL, name=str(comp.get("name") or ""),
                         source=source, protocol=_enum(ProtocolType, proto.get("type")),
                         protocol_version=_str(proto.get("version")), cipher_suites=known,
                         unknown_suites=unknown)


def _material_item(registry: Registry, comp: Mapping[str, Any], props: Mapping[str, Any],
                   source: str) -> InventoryItem:
    material = props.get("relatedCryptoMaterialProperties") or {}
    if not isinstance(material, dict):
        material = {}
    size = material.get("size")
    found = normalise(registry, name=_str(comp.get("name")), oid=_str(props.get("oid")),
                      parameter=str(size) if isinstance(size, int) else None)
    return InventoryItem(asset_type=AssetType.RELATED_CRYPTO_MATERIAL,
                         name=str(comp.get("name") or ""), source=source, algorithm=found,
                         material_type=_enum(MaterialType, material.get("type")),
                         quantum_vulnerable=_qv(registry, found))


def _item(registry: Registry, comp: Mapping[str, Any], source: str, name: str) -> InventoryItem:
    props = comp.get("cryptoProperties")
    if not isinstance(props, dict):
        raise CryptoInputError.single(name, f"{source}: cryptographic-asset without "
                                      "cryptoProperties", "a cryptoProperties object")
    asset = props.get("assetType")
    if asset == AssetType.ALGORITHM:
        return _algorithm_item(registry, comp, props, source)
    if asset == AssetType.PROTOCOL:
        return _protocol_item(registry, comp, props, source)
    if asset == AssetType.RELATED_CRYPTO_MATERIAL:
        return _material_item(registry, comp, props, source)
    if asset == AssetType.CERTIFICATE:
        return InventoryItem(asset_type=AssetType.CERTIFICATE, name=str(comp.get("name") or ""),
                             source=source)
    raise CryptoInputError.single(name, f"{source}: unknown assetType {asset!r}",
                                  "algorithm, certificate, protocol or related-crypto-material")


def read_cbom_bytes(data: bytes, name: str, registry: Registry) -> list[InventoryItem]:
    """Every cryptographic asset in a CycloneDX JSON document."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise CryptoInputError.single(name, f"not JSON ({exc})", "a CycloneDX JSON CBOM") from None
    if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
        raise CryptoInputError.single(name, "not a CycloneDX document",
                                      '"bomFormat": "CycloneDX"')
    items: list[InventoryItem] = []
    refs: dict[str, InventoryItem] = {}
    cert_refs: list[tuple[int, Any]] = []
    for count, (path, comp) in enumerate(_components(doc.get("components"), name), 1):
        if count > MAX_COMPONENTS:
            raise CryptoInputError.single(name, f"more than {MAX_COMPONENTS} components",
                                          "a smaller BOM")
        if comp.get("type") != "cryptographic-asset":
            continue
        ref = comp.get("bom-ref")
        source = f"{name}#{ref}" if isinstance(ref, str) and ref else f"{name}#components/{path}"
        item = _item(registry, comp, source, name)
        if isinstance(ref, str) and ref:
            refs[ref] = item
        if item.asset_type is AssetType.CERTIFICATE:
            cert_refs.append((len(items), comp["cryptoProperties"].get("certificateProperties")))
        items.append(item)
    for index, props in cert_refs:
        items[index] = _resolve_certificate(items[index], props, refs)
    return items


def _resolve_certificate(item: InventoryItem, props: Any,
                         refs: Mapping[str, InventoryItem]) -> InventoryItem:
    """A certificate's signature algorithm and key, through its bom-refs; a reference to
    nothing is left unresolved with the reason."""
    if not isinstance(props, dict):
        return item
    signature = refs.get(str(props.get("signatureAlgorithmRef")))
    key = refs.get(str(props.get("subjectPublicKeyRef")))
    algorithm = signature.algorithm if signature is not None else Normalised(
        algorithm_id=None, given_name=_str(props.get("signatureAlgorithmRef")),
        unknown_reason="signatureAlgorithmRef names no component in this BOM")
    return item.model_copy(update={
        "algorithm": algorithm,
        "quantum_vulnerable": key.quantum_vulnerable if key is not None else None})


def read_cbom(path: Path, registry: Registry) -> list[InventoryItem]:
    """As :func:`read_cbom_bytes`, for a file (bounded to ``MAX_CBOM_BYTES``)."""
    return read_cbom_bytes(read_bounded(path, MAX_CBOM_BYTES), str(path), registry)
