"""A live TLS/TLCP probe that writes its own ClientHello messages.

Each offer (a protocol version with chosen suites, groups and signature schemes) is one
connection. The probe reads what the server selects; for TLS 1.2 and TLCP it reads the
certificate chain and the ServerKeyExchange (group and signature scheme) in clear; for TLS 1.3
it completes the key exchange far enough (X25519 or P-256) to decrypt the server's handshake
flight and read the certificate and the CertificateVerify scheme. It never sends application
data or its own Finished. Groups it cannot compute (SM2, GOST, ML-KEM hybrids) are offered
without a key share: a HelloRetryRequest then names the group the server picked.

Every connection is bounded in time and bytes; refusals, time-outs, alerts and malformed
replies become results or :class:`ProbeError`, never a hang or a traceback.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import socket
import struct
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from stackrift.crypto.errors import ProbeError
from stackrift.crypto.loader import Registry
from stackrift.crypto.model import CertificateRecord, CryptoProfile, ProtocolVersion
from stackrift.crypto.readers.x509 import read_certificate_bytes

MAX_REPLY_BYTES = 256 * 1024
MAX_RECORD = 18432
WIRE_VERSION = {ProtocolVersion.TLS1_2: 0x0303, ProtocolVersion.TLS1_3: 0x0304,
                ProtocolVersion.TLCP1_1: 0x0101}
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
X25519_GROUP, P256_GROUP = 29, 23
ALERTS = {40: "handshake_failure", 47: "illegal_parameter", 50: "decode_error",
          70: "protocol_version", 71: "insufficient_security", 80: "internal_error",
          109: "missing_extension", 112: "unrecognized_name"}


@dataclass(frozen=True)
class ProbeOffer:
    """What one ClientHello offers."""

    name: str
    version: ProtocolVersion
    suites: tuple[int, ...]
    groups: tuple[int, ...] = (X25519_GROUP, P256_GROUP, 24)
    signature_schemes: tuple[int, ...] = (0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806,
                                          0x0807, 0x0808, 0x0401, 0x0501, 0x0601, 0x0708)


@dataclass(frozen=True)
class ProbeResult:
    """What the server did with one offer."""

    offer: str
    accepted: bool
    version: str | None = None
    suite: int | None = None
    group: int | None = None
    signature_scheme: int | None = None
    certificates: tuple[bytes, ...] = ()
    alert: str | None = None
    notes: tuple[str, ...] = field(default=())


# --- encoding ----------------------------------------------------------------------------------

def _u16(n: int) -> bytes:
    return struct.pack(">H", n)


def _vec(data: bytes, width: int) -> bytes:
    return len(data).to_bytes(width, "big") + data


def _ext(kind: int, body: bytes) -> bytes:
    return _u16(kind) + _vec(body, 2)


@dataclass
class _KeyShares:
    x25519: x25519.X25519PrivateKey = field(default_factory=x25519.X25519PrivateKey.generate)
    p256: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def entries(self, groups: Sequence[int]) -> bytes:
        out = b""
        if X25519_GROUP in groups:
            pub = self.x25519.public_key().public_bytes(serialization.Encoding.Raw,
                                                        serialization.PublicFormat.Raw)
            out += _u16(X25519_GROUP) + _vec(pub, 2)
        if P256_GROUP in groups:
            pub = self.p256.public_key().public_bytes(serialization.Encoding.X962,
                                                      serialization.PublicFormat.UncompressedPoint)
            out += _u16(P256_GROUP) + _vec(pub, 2)
        return out

    def shared(self, group: int, peer: bytes) -> bytes | None:
        if group == X25519_GROUP and len(peer) == 32:
            return self.x25519.exchange(x25519.X25519PublicKey.from_public_bytes(peer))
        if group == P256_GROUP:
            point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), peer)
            return self.p256.exchange(ec.ECDH(), point)
        return None


def client_hello(offer: ProbeOffer, sni: str | None, shares: _KeyShares) -> bytes:
    """The handshake message (type 1), without the record header."""
    tls13 = offer.version is ProtocolVersion.TLS1_3
    legacy = 0x0303 if tls13 else WIRE_VERSION[offer.version]
    exts = b""
    if sni:
        name = sni.encode("idna")
        exts += _ext(0, _vec(b"\x00" + _vec(name, 2), 2))
    exts += _ext(10, _vec(b"".join(_u16(g) for g in offer.groups), 2))
    exts += _ext(11, b"\x01\x00")
    exts += _ext(13, _vec(b"".join(_u16(s) for s in offer.signature_schemes), 2))
    if tls13:
        exts += _ext(43, b"\x02\x03\x04")
        exts += _ext(51, _vec(shares.entries(offer.groups), 2))
        exts += _ext(45, b"\x01\x01")
    body = (_u16(legacy) + os.urandom(32) + _vec(os.urandom(32) if tls13 else b"", 1)
            + _vec(b"".join(_u16(s) for s in offer.suites), 2) + b"\x01\x00" + _vec(exts, 2))
    return b"\x01" + _vec(body, 3)


def _record(content_type: int, version: int, payload: bytes) -> bytes:
    return bytes([content_type]) + _u16(version) + _vec(payload, 2)


# --- transport ---------------------------------------------------------------------------------

class _Conn:
    """A socket read with a deadline and a byte budget."""

    def __init__(self, sock: socket.socket, endpoint: str, deadline: float) -> None:
        self.sock, self.endpoint, self.deadline = sock, endpoint, deadline
        self.buffer = b""
        self.total = 0

    def read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise ProbeError(f"{self.endpoint}: timed out waiting for the server's reply")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                raise ProbeError(f"{self.endpoint}: timed out waiting for the server's reply"
                                 ) from None
            except OSError as exc:
                raise ProbeError(f"{self.endpoint}: connection failed while reading ({exc})"
                                 ) from None
            if not chunk:
                raise EOFError
            self.total += len(chunk)
            if self.total > MAX_REPLY_BYTES:
                raise ProbeError(f"{self.endpoint}: reply larger than {MAX_REPLY_BYTES} bytes")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def record(self) -> tuple[int, bytes]:
        header = self.read(5)
        kind, length = header[0], int.from_bytes(header[3:5], "big")
        if kind not in (20, 21, 22, 23) or header[1] not in (1, 3) or length > MAX_RECORD:
            raise ProbeError(f"{self.endpoint}: not a TLS reply (first bytes "
                             f"{header.hex()}); expected a TLS or TLCP record")
        return kind, self.read(length)


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    endpoint = f"{host}:{port}"
    try:
        return socket.create_connection((host, port), timeout=timeout)
    except TimeoutError:
        raise ProbeError(f"{endpoint}: connection timed out after {timeout:g}s") from None
    except ConnectionRefusedError:
        raise ProbeError(f"{endpoint}: connection refused (nothing listening?)") from None
    except OSError as exc:
        raise ProbeError(f"{endpoint}: cannot connect ({exc})") from None


# --- parsing -----------------------------------------------------------------------------------

class _Reader:
    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.pos, self.what = data, 0, what

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError(f"{self.what} truncated")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def num(self, n: int) -> int:
        return int.from_bytes(self.take(n), "big")

    def vec(self, width: int) -> bytes:
        return self.take(self.num(width))


@dataclass
class _ServerHello:
    version: int
    suite: int
    hrr: bool
    group: int | None
    key_share: bytes | None


def parse_server_hello(body: bytes) -> _ServerHello:
    """Selected version, suite and (TLS 1.3) group from a ServerHello body."""
    r = _Reader(body, "ServerHello")
    version = r.num(2)
    random = r.take(32)
    r.vec(1)
    suite = r.num(2)
    r.take(1)
    group, share = None, None
    if r.pos < len(body):
        exts = _Reader(r.vec(2), "ServerHello extensions")
        while exts.pos < len(exts.data):
            kind, data = exts.num(2), exts.vec(2)
            if kind == 43 and len(data) == 2:
                version = int.from_bytes(data, "big")
            elif kind == 51 and len(data) >= 2:
                group = int.from_bytes(data[:2], "big")
                share = _Reader(data[2:], "key_share").vec(2) if len(data) > 2 else None
    return _ServerHello(version, suite, random == HRR_RANDOM, group, share)


def _messages(data: bytes) -> list[tuple[int, bytes]]:
    r = _Reader(data, "handshake message")
    out = []
    while r.pos < len(data):
        kind = r.num(1)
        out.append((kind, r.vec(3)))
    return out


def parse_certificates(body: bytes, tls13: bool) -> tuple[bytes, ...]:
    """The DER certificates of a Certificate message (TLS 1.2/TLCP or TLS 1.3 layout)."""
    r = _Reader(body, "Certificate")
    if tls13:
        r.vec(1)
    entries = _Reader(r.vec(3), "certificate list")
    certs = []
    while entries.pos < len(entries.data):
        certs.append(entries.vec(3))
        if tls13:
            entries.vec(2)
    return tuple(certs)


def parse_server_key_exchange(body: bytes, ecdhe: bool) -> tuple[int | None, int | None]:
    """(named group, signature scheme) from a TLS 1.2 ECDHE ServerKeyExchange."""
    if not ecdhe:
        return None, None
    r = _Reader(body, "ServerKeyExchange")
    if r.num(1) != 3:
        return None, None
    group = r.num(2)
    r.vec(1)
    return group, r.num(2)


# --- TLS 1.3 key schedule (RFC 8446 §7.1) -----------------------------------------------------

_AEAD = {0x1301: (AESGCM, 16, "sha256"), 0x1302: (AESGCM, 32, "sha384"),
         0x1303: (ChaCha20Poly1305, 32, "sha256")}


def _expand_label(secret: bytes, label: bytes, context: bytes, length: int, hash_name: str
                  ) -> bytes:
    info = _u16(length) + _vec(b"tls13 " + label, 1) + _vec(context, 1)
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([counter]), hash_name).digest()
        out += block
        counter += 1
    return out[:length]


def server_handshake_keys(suite: int, shared: bytes, transcript: bytes) -> tuple[object, bytes]:
    """The AEAD and IV protecting the server's handshake flight."""
    aead, key_len, hash_name = _AEAD[suite]
    size = hashlib.new(hash_name).digest_size
    early = hmac.new(b"\x00" * size, b"\x00" * size, hash_name).digest()
    derived = _expand_label(early, b"derived", hashlib.new(hash_name, b"").digest(), size,
                            hash_name)
    handshake = hmac.new(derived, shared, hash_name).digest()
    traffic = _expand_label(handshake, b"s hs traffic",
                            hashlib.new(hash_name, transcript).digest(), size, hash_name)
    key = _expand_label(traffic, b"key", b"", key_len, hash_name)
    return aead(key), _expand_label(traffic, b"iv", b"", 12, hash_name)


