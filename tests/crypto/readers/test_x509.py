"""X.509 reading: real SM2 (Tongsuo) certificates, chains made here, and hostile input."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from stackrift.crypto.errors import CryptoInputError
from stackrift.crypto.loader import load_registry
from stackrift.crypto.readers.x509 import (
    MAX_CERT_FILE_BYTES,
    read_certificate_bytes,
    split_certificates,
)
from stackrift.crypto.readers.x509 import read_certificates as read
from stackrift.errors import InputError

TONGSUO = Path("crypto") / "tongsuo-sm2-certs"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key: object, issuer: str, signer: object,
          algorithm: hashes.HashAlgorithm | None) -> x509.Certificate:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key())  # type: ignore[attr-defined]
               .serial_number(7).not_valid_before(now).not_valid_after(now + dt.timedelta(days=30)))
    return builder.sign(signer, algorithm)  # type: ignore[arg-type]


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def test_tongsuo_sm2_chain_is_classified_as_sm2_with_sm3(shared_data: Path) -> None:
    registry = load_registry()
    records = read(shared_data / TONGSUO / "sm2" / "chain-ca.crt", registry)
    assert len(records) == 2
    for record in records:
        assert record.signature_algorithm.algorithm_id == "sm2-with-sm3"
        assert record.signature_algorithm.given_oid == "1.2.156.10197.1.501"
        assert record.public_key_algorithm.algorithm_id == "sm2"
    # the library refuses SM2 keys; the pure-Python SM2 check verifies root -> sub CA
    assert all(r.signature_verified is True for r in records), records


def test_sm2_signatures_verify_and_tampering_is_caught(shared_data: Path) -> None:
    registry = load_registry()
    folder = shared_data / TONGSUO
    pair = (folder / "sm2-root-cert.pem").read_bytes() + (folder / "sm2-cert.pem").read_bytes()
    assert [r.signature_verified for r in read_certificate_bytes(pair, "p", registry)] == [
        True, True]
    # alone, sm2-cert.pem carries its issuer's name but not its key: unchecked, not "forged"
    [alone] = read(folder / "sm2-cert.pem", registry)
    assert alone.signature_verified is None and "not self-signed" in (alone.verification_note or "")
    # one flipped bit inside the signed TBSCertificate breaks the signature
    root, leaf = split_certificates(pair, "p")
    tampered = leaf[:200] + bytes([leaf[200] ^ 0x01]) + leaf[201:]
    pem = b"".join(b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(d)
                   + b"-----END CERTIFICATE-----\n" for d in (root, tampered))
    records = read_certificate_bytes(pem, "t.pem", registry)
    assert [r.signature_verified for r in records] == [True, False]


def test_sm2_signatures_made_without_the_z_value_are_flagged(shared_data: Path) -> None:
    folder = shared_data / TONGSUO
    pair = (folder / "sm2-noza-root-cert.pem").read_bytes() + (
        folder / "sm2-noza-cert.pem").read_bytes()
    for record in read_certificate_bytes(pair, "noza.pem", load_registry()):
        assert record.signature_verified is False
        assert "without the Z value" in (record.verification_note or "")


def test_every_tongsuo_certificate_reads_without_error(shared_data: Path) -> None:
    registry = load_registry()
    files = sorted((shared_data / TONGSUO).rglob("*.crt")) + sorted(
        (shared_data / TONGSUO).glob("*cert.pem"))
    assert len(files) >= 15
    for path in files:
        for record in read(path, registry):
            assert record.public_key_algorithm.algorithm_id == "sm2", path


def test_rsa_ecdsa_ed25519_chain_made_here_is_classified_and_verified() -> None:
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    mid_key = ec.generate_private_key(ec.SECP384R1())
    leaf_key = ed25519.Ed25519PrivateKey.generate()
    root = _cert("root", root_key, "root", root_key, hashes.SHA256())
    mid = _cert("mid", mid_key, "root", root_key, hashes.SHA384())
    leaf = _cert("leaf", leaf_key, "mid", mid_key, hashes.SHA384())
    records = read_certificate_bytes(_pem(leaf, mid, root), "chain.pem", load_registry())
    by_subject = {r.subject: r for r in records}
    assert by_subject["CN=root"].public_key_algorithm.algorithm_id == "rsa"
    assert by_subject["CN=root"].public_key_algorithm.key_size == 3072
    assert by_subject["CN=mid"].signature_algorithm.algorithm_id == "rsa-sha384"
    assert by_subject["CN=mid"].public_key_algorithm.algorithm_id == "ecdsa-p384"
    assert by_subject["CN=leaf"].signature_algorithm.algorithm_id == "ecdsa-sha384"
    assert by_subject["CN=leaf"].public_key_algorithm.algorithm_id == "ed25519"
    assert all(r.signature_verified is True for r in records)


def test_a_forged_signature_is_reported_as_not_verifying() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    other = ec.generate_private_key(ec.SECP256R1())
    root = _cert("root", key, "root", key, hashes.SHA256())
    forged = _cert("leaf", other, "root", other, hashes.SHA256())  # claims root, signed by other
    records = read_certificate_bytes(_pem(forged, root), "forged.pem", load_registry())
    assert records[0].signature_verified is False


def test_unknown_signature_oid_is_recorded_as_unknown_not_guessed() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    der = _cert("x", key, "x", key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    sha256_ecdsa = bytes.fromhex("2a8648ce3d040302")       # 1.2.840.10045.4.3.2
    made_up = bytes.fromhex("2a8648ce3d04037f")            # 1.2.840.10045.4.3.127
    hostile = der.replace(sha256_ecdsa, made_up)
    [record] = read_certificate_bytes(hostile, "odd.der", load_registry())
    assert record.signature_algorithm.algorithm_id is None
    assert "1.2.840.10045.4.3.127" in (record.signature_algorithm.unknown_reason or "")


@pytest.mark.parametrize("cut", [1, 10, 100, -1])
def test_truncated_certificates_fail_naming_the_file(cut: int) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    der = _cert("x", key, "x", key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    with pytest.raises(CryptoInputError, match=r"^cut\.der: certificate 1: ") as info:
        read_certificate_bytes(der[:cut], "cut.der", load_registry())
    assert isinstance(info.value, InputError)


def test_garbage_and_empty_pem_fail_cleanly() -> None:
    registry = load_registry()
    with pytest.raises(CryptoInputError, match=r"junk\.pem: PEM without a CERTIFICATE block"):
        read_certificate_bytes(b"-----BEGIN NOTHING-----\nAAAA\n", "junk.pem", registry)
    with pytest.raises(CryptoInputError, match=r"bad\.pem: certificate 1: invalid base64"):
        read_certificate_bytes(b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----",
                               "bad.pem", registry)
    with pytest.raises(CryptoInputError, match=r"zero\.der: certificate 1"):
        read_certificate_bytes(b"\x00" * 64, "zero.der", registry)


def test_oversized_certificate_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.pem"
    big.write_bytes(b"A" * (MAX_CERT_FILE_BYTES + 1))
    with pytest.raises(InputError, match=r"big\.pem"):
        read(big, load_registry())
