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
         gateway: str | None = None, peer: str = "va-api",
         flow_extra: dict[str, Any] | None = None,
         site_crypto: dict[str, Any] | None = None) -> AnalysisResult:
    systems = [_system("sh-ai", "sh", SH_CRYPTO), _system("va-api", "use1", us_crypto)]
    flow: dict[str, Any] = {"id": "f", "from": "sh", "to": "use1", "system": "sh-ai",
                            "peer_system": peer, "data_categories": ["personal"],
                            **(flow_extra or {})}
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
    if site_crypto is not None:
        doc["sites"][1]["crypto"] = site_crypto
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
    assert [f.rule for f in result.findings if f.subject.id == "f"] == ["gateway-hop-transfer"]
    assert result.summary["tables"][0]["rows"][0][3] == "interoperable"


def test_the_gateway_hops_get_their_transfer_verdicts_from_the_transfers_engine(
        tmp_path: Path) -> None:
    """Interoperable through a gateway in Singapore, but the data is in clear text there:
    personal data leaving China for the gateway is a transfer of its own, judged by the same
    rule packs as any flow (PIPL mechanisms missing), and the onward hop is judged too."""
    result = _run(tmp_path, gateway="sg")
    [finding] = [f for f in result.findings if f.rule == "gateway-hop-transfer"]
    hops = {h["hop"]: h for h in finding.evidence["gateway_transfers"]}
    assert (hops["to gateway"]["from"], hops["to gateway"]["to"]) == ("sh", "sg")
    assert (hops["from gateway"]["from"], hops["from gateway"]["to"]) == ("sg", "use1")
    assert hops["to gateway"]["lawful"] is False
    assert hops["to gateway"]["rules_fired"], "the CN rules fire on the hop leaving China"
    assert finding.severity in (Severity.MEDIUM, Severity.HIGH)
    assert "to gateway (sh → sg)" in finding.title
    [table] = [t for t in result.summary["tables"] if t["title"].startswith("Gateway hops")]
    assert [r[1:4] for r in table["rows"]] == [["to gateway", "sh", "sg"],
                                              ["from gateway", "sg", "use1"]]
    # the same hop without a gateway would be judged by the transfers analysis as its own flow
    from stackrift.plan.lawful import FlowJudge
    from stackrift.rules.engine import load_rule_set
    estate = load_estate(tmp_path / "estate.yaml").estate
    hop = estate.data_flows[0].model_copy(update={"id": "f:to-gateway", "destination": "sg",
                                                   "crypto_gateway": None})
    direct = FlowJudge(load_rule_set()).judge_alone(estate, hop, AS_OF)
    assert hops["to gateway"]["verdict"] == direct.verdict
    assert hops["to gateway"]["mechanisms_missing"] == list(direct.missing)


def test_gateway_hops_with_their_mechanisms_in_place_raise_no_transfer_finding(
        tmp_path: Path) -> None:
    mechanisms = ["cac_standard_contract", "pipia", "separate_consent", "scc", "tia"]
    result = _run(tmp_path, gateway="sg", flow_extra={"mechanisms": mechanisms})
    [table] = [t for t in result.summary["tables"] if t["title"].startswith("Gateway hops")]
    verdicts = {r[1]: (r[4], r[5]) for r in table["rows"]}
    if all(lawful == "yes" for _, lawful in verdicts.values()):
        assert not [f for f in result.findings if f.rule == "gateway-hop-transfer"]
    else:  # the packs ask for more: the finding names exactly the hops that are not lawful
        [finding] = [f for f in result.findings if f.rule == "gateway-hop-transfer"]
        bad = {h["hop"] for h in finding.evidence["gateway_transfers"] if not h["lawful"]}
        assert bad == {hop for hop, (_, lawful) in verdicts.items() if lawful == "no"}


def test_a_flow_pinned_to_a_suite_one_end_does_not_offer_cannot_be_carried(
        tmp_path: Path) -> None:
    us_with_sm = {**US_CRYPTO, "cipher_suites": [*US_CRYPTO["cipher_suites"]]}
    result = _run(tmp_path, us_crypto=us_with_sm,
                  flow_extra={"crypto": {"cipher_suites": ["TLS_SM4_GCM_SM3"]}})
    [finding] = [f for f in result.findings if f.subject.id == "f"]
    assert finding.rule == "pinned-crypto-unsupported"
    assert finding.severity is Severity.HIGH
    assert "va-api offers none of the pinned cipher suite(s) TLS_SM4_GCM_SM3" in \
        finding.evidence["pin_not_offered"][0]
    assert finding.evidence["pinned_by_flow"] == {"cipher_suites": ["TLS_SM4_GCM_SM3"]}
    assert result.summary["tables"][0]["rows"][0][3] == "no common suite"


def test_a_flow_pinning_an_unknown_name_is_not_assessed(tmp_path: Path) -> None:
    result = _run(tmp_path, flow_extra={"crypto": {"cipher_suites": ["TLS_MADE_UP"]}})
    [finding] = [f for f in result.findings if f.subject.id == "f"]
    assert finding.rule == "flow-not-assessed"
    assert "TLS_MADE_UP" in finding.title


