"""X.509 certificates and chains in PEM or DER, classified against the registry, signatures
checked against issuers in the same file (SM2-with-SM3 by the pure-Python ``sm2`` module).

``cryptography`` reads names, dates and RSA/EC/EdDSA keys and verifies their signatures; the
algorithm OIDs always come from a bounded DER walk (``_der``), so certificates whose keys it
refuses (SM2 with id-ecPublicKey or the SM2 OID, GOST, post-quantum) are still classified.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa

from stackrift.boundedio import read_bounded
from stackrift.crypto import sm2
from stackrift.crypto.errors import CryptoInputError
from stackrift.crypto.loader import Registry
from stackrift.crypto.model import CertificateRecord, Normalised
from stackrift.crypto.normalise import normalise
from stackrift.crypto.readers._der import (
    CertificateOids,
    DerError,
    certificate_oids,
    ecdsa_signature,
)

MAX_CERT_FILE_BYTES = 1 << 20   # a chain file; real chains are a few KiB
MAX_CERTIFICATES = 64
_PEM_BLOCK = re.compile(rb"-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----(.*?)-----END "
                        rb"(?:X509 |TRUSTED )?CERTIFICATE-----", re.DOTALL)
ID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"


SM2_WITH_SM3 = "1.2.156.10197.1.501"
SM2_OID = "1.2.156.10197.1.301"


@dataclass(frozen=True)
class _Parsed:
    der: bytes
    cert: x509.Certificate | None
    load_note: str | None

    def oids(self) -> CertificateOids | None:
        try:
            return certificate_oids(self.der)
        except DerError:
            return None


def split_certificates(data: bytes, name: str) -> list[bytes]:
    """DER certificates from PEM (every CERTIFICATE block) or from one DER certificate."""
    if b"-----BEGIN" in data[:4096] or b"-----BEGIN" in data:
        blocks = _PEM_BLOCK.findall(data)
        if not blocks:
            raise CryptoInputError.single(name, "PEM without a CERTIFICATE block",
                                          "-----BEGIN CERTIFICATE----- blocks")
        if len(blocks) > MAX_CERTIFICATES:
            raise CryptoInputError.single(name, f"{len(blocks)} certificates",
                                          f"at most {MAX_CERTIFICATES} in one file")
        ders = []
        for i, block in enumerate(blocks, 1):
            try:
                ders.append(base64.b64decode(b"".join(block.split()), validate=True))
            except binascii.Error:
                raise CryptoInputError.single(name, f"certificate {i}: invalid base64",
                                              "PEM base64 text") from None
        return ders
    return [data]


def _parse(der: bytes, name: str, index: int) -> _Parsed:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. non-positive serial numbers in test CAs
        try:
            return _Parsed(der, x509.load_der_x509_certificate(der), None)
        except ValueError as exc:
            return _Parsed(der, None, f"not parsed beyond its algorithm identifiers ({exc})")


def _key_algorithm(registry: Registry, key_oid: str, curve: str | None, cert: x509.Certificate |
                   None) -> Normalised:
    if key_oid == ID_EC_PUBLIC_KEY and curve is not None:
        # the named curve says more than id-ecPublicKey: P-256, SM2 ...
        by_curve = normalise(registry, oid=curve)
        if by_curve.algorithm_id is not None:
            return by_curve
    found = normalise(registry, oid=key_oid)
    if found.algorithm_id is not None and cert is not None:
        try:
            key = cert.public_key()
        except (ValueError, UnsupportedAlgorithm):
            return found
        if isinstance(key, rsa.RSAPublicKey):
            return found.model_copy(update={"key_size": key.key_size})
    return found


def _record(registry: Registry, parsed: _Parsed, name: str, index: int) -> CertificateRecord:
    try:
        oids = certificate_oids(parsed.der)
    except DerError as exc:
        raise CryptoInputError.single(name, f"certificate {index}: {exc}",
                                      "a DER-encoded X.509 certificate") from None
    if oids.length != len(parsed.der):
        raise CryptoInputError.single(name, f"certificate {index}: {len(parsed.der) - oids.length}"
                                      " bytes after the certificate", "one certificate per block")
    if parsed.cert is None:
        raise CryptoInputError.single(name, f"certificate {index}: {parsed.load_note}",
                                      "a well-formed X.509 certificate")
    cert = parsed.cert
    return CertificateRecord(
        subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc.date(), not_after=cert.not_valid_after_utc.date(),
        signature_algorithm=normalise(registry, oid=oids.signature_algorithm),
        public_key_algorithm=_key_algorithm(registry, oids.public_key_algorithm,
                                            oids.public_key_parameter, cert),
        curve=oids.public_key_parameter, self_signed=cert.subject == cert.issuer,
        sha256=hashlib.sha256(parsed.der).hexdigest())


def _verify_sm2(child: _Parsed, issuer: _Parsed) -> tuple[bool | None, str]:
    """SM2-with-SM3 signatures, checked here because the library refuses SM2 keys."""
    child_oids, issuer_oids = child.oids(), issuer.oids()
    if child_oids is None or issuer_oids is None:
        return None, "not verified (unreadable DER)"
    if SM2_OID not in (issuer_oids.public_key_algorithm, issuer_oids.public_key_parameter):
        return None, "not verified (SM2 signature but the issuer key is not SM2)"
    try:
        r, s = ecdsa_signature(child_oids.signature)
        if sm2.verify(issuer_oids.public_key, child_oids.tbs, r, s):
            return True, "SM2 signature verified (signer ID 1234567812345678)"
        if sm2.verify(issuer_oids.public_key, child_oids.tbs, r, s, user_id=None):
            return False, ("SM2 signature valid only without the Z value (non-standard; "
                           "GM/T 0009 validators reject it)")
    except (DerError, ValueError) as exc:
        return False, f"SM2 signature not verifiable: {exc}"
    return False, "SM2 signature does not verify against the issuer's key"


def _check(child: _Parsed, issuer: _Parsed, sm2_signed: bool) -> tuple[bool | None, str]:
    if sm2_signed:
        return _verify_sm2(child, issuer)
    assert child.cert is not None and issuer.cert is not None
    return _verify(child.cert, issuer.cert)


def _verify(child: x509.Certificate, issuer: x509.Certificate) -> tuple[bool | None, str]:
    try:
        issuer_key = issuer.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        return None, f"issuer key not usable for verification here ({exc})"
    del issuer_key  # loaded only to learn whether the library can use it
    try:
        child.verify_directly_issued_by(issuer)
    except InvalidSignature:
        return False, "signature does not verify against the issuer's key"
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        return None, f"not verified ({exc})"
    return True, f"verified against {issuer.subject.rfc4514_string()}"


def _issuer_verdict(item: _Parsed, candidates: Sequence[_Parsed],
                    sm2_signed: bool) -> tuple[bool | None, str]:
    """Try every certificate in the file whose subject is this one's issuer. A failure against
    the certificate itself only (self-issued name, other key) is 'not checked', not 'forged'."""
    if not candidates:
        return None, "issuer not in the file"
    notes = []
    for issuer in candidates:
        verified, note = _check(item, issuer, sm2_signed)
        if verified:
            return verified, note
        notes.append((verified, note))
    if all(c is item for c in candidates) and "without the Z value" not in notes[0][1]:
        return None, ("self-issued name but not self-signed; the issuing key is not in the "
                      f"file ({notes[0][1]})")
    return notes[0]


def _with_verification(records: list[CertificateRecord],
                       parsed: Sequence[_Parsed]) -> list[CertificateRecord]:
    out = []
    for record, item in zip(records, parsed, strict=True):
        cert = item.cert
        candidates = [p for p in parsed if cert is not None and p.cert is not None
                      and p.cert.subject == cert.issuer]
        sm2_signed = record.signature_algorithm.given_oid == SM2_WITH_SM3
        verified, note = _issuer_verdict(item, candidates, sm2_signed)
        out.append(record.model_copy(update={"signature_verified": verified,
                                             "verification_note": note}))
    return out


def read_certificate_bytes(data: bytes, name: str, registry: Registry) -> list[CertificateRecord]:
    """Every certificate in ``data`` (PEM chain or one DER), classified, with each signature
    checked against an issuer found in the same data where the algorithm allows it."""
    ders = split_certificates(data, name)
    parsed = [_parse(der, name, i) for i, der in enumerate(ders, 1)]
    records = [_record(registry, p, name, i) for i, p in enumerate(parsed, 1)]
    return _with_verification(records, parsed)


def read_certificates(path: Path, registry: Registry) -> list[CertificateRecord]:
    """As :func:`read_certificate_bytes`, for a file (bounded to ``MAX_CERT_FILE_BYTES``)."""
    return read_certificate_bytes(read_bounded(path, MAX_CERT_FILE_BYTES), str(path), registry)
