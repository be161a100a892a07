"""TAXII 2.1 served by the server, driven by the real ``taxii2-client`` against a live uvicorn
server on 127.0.0.1, on SQLite and on a throw-away PostgreSQL: discovery, collections, adding
and reading back with filters and pages, manifests, versions, statuses, per-collection
permissions, other units' collections as 404, and hostile input refused with clear errors."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn
from fastapi import FastAPI
from taxii2client.common import TokenAuth
from taxii2client.exceptions import AccessError
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages
from tests.server.conftest import BACKENDS, database_url
from tests.server.serving import free_port

from stackrift.server.app import create_app
from stackrift.server.config import load_settings
from stackrift.server.services import accounts, audit
from stackrift.server.taxii.validation import MAX_CONTENT_LENGTH
from stackrift.server.tenancy import SYSTEM, Principal, Role

TAXII = "application/taxii+json;version=2.1"


@dataclass
class Live:
    """A running server, its users (name → API token) and ids."""

    app: FastAPI
    base: str
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    @property
    def root(self) -> str:
        return f"{self.base}/taxii2/api/"

    def collection_url(self, collection: str) -> str:
        return f"{self.root}collections/{collection}/"

    def collection(self, collection: str, who: str) -> Collection:
        """The client's collection, authenticated by HTTP Basic with the user's API token."""
        return Collection(self.collection_url(collection), user=who, password=self.tokens[who])

    def raw(self, method: str, url: str, who: str | None = "admin", **kwargs: Any
            ) -> requests.Response:
        headers = {"Accept": TAXII, **kwargs.pop("headers", {})}
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return requests.request(method, url, headers=headers, timeout=60, **kwargs)

    def new_collection(self, unit: str, title: str) -> str:
        made = self.raw("POST", f"{self.base}/api/v1/taxii/collections", f"admin_{unit}",
                        json={"unit_id": self.ids[f"unit_{unit}"], "title": title})
        assert made.status_code == 201, made.text
        return str(made.json()["id"])


def _people(live: Live) -> None:
    """Units A and B; a server administrator; per unit a viewer, an analyst and an admin."""
    with live.app.state.sessions() as db:
        admin = accounts.create_user(db, SYSTEM, "admin", "correct horse battery", is_admin=True)
        live.tokens["admin"] = accounts.create_token(
            db, Principal(admin.id, "admin", is_admin=True)).token
        for unit in ("a", "b"):
            live.ids[f"unit_{unit}"] = accounts.create_unit(db, SYSTEM, f"unit {unit}").id
            for role in Role:
                name = f"{role.value}_{unit}"
                user = accounts.create_user(db, SYSTEM, name, f"password of {name}")
                accounts.grant_role(db, SYSTEM, user.id, live.ids[f"unit_{unit}"], role)
                live.ids[f"user_{name}"] = user.id
                live.tokens[name] = accounts.create_token(
                    db, Principal(user.id, name, roles={})).token
        db.commit()


@pytest.fixture(scope="module", params=BACKENDS)
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp(f"taxii-{request.param}")
    settings = load_settings({"database_url": database_url(request.param, request, folder),
                              "data_dir": folder}, env={})
    app = create_app(settings, start_worker=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    live = Live(app, f"http://127.0.0.1:{port}")
    _people(live)
    try:
        yield live
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _stamp(second: int) -> str:
    return f"2026-11-0{1 + second // 60}T10:00:{second % 60:02d}.000Z"


def indicator(name: str, *, modified: int = 0, pattern: str | None = None,
              stix_id: str | None = None) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1",
            "id": stix_id or f"indicator--{uuid.uuid4()}", "created": _stamp(0),
            "modified": _stamp(modified), "name": name, "pattern_type": "stix",
            "pattern": pattern or f"[file:name = '{name}']", "valid_from": _stamp(0)}


def vulnerability(name: str) -> dict[str, Any]:
    return {"type": "vulnerability", "spec_version": "2.1", "id": f"vulnerability--{uuid.uuid4()}",
            "created": _stamp(0), "modified": _stamp(0), "name": name,
            "external_references": [{"source_name": "cve", "external_id": name}]}


def envelope(*objects: dict[str, Any]) -> dict[str, Any]:
    return {"objects": list(objects)}


# -- discovery and collections --------------------------------------------------------------

def test_discovery_api_root_and_collections_by_password(live: Live) -> None:
    collection = live.new_collection("a", "indicators of unit a")
    server = Server(f"{live.base}/taxii2/", user="analyst_a", password="password of analyst_a")
    assert server.title == "StackRift TAXII 2.1"
    [root] = server.api_roots
    assert server.default is root and root.url == live.root
    assert root.versions == [TAXII] and root.max_content_length == MAX_CONTENT_LENGTH
    mine = {c.id: c for c in root.collections}
    assert collection in mine
    assert mine[collection].can_read and mine[collection].can_write
    assert mine[collection].media_types == ["application/stix+json;version=2.1"]
    viewer = ApiRoot(live.root, user="viewer_a", password=live.tokens["viewer_a"])
    seen = {c.id: c for c in viewer.collections}
    assert seen[collection].can_read and not seen[collection].can_write


def test_credentials_are_required_and_checked(live: Live) -> None:
    none = live.raw("GET", live.root, who=None)
    assert none.status_code == 401 and "Basic" in none.headers["WWW-Authenticate"]
    assert none.headers["Content-Type"] == TAXII and none.json()["http_status"] == "401"
    wrong = requests.get(live.root, auth=("analyst_a", "not the password"), timeout=30)
    assert wrong.status_code == 401
    stolen = requests.get(live.root, auth=("viewer_b", live.tokens["analyst_a"]), timeout=30)
    assert stolen.status_code == 401
    bearer = live.raw("GET", live.root, who="viewer_b")
    assert bearer.status_code == 200 and bearer.headers["Content-Type"] == TAXII
    by_token = ApiRoot(live.root, auth=TokenAuth(live.tokens["viewer_b"]))
    assert by_token.title == "StackRift"
    revoked = requests.get(live.root, headers={"Authorization": "Token srt_revoked"},
                           timeout=30)
    assert revoked.status_code == 401


def test_content_negotiation(live: Live) -> None:
    json_only = live.raw("GET", live.root, headers={"Accept": "application/json"})
    assert json_only.status_code == 406 and "application/taxii+json" in json_only.text
    assert live.raw("GET", live.root, headers={"Accept": "application/taxii+json"}).ok
    collection = live.new_collection("a", "negotiation")
    as_json = live.raw("POST", live.collection_url(collection) + "objects/",
                       headers={"Content-Type": "application/json"},
                       data=json.dumps(envelope(indicator("x"))))
    assert as_json.status_code == 415 and as_json.json()["http_status"] == "415"


# -- adding and reading back ----------------------------------------------------------------

def test_add_read_filter_page_manifest_versions_and_status(live: Live) -> None:
    collection_id = live.new_collection("a", "the main flow")
    analyst = live.collection(collection_id, "analyst_a")
    first = indicator("evil.exe")
    bundle = envelope(first, indicator("worse.dll"), indicator("worst.so"),
                      vulnerability("CVE-2026-0001"))
    status = analyst.add_objects(bundle)
    assert status.status == "complete" and status.success_count == 4 == status.total_count
    assert status.failure_count == 0 and {s["id"] for s in status.successes} == {
        o["id"] for o in bundle["objects"]}
    later = indicator("evil.exe", modified=30, stix_id=first["id"])
    assert analyst.add_objects(envelope(later)).success_count == 1

    newest = analyst.get_objects()["objects"]
    assert len(newest) == 4
    assert next(o for o in newest if o["id"] == first["id"])["modified"] == later["modified"]
    [vuln] = analyst.get_objects(type="vulnerability")["objects"]
    assert vuln["name"] == "CVE-2026-0001"
    both = analyst.get_objects(id=first["id"], version="all")["objects"]
    assert [o["modified"] for o in both] == [first["modified"], later["modified"]]
    oldest = analyst.get_objects(id=first["id"], version="first")["objects"]
    assert [o["modified"] for o in oldest] == [first["modified"]]
    exact = analyst.get_object(first["id"], version=first["modified"])["objects"]
    assert [o["modified"] for o in exact] == [first["modified"]]
    assert analyst.get_objects(spec_version="2.0") == {"more": False}

    pages = list(as_pages(analyst.get_objects, per_request=3))
    assert [len(p["objects"]) for p in pages] == [3, 1] and pages[0]["more"] is True
    assert {o["id"] for p in pages for o in p["objects"]} == {o["id"] for o in newest}

    listed = live.raw("GET", live.collection_url(collection_id) + "objects/",
                      params={"limit": "2"})
    assert listed.headers["X-TAXII-Date-Added-First"] <= listed.headers[
        "X-TAXII-Date-Added-Last"]
    added_after = live.raw("GET", live.collection_url(collection_id) + "objects/",
                           params={"added_after": listed.headers["X-TAXII-Date-Added-First"]})
    assert [o["modified"] for o in added_after.json()["objects"]] == [later["modified"]]

    manifest = analyst.get_manifest()["objects"]
    assert len(manifest) == 4 and all(m["media_type"] == "application/stix+json;version=2.1"
                                      for m in manifest)
    assert {m["version"] for m in manifest if m["id"] == first["id"]} == {later["modified"]}
    versions = analyst.object_versions(first["id"])
    assert versions["versions"] == [first["modified"], later["modified"]]

    again = ApiRoot(live.root, user="viewer_a", password=live.tokens["viewer_a"]).get_status(
        status.id)
    assert again.success_count == 4 and again.status == "complete"


def test_a_page_of_large_objects_ends_early(live: Live, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    from stackrift.server.taxii import queries

    collection = live.collection(live.new_collection("a", "large objects"), "analyst_a")
    bulky = [{**indicator(f"bulky {n}"), "description": "x" * 1000} for n in range(5)]
    collection.add_objects(envelope(*bulky))
    monkeypatch.setattr(queries, "MAX_PAGE_CHARS", 3000)
    pages = list(as_pages(collection.get_objects, per_request=5))
    assert [len(p["objects"]) for p in pages] == [2, 2, 1]
    assert sorted(o["id"] for p in pages for o in p["objects"]) == sorted(o["id"] for o in bulky)


def test_adding_a_version_twice_stores_it_once(live: Live) -> None:
    collection = live.collection(live.new_collection("a", "idempotent"), "analyst_a")
    twice = indicator("same")
    status = collection.add_objects(envelope(twice, twice))
    assert status.success_count == 2
    assert collection.add_objects(envelope(twice)).success_count == 1
    assert len(collection.get_objects(version="all")["objects"]) == 1


def test_delete_an_object(live: Live) -> None:
    collection_id = live.new_collection("a", "deletions")
    analyst = live.collection(collection_id, "analyst_a")
    gone, kept = indicator("gone"), indicator("kept")
    analyst.add_objects(envelope(gone, kept, indicator("gone", modified=5, stix_id=gone["id"])))
    analyst.delete_object(gone["id"])
    assert [o["id"] for o in analyst.get_objects()["objects"]] == [kept["id"]]
    missing = live.raw("GET", live.collection_url(collection_id) + f"objects/{gone['id']}/")
    assert missing.status_code == 404 and missing.json()["http_status"] == "404"
    viewer = live.raw("DELETE", live.collection_url(collection_id) + f"objects/{kept['id']}/",
                      who="viewer_a")
    assert viewer.status_code == 403


def test_every_write_is_in_the_audit_log(live: Live) -> None:
    collection_id = live.new_collection("a", "audited")
    status = live.collection(collection_id, "analyst_a").add_objects(
        envelope(indicator("audited"), {"type": "indicator"}))
    with live.app.state.sessions() as db:
        entries = audit.list_audit(db, SYSTEM, unit_id=live.ids["unit_a"])
    added = [e for e in entries if e.action == "taxii-add" and e.detail["status"] == status.id]
    assert len(added) == 1 and added[0].actor == "analyst_a"
    assert added[0].detail["added"] == 1 and added[0].detail["failed"] == 1
    assert any(e.action == "create" and e.object_type == "taxii-collection"
               and e.detail["collection"] == collection_id for e in entries)


# -- permissions and tenancy ----------------------------------------------------------------

def test_a_reader_cannot_add(live: Live) -> None:
    collection_id = live.new_collection("a", "read only for viewers")
    viewer = live.collection(collection_id, "viewer_a")
    with pytest.raises(AccessError):
        viewer.add_objects(envelope(indicator("nope")))
    refused = live.raw("POST", live.collection_url(collection_id) + "objects/", "viewer_a",
                       headers={"Content-Type": TAXII}, data=json.dumps(envelope(indicator("x"))))
    assert refused.status_code == 403 and refused.headers["Content-Type"] == TAXII
    assert "not add" in refused.json()["description"]
    assert live.collection(collection_id, "admin_a").get_objects() == {"more": False}


def test_explicit_grants_override_the_role_within_the_unit(live: Live) -> None:
    collection_id = live.new_collection("a", "granted")
    grants = f"{live.base}/api/v1/taxii/collections/{collection_id}/grants"
    writer = live.raw("PUT", f"{grants}/{live.ids['user_viewer_a']}", "admin_a",
                      json={"can_read": True, "can_write": True})
    assert writer.status_code == 200, writer.text
    assert live.collection(collection_id, "viewer_a").add_objects(
        envelope(indicator("by a viewer"))).success_count == 1
    reader = live.raw("PUT", f"{grants}/{live.ids['user_analyst_a']}", "admin_a",
                      json={"can_read": True, "can_write": False})
    assert reader.ok
    assert not live.collection(collection_id, "analyst_a").can_write
    hidden = live.raw("PUT", f"{grants}/{live.ids['user_analyst_a']}", "admin_a",
                      json={"can_read": False, "can_write": False})
    assert hidden.ok
    assert live.raw("GET", live.collection_url(collection_id), "analyst_a").status_code == 404
    outsider = live.raw("PUT", f"{grants}/{live.ids['user_viewer_b']}", "admin_a",
                        json={"can_read": True, "can_write": True})
    assert outsider.status_code == 404
    by_analyst = live.raw("PUT", f"{grants}/{live.ids['user_viewer_a']}", "analyst_a",
                          json={"can_read": True, "can_write": True})
    assert by_analyst.status_code == 403
    removed = live.raw("DELETE", f"{grants}/{live.ids['user_analyst_a']}", "admin_a")
    assert removed.status_code == 204
    assert live.collection(collection_id, "analyst_a").can_write


def test_another_units_collection_is_not_found_through_every_endpoint(live: Live) -> None:
    collection_id = live.new_collection("a", "unit a only")
    writer = live.collection(collection_id, "analyst_a")
    secret = indicator("secret")
    status = writer.add_objects(envelope(secret))
    url = live.collection_url(collection_id)
    reads = [url, url + "objects/", url + "manifest/", url + f"objects/{secret['id']}/",
             url + f"objects/{secret['id']}/versions/", f"{live.root}status/{status.id}/"]
    for who in ("viewer_b", "analyst_b", "admin_b"):
        for target in reads:
            answer = live.raw("GET", target, who)
            assert answer.status_code == 404, (who, target, answer.text)
            assert "secret" not in answer.text
        for method, target in (("POST", url + "objects/"),
                               ("DELETE", url + f"objects/{secret['id']}/")):
            answer = live.raw(method, target, who, headers={"Content-Type": TAXII},
                              data=json.dumps(envelope(indicator("intruder"))))
            assert answer.status_code == 404, (who, method, target, answer.text)
        listed = ApiRoot(live.root, user=who, password=live.tokens[who]).collections
        assert collection_id not in {c.id for c in listed}
        managed = live.raw("GET", f"{live.base}/api/v1/taxii/collections", who).json()
        assert collection_id not in {c["id"] for c in managed}
        grant = f"{live.base}/api/v1/taxii/collections/{collection_id}/grants/" \
            f"{live.ids['user_' + who]}"
        assert live.raw("PUT", grant, who, json={"can_read": True,
                                                 "can_write": True}).status_code == 404
        assert live.raw("DELETE", grant, who).status_code == 404
    foreign = live.collection(collection_id, "viewer_b")
    with pytest.raises(requests.HTTPError) as raised:
        foreign.refresh()
    assert raised.value.response.status_code == 404
    assert [o["id"] for o in writer.get_objects()["objects"]] == [secret["id"]]


# -- hostile input --------------------------------------------------------------------------

def _post(live: Live, collection_id: str, data: bytes) -> requests.Response:
    return live.raw("POST", live.collection_url(collection_id) + "objects/", "analyst_a",
                    headers={"Content-Type": TAXII}, data=data)


def test_a_body_that_is_not_an_envelope_is_refused_whole(live: Live) -> None:
    collection_id = live.new_collection("a", "hostile bodies")
    cases = {b"{not json": "not JSON", b"[" * 5000 + b"]" * 5000: "not JSON",
             b'{"objects": ' + b"[" * 40 + b"]" * 40 + b"}": "deeper than 32",
             b'["objects"]': "not a TAXII envelope", b'{"objects": {}}': "not an array"}
    for body, expected in cases.items():
        answer = _post(live, collection_id, body)
        assert answer.status_code == 400, answer.text
        assert answer.headers["Content-Type"] == TAXII
        assert expected in answer.json()["description"]
    many = json.dumps(envelope(*[{"type": "x"}] * 1001)).encode()
    assert _post(live, collection_id, many).status_code == 413
    wide = b'{"objects": [{"type": "x", "labels": [' + b"1," * 300_000 + b"1]}]}"
    values = _post(live, collection_id, wide)
    assert values.status_code == 413 and "JSON values" in values.json()["description"]
    huge = b'{"objects": ["' + b"a" * MAX_CONTENT_LENGTH + b'"]}'
    started = time.monotonic()
    too_big = _post(live, collection_id, huge)
    assert too_big.status_code == 413 and "max_content_length" in too_big.json()["description"]
    assert time.monotonic() - started < 30
    assert live.collection(collection_id, "analyst_a").get_objects() == {"more": False}


def test_malformed_objects_fail_one_by_one_with_their_reason(live: Live) -> None:
    collection_id = live.new_collection("a", "hostile objects")
    good = indicator("fine")
    no_spec = {k: v for k, v in indicator("old").items() if k != "spec_version"}
    backwards = {**indicator("backwards"), "created": _stamp(9), "modified": _stamp(1)}
    bad = {
        "bad-pattern": (indicator("p", pattern="[file:name = 'x'"), "pattern"),
        "long-pattern": (indicator("q", pattern="[file:name = '" + "x" * 9000 + "']"),
                         "at most 8192"),
        "deep-pattern": (indicator("r", pattern="(" * 40 + "[file:name = 'x']" + ")" * 40),
                         "deeper than 32"),
        "bad-id": ({**indicator("s"), "id": "indicator--not-a-uuid"}, '"id"'),
        "wrong-type-id": ({**indicator("t"), "id": f"malware--{uuid.uuid4()}"}, '"id"'),
        "no-spec": (no_spec, "spec_version"),
        "bad-stamp": ({**indicator("u"), "modified": "yesterday"}, '"modified"'),
        "backwards": (backwards, "earlier than"),
        "missing-name": ({**vulnerability("v"), "name": None}, "name"),
        "not-object": ("just a string", "not a JSON object"),
    }
    objects = [good] + [obj for obj, _ in bad.values()]
    status = live.collection(collection_id, "analyst_a").add_objects(envelope(*objects))
    assert status.total_count == len(objects) and status.success_count == 1
    assert status.failure_count == len(bad)
    messages = [f["message"] for f in status.failures]
    for index, (_name, (_obj, expected)) in enumerate(bad.items(), start=1):
        assert f"objects[{index}]" in messages[index - 1]
        assert expected in messages[index - 1], (expected, messages[index - 1])
    stored = live.collection(collection_id, "analyst_a").get_objects()["objects"]
    assert [o["id"] for o in stored] == [good["id"]]


def test_bad_query_parameters_are_clear_errors(live: Live) -> None:
    collection_id = live.new_collection("a", "queries")
    url = live.collection_url(collection_id) + "objects/"
    for params, expected in (({"limit": "zero"}, "limit"), ({"added_after": "soon"},
                             "added_after"), ({"match[version]": "newest"}, "match[version]"),
                             ({"next": "999999"}, "next")):
        answer = live.raw("GET", url, params=params)
        assert answer.status_code == 400 and expected in answer.json()["description"]


def test_the_migration_creates_what_the_tables_describe(tmp_path: Path) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect

    from stackrift.server.db.engine import make_engine
    from stackrift.server.db.migrate import MIGRATIONS, upgrade
    from stackrift.server.db.tables import Base
    from stackrift.server.taxii import tables

    engine = make_engine(f"sqlite:///{tmp_path / 'schema.sqlite'}")
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = {t.name for t in Base.metadata.sorted_tables if t.name.startswith("taxii_")}
    assert ours == {tables.TaxiiCollection.__tablename__, tables.TaxiiGrant.__tablename__,
                    tables.TaxiiObject.__tablename__, tables.TaxiiStatus.__tablename__}
    assert [d for d in differences if "taxii_" in repr(d)] == []
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    command.downgrade(config, "0001")
    assert not ours & set(inspect(engine).get_table_names())
    engine.dispose()


def test_ids_and_values_with_control_characters_never_reach_the_database(live: Live) -> None:
    """PostgreSQL refuses NUL in text: such ids are simply not found, such filters are 400."""
    collection_id = live.new_collection("a", "nul")
    url = live.collection_url(collection_id)
    for target in (f"{live.root}collections/not-a-collection%00/", url + "objects/x%00/",
                   url + "objects/indicator--x%00/versions/", f"{live.root}status/%00/"):
        assert live.raw("GET", target).status_code == 404, target
    nul_filter = live.raw("GET", url + "objects/", params={"match[id]": "a\x00b"})
    assert nul_filter.status_code == 400 and "control characters" in nul_filter.text
    nul_user = requests.get(live.root, auth=("admin\x00", "x"), timeout=30)
    assert nul_user.status_code == 401
    nul_title = live.raw("POST", f"{live.base}/api/v1/taxii/collections", "admin_a",
                         json={"unit_id": live.ids["unit_a"], "title": "a\x00b"})
    assert nul_title.status_code == 422


def _json_values() -> Any:
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)


def _stixish() -> Any:
    """Objects near STIX: real keys with arbitrary values, or a valid indicator with one
    property replaced."""
    from hypothesis import strategies as st

    keys = st.sampled_from(["type", "id", "spec_version", "created", "modified", "pattern",
                            "pattern_type", "valid_from", "name", "labels", "x_custom"])
    near = st.dictionaries(keys, _json_values(), max_size=8)
    spoiled = st.builds(lambda key, value: {**indicator("fuzz"), key: value}, keys,
                        _json_values())
    return near | spoiled | _json_values()


def test_fuzzed_envelopes_get_a_status_or_a_clear_error(live: Live) -> None:
    """Whatever the body, the answer is a complete status (202) or a TAXII error (400, 413),
    never a server error; every failure in a status carries a message."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    collection_id = live.new_collection("a", "fuzzed")
    url = live.collection_url(collection_id) + "objects/"
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {live.tokens['analyst_a']}",
                            "Accept": TAXII, "Content-Type": TAXII})
    bodies = st.builds(lambda objects: json.dumps({"objects": objects}).encode(),
                       st.lists(_stixish(), max_size=5)) | st.binary(max_size=64)

    @given(body=bodies)
    @settings(max_examples=60, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def post(body: bytes) -> None:
        answer = session.post(url, data=body, timeout=60)
        assert answer.status_code in {202, 400, 413}, answer.text
        assert answer.headers["Content-Type"] == TAXII
        result = answer.json()
        if answer.status_code == 202:
            assert result["total_count"] == result["success_count"] + result["failure_count"]
            assert all(f["message"] for f in result.get("failures", []))
        else:
            assert result["description"]

    post()


def test_the_same_objects_added_at_once_are_stored_once(live: Live) -> None:
    """Two transactions adding the same versions: the second waits for the first (a unique
    index on PostgreSQL, the write lock on SQLite), then succeeds without a conflict error;
    one copy is kept."""
    from concurrent.futures import ThreadPoolExecutor

    from stackrift.server.taxii import service

    collection_id = live.new_collection("a", "concurrent")
    body = json.dumps(envelope(*[indicator(f"same {n}") for n in range(5)])).encode()
    sessions = live.app.state.sessions

    def add_and_commit() -> dict[str, Any]:
        with sessions() as db:
            status = service.add_objects(db, SYSTEM, collection_id, body)
            db.commit()
            return status

    with sessions() as first, ThreadPoolExecutor(1) as pool:
        first_status = service.add_objects(first, SYSTEM, collection_id, body)
        second = pool.submit(add_and_commit)
        time.sleep(1.0)  # the second is now waiting on the first's uncommitted rows
        first.commit()
        second_status = second.result(timeout=60)
    assert first_status["success_count"] == second_status["success_count"] == 5
    stored = live.collection(collection_id, "analyst_a").get_objects(version="all")
    assert len(stored["objects"]) == 5


def test_collection_aliases_are_unique_and_shown(live: Live) -> None:
    made = f"{live.base}/api/v1/taxii/collections"
    body = {"unit_id": live.ids["unit_a"], "title": "aliased", "alias": "feed-a"}
    first = live.raw("POST", made, "admin_a", json=body)
    assert first.status_code == 201 and first.json()["alias"] == "feed-a"
    again = live.raw("POST", made, "admin_a", json=body)
    assert again.status_code == 409 and "feed-a" in again.json()["detail"]
    shown = live.collection(first.json()["id"], "viewer_a")
    assert shown.alias == "feed-a" and shown.title == "aliased"
    analyst = live.raw("POST", made, "analyst_a", json={**body, "alias": None})
    assert analyst.status_code == 403


def test_ids_beyond_the_database_integer_range_are_refused(live: Live) -> None:
    made = f"{live.base}/api/v1/taxii/collections"
    huge = live.raw("POST", made, "admin", json={"unit_id": 2**70, "title": "t"})
    assert huge.status_code == 422
    collection_id = live.new_collection("a", "range")
    grant = live.raw("PUT", f"{made}/{collection_id}/grants/{2**70}", "admin",
                     json={"can_read": True, "can_write": True})
    assert grant.status_code == 422
