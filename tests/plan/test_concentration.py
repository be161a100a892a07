"""The concentration analysis: HHI, single points of failure, export-control and GP10 exposure."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from stackrift.analyses.base import AnalysisContext
from stackrift.analyses.concentration import ConcentrationAnalysis, hhi, layer_concentration
from stackrift.catalog.catalogue import Catalogue, load_catalogue
from stackrift.estate.loader import LoadedEstate, load_estate
from stackrift.estate.model import Bloc
from stackrift.findings import Severity
from stackrift.pipeline import assess
from stackrift.plan.groups import match_destination
from stackrift.plan.stack import StackLayer, UsNexus, system_stack, us_nexus

AS_OF = date(2026, 11, 29)


def run(estate: LoadedEstate, catalogue: Catalogue, as_of: date = AS_OF):
    return ConcentrationAnalysis().run(estate, AnalysisContext(as_of=as_of, catalogue=catalogue))


def test_hhi_scale() -> None:
    assert hhi([1.0]) == 10000.0
    assert hhi([0.5, 0.5]) == 5000.0
    assert hhi([0.25] * 4) == 2500.0


def test_layer_shares_are_weighted_by_criticality(small_estate: LoadedEstate,
                                                  small_catalogue: Catalogue) -> None:
    estate = small_estate.estate
    stacks = [system_stack(estate, s, small_catalogue) for s in estate.systems]
    accel = layer_concentration(stacks, StackLayer.ACCELERATOR)
    # us-core critical (4, H100) + cn-rec high (3, H20) + cn-big low (1, H100) on NVIDIA = 8;
    # cn-bot medium (2) on Huawei -> 8/10 and 2/10.
    assert accel.vendor_shares == {"huawei": pytest.approx(0.2), "nvidia": pytest.approx(0.8)}
    assert accel.hhi_vendor == pytest.approx(6800.0)
    assert accel.bloc_shares[Bloc.US] == pytest.approx(0.8)
    country = layer_concentration(stacks, StackLayer.COUNTRY)
    assert country.vendor_shares["CN"] == pytest.approx(0.6)


def test_single_point_of_failure_named(small_estate: LoadedEstate,
                                       small_catalogue: Catalogue) -> None:
    result = run(small_estate, small_catalogue)
    spofs = {f.evidence["node"]["id"]: f for f in result.findings
             if f.rule == "single-point-of-failure"}
    assert "nvidia" in spofs
    disabled = {d["system"] for d in spofs["nvidia"].evidence["disabled"]}
    assert disabled == {"us-core", "cn-rec", "cn-big"}
    assert spofs["nvidia"].severity == Severity.HIGH
    # Alibaba Cloud hosts cn-rec (high) and cn-bot: losing it disables them through the cloud layer.
    ali = spofs["alibaba-cloud"]
    assert {d["layer"] for d in ali.evidence["disabled"]} == {"cloud"}
    # Open-weight models held in-house are not a dependency on their developer.
    assert "meta" not in spofs and "alibaba" not in spofs


def test_export_exposure_in_d5_destination(small_estate: LoadedEstate,
                                           small_catalogue: Catalogue) -> None:
    result = run(small_estate, small_catalogue)
    export = {(f.subject.id, f.evidence["control"]): f for f in result.findings
              if f.rule == "export-controlled-destination"}
    assert set(export) == {("cn-big", "ear-3a090-d5"), ("cn-rec", "usg-licence-h20-china")}
    h100 = export[("cn-big", "ear-3a090-d5")]
    assert h100.severity == Severity.HIGH
    assert "D:5" in h100.evidence["matched"] and "D:1" in h100.evidence["matched"]
    assert any("740" in c.source for c in h100.citations)
    assert h100.evidence["as_of"] == "2026-11-29"
    # The H20 requirement did not exist before 2025-04-09.
    before = run(small_estate, small_catalogue, date(2025, 4, 8))
    assert not any(f.evidence.get("control") == "usg-licence-h20-china" for f in before.findings)


def test_declared_licence_lowers_export_finding(tmp_path: Path, small_catalogue: Catalogue) -> None:
    text = (Path(__file__).parent / "estate_small.yaml").read_text()
    text = text.replace("criticality: low, components: [h100, cuda, torch]",
                        "criticality: low, export_licences: [ear-3a090-d5], "
                        "components: [h100, cuda, torch]")
    path = tmp_path / "licensed.yaml"
    path.write_text(text)
    result = run(load_estate(path), small_catalogue)
    finding = next(f for f in result.findings if f.subject.id == "cn-big"
                   and f.rule == "export-controlled-destination")
    assert finding.severity == Severity.INFO and finding.evidence["licence_held"] is True


def test_gp10_exposure_uses_ownership(small_estate: LoadedEstate,
                                      small_catalogue: Catalogue) -> None:
    result = run(small_estate, small_catalogue)
    gp10 = [f for f in result.findings if f.rule == "gp10-risk"]
    assert len(gp10) == 1
    # cn-jv is only 40 % US-owned: no US nexus under StackRift's definition -> low.
    assert gp10[0].evidence["us_nexus"] == "none" and gp10[0].severity == Severity.LOW


def test_us_nexus_follows_cumulative_ownership(small_estate: LoadedEstate) -> None:
    estate = small_estate.estate
    assert us_nexus(estate, "us-hq") == UsNexus.US_PERSON
    assert us_nexus(estate, "cn-sub") == UsNexus.US_CONTROLLED
    assert us_nexus(estate, "cn-jv") == UsNexus.NONE
    assert us_nexus(estate, None) == UsNexus.NONE


def test_country_groups() -> None:
    d5 = match_destination(("D:5",), "CN")
    assert d5 is not None and d5.entries == ("D:5",)
    assert match_destination(("D:5",), "SA") is None
    saudi = match_destination(("D:1", "D:4", "D:5", "MO"), "SA")
    assert saudi is not None and saudi.entries == ("D:4",)
    assert match_destination(("D:1", "D:4", "D:5", "MO"), "DE") is None
    macau = match_destination(("D:5", "MO"), "MO")
    assert macau is not None and "MO" in macau.entries
    anywhere = match_destination(("*",), "DE")
    assert anywhere is not None and anywhere.anywhere


def test_demo_assess_has_concentration_section(demo_estate: Path) -> None:
    report = assess(load_estate(demo_estate), AnalysisContext(as_of=AS_OF,
                                                             catalogue=load_catalogue()))
    section = next(s for s in report.sections if s.name == "concentration")
    hhi_per_layer = section.summary["hhi"]
    assert set(hhi_per_layer) == {"accelerator", "runtime", "framework", "model", "cloud",
                                  "country"}
    assert all(0 <= v["vendor"] <= 10000 for v in hhi_per_layer.values())
    spofs = [f for f in section.findings if f.rule == "single-point-of-failure"]
    assert spofs, "the demo estate must name at least one single point of failure"
    assert any("NVIDIA" in f.title for f in spofs)
    charts = section.summary["charts"]
    assert charts[0]["kind"] == "bar" and len(charts[0]["labels"]) == 6


def test_html_report_draws_concentration_charts(demo_estate: Path) -> None:
    from stackrift.report.base import renderer

    report = assess(load_estate(demo_estate), AnalysisContext(as_of=AS_OF,
                                                             catalogue=load_catalogue()),
                    only=frozenset({"concentration"}))
    html = renderer("html").render(report)
    assert "HHI per layer (by vendor and by bloc)" in html
    assert "Bloc shares per layer" in html
    assert html.count("<svg") >= 2
