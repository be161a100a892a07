"""Crypto benchmark: the interop analysis on 1,000 systems and 5,000 flows; the live probe of one
endpoint with one offer per suite, group and signature scheme.

Analysis: a generated estate (ShangMi, TLCP, FIPS, international, hybrid post-quantum and GOST
systems over five countries, with suites dropped at random so that many systems differ; some
flows pin a suite, some pass through dual-stack gateways whose hops are judged as data
transfers). A fresh process that parses and validates the estate and loads the crypto packs is
the floor; the same process followed by the crypto analysis is measured beside it, and the
difference of the medians is the analysis. Target: within 5 s of CPU and of wall time. The
whole ``stackrift crypto check`` (parsing, analysis, a JSON report of every finding) is
measured too, for the record.

Probe: ``stackrift crypto probe --enumerate`` (80 offers, one connection each) against an
``openssl s_server`` on 127.0.0.1 started here with an ECDSA P-256 certificate made here.
Target: within 2 s wall for the whole command.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from harness import check_limit, measure, python, stackrift

SYSTEMS = 1_000
FLOWS = 5_000
ANALYSIS_LIMIT_S = 5.0
PROBE_LIMIT_S = 2.0
MIN_OFFERS = 60
AS_OF = "2026-12-04"
SITES = [("cn1", "CN"), ("cn2", "CN"), ("us1", "US"), ("us2", "US"), ("de1", "DE"),
         ("sg1", "SG"), ("ru1", "RU")]
PROFILES: dict[str, dict[str, Any]] = {
    "sm": {"protocols": ["tls1.3"], "cipher_suites": ["TLS_SM4_GCM_SM3", "TLS_SM4_CCM_SM3"],
           "groups": ["curveSM2"], "signature_schemes": ["sm2sig_sm3"],
           "module_validations": [{"scheme": "cn-commercial-crypto"}],
           "facts": {"mlps_level": 3, "cii": False}},
    "tlcp": {"protocols": ["tlcp1.1"], "cipher_suites": ["ECC_SM4_GCM_SM3", "ECDHE_SM4_GCM_SM3",
                                                         "ECC_SM4_CBC_SM3"],
             "module_validations": [{"scheme": "cn-commercial-crypto"}],
             "facts": {"mlps_level": 3, "cii": True}},
    "fips": {"protocols": ["tls1.2", "tls1.3"],
             "cipher_suites": ["TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
                               "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                               "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],
             "groups": ["secp384r1", "secp256r1"],
             "signature_schemes": ["ecdsa_secp384r1_sha384", "ecdsa_secp256r1_sha256"],
             "module_validations": [{"scheme": "fips-140-3", "certificate": "4282"}],
             "facts": {"federal": True, "fedramp": True, "nss": False}},
    "intl": {"protocols": ["tls1.2", "tls1.3"],
             "cipher_suites": ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256",
                               "TLS_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
             "groups": ["x25519", "secp256r1"],
             "signature_schemes": ["rsa_pss_rsae_sha256", "ecdsa_secp256r1_sha256"],
             "facts": {"cii": False}},
    "hybrid": {"protocols": ["tls1.3"],
               "cipher_suites": ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"],
               "groups": ["X25519MLKEM768", "x25519"], "signature_schemes": ["ed25519"]},
    "gost": {"protocols": ["tls1.3"],
             "cipher_suites": ["TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L",
                               "TLS_GOSTR341112_256_WITH_MAGMA_MGM_L"],
             "groups": ["GC256A", "GC256B"], "signature_schemes": ["gostr34102012_256a"],
             "facts": {"state_system": True}},
}
KIND_AT = {"CN": ["sm", "tlcp", "intl"], "US": ["fips", "intl", "hybrid"], "DE": ["intl", "hybrid"],
           "SG": ["intl", "hybrid", "sm"], "RU": ["gost", "intl"]}


def _crypto(kind: str, rng: random.Random) -> dict[str, Any]:
    block = {k: (list(v) if isinstance(v, list) else v) for k, v in PROFILES[kind].items()}
    suites = block["cipher_suites"]
    block["cipher_suites"] = rng.sample(suites, rng.randint(1, len(suites)))
    return block


def generate(seed: int = 13) -> dict[str, Any]:
    """A deterministic estate of SYSTEMS systems, FLOWS flows and two gateways in Singapore."""
    rng = random.Random(seed)
    sites = [{"id": sid, "name": sid, "kind": "cloud_region", "country": country, "entity": "hq"}
             for sid, country in SITES]
    systems: list[dict[str, Any]] = []
    for i in range(SYSTEMS):
        site, country = rng.choice(SITES)
        systems.append({"id": f"s{i}", "name": f"System {i}", "purpose": "bench", "owner": "hq",
                        "site": site,
                        "crypto": _crypto(rng.choice(KIND_AT[country]), rng)})
    served = [s["id"] for s in systems[:40]]
    faces = [{"towards": sid, "profile": {k: v for k, v in systems[int(sid[1:])]["crypto"].items()
                                          if k != "facts"}} for sid in served]
    for g in range(2):
        systems.append({"id": f"gw{g}", "name": f"Gateway {g}", "purpose": "gateway",
                        "owner": "hq", "site": "sg1",
                        "crypto": {"gateway_faces": faces, "facts": {"cii": False}}})
    by_id = {s["id"]: s for s in systems}
    flows = [_flow(i, rng, systems, served, by_id) for i in range(FLOWS)]
    return {"schema_version": 1, "organisation": {"name": "Bench", "hq_country": "US"},
            "entities": [{"id": "hq", "name": "HQ", "country": "US"}], "sites": sites,
            "systems": systems, "data_flows": flows}


def _flow(i: int, rng: random.Random, systems: list[dict[str, Any]], served: list[str],
          by_id: dict[str, dict[str, Any]]) -> dict[str, Any]:
    via = i % 50 == 0
    a, b = (rng.sample(served, 2) if via else
            [s["id"] for s in rng.sample(systems[:SYSTEMS], 2)])
    flow: dict[str, Any] = {"id": f"f{i}", "from": by_id[a]["site"], "to": by_id[b]["site"],
                            "system": a, "peer_system": b, "data_categories": ["personal"]}
    if via:
        flow["crypto_gateway"] = f"gw{i % 2}"
    elif i % 20 == 1:
        flow["crypto"] = {"cipher_suites": [rng.choice(by_id[a]["crypto"]["cipher_suites"])]}
    return flow


def _loaded(path: Path) -> tuple[Any, Any]:
    """The estate parsed and validated, the catalogue and the crypto packs loaded."""
    from stackrift.catalog.catalogue import load_catalogue
    from stackrift.crypto.loader import load_regimes, load_registry
    from stackrift.estate.loader import load_estate

    loaded = load_estate(path)
    load_registry()
    load_regimes()
    return loaded, load_catalogue()


def floor(path: Path) -> int:
    """What the analysis needs before it starts (no flow is looked at)."""
    loaded, _ = _loaded(path)
    return 0 if len(loaded.estate.data_flows) == FLOWS else 1


def analysis(path: Path) -> int:
    """The floor, then the crypto analysis on the estate."""
    from datetime import date

    from stackrift.analyses.base import AnalysisContext
    from stackrift.analyses.crypto import CryptoAnalysis

    loaded, catalogue = _loaded(path)
    context = AnalysisContext(as_of=date.fromisoformat(AS_OF), catalogue=catalogue)
    result = CryptoAnalysis().run(loaded, context)
    return 0 if result.findings else 1


def _identity(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def _listening(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"openssl s_server did not listen on {port}")


def bench_analysis(folder: Path) -> None:
    path = folder / f"estate-{SYSTEMS}-systems-{FLOWS}-flows.yaml"
    path.write_text(yaml.safe_dump(generate(), sort_keys=False))
    print(f"{SYSTEMS} systems, {FLOWS} flows:", flush=True)
    script = str(Path(__file__).resolve())
    base = measure("floor: parse and validate the estate, load the catalogue and crypto packs",
                   python(script, "--floor", str(path)), runs=3)
    alone = measure("floor + the crypto analysis", python(script, "--analysis", str(path)),
                    runs=3)
    # crypto check exits 1 when a flow has no common suite: that is its answer here
    command = measure(f"stackrift crypto check, {SYSTEMS} systems, {FLOWS} flows",
                      stackrift("crypto", "check", str(path), "--as-of", AS_OF, "-f", "json"),
                      runs=3, ok_codes=(0, 1))
    for metric in ("cpu_s", "wall_s"):
        check_limit(f"crypto analysis on {SYSTEMS:,} systems / {FLOWS:,} flows within "
                    f"{ANALYSIS_LIMIT_S:g} s (analysis process minus its floor)", metric,
                    alone.median(metric) - base.median(metric), ANALYSIS_LIMIT_S)
    print(f"  whole command (estate parsing, analysis, JSON report of every finding): cpu "
          f"{command.median('cpu_s'):.3f} s, wall {command.median('wall_s'):.3f} s", flush=True)


def bench_probe(folder: Path) -> bool:
    openssl = shutil.which("openssl")
    if openssl is None:
        print("!! openssl NOT FOUND: the probe benchmark is NOT run", flush=True)
        return False
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from stackrift.crypto.loader import load_registry
    from stackrift.crypto.probe import enumeration_offers

    offers = len(enumeration_offers(load_registry()))
    assert offers >= MIN_OFFERS, offers
    key, cert = _identity(folder)
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port = int(spare.getsockname()[1])
    server = subprocess.Popen([openssl, "s_server", "-accept", f"127.0.0.1:{port}", "-cert",
                               str(cert), "-key", str(key), "-www", "-quiet"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _listening(port)
        print(f"probe, {offers} offers against openssl s_server on loopback:", flush=True)
        start = measure("floor: start-up, the crypto command module, registry and offers",
                        python(str(Path(__file__).resolve()), "--probe-floor"), runs=3)
        command = measure(f"stackrift crypto probe --enumerate ({offers} offers)",
                          stackrift("crypto", "probe", f"127.0.0.1:{port}", "--enumerate"),
                          runs=3)
    finally:
        server.terminate()
        server.wait(timeout=5)
    check_limit(f"probe of one endpoint, {offers} offers, within {PROBE_LIMIT_S:g} s "
                "(whole command, loopback)", "wall_s", command.median("wall_s"), PROBE_LIMIT_S)
    print(f"  the probing alone (command minus its floor): wall "
          f"{command.median('wall_s') - start.median('wall_s'):.3f} s, cpu "
          f"{command.median('cpu_s') - start.median('cpu_s'):.3f} s", flush=True)
    return True


def probe_floor() -> int:
    """What the probe command does before its first connection."""
    import stackrift.cli.crypto  # noqa: F401 - the command module and what it imports
    from stackrift.crypto.loader import load_registry
    from stackrift.crypto.probe import enumeration_offers

    return 0 if len(enumeration_offers(load_registry())) >= MIN_OFFERS else 1


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        bench_analysis(Path(tmp))
        probed = bench_probe(Path(tmp))
    return 0 if probed else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--floor":
        sys.exit(floor(Path(sys.argv[2])))
    if len(sys.argv) == 2 and sys.argv[1] == "--probe-floor":
        sys.exit(probe_floor())
    if len(sys.argv) == 3 and sys.argv[1] == "--analysis":
        sys.exit(analysis(Path(sys.argv[2])))
    sys.exit(main())
