"""The HTML report: sections, charts, no network, and escaping of hostile estate names."""

from __future__ import annotations

import base64
import hashlib
import re

import lxml.html
import pytest
from lxml.html import HtmlElement

from stackrift.report.base import renderer
from stackrift.report.html import anchor, safe_url
from stackrift.report.model import Report


@pytest.fixture
def page(report: Report) -> HtmlElement:
    return lxml.html.document_fromstring(renderer("html").render(report))


def test_header_names_as_of_catalogue_and_estate(page: HtmlElement) -> None:
    header = page.xpath("//header")[0].text_content()
    assert "2026-11-15" in header
    assert "2026.11" in header
    assert "estates/acme.yaml" in header
    assert page.findtext(".//title").startswith("StackRift assessment — Acme <script>")


def test_one_section_per_analysis_with_anchors(page: HtmlElement) -> None:
    sections = page.xpath("//section[@class='analysis']")
    assert [s.get("id") for s in sections] == ["analysis-provenance", "analysis-hygiene"]
    assert [s.findtext("h2") for s in sections] == ["Provenance", "Estate hygiene"]
    toc = [a.get("href") for a in page.xpath("//nav[@class='toc']/a")]
    assert toc == ["#summary", "#overview", "#analysis-provenance", "#analysis-hygiene",
                   "#all-findings", "#index"]


def test_severity_chart_has_a_bar_per_severity(page: HtmlElement) -> None:
    bars = page.xpath("//figure[@class='severity-chart']//svg/rect[@class='bar']")
    assert [(b.get("data-label"), b.get("data-value")) for b in bars] == [
        ("critical", "1"), ("high", "0"), ("medium", "1"), ("low", "1"), ("info", "1")]
    svg = page.xpath("//figure[@class='severity-chart']//svg")[0]
    assert svg.get("width") == "440"
    # coloured by severity, not by series
    assert bars[0].get("fill") == "#7a1010" and bars[2].get("fill") == "#e6a023"


def test_stacked_bloc_chart_has_segments_and_legend(page: HtmlElement) -> None:
    svg = page.xpath("//section[@id='analysis-provenance']//svg[contains(@class,'chart-bar')]")[0]
    assert svg.get("aria-label") == "Bloc composition per system"
    assert svg.get("viewbox").startswith("0 0 680 ") and svg.get("width") == "680"
    bars = svg.xpath(".//rect[@class='bar']")
    # 3 systems x 3 blocs, minus one unknown value (None) that is not drawn
    assert len(bars) == 8
    support = [(b.get("data-series"), b.get("data-value")) for b in bars
               if b.get("data-label") == "support-bot"]
    assert support == [("us", "0"), ("cn", "4"), ("unknown", "1")]
    # stacked: each segment starts where the previous one ends
    xs = [(float(b.get("x")), float(b.get("width"))) for b in bars
          if b.get("data-label") == "fraud-model"]
    assert xs[1][0] == pytest.approx(xs[0][0] + xs[0][1], abs=0.11)
    legend = [t.text_content() for t in svg.xpath(".//g[@class='legend-item']/text")]
    assert legend == ["us", "cn", "unknown"]
    fills = {b.get("data-series"): b.get("fill") for b in bars}
    assert fills == {"us": "#3b6fb6", "cn": "#c8372d", "unknown": "#c7ccd1"}


def test_grouped_bars_and_unsupported_chart_note(page: HtmlElement) -> None:
    hygiene = page.xpath("//section[@id='analysis-hygiene']")[0]
    bars = hygiene.xpath(".//svg//rect[@class='bar']")
    assert [(b.get("data-label"), b.get("data-series")) for b in bars] == [
        ("flows", "missing"), ("flows", "total"), ("systems", "missing"), ("systems", "total")]
    assert float(bars[1].get("width")) > float(bars[0].get("width"))  # 10 > 3
    note = hygiene.xpath(".//div[@class='problems']")[0].text_content()
    assert "charts[1].kind is 'pie'" in note


def test_heatmap_cells_with_text(page: HtmlElement) -> None:
    svg = page.xpath("//svg[contains(@class,'chart-heatmap')]")[0]
    cells = svg.xpath(".//rect[@class='cell']")
    assert len(cells) == 6
    texts = [t.text_content() for t in svg.xpath(".//text[@class='cell-text']")]
    assert texts[:3] == ["3 systems", "2", "n/a"]
    values = {(c.get("data-row"), c.get("data-column")): c for c in cells}
    assert values[("us", "model")].get("data-value") == "unknown"
    # the highest value is darkest
    assert values[("cn", "model")].get("fill") == "#14468c"
    assert values[("cn", "runtime")].get("fill") == "#e8f1fa"
    legend = svg.xpath(".//g[@class='heat-legend']")[0]
    assert [t.text for t in legend.xpath("text")] == ["0", "4", "no value"]
    assert len(legend.xpath("rect")) == 6