def _decrypt(aead: object, iv: bytes, seq: int, record: bytes) -> tuple[int, bytes]:
    nonce = bytes(a ^ b for a, b in zip(iv, seq.to_bytes(12, "big"), strict=True))
    header = b"\x17\x03\x03" + _u16(len(record))
    plain = aead.decrypt(nonce, record, header)  # type: ignore[attr-defined]
    stripped = plain.rstrip(b"\x00")
    if not stripped:
        raise ValueError("an encrypted record without a content type")
    return stripped[-1], stripped[:-1]


# --- one offer --------------------------------------------------------------------------------

def _server_hello(conn: _Conn) -> tuple[bytes, bytes] | ProbeResult | None:
    """Read until the ServerHello: (its raw message, the handshake bytes after it in the same
    records), an alert as a result, or None when the server closed the connection."""
    pending = b""
    try:
        while True:
            kind, payload = conn.record()
            if kind == 21 and len(payload) >= 2:
                return ProbeResult(offer="", accepted=False,
                                   alert=ALERTS.get(payload[1], f"alert {payload[1]}"))
            if kind != 22:
                continue
            pending += payload
            if len(pending) >= 4 and len(pending) >= 4 + int.from_bytes(pending[1:4], "big"):
                length = 4 + int.from_bytes(pending[1:4], "big")
                if pending[0] != 2:
                    raise ProbeError(f"{conn.endpoint}: first handshake message is type "
                                     f"{pending[0]}, expected a ServerHello (2)")
                return pending[:length], pending[length:]
    except EOFError:
        return None


