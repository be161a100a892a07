"""The web pages over HTTP: each renders with its security headers and accessible structure,
filters work without script, forms need their CSRF token, and a viewer of unit A finds nothing
of unit B (404) on any page."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

import lxml.html
import pytest
from fastapi.testclient import TestClient
from tests.server.conftest import MINIMAL, Server
from tests.server.web.conftest import csrf_of, log_in

Browser = Callable[[str], TestClient]


def _ok(client: TestClient, url: str) -> lxml.html.HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.text[:2000])
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    return lxml.html.fromstring(response.text)


def _check_structure(doc: lxml.html.HtmlElement, url: str) -> None:
    """Landmarks, a skip link, one h1, a label for every field, no inline script or style."""
    assert doc.get("lang") == "en"
    assert doc.xpath("//a[@class='skip' and @href='#main']"), url
    assert len(doc.xpath("//main[@id='main']")) == 1 and len(doc.xpath("//h1")) == 1, url
    labelled = set(doc.xpath("//label/@for"))
    for field in doc.xpath("//input[not(@type='hidden')] | //select | //textarea"):
        assert field.get("id") in labelled, f"{url}: field {field.get('name')} has no label"
    assert not doc.xpath("//script[not(@src)] | //style | //*[@style] | //*[@onclick]"), url
    for region in doc.xpath("//div[contains(@class, 'table-scroll')]"):
        assert region.get("tabindex") == "0" and region.get("aria-label"), url


def _links(doc: lxml.html.HtmlElement, pattern: str) -> list[str]:
    return sorted({h for h in doc.xpath("//a/@href") if re.search(pattern, h)})


def _assessment_pages(client: TestClient, assessment: int) -> list[str]:
    """The assessment page and every estate, finding, system, flow and vendor page it links."""
    base = f"/web/assessments/{assessment}"
    pages = [base, f"{base}/estate"]
    for url in list(pages):
        doc = _ok(client, url)
        pages += _links(doc, rf"^{base}/(findings|systems|flows|vendors)/")
    return sorted(set(pages))


def test_every_page_renders_accessibly_for_a_viewer(server: Server, browser_of: Browser
                                                     ) -> None:
    viewer = browser_of("viewer_a")
    project, assessment = server.ids["project_a"], server.ids["assessment_a"]
    pages = ["/web/", "/web/account", f"/web/units/{server.ids['unit_a']}",
             f"/web/projects/{project}",
             *_assessment_pages(viewer, assessment)]
    kinds = {re.sub(r"/[^/]+$", "", p.split(f"/{assessment}/", 1)[-1]) for p in pages}
    assert {"findings", "systems", "flows", "vendors"} <= kinds, pages
    for url in pages:
        _check_structure(_ok(viewer, url), url)


def test_the_dashboard_shows_latest_assessments_with_counts(server: Server, browser_of: Browser
                                                            ) -> None:
    doc = _ok(browser_of("viewer_a"), "/web/")
    text = doc.text_content()
    assert "unit a" in text and "unit b" not in text
    assert "estate of a" in text
    counts = doc.xpath("//ul[@class='counts']//span[contains(@class, 'sev')]/text()")
    assert counts[:2] == ["critical", "high"]
    # a viewer sees no form to create a project
    assert not doc.xpath("//form[contains(@action, '/projects')]")


def _rows(doc: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return list(doc.xpath("//table[contains(@class, 'findings')]/tbody/tr"))


def test_findings_filter_by_severity_analysis_system_and_text(server: Server,
                                                              browser_of: Browser) -> None:
    viewer = browser_of("viewer_a")
    url = f"/web/assessments/{server.ids['assessment_a']}"
    everything = _rows(_ok(viewer, url))
    severities = {r.xpath(".//span[contains(@class, 'sev')]/text()")[0] for r in everything}
    assert len(severities) > 1
    chosen = sorted(severities)[0]
    only = _rows(_ok(viewer, f"{url}?severity={chosen}"))
    assert 0 < len(only) < len(everything)
    assert {r.xpath(".//span[contains(@class, 'sev')]/text()")[0] for r in only} == {chosen}
    analysis = everything[0].xpath("./td[3]/text()")[0]
    by_analysis = _rows(_ok(viewer, f"{url}?analysis={analysis}"))
    assert by_analysis and all(r.xpath("./td[3]/text()")[0] == analysis for r in by_analysis)
    title = everything[-1].xpath("./td[2]/a/text()")[0]
    word = max(title.split(), key=len)
    searched = _rows(_ok(viewer, f"{url}?q={word.upper()}"))
    assert searched and len(searched) <= len(everything)
    assert any(r.xpath("./td[2]/a/text()")[0] == title for r in searched)
    none = _ok(viewer, f"{url}?q=no-such-finding-anywhere")
    assert not _rows(none) and "No findings match" in none.text_content()
    doc = _ok(viewer, url)
    system = doc.xpath("//select[@id='f-system']/option[@value!='']/@value")[0]
    for row in _rows(_ok(viewer, f"{url}?system={system}")):
        target = row.xpath("./td[2]/a/@href")[0]
        assert system in _ok(viewer, target).text_content()


def test_a_finding_page_shows_citations_and_evidence(server: Server, browser_of: Browser
                                                     ) -> None:
    viewer = browser_of("viewer_a")
    base = f"/web/assessments/{server.ids['assessment_a']}"
    findings = _links(_ok(viewer, base), rf"^{base}/findings/")
    cited = []
    for url in findings:
        doc = _ok(viewer, url)
        assert doc.xpath("//h2[@id='evidence']") and doc.xpath("//h2[@id='citations']")
        cited += doc.xpath("//ul[@class='citations']/li/a/@href")
        assert unquote(url.rsplit("/findings/", 1)[1]) in doc.text_content()
    assert cited and all(h.startswith(("http://", "https://")) for h in cited)


def test_the_estate_map_has_a_legend_and_a_table(server: Server, browser_of: Browser) -> None:
    doc = _ok(browser_of("viewer_a"), f"/web/assessments/{server.ids['assessment_a']}/estate")
    svg = doc.xpath("//svg[@class='estate-map']")
    assert svg and svg[0].get("role") == "img" and svg[0].get("aria-labelledby")
    assert doc.xpath(f"//*[@id='{svg[0].get('aria-labelledby')}']")
    legend = " ".join(doc.xpath("//ul[@class='legend']//text()"))
    verdicts = doc.xpath("//span[contains(@class, 'verdict')]/text()")
    assert verdicts and all(v in legend for v in verdicts)


def test_pages_need_a_session(server: Server) -> None:
    anonymous = TestClient(server.app, follow_redirects=False)
    project = server.ids["project_a"]
    answer = anonymous.get(f"/web/projects/{project}")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/web/login?next=%2Fweb%2Fprojects%2F{project}"
    assert anonymous.get("/").headers["location"] == "/web/"


def test_login_refuses_wrong_passwords_and_foreign_redirects(server: Server) -> None:
    client = TestClient(server.app, follow_redirects=False)
    token = csrf_of(client.get("/web/login").text)
    wrong = client.post("/web/login", data={"username": "viewer_a", "password": "nope",
                                            "csrf_token": token})
    assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
    token = csrf_of(wrong.text)
    done = client.post("/web/login", data={"username": "viewer_a",
                                           "password": "password of viewer_a",
                                           "csrf_token": token, "next": "//evil.example/"})
    assert done.status_code == 303 and done.headers["location"] == "/web/"


def test_login_without_its_form_token_is_refused(server: Server) -> None:
    client = TestClient(server.app, follow_redirects=False)
    client.get("/web/login")
    refused = client.post("/web/login", data={"username": "viewer_a",
                                              "password": "password of viewer_a",
                                              "csrf_token": "forged"})
    assert refused.status_code == 403 and "stackrift_session" not in refused.cookies


def test_forms_without_the_csrf_token_are_refused_and_change_nothing(
        server: Server, browser_of: Browser) -> None:
    analyst = browser_of("analyst_a")
    project = server.ids["project_a"]
    before = server.get(f"/api/v1/projects/{project}/uploads").json()
    for token in ({}, {"csrf_token": "forged"}):
        refused = analyst.post(f"/web/projects/{project}/uploads",
                               data={"kind": "estate", **token},
                               files={"file": ("estate.yaml", MINIMAL.read_bytes())})
        assert refused.status_code == 403 and "security token" in refused.text
        assessed = analyst.post(f"/web/projects/{project}/assessments", data=token)
        assert assessed.status_code == 403
        assert analyst.post("/web/logout", data=token).status_code == 403
    assert server.get(f"/api/v1/projects/{project}/uploads").json() == before
    assert analyst.get("/web/").status_code == 200  # still logged in


def test_a_viewer_cannot_change_anything(server: Server, browser_of: Browser) -> None:
    viewer = browser_of("viewer_a")
    project = server.ids["project_a"]
    doc = _ok(viewer, f"/web/projects/{project}")
    assert not doc.xpath("//form[@method='post' and contains(@action, '/uploads')]")
    token = csrf_of(viewer.get("/web/").text)
    refused = viewer.post(f"/web/projects/{project}/uploads",
                          data={"kind": "estate", "csrf_token": token},
                          files={"file": ("estate.yaml", MINIMAL.read_bytes())})
    assert refused.status_code == 403 and "analyst" in refused.text


def test_a_bad_upload_is_shown_with_its_located_problems(server: Server, browser_of: Browser
                                                         ) -> None:
    analyst = browser_of("analyst_a")
    project = server.ids["project_a"]
    token = csrf_of(_page(analyst, f"/web/projects/{project}"))
    bad = MINIMAL.read_text().replace("\nsystems:", "\nsystemz:", 1).encode()
    shown = analyst.post(f"/web/projects/{project}/uploads",
                         data={"kind": "estate", "name": "broken.yaml", "csrf_token": token},
                         files={"file": ("broken.yaml", bad)})
    assert shown.status_code == 422
    problems = lxml.html.fromstring(shown.text).xpath("//ul[@class='problems']/li//text()")
    assert problems and re.match(r"broken\.yaml:\d+:\d+: ", problems[0]), problems
    assert "broken.yaml" not in [u["name"] for u in server.get(
        f"/api/v1/projects/{project}/uploads").json()]


def _page(client: TestClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.text


def test_an_analyst_assesses_a_changed_estate_and_sees_the_diff(server: Server,
                                                                browser_of: Browser) -> None:
    analyst = browser_of("analyst_a")
    project = server.ids["project_a"]
    token = csrf_of(_page(analyst, f"/web/projects/{project}"))
    changed = MINIMAL.read_text().replace("2026", "2025")  # dates move: verdicts can change
    changed = re.sub(r"(?m)^data_flows:.*\Z", "data_flows: []\n", changed, flags=re.S)
    stored = analyst.post(f"/web/projects/{project}/uploads",
                          data={"kind": "estate", "name": "estate.yaml", "csrf_token": token},
                          files={"file": ("estate.yaml", changed.encode())})
    assert stored.status_code == 303, stored.text
    queued = analyst.post(f"/web/projects/{project}/assessments",
                          data={"csrf_token": token, "as_of": "2026-12-04"})
    assert queued.status_code == 303
    new = int(queued.headers["location"].rsplit("/", 1)[1])
    waiting = _ok(analyst, f"/web/assessments/{new}")
    assert waiting.xpath("//progress[@id='job-progress']")
    assert server.wait_for(new)["status"] == "done"
    old = server.ids["assessment_a"]
    doc = _ok(analyst, f"/web/projects/{project}/diff?from={old}&to={new}")
    _check_structure(doc, "diff")
    assert "estate" in doc.xpath("//dl[@class='facts']/dt/text()")
    resolved = doc.xpath("//table[@class='diff-removed']//td[1]/a/@href")
    assert resolved and all(h.startswith(f"/web/assessments/{old}/findings/") for h in resolved)
    assert all(_ok(analyst, h) is not None for h in resolved[:3])


def _unit_b_pages(server: Server, browser_of: Browser) -> list[str]:
    """Every page of unit B's objects, as unit B's own viewer reaches them."""
    own = browser_of("viewer_b")
    project, assessment = server.ids["project_b"], server.ids["assessment_b"]
    pages = [f"/web/units/{server.ids['unit_b']}", f"/web/projects/{project}",
             f"/web/projects/{project}/diff?from={assessment}&to={assessment}",
             *_assessment_pages(own, assessment)]
    for url in pages:
        assert own.get(url).status_code == 200, url
    return pages


def test_a_viewer_of_unit_a_finds_nothing_of_unit_b(server: Server, browser_of: Browser
                                                    ) -> None:
    pages = _unit_b_pages(server, browser_of)
    viewer = browser_of("viewer_a")
    for url in pages:
        answer = viewer.get(url)
        assert answer.status_code == 404, (url, answer.status_code)
        assert "estate of b" not in answer.text and "unit b" not in answer.text
    token = csrf_of(viewer.get("/web/").text)
    project, unit = server.ids["project_b"], server.ids["unit_b"]
    writes = {f"/web/projects/{project}/uploads": {"files": {"file": ("e.yaml", b"x: 1")},
                                                   "data": {"kind": "estate"}},
              f"/web/projects/{project}/assessments": {"data": {}},
              f"/web/units/{unit}/projects": {"data": {"name": "intruder"}}}
    for url, parts in writes.items():
        answer = viewer.post(url, data={**parts["data"], "csrf_token": token},
                             files=parts.get("files"))
        assert answer.status_code == 404, (url, answer.status_code, answer.text[:500])
    _every_page_with_an_object_was_tried(server, [*pages, *writes])


def _every_page_with_an_object_was_tried(server: Server, tried: list[str]) -> None:
    """Each /web route naming an object (a path parameter) is among the URLs above, so a new
    page cannot escape this test."""
    from fastapi.routing import APIRoute

    for route in server.app.routes:
        if not isinstance(route, APIRoute) or not route.path.startswith("/web/") \
                or "{" not in route.path or route.path.startswith("/web/static/"):
            continue
        pattern = re.sub(r"\{[^}]+:path\}", ".+", route.path)
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", pattern) + "$"
        assert any(re.match(pattern, url.split("?")[0]) for url in tried), route.path


def test_unknown_objects_in_a_visible_assessment_are_404(server: Server, browser_of: Browser
                                                         ) -> None:
    viewer = browser_of("viewer_a")
    base = f"/web/assessments/{server.ids['assessment_a']}"
    for kind in ("findings", "systems", "flows", "vendors"):
        assert viewer.get(f"{base}/{kind}/no-such-thing").status_code == 404
    assert viewer.get("/web/assessments/999999").status_code == 404
    assert viewer.get("/web/static/nothing.css").status_code == 404
    huge = 2**70  # beyond a database integer: refused as a bad address, never a server error
    for url in (f"/web/projects/{huge}", f"/web/units/{huge}", f"/web/assessments/{huge}",
                f"/web/assessments/{huge}/estate", "/web/assessments/-1",
                f"/web/projects/{server.ids['project_a']}/diff?from={huge}&to=1"):
        assert viewer.get(url).status_code == 422, url
    missing = viewer.get("/web/no/such/page")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("name", ["web.css", "web.js"])
def test_static_files_are_served_from_the_package(server: Server, name: str) -> None:
    answer = TestClient(server.app).get(f"/web/static/{name}")
    assert answer.status_code == 200 and answer.content
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-type"].startswith(
        "text/css" if name.endswith(".css") else "text/javascript")


def test_a_user_changes_their_password(server: Server) -> None:
    made = server.post("/api/v1/users", json={"username": "web_password_user",
                                              "password": "the first password"})
    assert made.status_code == 201, made.text
    client = log_in(server, "web_password_user", "the first password")
    token = csrf_of(_page(client, "/web/account"))
    url = "/web/account/password"
    assert client.post(url, data={"password": "a new password!", "repeated": "a new password!"}
                       ).status_code == 403
    for new, again in (("short", "short"), ("a new password!", "another password")):
        refused = client.post(url, data={"password": new, "repeated": again,
                                         "csrf_token": token})
        assert refused.status_code == 422 and 'role="alert"' in refused.text
    changed = client.post(url, data={"password": "a new password!",
                                     "repeated": "a new password!", "csrf_token": token})
    assert changed.status_code == 200 and "Your password was changed." in changed.text
    log_in(server, "web_password_user", "a new password!")
    again = TestClient(server.app, follow_redirects=False)
    form = csrf_of(again.get("/web/login").text)
    old = again.post("/web/login", data={"username": "web_password_user",
                                         "password": "the first password", "csrf_token": form})
    assert old.status_code == 401