def test_summary_tables_and_findings(page: HtmlElement, hostile: str) -> None:
    table = page.xpath("//section[@id='analysis-provenance']//table[@class='summary-table']")[0]
    assert [th.text for th in table.xpath(".//th")] == ["system", "hardware", "model"]
    assert [td.text_content() for td in table.xpath(".//tbody/tr[2]/td")] == [hostile, "us", "–"]
    assert table.xpath(".//tbody/tr[2]/td[1]/div[@class='long']")  # long text may wrap
    findings = page.xpath("//details[contains(concat(' ', @class, ' '), ' finding ')]")
    assert [f.get("id") for f in findings] == [f"finding-{i}" for i in (1, 2, 3, 4)]
    critical = findings[0]
    # collapsed, so a long report stays short; links into it open it (tested in a browser)
    assert critical.get("open") is None
    evidence = dict(zip(critical.xpath(".//dl/dt/text()"), critical.xpath(".//dl/dd/text()"),
                        strict=True))
    assert evidence["listed_since"] == "2019-05-16"
    assert evidence["vendor"] == "Huawei"
    citations = critical.xpath(".//ol[@class='citations']/li")
    link = citations[0].xpath("a")[0]
    assert link.get("href") == "https://www.ecfr.gov/current/title-15/part-744"
    assert link.text == "15 CFR 744, Supplement No. 4"
    assert "in force from 2019-05-16" in citations[0].text_content()
    # a javascript: URL is shown as text, never as a link
    assert citations[1].xpath("a") == [] and citations[1].text_content() == \
        "Trade press (unverified)"
    assert "estates/acme.yaml:40:7" in critical.text_content()


def test_no_external_references(page: HtmlElement, report: Report) -> None:
    html = renderer("html").render(report)
    # one inline script, allowed by its hash and nothing else
    scripts = page.xpath("//script")
    assert len(scripts) == 1 and scripts[0].get("src") is None
    digest = base64.b64encode(hashlib.sha256(scripts[0].text.encode()).digest()).decode()
    assert page.xpath("//link") == []
    assert page.xpath("//*[@src]") == []
    assert page.xpath("//img") == [] and page.xpath("//iframe") == []
    external = [a.get("href") for a in page.xpath("//a[@href]")
                if not a.get("href").startswith("#")]
    assert external == ["https://www.ecfr.gov/current/title-15/part-744"]  # a citation link only
    assert "@import" not in html
    assert re.findall(r"url\((?!#)", html) == []  # only references to patterns in the page
    csp = page.xpath("//meta[@http-equiv='Content-Security-Policy']")[0].get("content")
    assert csp.startswith("default-src 'none'")
    assert csp.endswith(f"script-src 'sha256-{digest}'")


def test_hostile_names_are_escaped(report: Report, page: HtmlElement, hostile: str) -> None:
    html = renderer("html").render(report)
    assert "<script>alert" not in html and "<img" not in html
    assert html.count("<script>") == 1  # the report's own
    assert "&lt;script&gt;alert(" in html
    # the hostile name shows up as text in the header, a chart label and a finding title
    assert hostile in page.xpath("//header//h1")[0].text_content()
    labels = page.xpath("//svg//rect[@class='bar']/@data-label")
    assert hostile in labels
    assert any(hostile in t for t in page.xpath("//span[@class='title']/text()"))


def test_disclaimer_footer(page: HtmlElement) -> None:
    footer = page.xpath("//footer")[0].text_content()
    assert "not legal advice" in footer.lower()
    assert "so that a lawyer can check them" in footer


def test_empty_report_renders(empty_report: Report) -> None:
    page = lxml.html.document_fromstring(renderer("html").render(empty_report))
    assert page.xpath("//section[@class='analysis']") == []
    assert "No analysis ran." in page.text_content()
    assert "the assessment passes" in page.text_content()


def test_helpers() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("data:text/html,x") is None
    assert safe_url("https:///nohost") is None
    assert safe_url(" https://example.org/a ") == "https://example.org/a"
    assert anchor("analysis", 'a b"<x>') == "analysis-a-b-x"
    assert anchor("analysis", "…") == "analysis-x"