def test_a_site_block_is_the_default_for_its_systems_and_a_system_block_overrides_it(
        tmp_path: Path) -> None:
    # va-api declares nothing itself: the Virginia site's block speaks for it
    site = {key: US_CRYPTO[key] for key in ("protocols", "cipher_suites", "groups",
                                           "signature_schemes", "module_validations")}
    result = _run(tmp_path, us_crypto=None, site_crypto={**site, "facts": {"federal": True}})
    assert result.summary["tables"][0]["rows"][0][3] == "no common suite"
    assert result.summary["systems_declaring_crypto"] == 2
    # the system's own suites win over the site's; the site's facts still apply
    own = {"cipher_suites": ["TLS_SM4_GCM_SM3"], "groups": ["curveSM2"],
           "signature_schemes": ["sm2sig_sm3"], "protocols": ["tls1.3"]}
    overridden = _run(tmp_path, us_crypto=own,
                      site_crypto={**site, "facts": {"federal": True, "fedramp": True}})
    [finding] = [f for f in overridden.findings if f.subject.id == "f"]
    assert finding.rule == "only-forbidden-suites"  # SM shared, but FIPS rules bind va-api
    assert any(o for h in finding.evidence["hops"] for c in h["configurations"]
               for o in c["violations"])


def test_a_gateway_inside_the_us_federal_boundary_still_conflicts_on_its_sm_face(
        tmp_path: Path) -> None:
    # FIPS rules bind the gateway itself, so its SM face is forbidden: reported, not hidden
    result = _run(tmp_path, gateway="use1")
    [finding] = [f for f in result.findings if f.rule != "gateway-hop-transfer"]
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


def test_site_and_flow_crypto_blocks_are_validated_with_locations(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as raised:
        _run(tmp_path, site_crypto={"gateway_faces": []},
             flow_extra={"crypto": {"cipher_suites": ["TLS_AES_128_GCM_SHA256"],
                                    "probes": ["x.json"]}})
    text = str(raised.value)
    assert "unknown key 'gateway_faces' in sites[1].crypto" in text
    assert "unknown key 'probes' in data_flows[0].crypto" in text
    assert "estate.yaml:" in text


def test_the_demo_reads_its_certificate_chain_and_cbom(demo_estate: Path) -> None:
    """The demo's real artefacts: an ECDSA P-384 chain (public certificates only) and a CBOM
    with an RSA-2048 certificate, X25519 and AES-GCM."""
    context = AnalysisContext(as_of=AS_OF, catalogue=load_catalogue())
    result = CryptoAnalysis().run(load_estate(demo_estate), context)
    quantum = {f.subject.id: f for f in result.findings if f.rule == "quantum-vulnerable"}
    assert set(quantum) == {"us-fraud", "global-rag"}
    assert any("fraud-api.meridian.example" in a for a in quantum["us-fraud"].evidence["assets"])
    assert {"RSA-2048", "X25519"} <= set(quantum["global-rag"].evidence["assets"])
    titles = [c["title"] for c in result.summary["charts"]]
    assert any("system × system" in t for t in titles)
    chain = (demo_estate.parent / "crypto" / "us-fraud-chain.pem").read_text(encoding="ascii")
    assert "PRIVATE KEY" not in chain


def test_a_pin_applies_to_both_hops_through_a_gateway(tmp_path: Path) -> None:
    # the gateway interoperates on each hop, but a flow pinned to the SM suite cannot cross
    # its US-facing hop, which offers no SM suite
    result = _run(tmp_path, gateway="sg",
                  flow_extra={"crypto": {"cipher_suites": ["TLS_SM4_GCM_SM3"]}})
    [finding] = [f for f in result.findings if f.rule == "pinned-crypto-unsupported"]
    assert any("gw->va-api offers none of the pinned" in u
               for u in finding.evidence["pin_not_offered"])
    assert "via gateway gw" in finding.title


def test_files_that_cannot_be_read_are_findings_not_silence(tmp_path: Path) -> None:
    """A missing certificate and an unreadable probe result: the system gets one finding of
    unknown severity naming both, and the rest of the analysis still runs."""
    (tmp_path / "probe.json").write_text("[1, 2", encoding="utf-8")
    result = _run(tmp_path, us_crypto={**US_CRYPTO, "certificates": ["certs/gone.pem"],
                                       "probes": ["probe.json"]})
    [finding] = [f for f in result.findings if f.rule == "file-not-read"]
    assert finding.severity is Severity.UNKNOWN and finding.subject.id == "va-api"
    files = finding.evidence["files"]
    assert isinstance(files, list) and len(files) == 2
    assert files[0].startswith("certificate certs/gone.pem:") and "No such file" in files[0]
    assert files[1].startswith("probe probe.json:")
    assert [f for f in result.findings if f.rule == "no-common-suite"]


def test_the_demo_moved_elsewhere_still_reads_its_files(demo_estate: Path, tmp_path: Path
                                                        ) -> None:
    from stackrift.estate.rebase import rebase_files
    from stackrift.plan.render import estate_yaml

    loaded = load_estate(demo_estate)
    moved = tmp_path / "elsewhere" / "estate.yaml"
    moved.parent.mkdir()
    for estate, files in ((loaded.estate, 2),
                          (rebase_files(loaded.estate, loaded.base_dir, moved.parent), 0)):
        moved.write_text(estate_yaml(estate, "moved"), encoding="utf-8")
        result = CryptoAnalysis().run(load_estate(moved), AnalysisContext(
            as_of=AS_OF, catalogue=load_catalogue()))
        assert len([f for f in result.findings if f.rule == "file-not-read"]) == files
