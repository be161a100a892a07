"""The estate map drawn from a report's flows and sites: one line per origin, destination and
verdict, every text escaped."""

from __future__ import annotations

import lxml.etree

from stackrift.server.web.estatemap import estate_map, map_edges
from stackrift.server.web.reportview import FlowLine, ReportData


def test_flows_with_one_origin_destination_and_verdict_share_a_line() -> None:
    lines = [FlowLine("a", "US", "CN", "prohibited"), FlowLine("b", "US", "CN", "prohibited"),
             FlowLine("c", "US", "CN", "allowed"), FlowLine("d", "CN", "CN", "allowed_with")]
    edges = map_edges(lines)
    assert [(e.origin, e.destination, e.verdict, e.flows) for e in edges] == [
        ("CN", "CN", "allowed_with", ("d",)), ("US", "CN", "allowed", ("c",)),
        ("US", "CN", "prohibited", ("a", "b"))]
    svg = lxml.etree.fromstring(str(estate_map({"US": [("s1",)], "DE": []}, edges)).encode())
    ns = {"s": "http://www.w3.org/2000/svg"}
    titles = svg.xpath("//s:g[@class='flow']/s:title/text()", namespaces=ns)
    assert "2 flows from US to CN, prohibited: a, b" in titles
    countries = svg.xpath("//s:g[@class='country']/s:title/text()", namespaces=ns)
    assert countries == ["CN: 0 sites", "DE: 0 sites", "US: 1 site"]


def test_names_from_the_estate_are_escaped() -> None:
    edges = map_edges([FlowLine("<script>", "<b>", "CN", "prohibited")])
    drawn = str(estate_map({}, edges))
    assert "<script>" not in drawn and "&lt;script&gt;" in drawn
    lxml.etree.fromstring(drawn.encode())  # still well-formed


def test_report_tables_are_found_by_their_columns() -> None:
    report = ReportData.of({"analyses": {"transfers": {"order": 1, "summary": {"tables": [
        {"title": "Flows", "columns": ["flow", "origin", "destination", "verdict"],
         "rows": [["f1", "DE", "US", "allowed"], ["short"]]}]}},
        "provenance": {"order": 0, "summary": {"tables": [
            {"title": "Sites", "columns": ["site", "country", "provider"],
             "rows": [["s1", "DE", None]]},
            {"title": "Parts", "columns": ["component", "vendor"],
             "rows": [["torch", "Meta"], ["gpu", "NVIDIA"], ["cuda", "NVIDIA"]]},
            "not a table"]}}}, "findings": []})
    assert report.flow_lines() == [FlowLine("f1", "DE", "US", "allowed")]
    assert report.sites_by_country() == {"DE": [("s1", "—")]}
    assert report.vendors() == {"Meta": {"torch"}, "NVIDIA": {"gpu", "cuda"}}
    assert report.flows() == {"f1": ""}
