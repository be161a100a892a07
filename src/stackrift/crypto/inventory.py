"""The cryptographic inventory of an endpoint: its declared profile, CBOMs and certificates,
every algorithm normalised to the registry, and what was not understood.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from stackrift.crypto.loader import Registry
from stackrift.crypto.model import AssetType, CryptoProfile, InventoryItem, ProtocolType
from stackrift.crypto.readers.cbom import read_cbom
from stackrift.crypto.readers.x509 import read_certificates
from stackrift.errors import InputError


@dataclass(frozen=True)
class Inventory:
    """Items found, and declared names the registry does not know (never guessed)."""

    items: tuple[InventoryItem, ...]
    unknown: tuple[str, ...]
    unread: tuple[str, ...] = ()  # "file: why" for each referenced file that could not be read

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
                    source: str, files: dict[str, tuple[InventoryItem, ...] | str] | None = None,
                    strict: bool = True) -> Inventory:
    """Everything ``profile`` declares or references (paths relative to ``base``). ``files``
    keeps what each CBOM or certificate file held (or why it could not be read), for callers
    that read the same file for many endpoints. A file that cannot be read raises its error;
    with ``strict=False`` it is listed in ``unread`` instead, so that an assessment can say
    what it did not look at and go on with the rest."""
    items: list[InventoryItem] = []
    unknown: list[str] = []
    unread: list[str] = []
    for entry in _declared(profile, registry, source):
        if isinstance(entry, str):
            unknown.append(entry)
        else:
            items.append(entry)
    cache: dict[str, tuple[InventoryItem, ...] | str] = {} if files is None else files
    readers: tuple[tuple[str, tuple[str, ...], Callable[[Path], Iterable[InventoryItem]]], ...] = (
        ("cbom", profile.cboms, lambda path: read_cbom(path, registry)),
        ("certificate", profile.certificates, lambda path: _certificate_items(path, registry)))
    for kind, names, read in readers:
        for rel in names:
            key = f"{kind}:{base / rel}"
            if key not in cache:
                try:
                    cache[key] = tuple(read(base / rel))
                except InputError as exc:
                    if strict:
                        raise
                    cache[key] = exc.diagnostics()[0]
            held = cache[key]
            if isinstance(held, str):
                unread.append(f"{kind} {rel}: {held}")
            else:
                items.extend(held)
    return Inventory(tuple(items), tuple(unknown), tuple(unread))


def _certificate_items(path: Path, registry: Registry) -> Iterable[InventoryItem]:
    for i, cert in enumerate(read_certificates(path, registry), 1):
        qv = (registry.algorithm(cert.public_key_algorithm.algorithm_id).quantum_vulnerable
              if cert.public_key_algorithm.algorithm_id else None)
        yield InventoryItem(asset_type=AssetType.CERTIFICATE, name=cert.subject,
                            source=f"{path}#certificate-{i}", certificate=cert,
                            algorithm=cert.signature_algorithm, quantum_vulnerable=qv)
