"""Release rules: per object and per property, fail closed, cited."""

from __future__ import annotations

import dataclasses
from datetime import date

from stix2validator import ValidationOptions, validate_string

from stackrift.intel.release import Destination, load_release_rules
from stackrift.intel.release_bundle import release
from stackrift.intel.sources import ExportSource
from stackrift.intel.stix_out import bundle_text, export_bundle

from .conftest import AS_OF, vulnerability_finding

UNDISCLOSED = "CNVD-2026-10001"


def _vulns(bundle: dict) -> dict[str, dict]:
    return {o["name"]: o for o in bundle["objects"] if o["type"] == "vulnerability"}


def test_undisclosed_cn_vulnerability_is_withheld_from_us_with_the_rule(
        cn_source: ExportSource) -> None:
    outcome = release(export_bundle(cn_source),
                      Destination("CN", "US", AS_OF, recipient_in_community=True,
                                  recipient_is_product_provider=False), load_release_rules())
    kept = _vulns(outcome.bundle)
    assert UNDISCLOSED not in kept
    public = kept["CVE-2025-1234"]
    assert {r["external_id"] for r in public["external_references"]} >= {"CVE-2025-1234",
                                                                         "CNVD-2025-20002"}
    entry = next(e for e in outcome.record["objects"] if e["action"] == "withhold"
                 and e["type"] == "vulnerability")
    assert entry["rules"] == ["intel.cn.vuln.7.miit-report",
                              "intel.cn.vuln.9.undisclosed-overseas"]
    cited = {r["id"]: r for r in outcome.record["rules"]}
    rule = cited["intel.cn.vuln.9.undisclosed-overseas"]
    assert rule["citation"]["in_force_from"] == "2021-09-01"
    assert rule["citation"]["checked_on"] == "2026-12-04"
    assert "within 2 days" in cited["intel.cn.vuln.7.miit-report"]["deadlines"][0]
    # relationships to the withheld object go with it
    ids = {o["id"] for o in outcome.bundle["objects"]}
    assert all(o["target_ref"] in ids for o in outcome.bundle["objects"]
               if o["type"] == "relationship")
    result = validate_string(bundle_text(outcome.bundle),
                             ValidationOptions(version="2.1", strict=True))
    assert result.is_valid, [str(e) for e in result.errors]


def test_vulnerability_public_after_the_as_of_date_is_still_withheld(
        cn_source: ExportSource) -> None:
    later = dataclasses.replace(cn_source, findings=(vulnerability_finding(
        "CVE-2027-0001", ["CVE-2027-0001"], "edgegw", published={"osv": "2027-01-10"}),))
    outcome = release(export_bundle(later), Destination("CN", "US", AS_OF,
                                                        recipient_in_community=True),
                      load_release_rules())
    assert "CVE-2027-0001" not in _vulns(outcome.bundle)
    outcome = release(export_bundle(later), Destination("CN", "US", date(2027, 2, 1),
                                                        recipient_in_community=True),
                      load_release_rules())
    assert "CVE-2027-0001" in _vulns(outcome.bundle)


def test_undecidable_is_withheld_naming_the_missing_fact(cn_source: ExportSource) -> None:
    outcome = release(export_bundle(cn_source), Destination("CN", "US", AS_OF),
                      load_release_rules())
    assert outcome.bundle["objects"] == []
    entry = outcome.record["objects"][0]
    assert entry["action"] == "withhold"
    assert "recipient_in_community" in " ".join(
        e for o in outcome.record["objects"] for e in o["missing_facts"])


