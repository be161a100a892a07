"""``stackrift crypto check | probe | inventory`` through the command line, in process."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Cli
from tests.crypto.test_probe import _write_identity, openssl_servers  # noqa: F401  (fixture)


def test_check_reports_the_demo_cross_regime_flow(cli: Cli, demo_estate: Path) -> None:
    run = cli("crypto", "check", str(demo_estate), "--as-of", "2026-12-04", "-f", "json")
    assert run.code == 1, run.err  # a high finding fails the check, like assess
    report = json.loads(run.out)
    ids = {f["id"]: f for f in report["findings"]}
    assert {f["analysis"] for f in report["findings"]} == {"crypto"}
    flow = ids["crypto:no-common-suite:us-telematics-to-cn"]
    assert flow["severity"] == "high"
    assert "gateway" in flow["recommendation"]
    assert ids["crypto:flow-not-assessed:cn-tickets-to-rag"]["severity"] == "unknown"


def test_check_writes_markdown_with_both_matrices(cli: Cli, demo_estate: Path,
                                                  tmp_path: Path) -> None:
    out = tmp_path / "crypto.md"
    run = cli("crypto", "check", str(demo_estate), "--as-of", "2026-12-04", "-f", "md",
              "-o", str(out))
    assert run.code == 1, run.err
    text = out.read_text(encoding="utf-8")
    assert "regime × regime" in text and "system × system" in text
    assert "| us-telematics-to-cn | us-fraud | cn-recommender | no common suite |" in text


def test_check_with_a_bad_regime_folder_is_a_clear_error(cli: Cli, demo_estate: Path,
                                                         tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("regime: [\n", encoding="utf-8")
    run = cli("crypto", "check", str(demo_estate), "--regimes", str(tmp_path))
    assert run.code == 2
    assert "bad.yaml" in run.err and "Traceback" not in run.err


def test_probe_names_what_a_real_openssl_server_selects(
        cli: Cli, openssl_servers: dict[str, int], tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "endpoint.json"
    run = cli("crypto", "probe", f"127.0.0.1:{openssl_servers['ecdsa']}", "--sni", "localhost",
              "-o", str(out))
    assert run.code == 0, run.err
    data = json.loads(out.read_text(encoding="utf-8"))
    offers = {o["offer"]: o for o in data["offers"]}
    tls13 = offers["tls1.3 international"]
    assert tls13["accepted"] and tls13["signature_scheme"] == "ecdsa_secp256r1_sha256"
    assert tls13["suite"].startswith("TLS_")
    assert not offers["tls1.3 ShangMi (RFC 8998)"]["accepted"]
    assert "tls1.3" in data["profile"]["protocols"]
    text = cli("crypto", "probe", f"127.0.0.1:{openssl_servers['rsa']}", "-f", "terminal")
    assert text.code == 0 and "tls1.3 international" in text.out


def test_probe_of_a_closed_port_or_bad_endpoint_is_a_clear_error(cli: Cli) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    closed = cli("crypto", "probe", f"127.0.0.1:{port}", "--timeout", "1")
    assert closed.code == 2 and f"127.0.0.1:{port}" in closed.err
    assert "Traceback" not in closed.err
    bad = cli("crypto", "probe", "no-port-here")
    assert bad.code == 2 and "HOST:PORT" in bad.err


def test_inventory_reads_certificates(cli: Cli, tmp_path: Path) -> None:
    _, cert = _write_identity(tmp_path, "ecdsa")
    run = cli("crypto", "inventory", str(cert), "-f", "json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    [item] = data["items"]
    assert item["asset_type"] == "certificate"
    assert item["algorithm"]["algorithm_id"] == "ecdsa-sha256"
    assert data["quantum_vulnerable"] == 1


def test_inventory_of_garbage_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    run = cli("crypto", "inventory", str(junk))
    assert run.code == 2 and "junk.pem" in run.err and "Traceback" not in run.err


def test_inventory_of_an_estate_as_a_cyclonedx_cbom_validates_and_reads_back(
        cli: Cli, demo_estate: Path, tmp_path: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    from stackrift.crypto.loader import load_registry
    from stackrift.crypto.readers.cbom import read_cbom

    out = tmp_path / "estate.cbom.json"
    run = cli("crypto", "inventory", "--estate", str(demo_estate), "-f", "cbom", "-o", str(out))
    assert run.code == 0, run.err
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(out.read_text()) is None
    document = json.loads(out.read_text())
    assert document["specVersion"] == "1.6"
    systems = {c["bom-ref"] for c in document["components"] if c["type"] == "application"}
    assert "system/cn-recommender" in systems and "system/us-fraud" in systems
    items = read_cbom(out, load_registry())
    assert items and all(i.source.startswith(str(out)) for i in items)
    assert any(i.quantum_vulnerable for i in items)
    # written again from its own output, the CBOM keeps every asset
    again = tmp_path / "again.cbom.json"
    assert cli("crypto", "inventory", str(out), "-f", "cbom", "-o", str(again)).code == 0
    assert len(read_cbom(again, load_registry())) == len(items)


def test_inventory_needs_files_or_an_estate(cli: Cli) -> None:
    run = cli("crypto", "inventory", "-f", "json")
    assert run.code == 2
    assert "--estate" in run.err