def _tls12_flight(conn: _Conn, pending: bytes) -> list[tuple[int, bytes]]:
    """Handshake messages up to ServerHelloDone; a message may span records, so the bytes are
    parsed whole each time a record arrives (bounded by the reply budget)."""
    while True:
        try:
            messages = _messages(pending)
        except ValueError:
            messages = []  # the last message continues in the next record
        if any(k == 14 for k, _ in messages):
            return messages
        kind, payload = conn.record()
        if kind == 21:
            raise EOFError  # an alert mid-flight ends it like a close
        if kind == 22:
            pending += payload


def _tls13_flight(conn: _Conn, aead: object, iv: bytes) -> list[tuple[int, bytes]]:
    messages: list[tuple[int, bytes]] = []
    plain, seq = b"", 0
    while not any(k in (15, 20) for k, _ in messages):
        kind, payload = conn.record()
        if kind != 23:
            continue
        inner, data = _decrypt(aead, iv, seq, payload)
        seq += 1
        if inner == 22:
            plain += data
            try:
                messages = _messages(plain)
            except ValueError:
                continue
    return messages


def _run_offer(conn: _Conn, offer: ProbeOffer, sni: str | None, ecdhe: set[int]) -> ProbeResult:
    shares = _KeyShares()
    hello = client_hello(offer, sni, shares)
    record_version = 0x0101 if offer.version is ProtocolVersion.TLCP1_1 else 0x0301
    conn.sock.sendall(_record(22, record_version, hello))
    got = _server_hello(conn)
    if got is None:
        return ProbeResult(offer=offer.name, accepted=False,
                           notes=("server closed the connection without a ServerHello",))
    if isinstance(got, ProbeResult):
        return ProbeResult(offer=offer.name, accepted=False, alert=got.alert)
    raw, after = got
    try:
        sh = parse_server_hello(raw[4:])
    except ValueError as exc:
        raise ProbeError(f"{conn.endpoint}: malformed ServerHello ({exc})") from None
    version = {v: k.value for k, v in WIRE_VERSION.items()}.get(sh.version, f"0x{sh.version:04x}")
    base = ProbeResult(offer=offer.name, accepted=True, version=version, suite=sh.suite,
                       group=sh.group)
    if sh.version == 0x0304:
        return _finish_tls13(conn, base, sh, hello + raw, shares)
    return _finish_tls12(conn, base, after, sh.suite in ecdhe)


