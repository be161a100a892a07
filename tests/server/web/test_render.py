"""Links, the words a diff's inputs are shown in, and where a login may lead."""

from __future__ import annotations

from stackrift.server.web.pages import _safe_next
from stackrift.server.web.render import describe, link


def test_links_quote_each_part_whole() -> None:
    assert link() == "/web"
    assert link("assessments", 3, "findings", "a:b/c d") == \
        "/web/assessments/3/findings/a%3Ab%2Fc%20d"
    assert link("assessments", 3, severity="high", q="", page=2) == \
        "/web/assessments/3?severity=high&page=2"


def test_diff_inputs_in_words() -> None:
    estate = {"upload": 2, "name": "estate.yaml", "version": 2, "sha256": "0e34222a64f2" + "0" * 52}
    assert describe(estate) == "upload 2, estate.yaml, version 2, sha256 0e34222a64f2…"
    assert describe({"rule_pack_uploads": [], "knowledge": None}) == \
        "rule pack uploads none, knowledge none"
    assert describe("2026-12-04") == "2026-12-04"


def test_login_leads_only_to_pages_of_this_site() -> None:
    assert _safe_next("/web/projects/3?x=1") == "/web/projects/3?x=1"
    for target in ("//evil.example/web/", "https://evil.example/web/", "/api/v1/me",
                   "/web\\..\\", ""):
        assert _safe_next(target) == "/web/"
