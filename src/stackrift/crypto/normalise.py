"""Resolve an algorithm given by name and/or OID to one registry entry, or say why not.

Nothing is guessed: an unknown name stays unknown, and a name and an OID that point at two
different families are reported as a conflict rather than resolved either way.
"""

from __future__ import annotations

import re

from stackrift.crypto.loader import Registry, name_key
from stackrift.crypto.model import Algorithm, Normalised


def clean_oid(text: str | None) -> str | None:
    """``oid:1.2.3`` and ``urn:oid:1.2.3`` as ``1.2.3``; None for anything not a dotted OID."""
    if not text:
        return None
    stripped = text.strip().removeprefix("urn:").removeprefix("oid:")
    return stripped if re.fullmatch(r"[0-2](\.\d{1,12}){1,40}", stripped) else None


def _by_name(registry: Registry, name: str | None, parameter: str | None,
             mode: str | None) -> Algorithm | None:
    if not name:
        return None
    # most specific first: 'SM4' with mode 'gcm' is SM4-GCM, not bare SM4
    candidates = [f"{name}{parameter or ''}{mode or ''}", f"{name}{mode or ''}",
                  f"{name}{parameter or ''}", name]
    for text in candidates:
        found = registry.by_name.get(name_key(text))
        if found is not None:
            return found
    return None


def _key_size(name: str | None, parameter: str | None, algorithm: Algorithm) -> int | None:
    if not algorithm.key_size_security:
        return None
    for text in (parameter, name):
        if text:
            match = re.search(r"(\d{3,5})", text)
            if match:
                return int(match.group(1))
    return None


def normalise(registry: Registry, *, name: str | None = None, oid: str | None = None,
              parameter: str | None = None, mode: str | None = None) -> Normalised:
    """The registry entry for an algorithm named ``name`` with ``oid`` (either may be absent);
    ``parameter`` (a CBOM ``parameterSetIdentifier``) and ``mode`` help resolve generic names."""
    dotted = clean_oid(oid)
    by_oid = registry.by_oid.get(dotted) if dotted else None
    by_name = _by_name(registry, name, parameter, mode)
    given = {"given_name": name, "given_oid": oid}
    if by_oid is None and by_name is None:
        what = " and ".join(p for p in (f"name {name!r}" if name else "",
                                         f"OID {oid}" if oid else "") if p) or "nothing"
        return Normalised(algorithm_id=None, **given,
                          unknown_reason=f"no registry entry for {what}")
    if by_oid is not None and by_name is not None and by_oid.family != by_name.family:
        return Normalised(algorithm_id=None, **given, unknown_reason=(
            f"name {name!r} means {by_name.id} but OID {dotted} means {by_oid.id}; "
            "conflicting, so not resolved"))
    chosen = by_oid or by_name
    assert chosen is not None
    return Normalised(algorithm_id=chosen.id, **given,
                      key_size=_key_size(name, parameter, chosen))


def security_bits(algorithm: Algorithm, key_size: int | None) -> int | None:
    """Classical security strength; for keyed families the strength of the largest listed key
    size not above ``key_size``; None when unknown."""
    if algorithm.classical_security_bits is not None:
        return algorithm.classical_security_bits
    if key_size is None or not algorithm.key_size_security:
        return None
    fitting = [bits for size, bits in algorithm.key_size_security.items() if size <= key_size]
    return max(fitting) if fitting else 0