def _finish_tls12(conn: _Conn, base: ProbeResult, after: bytes, ecdhe: bool) -> ProbeResult:
    try:
        messages = _tls12_flight(conn, after)
    except EOFError:
        return _with(base, notes=("server closed before ServerHelloDone",))
    certs: tuple[bytes, ...] = ()
    group = scheme = None
    for kind, body in messages:
        if kind == 11:
            certs = parse_certificates(body, tls13=False)
        elif kind == 12:
            group, scheme = parse_server_key_exchange(body, ecdhe)
    return _with(base, certificates=certs, group=group, signature_scheme=scheme)


def _finish_tls13(conn: _Conn, base: ProbeResult, sh: _ServerHello, transcript: bytes,
                  shares: _KeyShares) -> ProbeResult:
    if sh.hrr:
        return _with(base, notes=("HelloRetryRequest: the server wants a key share for the "
                                  "selected group, which this probe does not compute",))
    shared = shares.shared(sh.group, sh.key_share) if sh.group and sh.key_share else None
    if shared is None or sh.suite not in _AEAD:
        return _with(base, notes=("handshake flight not decrypted: suite or group not "
                                  "implemented by the probe",))
    aead, iv = server_handshake_keys(sh.suite, shared, transcript)
    try:
        messages = _tls13_flight(conn, aead, iv)
    except EOFError:
        return _with(base, notes=("server closed before its Finished",))
    certs: tuple[bytes, ...] = ()
    scheme = None
    for kind, body in messages:
        if kind == 11:
            certs = parse_certificates(body, tls13=True)
        elif kind == 15 and len(body) >= 2:
            scheme = int.from_bytes(body[:2], "big")
    return _with(base, certificates=certs, signature_scheme=scheme)


def _with(result: ProbeResult, **changes: Any) -> ProbeResult:
    return replace(result, **changes)


