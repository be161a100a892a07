"""CNNVD (JSON API and XML feed), CSAF 2.0 (with the VEX profile) and CVE JSON 5 importers."""

from __future__ import annotations

from pathlib import Path

from stackrift.advisories.importer import import_paths, parse_paths
from stackrift.advisories.matcher import Matcher, Target
from stackrift.advisories.scan import starter_pack_path
from stackrift.advisories.store import SqliteStore

CNNVD_XML = """<?xml version="1.0" encoding="UTF-8"?>
<cnnvd>
<entry><name>Example Triton 缓冲区错误漏洞</name><vuln-id>CNNVD-202508-1234</vuln-id>
<published>2025-08-07</published><modified>2025-08-09</modified><severity>高危</severity>
<vuln-software-list><product>NVIDIA Triton Inference Server &lt;25.07</product></vuln-software-list>
<other-id><cve-id>CVE-2025-23319</cve-id></other-id></entry>
<entry><name>broken</name><vuln-id>NOT-AN-ID</vuln-id></entry>
</cnnvd>
"""


def test_cnnvd_api_samples(shared_data: Path) -> None:
    records, report = parse_paths([shared_data / "cnnvd"])
    by_id = {r.id: r for r in records}
    detail = by_id["CNNVD-202212-2756"]
    assert detail.aliases == ("CVE-2022-23469",)
    assert detail.published == "2022-12-08" and detail.modified == "2022-12-13"
    assert detail.severities[0].rating == "medium"  # hazardLevel 3 = 中危
    assert by_id["CNNVD-198801-001"].severities[0].rating == "critical"  # hazardLevel 1 = 超危
    # code tables (vendor.json, hazard_level.json, …) and LICENSE are not advisories
    assert report.sources["cnnvd"].read == 3 and len(report.skipped) == 6


def test_cnnvd_xml_feed_joins_cve5_and_matches_by_product(tmp_path: Path) -> None:
    feed = tmp_path / "cnnvd.xml"
    feed.write_text(CNNVD_XML, encoding="utf-8")
    with SqliteStore(tmp_path / "s.sqlite") as store:
        report = import_paths(store, [feed, starter_pack_path() / "cve5"])
        assert report.sources["cnnvd"].new == 1
        assert report.rejections[0].record == "NOT-AN-ID"
        group = store.group("CNNVD-202508-1234")
        assert group is not None and group.sources == ("cnnvd", "cve5")
        target = Target(ref="triton", name="Triton", version="24.05", vendor="NVIDIA",
                        product="Triton Inference Server")
        matches = {m.group_id: m for m in Matcher(store).match(target)}
        assert matches["CVE-2025-23319"].method == "product-text"
        assert matches["CVE-2025-23319"].sources == ("cnnvd", "cve5")
        newer = Target(ref="triton", name="Triton", version="25.07", vendor="NVIDIA",
                       product="Triton Inference Server")
        assert Matcher(store).match(newer) == []


def test_csaf_vex_profile_statuses(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "csaf" / "csaf_2.0" / "examples" / "csaf"
    records, report = parse_paths([folder])
    assert report.sources["csaf"].read == len(records) > 40 and not report.rejections
    by_id = {r.id: r for r in records}
    assert by_id["2022-EVD-UC-01-NA-001"].affected[0].status == "known_not_affected"
    assert by_id["2022-EVD-UC-01-F-001"].affected[0].status == "fixed"
    assert by_id["2022-EVD-UC-01-A-001"].aliases == ("CVE-2021-44228",)
    with SqliteStore(tmp_path / "s.sqlite") as store:
        import_paths(store, [folder / "csaf_vex"])
        group = store.group("CVE-2021-44228")
        assert group is not None and len(group.records) >= 5
        # "not affected" and "fixed" products never match, "affected" ones do
        abc = Target(ref="abc", name="ABC", version="4.2", vendor="Example Company",
                     product="ABC")
        assert Matcher(store).match(abc) == []
        deff = Target(ref="def", name="DEF", version="1.0", vendor="Example Company",
                      product="DEF")
        assert [m.group_id for m in Matcher(store).match(deff)] == ["CVE-2021-44228"]


def test_cve5_records(tmp_path: Path) -> None:
    records, _ = parse_paths([starter_pack_path() / "cve5"])
    toolkit = next(r for r in records if r.id == "CVE-2024-0132")
    assert toolkit.source == "cve5"
    affected = toolkit.affected[0]
    assert affected.product == "NVIDIA Container Toolkit"
    assert [(e.kind, e.version) for e in affected.ranges[0].events] == \
        [("introduced", "0"), ("fixed", "1.16.2")]