def test_personal_data_in_observables_is_transformed_or_removed() -> None:
    bundle = {"type": "bundle", "id": "bundle--11111111-1111-4111-8111-111111111111", "objects": [
        {"type": "ipv4-addr", "spec_version": "2.1",
         "id": "ipv4-addr--11111111-1111-5111-8111-111111111111", "value": "10.20.30.40",
         "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},
        {"type": "user-account", "spec_version": "2.1",
         "id": "user-account--11111111-1111-5111-8111-111111111112", "user_id": "zhang.wei",
         "account_type": "windows-domain",
         "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},
        {"type": "observed-data", "spec_version": "2.1",
         "id": "observed-data--11111111-1111-4111-8111-111111111113"}]}
    outcome = release(bundle, Destination("CN", "DE", AS_OF, recipient_in_community=True),
                      load_release_rules())
    released = {o["type"]: o for o in outcome.bundle["objects"]}
    assert released["ipv4-addr"]["value"] == "10.20.30.0/24"
    assert "user_id" not in released["user-account"]
    assert "observed-data" not in released  # no rule covers it: fail closed
    entries = {e["type"]: e for e in outcome.record["objects"]}
    (prop,) = entries["ipv4-addr"]["properties"]
    assert prop["held_by_undetermined"] == ["intel.cn.pipl.38.ip-addresses"]
    assert prop["missing_facts"] == ["transfer_lawful"]
    # with a lawful transfer (the transfer rules' verdict) the address goes as it is
    lawful = release(bundle, Destination("CN", "DE", AS_OF, recipient_in_community=True,
                                         transfer_lawful=True), load_release_rules())
    assert {o["type"]: o for o in lawful.bundle["objects"]}["ipv4-addr"]["value"] == "10.20.30.40"


def test_cisa_2015_window_and_unverified_status_after_it() -> None:
    bundle = {"type": "bundle", "id": "bundle--11111111-1111-4111-8111-111111111111", "objects": [
        {"type": "email-addr", "spec_version": "2.1",
         "id": "email-addr--11111111-1111-5111-8111-111111111111", "value": "a@example.com",
         "object_marking_refs": ["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"]}]}
    rules = load_release_rules()
    before = release(bundle, Destination("US", "US", date(2026, 6, 1)), rules)
    after = release(bundle, Destination("US", "US", date(2026, 12, 4)), rules)
    assert before.bundle["objects"] == [] and after.bundle["objects"] == []
    assert [r["id"] for r in before.record["rules"]] == ["intel.us.cisa2015.104d2.remove-pii"]
    (rule,) = after.record["rules"]
    assert rule["id"] == "intel.us.cisa2015.status-after-2026-09-30"
    assert rule["citation"]["confidence"] == "unverified"


def test_unknown_disclosure_is_withheld_naming_the_fact(cn_source: ExportSource) -> None:
    unknown = dataclasses.replace(cn_source, findings=(vulnerability_finding(
        "CNVD-2026-10002", ["CNVD-2026-10002"], "edgegw"),))
    outcome = release(export_bundle(unknown), Destination(
        "CN", "US", AS_OF, recipient_in_community=True, recipient_is_product_provider=False),
        load_release_rules())
    assert _vulns(outcome.bundle) == {}
    entry = next(e for e in outcome.record["objects"] if e["type"] == "vulnerability")
    assert entry["held_by_undetermined"] == ["intel.cn.vuln.9.undisclosed-overseas"]
    assert entry["missing_facts"] == ["vulnerability_public"]


def test_the_product_provider_may_receive_it(cn_source: ExportSource) -> None:
    outcome = release(export_bundle(cn_source), Destination(
        "CN", "US", AS_OF, recipient_in_community=True, recipient_is_product_provider=True),
        load_release_rules())
    assert UNDISCLOSED in _vulns(outcome.bundle)


def _observables() -> dict:
    green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    return {"type": "bundle", "id": "bundle--11111111-1111-4111-8111-111111111111", "objects": [
        {"type": "ipv4-addr", "spec_version": "2.1",
         "id": "ipv4-addr--11111111-1111-5111-8111-111111111111", "value": "10.20.30.40",
         "object_marking_refs": [green]},
        {"type": "email-addr", "spec_version": "2.1",
         "id": "email-addr--11111111-1111-5111-8111-111111111112", "value": "ivan@example.ru",
         "object_marking_refs": [green]}]}


def test_the_other_transfer_regimes_keep_personal_data_home_from_their_in_force_date() -> None:
    """RU, SA and VN rules are in force on the as-of date, each cited; India's transfer
    provisions start later (unverified date), so an Indian release is not held by them yet."""
    rules = load_release_rules()
    for origin in ("RU", "SA", "VN", "SG"):
        outcome = release(_observables(), Destination(origin, "DE", AS_OF,
                                                      recipient_in_community=True), rules)
        released = {o["type"]: o for o in outcome.bundle["objects"]}
        assert released["ipv4-addr"]["value"] == "10.20.30.0/24", origin
        assert "email-addr" not in released, origin
        cited = {r["id"] for r in outcome.record["rules"]}
        slug = origin.lower()
        assert {f"intel.{slug}.ip-addresses", f"intel.{slug}.identifiers"} <= cited, cited
        lawful = release(_observables(), Destination(origin, "DE", AS_OF,
                                                     recipient_in_community=True,
                                                     transfer_lawful=True), rules)
        assert {o["type"]: o for o in lawful.bundle["objects"]}["ipv4-addr"]["value"] == \
            "10.20.30.40"
    india_now = release(_observables(), Destination("IN", "DE", AS_OF,
                                                    recipient_in_community=True), rules)
    assert not any(r["id"].startswith("intel.in.") for r in india_now.record["rules"])
    india_later = release(_observables(), Destination("IN", "DE", date(2027, 6, 1),
                                                      recipient_in_community=True), rules)
    assert {o["type"]: o for o in india_later.bundle["objects"]}["ipv4-addr"]["value"] == \
        "10.20.30.0/24"
    (ip_rule,) = [r for r in india_later.record["rules"] if r["id"] == "intel.in.ip-addresses"]
    assert ip_rule["citation"]["confidence"] == "unverified"