@dataclass(frozen=True)
class ProbeSettings:
    """How to connect: server name to send, time budget per connection, and which suite codes
    carry an ECDHE ServerKeyExchange (to read the group and scheme from it)."""

    sni: str | None = None
    timeout: float = 3.0
    ecdhe_suites: frozenset[int] = frozenset()


def probe_offer(host: str, port: int, offer: ProbeOffer,
                settings: ProbeSettings = ProbeSettings()) -> ProbeResult:
    """Connect once, send ``offer``, and report what the server selected."""
    endpoint = f"{host}:{port}"
    sock = _connect(host, port, settings.timeout)
    conn = _Conn(sock, endpoint, time.monotonic() + settings.timeout)
    try:
        return _run_offer(conn, offer, settings.sni, set(settings.ecdhe_suites))
    except ValueError as exc:  # a truncated or inconsistent message, or a bad key share
        raise ProbeError(f"{endpoint}: malformed reply ({exc})") from None
    except EOFError:
        return ProbeResult(offer=offer.name, accepted=False,
                           notes=("server closed the connection mid-handshake",))
    finally:
        sock.close()


# --- an endpoint ------------------------------------------------------------------------------

def default_offers(registry: Registry) -> tuple[ProbeOffer, ...]:
    """International, ShangMi, GOST, TLCP and hybrid post-quantum offers built from the
    registry, so a suite added there is probed too."""
    def codes(version: ProtocolVersion, *families: str) -> tuple[int, ...]:
        return tuple(s.code for s in registry.cipher_suites if version in s.versions
                     and registry.algorithm(s.cipher).family in families)

    def groups(*names: str) -> tuple[int, ...]:
        return tuple(g.code for n in names if (g := registry.group(n)) is not None)

    intl = ("AES", "ChaCha20", "3DES")
    gost_ciphers = ("GOST-34.12", "GOST-28147")
    gost_groups = groups("GC256A", "GC256B", "GC256C", "GC256D", "GC512A", "GC512B", "GC512C")
    gost_schemes = tuple(s.code for s in registry.signature_schemes if s.name.startswith("gostr"))
    v12, v13 = ProtocolVersion.TLS1_2, ProtocolVersion.TLS1_3
    return (
        ProbeOffer("tls1.3 international", v13, codes(v13, "AES", "ChaCha20")),
        ProbeOffer("tls1.3 hybrid post-quantum", v13, codes(v13, "AES", "ChaCha20"),
                   groups=groups("X25519MLKEM768", "SecP256r1MLKEM768", "x25519", "secp256r1")),
        ProbeOffer("tls1.3 ShangMi (RFC 8998)", v13, codes(v13, "SM4"), groups=groups("curveSM2"),
                   signature_schemes=(0x0708,)),
        ProbeOffer("tls1.3 GOST (RFC 9367)", v13, codes(v13, *gost_ciphers),
                   groups=gost_groups, signature_schemes=gost_schemes),
        ProbeOffer("tls1.2 international", v12, codes(v12, *intl)),
        ProbeOffer("tls1.2 GOST (RFC 9189)", v12, codes(v12, *gost_ciphers), groups=gost_groups,
                   signature_schemes=gost_schemes),
        ProbeOffer("TLCP (GB/T 38636-2020)", ProtocolVersion.TLCP1_1,
                   codes(ProtocolVersion.TLCP1_1, "SM4"), groups=groups("curveSM2")),
    )


def _family(registry: Registry, algorithm_ids: Sequence[str]) -> str:
    """Which default TLS 1.3 offer a group or scheme belongs with: ShangMi, GOST or the rest."""
    families = {registry.algorithm(a).family for a in algorithm_ids}
    if any(f.startswith("SM") for f in families):
        return "tls1.3 ShangMi (RFC 8998)"
    if any(f.startswith("GOST") for f in families):
        return "tls1.3 GOST (RFC 9367)"
    return "tls1.3 international"


