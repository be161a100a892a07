"""The crypto analysis on estates: cross-regime flows, gateways, and what was not assessed."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackrift.analyses.base import AnalysisContext, AnalysisResult
from stackrift.analyses.crypto import CryptoAnalysis
from stackrift.catalog.catalogue import load_catalogue
from stackrift.errors import InvalidInputError
from stackrift.estate.loader import load_estate
from stackrift.findings import Severity

AS_OF = date(2026, 12, 4)
SH_CRYPTO = {"protocols": ["tls1.3"], "cipher_suites": ["TLS_SM4_GCM_SM3"],
             "groups": ["curveSM2"], "signature_schemes": ["sm2sig_sm3"],
             "module_validations": [{"scheme": "cn-commercial-crypto"}],
             "facts": {"mlps_level": 3, "cii": False}}
US_CRYPTO = {"protocols": ["tls1.2", "tls1.3"],
             "cipher_suites": ["TLS_AES_256_GCM_SHA384",
                               "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"],
             "groups": ["secp384r1"], "signature_schemes": ["ecdsa_secp384r1_sha384"],
             "module_validations": [{"scheme": "fips-140-3", "certificate": "4282"}],
             "facts": {"federal": True, "fedramp": True, "nss": False}}
GATEWAY_CRYPTO = {
    "module_validations": [{"scheme": "fips-140-3"}, {"scheme": "cn-commercial-crypto"}],
    "gateway_faces": [
        {"towards": "sh-ai", "profile": {k: SH_CRYPTO[k] for k in (
            "protocols", "cipher_suites", "groups", "signature_schemes",
            "module_validations")}},
        {"towards": "va-api", "profile": {k: US_CRYPTO[k] for k in (
            "protocols", "cipher_suites", "groups", "signature_schemes",
            "module_validations")}}]}


def _system(sid: str, site: str, crypto: dict[str, Any] | None) -> dict[str, Any]:
    record: dict[str, Any] = {"id": sid, "name": sid, "purpose": "p", "owner": "hq",
                              "site": site}
    if crypto is not None:
        record["crypto"] = crypto
    return record


def _run(tmp_path: Path, *, us_crypto: dict[str, Any] | None = US_CRYPTO,
         gateway: str | None = None, peer: str = "va-api") -> AnalysisResult:
    systems = [_system("sh-ai", "sh", SH_CRYPTO), _system("va-api", "use1", us_crypto)]
    flow: dict[str, Any] = {"id": "f", "from": "sh", "to": "use1", "system": "sh-ai",
                            "peer_system": peer, "data_categories": ["personal"]}
    if gateway is not None:
        facts = {"federal": True, "fedramp": True, "nss": False} if gateway == "use1" else {}
        systems.append(_system("gw", gateway, {**GATEWAY_CRYPTO, "facts": facts}))
        flow["crypto_gateway"] = "gw"
    doc = {"organisation": {"name": "Org", "hq_country": "US"},
           "entities": [{"id": "hq", "name": "HQ", "country": "US"}],
           "sites": [{"id": "sh", "name": "Shanghai", "kind": "on_prem", "country": "CN",
                      "entity": "hq"},
                     {"id": "use1", "name": "Virginia", "kind": "on_prem", "country": "US",
                      "entity": "hq"},
                     {"id": "sg", "name": "Singapore", "kind": "on_prem", "country": "SG",
                      "entity": "hq"}],
           "systems": systems, "data_flows": [flow]}
    path = tmp_path / "estate.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    context = AnalysisContext(as_of=AS_OF, catalogue=load_catalogue())
    return CryptoAnalysis().run(load_estate(path), context)


def test_sm_only_and_fips_federal_ends_have_no_common_suite_citing_both_regimes(
        tmp_path: Path) -> None:
    result = _run(tmp_path)
    [finding] = [f for f in result.findings if f.rule == "no-common-suite"]
    assert finding.severity is Severity.HIGH
    assert finding.subject.id == "f"
    sources = " ".join(c.source for c in finding.citations)
    assert "GB/T 39786" in sources and "FIPS 140-3" in sources
    assert finding.recommendation is not None and "gateway" in finding.recommendation
    flows = result.summary["tables"][0]
    assert flows["rows"] == [["f", "sh-ai", "va-api", "no common suite", None]]
    titles = [c["title"] for c in result.summary["charts"]]
    assert any("regime × regime" in t for t in titles)
    assert any("system × system" in t for t in titles)


def test_a_dual_stack_gateway_in_a_third_country_makes_the_flow_interoperable(
        tmp_path: Path) -> None:
    result = _run(tmp_path, gateway="sg")
    assert [f for f in result.findings if f.subject.id == "f"] == []
    assert result.summary["tables"][0]["rows"][0][3] == "interoperable"


def test_a_gateway_inside_the_us_federal_boundary_still_conflicts_on_its_sm_face(
        tmp_path: Path) -> None:
    # FIPS rules bind the gateway itself, so its SM face is forbidden: reported, not hidden
    result = _run(tmp_path, gateway="use1")
    [finding] = [f for f in result.findings if f.subject.id == "f"]
    assert finding.rule == "only-forbidden-suites"
    assert finding.severity is Severity.MEDIUM
    assert "via gateway gw" in finding.title
    assert [h["status"] for h in finding.evidence["hops"]] == [
        "interoperable only with a suite one regime forbids", "interoperable"]


def test_an_end_without_crypto_is_reported_not_assessed_not_clean(tmp_path: Path) -> None:
    result = _run(tmp_path, us_crypto=None)
    [finding] = [f for f in result.findings if f.subject.id == "f"]
    assert finding.rule == "flow-not-assessed"
    assert finding.severity is Severity.UNKNOWN
    assert "va-api declares no cryptography" in finding.title
    assert result.summary["not_assessed_flows"] == 1


def test_an_unknown_peer_system_is_a_located_estate_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="peer_system"):
        _run(tmp_path, peer="nowhere")
