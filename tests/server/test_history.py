"""History: what changed between two assessments and why; re-assessment when rule packs,
the knowledge set or the advisory store change; the audit log of every write."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from tests.server.conftest import MINIMAL, QUICK, Server

from stackrift.server.db.tables import Assessment, ServerState
from stackrift.server.jobs import reassess_on_change

FINGERPRINTS = ("advisories", "knowledge")
POLICY = Path(__file__).parents[2] / "docs/examples/rules/company-policy.yaml"
_names = itertools.count(1)


def _project(server: Server, who: str = "analyst_a") -> int:
    created = server.post("/api/v1/projects", who, json={"unit_id": server.ids["unit_a"],
                                                         "name": f"history {next(_names)}"})
    assert created.status_code == 201, created.text
    project: int = created.json()["id"]
    return project


def _assess(server: Server, project: int, as_of: str, who: str = "analyst_a"
            ) -> dict[str, Any]:
    queued = server.post(f"/api/v1/projects/{project}/assessments", who,
                         json={"as_of": as_of, "analyses": QUICK})
    assert queued.status_code == 202, queued.text
    return server.wait_for(queued.json()["id"])


def test_diff_names_added_and_removed_findings_and_the_inputs_that_changed(server: Server
                                                                           ) -> None:
    project = _project(server)
    server.upload(project, "estate", "estate.yaml", MINIMAL.read_bytes(), who="analyst_a")
    before = _assess(server, project, "2026-12-04")
    # the same estate without its data flow: transfer findings about it go away
    text = MINIMAL.read_text()
    without_flows = text[:text.index("\ndata_flows:")] + "\ndata_flows: []\n"
    assert server.upload(project, "estate", "estate.yaml", without_flows.encode(),
                         who="analyst_a").status_code == 201
    after = _assess(server, project, "2027-01-15")
    assert before["status"] == after["status"] == "done"

    diff = server.get(f"/api/v1/projects/{project}/diff",
                      params={"from": before["id"], "to": after["id"]}).json()
    assert set(diff["causes"]) == {"estate", "as_of"}
    assert diff["causes"]["estate"]["from"]["version"] == 1
    assert diff["causes"]["estate"]["to"]["version"] == 2
    assert diff["causes"]["as_of"] == {"from": "2026-12-04", "to": "2027-01-15"}
    removed = {c["id"]: c for c in diff["removed"]}
    assert any("eu-staff-questions" in i for i in removed), removed
    assert all("estate" in c["causes"] for c in removed.values())
    assert len(diff["removed"]) + len(diff["added"]) + len(diff["changed"]) > 0
    same = server.get(f"/api/v1/projects/{project}/diff",
                      params={"from": after["id"], "to": after["id"]}).json()
    assert same["causes"] == {} and same["added"] == same["removed"] == same["changed"] == []


def test_a_rule_pack_upload_reassesses_the_newest_estate(server: Server) -> None:
    project = _project(server)
    server.upload(project, "estate", "estate.yaml", MINIMAL.read_bytes(), who="analyst_a")
    first = _assess(server, project, "2026-12-04")
    uploaded = server.upload(project, "rules", "company-policy.yaml", POLICY.read_bytes(),
                             who="analyst_a")
    assert uploaded.status_code == 201, uploaded.text
    listed = server.get(f"/api/v1/projects/{project}/assessments").json()
    newest = listed[0]
    assert newest["trigger"] == "rule-pack-uploaded" and newest["id"] != first["id"]
    assert uploaded.json()["id"] in newest["input_upload_ids"]
    assert newest["analyses"] == sorted(QUICK)
    done = server.wait_for(newest["id"])
    assert done["status"] == "done", done
    diff = server.get(f"/api/v1/projects/{project}/diff",
                      params={"from": first["id"], "to": done["id"]}).json()
    assert "rules" in diff["causes"] and "estate" not in diff["causes"]


def test_a_changed_advisory_store_reassesses_every_assessed_project(server: Server) -> None:
    project = _project(server)
    server.upload(project, "estate", "estate.yaml", MINIMAL.read_bytes(), who="analyst_a")
    _assess(server, project, "2026-12-04")
    with server.app.state.sessions() as db:
        seen = {key: db.get(ServerState, f"fingerprint:{key}") for key in FINGERPRINTS}
        now = {key: row.value if row else "unknown" for key, row in seen.items()}
        reassess_on_change(db, now)  # what the worker saw last: nothing to do
        assert reassess_on_change(db, now) == []
        queued = [db.get(Assessment, i) for i in
                  reassess_on_change(db, {**now, "advisories": "a newer store"})]
        by_project = {a.project_id: a.id for a in queued if a is not None}
        assert {a.trigger for a in queued if a is not None} == {"advisories-changed"}
    assert project in by_project
    done = server.wait_for(by_project[project])
    assert done["status"] == "done" and done["trigger"] == "advisories-changed"


def test_the_advisory_fingerprint_follows_the_store(tmp_path: Path) -> None:
    from stackrift.advisories.sources import StoreAtPath
    from stackrift.advisories.store import open_store
    from stackrift.server.services.running import advisory_fingerprint

    path = tmp_path / "advisories.sqlite"
    store = open_store(path)
    store.close()
    before = advisory_fingerprint(StoreAtPath(path))
    assert advisory_fingerprint(StoreAtPath(path)) == before
    store = open_store(path)
    store.set_meta("content", "feeds of 2026-12-05")
    store.close()
    assert advisory_fingerprint(StoreAtPath(path)) != before


def test_every_write_is_in_the_audit_log(server: Server) -> None:
    project = _project(server, who="admin_a")
    entries = server.get(f"/api/v1/units/{server.ids['unit_a']}/audit", "admin_a").json()
    created = next(e for e in entries if e["object_type"] == "project"
                   and e["object_id"] == project)
    assert created["actor"] == "admin_a" and created["action"] == "create"
    assert created["user_id"] == server.ids["user_admin_a"] and created["at"]
    assert server.get(f"/api/v1/units/{server.ids['unit_a']}/audit",
                      "viewer_a").status_code == 403