def enumeration_offers(registry: Registry) -> tuple[ProbeOffer, ...]:
    """One ClientHello per cipher suite (at each version of the default offers), then, on TLS
    1.3, one per named group and one per signature scheme, each with the suites, groups and
    schemes of its family's default offer: what the server accepts of each, one at a time."""
    base = {o.name: o for o in default_offers(registry)}
    offers: list[ProbeOffer] = []
    for template in base.values():
        if template.name == "tls1.3 hybrid post-quantum":
            continue  # the same suites as the international offer; its groups come below
        for code in template.suites:
            suite = registry.suites_by_code[code][0].name
            offers.append(replace(template, name=f"{template.version.value} suite {suite}",
                                  suites=(code,)))
    for group in registry.groups:
        template = base[_family(registry, (group.algorithm,))]
        offers.append(replace(template, name=f"tls1.3 group {group.name}", groups=(group.code,)))
    for scheme in registry.signature_schemes:
        template = base[_family(registry, scheme.algorithms)]
        offers.append(replace(template, name=f"tls1.3 signature scheme {scheme.name}",
                              signature_schemes=(scheme.code,)))
    return tuple(offers)


@dataclass(frozen=True)
class NamedResult:
    """A probe result with its code points named from the registry."""

    result: ProbeResult
    suite: str | None
    group: str | None
    signature_scheme: str | None
    certificates: tuple[CertificateRecord, ...]


def _name(table: Mapping[str, Any], code: int | None) -> str | None:
    if code is None:
        return None
    found = table.get(f"#{code}")
    return found.name if found is not None else f"0x{code:04X}"


def name_result(result: ProbeResult, registry: Registry, endpoint: str) -> NamedResult:
    """Names for the selected suite, group and scheme; the chain parsed and classified."""
    suites = registry.suites_by_code.get(result.suite or -1, ())
    suite = suites[0].name if suites else (None if result.suite is None
                                           else f"0x{result.suite:04X}")
    chain: tuple[CertificateRecord, ...] = ()
    if result.certificates:
        pem = b"".join(b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der)
                       + b"-----END CERTIFICATE-----\n" for der in result.certificates)
        chain = tuple(read_certificate_bytes(pem, f"{endpoint} ({result.offer})", registry))
    return NamedResult(result, suite, _name(registry.groups_by_key, result.group),
                       _name(registry.schemes_by_key, result.signature_scheme), chain)


def probe_endpoint(host: str, port: int, registry: Registry,
                   settings: ProbeSettings | None = None,
                   offers: Sequence[ProbeOffer] | None = None) -> tuple[NamedResult, ...]:
    """Every offer against one endpoint, one connection each. A connection that cannot be made
    raises :class:`ProbeError`; a server that refuses an offer gives a result saying so."""
    ecdhe = frozenset(s.code for s in registry.cipher_suites
                      if s.key_exchange in ("ecdh", "sm2-key-exchange"))
    base = settings or ProbeSettings()
    settings = replace(base, ecdhe_suites=base.ecdhe_suites or ecdhe)
    return tuple(name_result(probe_offer(host, port, offer, settings), registry, f"{host}:{port}")
                 for offer in (offers if offers is not None else default_offers(registry)))


def accepted_profile(results: Sequence[NamedResult]) -> CryptoProfile:
    """What the server was seen to accept, as the estate's ``crypto`` block for the engine."""
    ok = [r for r in results if r.result.accepted]
    versions = sorted({ProtocolVersion(r.result.version) for r in ok
                       if r.result.version in {v.value for v in ProtocolVersion}})
    return CryptoProfile(
        protocols=tuple(versions),
        cipher_suites=tuple(sorted({r.suite for r in ok if r.suite})),
        groups=tuple(sorted({r.group for r in ok if r.group})),
        signature_schemes=tuple(sorted({r.signature_scheme for r in ok if r.signature_scheme})))


def results_json(host: str, port: int, results: Sequence[NamedResult]) -> dict[str, Any]:
    """A probe result file: every offer's outcome and the accepted profile the estate can
    reference from a system's ``crypto.probes``."""
    return {
        "endpoint": f"{host}:{port}",
        "profile": accepted_profile(results).model_dump(mode="json"),
        "offers": [{
            "offer": r.result.offer, "accepted": r.result.accepted, "version": r.result.version,
            "suite": r.suite, "group": r.group, "signature_scheme": r.signature_scheme,
            "alert": r.result.alert, "notes": list(r.result.notes),
            "certificates": [c.model_dump(mode="json") for c in r.certificates],
        } for r in results],
    }
