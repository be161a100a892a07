"""The cryptographic inventory of an endpoint: its declared profile, CBOMs and certificates,
every algorithm normalised to the registry, and what was not understood.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from stackrift.crypto.loader import Registry
from stackrift.crypto.model import AssetType, CryptoProfile, InventoryItem, ProtocolType
from stackrift.crypto.readers.cbom import read_cbom
from stackrift.crypto.readers.x509 import read_certificates


@dataclass(frozen=True)
class Inventory:
    """Items found, and declared names the registry does not know (never guessed)."""

    items: tuple[InventoryItem, ...]
    unknown: tuple[str, ...]

    @property
    def quantum_vulnerable(self) -> tuple[InventoryItem, ...]:
        return tuple(i for i in self.items if i.quantum_vulnerable)

    @property
    def unresolved(self) -> tuple[InventoryItem, ...]:
        """Items whose algorithm could not be normalised: each says why."""
        return tuple(i for i in self.items
                     if i.algorithm is not None and i.algorithm.algorithm_id is None)


def _declared(profile: CryptoProfile, registry: Registry, source: str) -> Iterable[InventoryItem
                                                                                   | str]:
    known = tuple(s for s in profile.cipher_suites if registry.suite(s) is not None)
    unknown = tuple(s for s in profile.cipher_suites if registry.suite(s) is None)
    if profile.cipher_suites:
        yield InventoryItem(asset_type=AssetType.PROTOCOL, name="declared cipher suites",
                            source=source, protocol=ProtocolType.TLS,
                            cipher_suites=tuple(registry.suite(s).name  # type: ignore[union-attr]
                                                for s in known), unknown_suites=unknown)
    for name in profile.groups:
        if registry.group(name) is None:
            yield f"{source}: group {name!r}"
    for name in profile.signature_schemes:
        if registry.signature_scheme(name) is None:
            yield f"{source}: signature scheme {name!r}"
    yield from (f"{source}: cipher suite {s!r}" for s in unknown)


def build_inventory(profile: CryptoProfile, registry: Registry, *, base: Path,
                    source: str, files: dict[str, tuple[InventoryItem, ...]] | None = None
                    ) -> Inventory:
    """Everything ``profile`` declares or references (paths relative to ``base``). ``files``
    keeps what each CBOM or certificate file held, for callers that read the same file for
    many endpoints."""
    items: list[InventoryItem] = []
    unknown: list[str] = []
    for entry in _declared(profile, registry, source):
        if isinstance(entry, str):
            unknown.append(entry)
        else:
            items.append(entry)
    cache = {} if files is None else files
    for rel in profile.cboms:
        key = f"cbom:{base / rel}"
        if key not in cache:
            cache[key] = tuple(read_cbom(base / rel, registry))
        items.extend(cache[key])
    for rel in profile.certificates:
        key = f"certificate:{base / rel}"
        if key not in cache:
            cache[key] = tuple(_certificate_items(base / rel, registry))
        items.extend(cache[key])
    return Inventory(tuple(items), tuple(unknown))


def _certificate_items(path: Path, registry: Registry) -> Iterable[InventoryItem]:
    for i, cert in enumerate(read_certificates(path, registry), 1):
        qv = (registry.algorithm(cert.public_key_algorithm.algorithm_id).quantum_vulnerable
              if cert.public_key_algorithm.algorithm_id else None)
        yield InventoryItem(asset_type=AssetType.CERTIFICATE, name=cert.subject,
                            source=f"{path}#certificate-{i}", certificate=cert,
                            algorithm=cert.signature_algorithm, quantum_vulnerable=qv)
