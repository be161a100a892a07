"""An SM2-with-SM3 certificate chain made here, signed by an independent SM2 implementation.

The chain's signatures come from ``gmssl`` (a pure-Python SM2/SM3 implementation on PyPI, a
test dependency only); the DER is assembled below from RFC 5280's structures with the SM2 OIDs
of GB/T 33560 / GM/T 0006 (key 1.2.156.10197.1.301, signature 1.2.156.10197.1.501). StackRift
must parse the chain, classify both certificates as SM2 and verify both signatures with its own
SM2 code; a certificate signed by a different key, or changed after signing, must not verify.
"""

from __future__ import annotations

import base64

import pytest
from gmssl import sm2 as gm_sm2

from stackrift.crypto.loader import load_registry
from stackrift.crypto.readers.x509 import read_certificate_bytes

SM2_SIGNATURE_OID = "1.2.156.10197.1.501"
SM2_CURVE_OID = "1.2.156.10197.1.301"
EC_PUBLIC_KEY_OID = "1.2.840.10045.2.1"
COMMON_NAME_OID = "2.5.4.3"
BASIC_CONSTRAINTS_OID = "2.5.29.19"


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _length(len(body)) + body


def _seq(*parts: bytes) -> bytes:
    return _tlv(0x30, b"".join(parts))


def _int(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return _tlv(0x02, body)


def _oid(dotted: str) -> bytes:
    numbers = [int(x) for x in dotted.split(".")]
    out = bytearray([40 * numbers[0] + numbers[1]])
    for number in numbers[2:]:
        chunk = [number & 0x7F]
        number >>= 7
        while number:
            chunk.append(0x80 | (number & 0x7F))
            number >>= 7
        out += bytes(reversed(chunk))
    return _tlv(0x06, bytes(out))


def _bits(data: bytes) -> bytes:
    return _tlv(0x03, b"\x00" + data)


def _name(common_name: str) -> bytes:
    attribute = _seq(_oid(COMMON_NAME_OID), _tlv(0x0C, common_name.encode()))
    return _seq(_tlv(0x31, attribute))


class SM2Key:
    """An SM2 key pair whose signatures come from gmssl."""

    def __init__(self, secret: int) -> None:
        self.secret_hex = f"{secret:064x}"
        maker = gm_sm2.CryptSM2(private_key=self.secret_hex, public_key="")
        self.public_hex: str = maker._kg(secret, maker.ecc_table["g"])
        # gmssl strips a leading "04" from the key it is given: keep such keys out of the test
        assert not self.public_hex.startswith("04")
        self._signer = gm_sm2.CryptSM2(private_key=self.secret_hex, public_key=self.public_hex)

    @property
    def public_point(self) -> bytes:
        return b"\x04" + bytes.fromhex(self.public_hex)

    def sign(self, message: bytes, nonce: int) -> bytes:
        signature = self._signer.sign_with_sm3(message, f"{nonce:064x}")
        r, s = int(signature[:64], 16), int(signature[64:], 16)
        return _seq(_int(r), _int(s))


def _certificate(subject: str, key: SM2Key, issuer: str, signer: SM2Key, *,
                 serial: int, ca: bool) -> bytes:
    algorithm = _seq(_oid(SM2_SIGNATURE_OID))
    validity = _seq(_tlv(0x17, b"260101000000Z"), _tlv(0x17, b"360101000000Z"))
    key_info = _seq(_seq(_oid(EC_PUBLIC_KEY_OID), _oid(SM2_CURVE_OID)), _bits(key.public_point))
    extensions = b""
    if ca:
        constraints = _seq(_tlv(0x01, b"\xff"))
        extension = _seq(_oid(BASIC_CONSTRAINTS_OID), _tlv(0x01, b"\xff"),
                         _tlv(0x04, constraints))
        extensions = _tlv(0xA3, _seq(extension))
    tbs = _seq(_tlv(0xA0, _int(2)), _int(serial), algorithm, _name(issuer), validity,
               _name(subject), key_info, extensions)
    return _seq(tbs, algorithm, _bits(signer.sign(tbs, nonce=serial * 7919 + 12345)))


def _pem(*ders: bytes) -> bytes:
    return b"".join(b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der)
                    + b"-----END CERTIFICATE-----\n" for der in ders)


@pytest.fixture(scope="module")
def chain() -> tuple[bytes, bytes]:
    root_key = SM2Key(0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8)
    leaf_key = SM2Key(0x128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263)
    root = _certificate("Test SM2 Root CA", root_key, "Test SM2 Root CA", root_key,
                        serial=1, ca=True)
    leaf = _certificate("tlcp.example.cn", leaf_key, "Test SM2 Root CA", root_key,
                        serial=2, ca=False)
    return root, leaf


def test_chain_made_here_is_classified_as_sm2_and_verifies(chain: tuple[bytes, bytes]) -> None:
    records = read_certificate_bytes(_pem(*chain), "made-here.pem", load_registry())
    assert len(records) == 2
    for record in records:
        assert record.signature_algorithm.algorithm_id == "sm2-with-sm3"
        assert record.signature_algorithm.given_oid == SM2_SIGNATURE_OID
        assert record.public_key_algorithm.algorithm_id == "sm2"
    assert [r.signature_verified for r in records] == [True, True], records


def test_leaf_signed_by_another_key_does_not_verify(chain: tuple[bytes, bytes]) -> None:
    root, _ = chain
    stranger = SM2Key(0x5C2A1E99D0B54B7A8F6E3D2C1B0A99887766554433221100FFEEDDCCBBAA9988)
    forged = _certificate("tlcp.example.cn", stranger, "Test SM2 Root CA", stranger,
                          serial=3, ca=False)
    records = read_certificate_bytes(_pem(root, forged), "forged.pem", load_registry())
    assert [r.signature_verified for r in records] == [True, False]


def test_leaf_changed_after_signing_does_not_verify(chain: tuple[bytes, bytes]) -> None:
    root, leaf = chain
    position = leaf.index(b"tlcp.example.cn")
    tampered = leaf[:position] + b"tlcp.example.co" + leaf[position + 15:]
    records = read_certificate_bytes(_pem(root, tampered), "tampered.pem", load_registry())
    assert [r.signature_verified for r in records] == [True, False]
