"""Endpoints for the engine from the estate's ``crypto`` blocks and from probe results.

The estate model does not carry ``crypto`` yet; callers pass the block, the system id and the
country of the site it runs at.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from pydantic import ValidationError

from stackrift.boundedio import read_bounded
from stackrift.crypto.errors import CryptoInputError
from stackrift.crypto.model import CryptoBlock, CryptoProfile, Endpoint, endpoint_facts

MAX_PROBE_FILE_BYTES = 4 << 20


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


def _merged(block: CryptoBlock, base: Path) -> CryptoProfile:
    profile = CryptoProfile.model_validate(block.model_dump(
        include=set(CryptoProfile.model_fields)))
    for rel in block.probes:
        seen = load_probed_profile(base / rel)
        profile = profile.model_copy(update={
            name: tuple(dict.fromkeys((*getattr(profile, name), *getattr(seen, name))))
            for name in ("protocols", "cipher_suites", "groups", "signature_schemes")})
    return profile


def endpoint_from_block(system_id: str, block: CryptoBlock, country: str | None, *,
                        base: Path) -> Endpoint:
    """The engine's view of a system: declared plus probed capabilities, and its facts."""
    return Endpoint(id=system_id, profile=_merged(block, base),
                    facts=endpoint_facts(country, block.facts))


def gateway_endpoints(system_id: str, block: CryptoBlock, country: str | None
                      ) -> dict[str, Endpoint]:
    """One endpoint per gateway face, keyed by the peer it faces; all share the gateway's
    location and facts."""
    facts = endpoint_facts(country, block.facts)
    return {face.towards: Endpoint(id=f"{system_id}->{face.towards}", profile=face.profile,
                                   facts=facts) for face in block.gateway_faces}
