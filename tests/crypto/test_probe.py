"""The live probe against real OpenSSL servers started here, against byte-exact RFC 8998,
TLCP and hybrid post-quantum replies (no implementation of those is reachable from the package
registries as a server: see docs/crypto.md), and against hostile servers."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from stackrift.crypto.engine import InteropStatus, evaluate_flow
from stackrift.crypto.errors import ProbeError
from stackrift.crypto.loader import load_regimes, load_registry
from stackrift.crypto.model import Endpoint, EndpointFacts, ProtocolVersion
from stackrift.crypto.probe import (
    HRR_RANDOM,
    ProbeOffer,
    ProbeSettings,
    accepted_profile,
    default_offers,
    probe_endpoint,
    probe_offer,
)
from stackrift.errors import InputError

OPENSSL = shutil.which("openssl")
KEYS = {
    "rsa": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "ecdsa": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ed25519": ed25519.Ed25519PrivateKey.generate,
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_identity(folder: Path, kind: str) -> tuple[Path, Path]:
    key = KEYS[kind]()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(key, None if kind == "ed25519" else hashes.SHA256()))
    key_path, cert_path = folder / f"{kind}.key", folder / f"{kind}.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@pytest.fixture(scope="module")
def openssl_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    """One ``openssl s_server`` per key type, on 127.0.0.1, stopped after the module."""
    if OPENSSL is None:
        message = ("no openssl binary on PATH; the live probe tests need `openssl s_server` "
                   "(`make unit` installs it)")
        if os.environ.get("CI"):
            pytest.fail(f"{message}: on CI these tests must run, not skip")
        pytest.skip(f"LOUD SKIP: {message}")
    folder = tmp_path_factory.mktemp("servers")
    procs, ports = [], {}
    try:
        for kind in KEYS:
            key, cert = _write_identity(folder, kind)
            port = _free_port()
            procs.append(subprocess.Popen(
                [OPENSSL, "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert),
                 "-key", str(key), "-www", "-quiet"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            ports[kind] = port
        for port in ports.values():
            _wait_listening(port)
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=5)


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"openssl s_server did not listen on {port}")


def _by_offer(port: int) -> dict[str, object]:
    return {r.result.offer: r for r in probe_endpoint("127.0.0.1", port, load_registry())}


@pytest.mark.parametrize(("kind", "scheme13", "scheme12", "key_alg"), [
    ("rsa", "rsa_pss_rsae_sha256", "rsa_pss_rsae_sha256", "rsa"),
    ("ecdsa", "ecdsa_secp256r1_sha256", "ecdsa_secp256r1_sha256", "ecdsa-p256"),
    ("ed25519", "ed25519", "ed25519", "ed25519"),
])
def test_probe_names_suite_group_scheme_and_chain_for_tls12_and_tls13(
        openssl_servers: dict[str, int], kind: str, scheme13: str, scheme12: str,
        key_alg: str) -> None:
    results = _by_offer(openssl_servers[kind])
    t13 = results["tls1.3 international"]
    assert t13.result.accepted and t13.result.version == "tls1.3"  # type: ignore[attr-defined]
    assert t13.suite in {"TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",  # type: ignore[attr-defined]
                         "TLS_CHACHA20_POLY1305_SHA256"}
    assert t13.group == "x25519"  # type: ignore[attr-defined]
    assert t13.signature_scheme == scheme13  # type: ignore[attr-defined]
    assert t13.certificates[0].public_key_algorithm.algorithm_id == key_alg  # type: ignore[attr-defined]
    t12 = results["tls1.2 international"]
    assert t12.result.version == "tls1.2"  # type: ignore[attr-defined]
    assert t12.suite.startswith("TLS_ECDHE_")  # type: ignore[attr-defined]
    assert t12.group == "x25519" and t12.signature_scheme == scheme12  # type: ignore[attr-defined]
    assert t12.certificates[0].public_key_algorithm.algorithm_id == key_alg  # type: ignore[attr-defined]


def test_sm_gost_tlcp_and_pq_offers_are_refused_by_this_openssl(
        openssl_servers: dict[str, int]) -> None:
    results = _by_offer(openssl_servers["rsa"])
    for offer in ("tls1.3 ShangMi (RFC 8998)", "tls1.3 GOST (RFC 9367)", "TLCP (GB/T 38636-2020)"):
        assert not results[offer].result.accepted, offer  # type: ignore[attr-defined]
    assert results["tls1.3 ShangMi (RFC 8998)"].result.alert == "handshake_failure"  # type: ignore[attr-defined]


def test_probe_results_feed_the_engine(openssl_servers: dict[str, int]) -> None:
    registry = load_registry()
    profile = accepted_profile(probe_endpoint("127.0.0.1", openssl_servers["ecdsa"], registry))
    assert set(profile.protocols) == {ProtocolVersion.TLS1_2, ProtocolVersion.TLS1_3}
    assert any(s.startswith("TLS_AES_") for s in profile.cipher_suites)
    assert "x25519" in profile.groups and "ecdsa_secp256r1_sha256" in profile.signature_schemes
    probed = Endpoint(id="probed", profile=profile, facts=EndpointFacts(country="DE", cii=False))
    shanghai_sm = Endpoint(id="sh", facts=EndpointFacts(country="CN", mlps_level=3, cii=False),
                           profile=profile.model_copy(update={
                               "cipher_suites": ("TLS_SM4_GCM_SM3",), "groups": ("curveSM2",),
                               "signature_schemes": ("sm2sig_sm3",)}))
    flow = evaluate_flow(probed, shanghai_sm, load_regimes(), registry, dt.date(2026, 12, 4))
    assert flow.status is InteropStatus.NO_COMMON_SUITE


def test_enumeration_offers_each_suite_group_and_scheme_and_openssl_answers_each(
        openssl_servers: dict[str, int]) -> None:
    from stackrift.crypto.probe import enumeration_offers

    registry = load_registry()
    offers = enumeration_offers(registry)
    assert len(offers) >= 60
    assert {len(o.suites) for o in offers if " suite " in o.name} == {1}
    assert {o.name for o in offers} >= {"tls1.3 suite TLS_SM4_GCM_SM3",
                                        "tls1.3 group X25519MLKEM768",
                                        "tls1.3 signature scheme sm2sig_sm3"}
    results = {r.result.offer: r for r in probe_endpoint(
        "127.0.0.1", openssl_servers["ecdsa"], registry, offers=offers)}
    assert len(results) == len(offers)
    for accepted in ("tls1.3 suite TLS_AES_128_GCM_SHA256", "tls1.3 group secp384r1",
                     "tls1.3 signature scheme ecdsa_secp256r1_sha256",
                     "tls1.2 suite TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"):
        assert results[accepted].result.accepted, accepted
    assert results["tls1.3 group secp384r1"].group == "secp384r1"
    for refused in ("tls1.3 suite TLS_SM4_GCM_SM3", "tls1.3 signature scheme ed448",
                    "tls1.2 suite TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"):
        assert not results[refused].result.accepted, refused
    profile = accepted_profile(tuple(results.values()))
    assert {"secp256r1", "secp384r1", "x25519"} <= set(profile.groups)


def test_default_offers_cover_every_registry_suite_family() -> None:
    offers = default_offers(load_registry())
    offered = {code for o in offers for code in o.suites}
    assert {0x00C6, 0x00C7, 0xE011, 0xE013, 0xE051, 0xE053, 0xC100, 0xC103, 0x1301} <= offered
    assert any(0x11EC in o.groups for o in offers) and any(41 in o.groups for o in offers)


# --- scripted servers: byte-exact replies and hostile behaviour -------------------------------

def _serve_once(reply: Callable[[bytes], bytes]) -> int:
    """A one-connection server: reads the ClientHello record, sends ``reply(hello)``."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = int(listener.getsockname()[1])

    def run() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(5)
            header = conn.recv(5, socket.MSG_WAITALL)
            body = conn.recv(int.from_bytes(header[3:5], "big"), socket.MSG_WAITALL)
            out = reply(header + body)
            if out:
                conn.sendall(out)
            time.sleep(0.3 if out else 3)  # a silent server stays silent past the probe budget
        listener.close()

    threading.Thread(target=run, daemon=True).start()
    return port


