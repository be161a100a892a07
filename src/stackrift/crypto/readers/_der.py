"""A bounded DER walk over X.509 certificates: just enough to read the algorithm OIDs when a
full parser refuses the key (SM2, GOST, post-quantum keys), and to name truncation precisely.

Never recursive beyond the certificate's fixed shape; every length is checked against the
buffer, so truncated or oversized input fails with the byte offset instead of reading past it.
"""

from __future__ import annotations

from dataclasses import dataclass

SEQUENCE = 0x30
OID = 0x06
NULL = 0x05
BIT_STRING = 0x03
CONTEXT_0 = 0xA0


class DerError(ValueError):
    """The bytes are not the DER the walk expected; the message names the offset."""


@dataclass(frozen=True, slots=True)
class Tlv:
    tag: int
    start: int        # offset of the tag byte
    value_start: int
    end: int          # offset one past the value

    def value(self, data: bytes) -> bytes:
        return data[self.value_start:self.end]


def read_tlv(data: bytes, offset: int, limit: int | None = None) -> Tlv:
    """The TLV at ``offset``; its value must end within ``limit`` (default: the buffer)."""
    end_limit = len(data) if limit is None else limit
    if offset + 2 > end_limit:
        raise DerError(f"truncated at byte {offset}: no room for a tag and length")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise DerError(f"byte {offset}: multi-byte tags are not used in certificates")
    first = data[offset + 1]
    pos = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise DerError(f"byte {offset + 1}: length of {count} bytes is not DER here")
        if pos + count > end_limit:
            raise DerError(f"truncated at byte {pos}: length bytes missing")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > end_limit:
        raise DerError(f"truncated: element at byte {offset} declares {length} bytes but only "
                       f"{end_limit - pos} remain")
    return Tlv(tag, offset, pos, pos + length)


def children(data: bytes, parent: Tlv, at_most: int = 64) -> list[Tlv]:
    """The direct children of a constructed element (bounded in number)."""
    found: list[Tlv] = []
    pos = parent.value_start
    while pos < parent.end:
        if len(found) >= at_most:
            raise DerError(f"byte {parent.start}: more than {at_most} elements")
        child = read_tlv(data, pos, parent.end)
        found.append(child)
        pos = child.end
    return found


def decode_oid(raw: bytes) -> str:
    if not raw or len(raw) > 64:
        raise DerError("an OBJECT IDENTIFIER of implausible length")
    arcs: list[int] = []
    value = 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if raw[-1] & 0x80:
        raise DerError("an OBJECT IDENTIFIER ends inside an arc")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in (first, arcs[0] - 40 * first, *arcs[1:]))


def _expect(tlv: Tlv, tag: int, what: str) -> Tlv:
    if tlv.tag != tag:
        raise DerError(f"byte {tlv.start}: expected {what} (tag 0x{tag:02X}), "
                       f"found 0x{tlv.tag:02X}")
    return tlv


@dataclass(frozen=True, slots=True)
class CertificateOids:
    """The algorithm identifiers of one certificate, read from its DER."""

    signature_algorithm: str
    public_key_algorithm: str
    public_key_parameter: str | None  # the named curve (or other OID parameter), if any
    public_key_bits: int              # length of the subjectPublicKey BIT STRING, in bits
    length: int                       # bytes the certificate occupies
    tbs: bytes = b""                  # the signed TBSCertificate, as encoded
    public_key: bytes = b""           # the subjectPublicKey bits (whole bytes)
    signature: bytes = b""            # the signatureValue bits (whole bytes)


def _algorithm(data: bytes, tlv: Tlv) -> tuple[str, str | None]:
    parts = children(data, _expect(tlv, SEQUENCE, "an AlgorithmIdentifier"), 2)
    if not parts:
        raise DerError(f"byte {tlv.start}: empty AlgorithmIdentifier")
    oid = decode_oid(_expect(parts[0], OID, "an algorithm OID").value(data))
    param = decode_oid(parts[1].value(data)) if len(parts) > 1 and parts[1].tag == OID else None
    return oid, param


def certificate_oids(data: bytes, offset: int = 0) -> CertificateOids:
    """Walk ``Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }``."""
    cert = _expect(read_tlv(data, offset), SEQUENCE, "a Certificate SEQUENCE")
    top = children(data, cert, 3)
    if len(top) != 3:
        raise DerError(f"byte {cert.start}: a Certificate has 3 parts, found {len(top)}")
    tbs = children(data, _expect(top[0], SEQUENCE, "a TBSCertificate"), 12)
    index = 1 if tbs and tbs[0].tag == CONTEXT_0 else 0  # optional [0] version
    if len(tbs) < index + 6:
        raise DerError(f"byte {top[0].start}: TBSCertificate has too few fields")
    spki = children(data, _expect(tbs[index + 5], SEQUENCE, "a SubjectPublicKeyInfo"), 2)
    if len(spki) != 2:
        raise DerError(f"byte {tbs[index + 5].start}: SubjectPublicKeyInfo needs 2 parts")
    key_oid, key_param = _algorithm(data, spki[0])
    bits = _expect(spki[1], BIT_STRING, "a subjectPublicKey BIT STRING")
    sig_oid, _ = _algorithm(data, top[1])
    signature = _expect(top[2], BIT_STRING, "a signatureValue BIT STRING")
    return CertificateOids(sig_oid, key_oid, key_param,
                           max(0, (bits.end - bits.value_start - 1) * 8), cert.end - cert.start,
                           tbs=data[top[0].start:top[0].end],
                           public_key=data[bits.value_start + 1:bits.end],
                           signature=data[signature.value_start + 1:signature.end])


def ecdsa_signature(raw: bytes) -> tuple[int, int]:
    """``(r, s)`` from ``SEQUENCE { r INTEGER, s INTEGER }`` (ECDSA and SM2 signatures)."""
    seq = _expect(read_tlv(raw, 0), SEQUENCE, "a signature SEQUENCE")
    if seq.end != len(raw):
        raise DerError("bytes after the signature SEQUENCE")
    parts = children(raw, seq, 2)
    if len(parts) != 2 or any(p.tag != 0x02 or p.end - p.value_start > 33 for p in parts):
        raise DerError("a signature must hold two INTEGERs of at most 33 bytes")
    r, s = (int.from_bytes(p.value(raw), "big", signed=True) for p in parts)
    return r, s
