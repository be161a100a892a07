"""SM3 and SM2 signature verification in pure Python, for certificates signed SM2-with-SM3
(OID 1.2.156.10197.1.501) that the ``cryptography`` package cannot check.

Verification only (no private keys, no signing), so constant-time arithmetic is not needed.
SM3 follows GB/T 32905-2016, SM2 signatures GB/T 32918.2-2016 with the curve of GB/T 32918.5
and the default signer ID of GM/T 0009-2012 (``1234567812345678``).
"""

from __future__ import annotations

import struct

_MASK = 0xFFFFFFFF
_IV = (0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600,
       0xA96F30BC, 0x163138AA, 0xE38DEE4D, 0xB0FB0E4E)

P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0
DEFAULT_ID = b"1234567812345678"

Point = tuple[int, int] | None  # None is the point at infinity


def _rotl(x: int, n: int) -> int:
    n %= 32
    return ((x << n) | (x >> (32 - n))) & _MASK


def _p0(x: int) -> int:
    return x ^ _rotl(x, 9) ^ _rotl(x, 17)


def _p1(x: int) -> int:
    return x ^ _rotl(x, 15) ^ _rotl(x, 23)


def _expand(block: bytes) -> tuple[list[int], list[int]]:
    w = list(struct.unpack(">16I", block))
    for j in range(16, 68):
        w.append(_p1(w[j - 16] ^ w[j - 9] ^ _rotl(w[j - 3], 15)) ^ _rotl(w[j - 13], 7) ^ w[j - 6])
    return w, [w[j] ^ w[j + 4] for j in range(64)]


def _compress(v: tuple[int, ...], block: bytes) -> tuple[int, ...]:
    w, w1 = _expand(block)
    a, b, c, d, e, f, g, h = v
    for j in range(64):
        t = 0x79CC4519 if j < 16 else 0x7A879D8A
        ss1 = _rotl((_rotl(a, 12) + e + _rotl(t, j)) & _MASK, 7)
        ss2 = ss1 ^ _rotl(a, 12)
        ff = a ^ b ^ c if j < 16 else (a & b) | (a & c) | (b & c)
        gg = e ^ f ^ g if j < 16 else (e & f) | (~e & g)
        tt1 = (ff + d + ss2 + w1[j]) & _MASK
        tt2 = (gg + h + ss1 + w[j]) & _MASK
        a, b, c, d = tt1, a, _rotl(b, 9), c
        e, f, g, h = _p0(tt2), e, _rotl(f, 19), g
    return tuple(x ^ y for x, y in zip((a, b, c, d, e, f, g, h), v, strict=True))


def sm3(data: bytes) -> bytes:
    """The SM3 digest of ``data`` (32 bytes)."""
    padded = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + struct.pack(">Q", len(data) * 8)
    v: tuple[int, ...] = _IV
    for i in range(0, len(padded), 64):
        v = _compress(v, padded[i:i + 64])
    return struct.pack(">8I", *v)


def _add(p1: Point, p2: Point) -> Point:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        slope = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (slope * slope - x1 - x2) % P
    return x3, (slope * (x1 - x3) - y1) % P


def _mul(k: int, point: Point) -> Point:
    result: Point = None
    addend = point
    while k:
        if k & 1:
            result = _add(result, addend)
        addend = _add(addend, addend)
        k >>= 1
    return result


def on_curve(x: int, y: int) -> bool:
    """Whether (x, y) is a point of the SM2 curve."""
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x * x + A * x + B)) % P == 0


def public_point(encoded: bytes) -> tuple[int, int]:
    """An uncompressed SM2 public key (``04 || X || Y``) as a curve point."""
    if len(encoded) != 65 or encoded[0] != 4:
        raise ValueError("an SM2 public key must be 65 bytes, uncompressed (04 || X || Y)")
    x, y = int.from_bytes(encoded[1:33], "big"), int.from_bytes(encoded[33:], "big")
    if not on_curve(x, y):
        raise ValueError("the public key is not a point on the SM2 curve")
    return x, y


def _z(point: tuple[int, int], user_id: bytes) -> bytes:
    parts = [struct.pack(">H", len(user_id) * 8), user_id]
    parts += [n.to_bytes(32, "big") for n in (A, B, GX, GY, *point)]
    return sm3(b"".join(parts))


def verify(public_key: bytes, message: bytes, r: int, s: int,
           user_id: bytes | None = DEFAULT_ID) -> bool:
    """Whether (r, s) is a valid SM2 signature of ``message`` under ``public_key``.
    ``user_id=None`` checks the non-standard variant some tools emit, hashing the message
    without the Z value."""
    point = public_point(public_key)
    if not (1 <= r < N and 1 <= s < N):
        return False
    t = (r + s) % N
    if t == 0:
        return False
    prefix = b"" if user_id is None else _z(point, user_id)
    e = int.from_bytes(sm3(prefix + message), "big")
    total = _add(_mul(s, (GX, GY)), _mul(t, point))
    return total is not None and (e + total[0]) % N == r