def _record(kind: int, payload: bytes, version: int = 0x0303) -> bytes:
    return bytes([kind]) + version.to_bytes(2, "big") + len(payload).to_bytes(2, "big") + payload


def _handshake(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + len(body).to_bytes(3, "big") + body


def _server_hello(version: int, suite: int, random: bytes, extensions: bytes) -> bytes:
    body = (version.to_bytes(2, "big") + random + b"\x20" + b"\x11" * 32
            + suite.to_bytes(2, "big") + b"\x00")
    if extensions:
        body += len(extensions).to_bytes(2, "big") + extensions
    return _handshake(2, body)


def _ext(kind: int, data: bytes) -> bytes:
    return kind.to_bytes(2, "big") + len(data).to_bytes(2, "big") + data


def test_rfc8998_server_hello_is_read_byte_exact() -> None:
    # RFC 8998 §2: TLS_SM4_GCM_SM3 = {0x00,0xC6}; §3.1 curveSM2 = 41 (0x0029), 65-byte share
    share = b"\x04" + b"\x01" * 64
    exts = _ext(43, b"\x03\x04") + _ext(51, b"\x00\x29" + len(share).to_bytes(2, "big") + share)
    reply = _record(22, _server_hello(0x0303, 0x00C6, b"\x42" * 32, exts))
    port = _serve_once(lambda _hello: reply)
    offer = default_offers(load_registry())[2]
    result = probe_offer("127.0.0.1", port, offer, ProbeSettings(timeout=3))
    assert (result.version, result.suite, result.group) == ("tls1.3", 0x00C6, 41)
    assert "not decrypted" in result.notes[0]


def test_hello_retry_request_names_the_hybrid_group() -> None:
    exts = _ext(43, b"\x03\x04") + _ext(51, b"\x11\xec")
    reply = _record(22, _server_hello(0x0303, 0x1301, HRR_RANDOM, exts))
    port = _serve_once(lambda _hello: reply)
    registry = load_registry()
    results = probe_endpoint("127.0.0.1", port, registry, ProbeSettings(timeout=3),
                             offers=[default_offers(registry)[1]])
    assert results[0].group == "X25519MLKEM768"
    assert "HelloRetryRequest" in results[0].result.notes[0]


def test_tlcp_server_hello_and_double_certificate_are_read(shared_data: Path) -> None:
    certs = [x509.load_pem_x509_certificate(
        (shared_data / "crypto" / "tongsuo-sm2-certs" / "sm2" / n).read_bytes()).public_bytes(
            serialization.Encoding.DER) for n in ("server_sign.crt", "server_enc.crt")]
    entries = b"".join(len(c).to_bytes(3, "big") + c for c in certs)
    flight = (_server_hello(0x0101, 0xE053, b"\x42" * 32, b"")
              + _handshake(11, len(entries).to_bytes(3, "big") + entries)
              + _handshake(14, b""))
    port = _serve_once(lambda _hello: _record(22, flight, 0x0101))
    registry = load_registry()
    [named] = probe_endpoint("127.0.0.1", port, registry, ProbeSettings(timeout=3),
                             offers=[default_offers(registry)[-1]])
    assert named.result.version == "tlcp1.1" and named.suite == "ECC_SM4_GCM_SM3"
    assert [c.signature_algorithm.algorithm_id for c in named.certificates] == [
        "sm2-with-sm3", "sm2-with-sm3"]


def test_a_flight_split_inside_a_message_across_records_is_reassembled(
        shared_data: Path) -> None:
    cert = x509.load_pem_x509_certificate(
        (shared_data / "crypto" / "tongsuo-sm2-certs" / "sm2" / "server_sign.crt").read_bytes()
    ).public_bytes(serialization.Encoding.DER)
    entries = len(cert).to_bytes(3, "big") + cert
    flight = (_server_hello(0x0101, 0xE011, b"\x42" * 32, b"")
              + _handshake(11, len(entries).to_bytes(3, "big") + entries) + _handshake(14, b""))
    cut = len(flight) // 2  # inside the Certificate message
    port = _serve_once(lambda _hello: _record(22, flight[:cut], 0x0101)
                       + _record(22, flight[cut:], 0x0101))
    registry = load_registry()
    [named] = probe_endpoint("127.0.0.1", port, registry, ProbeSettings(timeout=3),
                             offers=[default_offers(registry)[-1]])
    assert named.suite == "ECDHE_SM4_CBC_SM3" and len(named.certificates) == 1


def test_garbage_reply_is_a_clear_error() -> None:
    port = _serve_once(lambda _hello: b"HTTP/1.1 400 Bad Request\r\n\r\n")
    offer = ProbeOffer("x", ProtocolVersion.TLS1_2, (0xC02F,))
    with pytest.raises(ProbeError, match=r"127\.0\.0\.1:\d+: not a TLS reply") as info:
        probe_offer("127.0.0.1", port, offer, ProbeSettings(timeout=3))
    assert isinstance(info.value, InputError)


def test_truncated_server_hello_is_a_clear_error() -> None:
    port = _serve_once(lambda _hello: _record(22, _handshake(2, b"\x03\x03\x00")))
    offer = ProbeOffer("x", ProtocolVersion.TLS1_2, (0xC02F,))
    with pytest.raises(ProbeError, match="malformed"):
        probe_offer("127.0.0.1", port, offer, ProbeSettings(timeout=3))


def test_silent_server_times_out_within_the_budget() -> None:
    port = _serve_once(lambda _hello: b"")
    offer = ProbeOffer("x", ProtocolVersion.TLS1_3, (0x1301,))
    started = time.monotonic()
    with pytest.raises(ProbeError, match="timed out"):
        probe_offer("127.0.0.1", port, offer, ProbeSettings(timeout=0.2))
    assert time.monotonic() - started < 2


def test_closed_port_is_a_clear_error() -> None:
    offer = ProbeOffer("x", ProtocolVersion.TLS1_3, (0x1301,))
    with pytest.raises(ProbeError, match="connection refused"):
        probe_offer("127.0.0.1", _free_port(), offer, ProbeSettings(timeout=1))
