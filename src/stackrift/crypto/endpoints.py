"""Endpoints for the engine from the estate's ``crypto`` blocks and from probe results, and
what a flow's own ``crypto`` block (a pinned suite, group, scheme or protocol) leaves of them.

Callers pass the block (a system's over its site's defaults), the system id and the country of
the site it runs at.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from pydantic import ValidationError

from stackrift.boundedio import read_bounded
from stackrift.crypto.errors import CryptoInputError
from stackrift.crypto.loader import Registry
from stackrift.crypto.model import (
    CryptoBlock,
    CryptoProfile,
    Endpoint,
    FlowCryptoBlock,
    ProtocolVersion,
    endpoint_facts,
)
from stackrift.errors import InputError

if TYPE_CHECKING:
    from stackrift.estate.model import Estate

MAX_PROBE_FILE_BYTES = 4 << 20


def system_blocks(estate: Estate) -> dict[str, CryptoBlock]:
    """Each system's effective ``crypto`` block (its own over its site's defaults), for the
    systems that have one."""
    from stackrift.crypto.model import effective_block

    sites = {s.id: s.crypto for s in estate.sites if s.crypto is not None}
    blocks = {}
    for system in estate.systems:
        block = effective_block(system.crypto, sites.get(system.site or ""))
        if block is not None:
            blocks[system.id] = block
    return blocks


def load_probed_profile(path: Path) -> CryptoProfile:
    """The ``profile`` a probe result file records (``crypto probe ... -o endpoint.json``)."""
    data = read_bounded(path, MAX_PROBE_FILE_BYTES)
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise CryptoInputError.single(path, f"not JSON ({exc})", "a probe result file") from None
    if not isinstance(doc, dict) or "profile" not in doc:
        raise CryptoInputError.single(path, "no 'profile' object", "a probe result file")
    try:
        return CryptoProfile.model_validate(doc["profile"])
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CryptoInputError.single(path, f"profile.{where}: {first['msg']}",
                                      "a profile as the probe writes it") from None


def _merged(block: CryptoBlock, base: Path, unread: list[str] | None) -> CryptoProfile:
    profile = CryptoProfile.model_validate(block.model_dump(
        include=set(CryptoProfile.model_fields)))
    for rel in block.probes:
        try:
            seen = load_probed_profile(base / rel)
        except InputError as exc:
            if unread is None:
                raise
            unread.append(f"probe {rel}: {exc.diagnostics()[0]}")
            continue
        profile = profile.model_copy(update={
            name: tuple(dict.fromkeys((*getattr(profile, name), *getattr(seen, name))))
            for name in ("protocols", "cipher_suites", "groups", "signature_schemes")})
    return profile


def endpoint_from_block(system_id: str, block: CryptoBlock, country: str | None, *,
                        base: Path, unread: list[str] | None = None) -> Endpoint:
    """The engine's view of a system: declared plus probed capabilities, and its facts. A
    probe file that cannot be read raises its error, or, given ``unread``, is listed there
    and left out (the caller must say the endpoint is incomplete)."""
    return Endpoint(id=system_id, profile=_merged(block, base, unread),
                    facts=endpoint_facts(country, block.facts))


def gateway_endpoints(system_id: str, block: CryptoBlock, country: str | None
                      ) -> dict[str, Endpoint]:
    """One endpoint per gateway face, keyed by the peer it faces; all share the gateway's
    location and facts."""
    facts = endpoint_facts(country, block.facts)
    return {face.towards: Endpoint(id=f"{system_id}->{face.towards}", profile=face.profile,
                                   facts=facts) for face in block.gateway_faces}


_PIN_LABEL = {"protocols": "protocol", "cipher_suites": "cipher suite", "groups": "group",
              "signature_schemes": "signature scheme"}


def _pin_key(registry: Registry, dimension: str, text: str) -> str | None:
    """The registry name a pinned or offered value stands for (protocols: the version)."""
    if dimension == "protocols":
        return text
    resolve = {"cipher_suites": registry.suite, "groups": registry.group,
               "signature_schemes": registry.signature_scheme}[dimension]
    found = resolve(text)
    return found.name if found is not None else None


def _typed(dimension: str, values: Sequence[str]) -> tuple[object, ...]:
    if dimension == "protocols":
        return tuple(ProtocolVersion(v) for v in values)
    return tuple(values)


def unknown_pins(pin: FlowCryptoBlock, registry: Registry) -> tuple[str, ...]:
    """Pinned names the registry does not know: such a pin cannot be honoured or checked."""
    return tuple(f"{_PIN_LABEL[dim]} {value!r}" for dim, values in pin.pins().items()
                 for value in values if _pin_key(registry, dim, value) is None)


def pinned(endpoint: Endpoint, pin: FlowCryptoBlock, registry: Registry
           ) -> tuple[Endpoint, tuple[str, ...]]:
    """The endpoint narrowed to what the flow pins, and, per pinned dimension the endpoint
    declares but offers none of the pinned values in, why it cannot carry the flow. A dimension
    the endpoint leaves open (declares nothing) takes the pinned values. The flow's module
    validations are added to the endpoint's."""
    update: dict[str, object] = {}
    unmet: list[str] = []
    for dimension, values in pin.pins().items():
        wanted = {_pin_key(registry, dimension, v) for v in values} - {None}
        offered = [str(v) for v in getattr(endpoint.profile, dimension)]
        if not offered:
            update[dimension] = _typed(dimension, values)
            continue
        kept = _typed(dimension, [v for v in offered
                                  if _pin_key(registry, dimension, v) in wanted])
        if not kept:
            unmet.append(f"{endpoint.id} offers none of the pinned {_PIN_LABEL[dimension]}(s) "
                         f"{', '.join(values)} (it offers {', '.join(offered)})")
        update[dimension] = kept
    if pin.module_validations:
        update["module_validations"] = tuple(dict.fromkeys(
            (*endpoint.profile.module_validations, *pin.module_validations)))
    profile = endpoint.profile.model_copy(update=update)
    return endpoint.model_copy(update={"profile": profile}), tuple(unmet)
