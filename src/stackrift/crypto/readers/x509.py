"""X.509 certificates and chains in PEM or DER, classified against the registry.

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
from stackrift.crypto.errors import CryptoInputError
from stackrift.crypto.loader import Registry
from stackrift.crypto.model import CertificateRecord, Normalised
from stackrift.crypto.normalise import normalise
from stackrift.crypto.readers._der import DerError, certificate_oids

MAX_CERT_FILE_BYTES = 1 << 20   # a chain file; real chains are a few KiB
MAX_CERTIFICATES = 64
_PEM_BLOCK = re.compile(rb"-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----(.*?)-----END "
                        rb"(?:X509 |TRUSTED )?CERTIFICATE-----", re.DOTALL)
ID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"


@dataclass(frozen=True)
class _Parsed:
    der: bytes
    cert: x509.Certificate | None
    load_note: str | None


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


def _with_verification(records: list[CertificateRecord],
                       parsed: Sequence[_Parsed]) -> list[CertificateRecord]:
    by_subject = {p.cert.subject: p.cert for p in parsed if p.cert is not None}
    out = []
    for record, item in zip(records, parsed, strict=True):
        cert = item.cert
        issuer = by_subject.get(cert.issuer) if cert is not None else None
        if cert is None or issuer is None:
            out.append(record.model_copy(update={"verification_note": "issuer not in the file"}))
            continue
        verified, note = _verify(cert, issuer)
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
