"""The optimised scan and import paths give what straightforward ones give, on the real corpora.

The matcher decides each record once for all the versions of its package that a scan names
(bisecting the ordered versions at the record's events), matches a batch of packages at a time,
decides each product text once per version, indexes PEP 440 version lists, and shares what a
group's records say between components; the import streams records to the store
without holding them. Here a plain per-component matcher (every record and entry evaluated for
every component, listed versions compared by parsing each one) and the content digest of the
store as imported before streaming are the references.
"""

from __future__ import annotations

import random
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from packaging.version import InvalidVersion, Version

from stackrift import jsonpieces
from stackrift.advisories import cnvd
from stackrift.advisories import store as store_module
from stackrift.advisories import stored as stored_module
from stackrift.advisories.correlation import Correlator, group_records
from stackrift.advisories.feed import (
    PreparingFeedParser,
    detect,
    prepared_records,
    read_head,
    read_limited,
    whole_files_kept,
)
from stackrift.advisories.importer import advisory_files, import_paths
from stackrift.advisories.matcher import (
    AFFECTED_STATUSES,
    Match,
    Matcher,
    Target,
    match_details,
    new_target,
)
from stackrift.advisories.matching import (
    PreparedEntry,
    VersionSet,
    affects,
    ecosystem_key,
    in_range,
    key_function,
    nonzero_digits,
    normalise_name,
)
from stackrift.advisories.model import Advisory, Affected, Event, ImportReport, Range
from stackrift.advisories.products import parse_product, satisfies
from stackrift.advisories.scan import StoreInfo, match_json, scan, scan_json, scan_json_pieces
from stackrift.advisories.store import SqliteStore, StoredRecord, prepare
from stackrift.advisories.stored import prepare_all
from stackrift.cli.output import json_bytes
from stackrift.errors import InvalidInputError

from .conftest import IMPORTED_CONTENT, cnvd_entry, osv_doc, write_cnvd, write_json
from .content_digest import content_digest

cnvd_stored = cnvd._stored

Hits = dict[tuple[str, str], dict[tuple[str, str], str]]  # (component, group) -> record -> how

# The content of a store importing cnvd, osv-pypa and osv-go (snapshots of ../shared/data/README),
# as imported before records were streamed to the store (computed with that release).
CORPORA_CONTENT_DIGEST = "d6c6da1861083dac337eb3410cc8cad1ffe94d232ea11e0de0e9ad567061b218"


def _listed(version: str, versions: tuple[str, ...]) -> bool:
    try:
        target = Version(version)
    except InvalidVersion:
        return False
    for listed in versions:
        try:
            if Version(listed) == target:
                return True
        except InvalidVersion:
            continue
    return False


def _affects(entry: Affected, version: str, ecosystem: str | None) -> bool | None:
    """OSV evaluation with PEP 440 list membership by parsing every listed version."""
    if version in entry.versions:
        return True
    decided = False
    for rng in entry.ranges:
        result = in_range(version, rng, ecosystem)
        if result:
            return True
        decided = decided or result is False
    if ecosystem == "PyPI" and entry.versions and _listed(version, entry.versions):
        return True
    return False if decided or entry.versions else None


def _package_hits(store: SqliteStore, target: Target, hits: Hits) -> set[str]:
    assert target.identity is not None and target.version
    ecosystem, name, _version = target.identity
    excluded = set()
    for group_id, record in store.records_for_package(ecosystem, name):
        if record.withdrawn:
            continue
        verdict: bool | None = None
        for entry in record.affected:
            if (not entry.name or ecosystem_key(entry.ecosystem) != ecosystem
                    or normalise_name(ecosystem, entry.name) != name
                    or entry.status not in AFFECTED_STATUSES):
                continue
            result = _affects(entry, target.version, ecosystem)
            if result:
                verdict = True
            elif result is False and verdict is None:
                verdict = False
        if verdict:
            hits.setdefault((target.ref, group_id), {})[(record.source, record.id)] = "range"
        elif verdict is False:
            excluded.add(group_id)
    return excluded


def _text_hits(store: SqliteStore, target: Target, keys: set[str], excluded: set[str],
               hits: Hits) -> None:
    assert target.version
    ecosystem = target.identity[0] if target.identity else None
    for key in sorted(keys):
        for group_id, record in store.records_for_product_keys([key]).get(key, []):
            if record.withdrawn or (group_id in excluded
                                    and (target.ref, group_id) not in hits):
                continue
            for entry in record.affected:
                if entry.status not in AFFECTED_STATUSES:
                    continue
                parsed = parse_product(entry.product or "")
                if parsed.key not in keys:
                    continue
                verdict = (_affects(entry, target.version, ecosystem)
                           if entry.ranges or entry.versions else
                           satisfies(target.version, parsed.clauses, key_function(ecosystem)))
                if verdict:
                    found = hits.setdefault((target.ref, group_id), {})
                    found.setdefault((record.source, record.id), "product-text")
                    break


def reference_hits(store: SqliteStore, targets: list[Target]) -> Hits:
    """Every record matching every component, evaluated one component at a time."""
    hits: Hits = {}
    keys_of = Matcher(store)  # only for the product keys naming a component
    for target in targets:
        excluded = _package_hits(store, target, hits)
        _text_hits(store, target, set(keys_of.product_keys(target)), excluded, hits)
    return hits


def real_targets(store: SqliteStore, count: int) -> list[Target]:
    """Components at versions the imported OSV records name (most are affected), PyPI and Go."""
    pairs: set[tuple[str, str, str]] = set()
    for (blob,) in store.db.execute("SELECT data FROM records WHERE source = 'osv'"):
        for entry in Advisory.decode(blob).affected:
            if entry.name and entry.ecosystem in ("PyPI", "Go"):
                versions = {*entry.versions, *(e.version for r in entry.ranges for e in r.events
                                               if e.version not in ("0", "*"))}
                pairs.update((entry.ecosystem, entry.name, v) for v in versions)
    chosen = random.Random(7).sample(sorted(pairs), count)
    kinds = {"PyPI": "pypi", "Go": "golang"}
    return [Target(ref=f"c{index}", name=name, version=version,
                   purl=f"pkg:{kinds[ecosystem]}/{name}@{version}")
            for index, (ecosystem, name, version) in enumerate(chosen)]


def test_scan_equals_a_per_component_reference(
        real_store: tuple[SqliteStore, ImportReport]) -> None:
    store = real_store[0]
    targets = real_targets(store, 3000)
    info = StoreInfo(store.path, starter_pack=False, records=store.record_count())
    result = scan(targets, store, info)
    expected = reference_hits(store, targets)
    found: Hits = {(m.target.ref, m.group_id): {(r.source, r.id): r.method for r in m.records
                                                if r.method != "alias"}
                   for m in result.matches}
    assert len(found) > 3000  # most of these versions are affected
    assert found == expected
    shared: dict[int, dict[str, object]] = {}
    for match in result.matches:
        assert match.details == match_details(match.records, match.severity_known)
        # built through its slots: the same as the dataclass's own constructor builds
        built = Match(**{f.name: getattr(match, f.name) for f in fields(Match)})
        assert built == match and repr(built) == repr(match) and built.details is match.details
        assert match_json(match, shared) == match_json(match)


def test_prepared_entries_decide_like_affects(
        real_store: tuple[SqliteStore, ImportReport]) -> None:
    """Every OSV entry, prepared once, says what :func:`affects` says of the versions it names,
    their neighbours and versions no ordering accepts."""
    store = real_store[0]
    decided = 0
    for (blob,) in store.db.execute("SELECT data FROM records WHERE source = 'osv'"):
        for entry in Advisory.decode(blob).affected:
            ecosystem = ecosystem_key(entry.ecosystem)
            named = {*entry.versions, *(e.version for r in entry.ranges for e in r.events)}
            versions = {v for n in named for v in (n, f"{n}.0", f"{n}.1", f"{n}rc1", f"v{n}")}
            versions.update(("0", "0.0.1", "1.0", "999", "not a version", "1.0.0-beta"))
            prepared = PreparedEntry(entry, ecosystem)
            for version in sorted(versions):
                assert prepared.affects(version) == affects(entry, version, ecosystem), (
                    entry, version)
                decided += 1
    assert decided > 100_000


def _split_equals_affects(entry: Affected, ecosystem: str | None, versions: set[str]) -> int:
    """Whether one entry decided for all ``versions`` at once says what it says of each."""
    prepared = PreparedEntry(entry, ecosystem)
    affected, not_affected = prepared.split(VersionSet(versions))
    for version in versions:
        found = True if version in affected else False if version in not_affected else None
        assert found == prepared.affects(version), (entry, version)
    return len(versions)


def test_entries_split_all_versions_as_they_decide_each(
        real_store: tuple[SqliteStore, ImportReport]) -> None:
    """Every OSV entry decided for many versions at once (by bisection at its events) says
    what it says of each version alone: the versions it names, their neighbours, versions no
    ordering accepts."""
    decided = 0
    for (blob,) in real_store[0].db.execute("SELECT data FROM records WHERE source = 'osv'"):
        for entry in Advisory.decode(blob).affected:
            named = {*entry.versions, *(e.version for r in entry.ranges for e in r.events)}
            versions = {v for n in named for v in (n, f"{n}.0", f"{n}.1", f"{n}rc1", f"v{n}")}
            versions.update(("0", "0.0.1", "1.0", "999", "not a version", "1.0.0-beta", "*"))
            decided += _split_equals_affects(entry, ecosystem_key(entry.ecosystem), versions)
    assert decided > 100_000


def test_random_entries_split_all_versions_as_they_decide_each() -> None:
    """Made-up entries over every ordering: events in any order and kind (ties, ``limit``,
    ``last_affected``, versions an ordering refuses), GIT ranges, listed versions."""
    chooser = random.Random(3)
    pool = ["0", "0.9", "1.0", "1.0.0", "1.0.1", "1.0.post1", "1.0-sp1", "1.1", "1.2-rc1", "1.2",
            "2.0", "2.0.0a1", "v2.1", "3", "10.0", "abc", "*"]
    decided = 0
    for _ in range(5000):
        ecosystem = chooser.choice(["PyPI", "Go", "Maven", "npm", "Debian", None])
        ranges = tuple(
            Range(chooser.choice(["ECOSYSTEM", "SEMVER", "GIT"]),
                  tuple(Event(chooser.choice(["introduced", "fixed", "last_affected", "limit"]),
                              chooser.choice(pool)) for _ in range(chooser.randint(0, 5))))
            for _ in range(chooser.randint(0, 3)))
        listed = tuple(chooser.sample(pool, chooser.randint(0, 3))) \
            if chooser.random() < 0.4 else ()
        entry = Affected(ecosystem=ecosystem, name="p", ranges=ranges, versions=listed)
        decided += _split_equals_affects(entry, ecosystem,
                                         set(chooser.sample(pool, chooser.randint(1, len(pool)))))
    assert decided > 20_000


@pytest.mark.parametrize("per_batch", [1, 5])
def test_batches_of_packages_match_as_one_component_at_a_time(
        real_store: tuple[SqliteStore, ImportReport], per_batch: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Matching in batches of packages, each record decided for all of a package's versions at
    once and then let go, finds for every component what matching it alone finds."""
    store = real_store[0]
    targets = real_targets(store, 400)
    # the same package and version twice (one decision serves both)
    targets += [new_target(f"again{n}", t.name, t.version, t.purl)
                for n, t in enumerate(targets[:40])]
    monkeypatch.setattr("stackrift.advisories.matcher.PACKAGES_PER_BATCH", per_batch)
    together = Matcher(store).match_all(targets)
    alone = Matcher(store)  # each package loaded, decided and let go again for every component
    assert sum(map(len, together)) > 400
    for target, matches in zip(targets, together, strict=True):
        assert matches == alone.match(target), target


@pytest.mark.parametrize("per_piece", [1, 7, jsonpieces.ITEMS_PER_PIECE])
def test_json_in_pieces_equals_the_whole_document(
        real_store: tuple[SqliteStore, ImportReport], per_piece: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = real_store[0]
    info = StoreInfo(store.path, starter_pack=False, records=store.record_count())
    monkeypatch.setattr(jsonpieces, "ITEMS_PER_PIECE", per_piece)
    for targets in (real_targets(store, 300), real_targets(store, 1), []):
        result = scan(targets, store, info)
        assert b"".join(scan_json_pieces(result)) == json_bytes(scan_json(result))


@pytest.mark.parametrize(("version", "purl", "vendor", "product"), [
    ("1.0", "pkg:pypi/Torch_Vision@2.0", None, None), (None, "pkg:golang/github.com/a/b@v1.2.3",
                                                       None, None),
    (None, "pkg:npm/%40scope/name", "v", "p"), ("", None, "Google", "TensorFlow"),
    (None, "not a purl", None, None)])
def test_targets_built_through_slots_equal_the_dataclass(
        version: str | None, purl: str | None, vendor: str | None, product: str | None) -> None:
    built = new_target("ref", "name", version, purl, vendor, product, ("system",))
    expected = Target("ref", "name", version, purl, vendor, product, ("system",))
    assert built == expected and repr(built) == repr(expected)
    assert built.identity == expected.identity and built.version == expected.version


def test_streamed_import_stores_what_was_stored_before(
        real_store: tuple[SqliteStore, ImportReport]) -> None:
    # the session's real store imported the three corpora by streaming
    assert IMPORTED_CONTENT["real"] == CORPORA_CONTENT_DIGEST


def test_single_process_import_stores_the_same(shared_data: Path, tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "store.sqlite") as store:
        import_paths(store, [shared_data / "osv-pypa", shared_data / "osv-go"], workers=1)
        single = content_digest(store, shared_data)
    with SqliteStore(tmp_path / "pool.sqlite") as store:
        import_paths(store, [shared_data / "osv-pypa", shared_data / "osv-go"], workers=2)
        assert content_digest(store, shared_data) == single


def test_import_holds_no_record_data_once_stored(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Records stream to the store: neither the deduplicator nor the bulk load keeps their
    encoded data (before, every record was held until the commit)."""
    prepared: list[bytes] = []

    def spy(record: Advisory) -> StoredRecord:
        stored = prepare(record)
        prepared.append(stored.data)
        return stored

    def cnvd_spy(fields: Any) -> StoredRecord:
        stored = cnvd_stored(fields)
        prepared.append(stored.data)
        return stored

    held: list[bytes] = []
    checked: list[int] = []
    groups = Correlator.moved_groups

    def at_the_end(correlator: Correlator) -> list[tuple[str, str]]:
        # every record written and indexed, commit to come: the references are the list and
        # getrefcount's argument, nothing else (the last record read may still be named by
        # the loop that read it)
        held.extend(prepared[index] for index in range(len(prepared) - 1)
                    if sys.getrefcount(prepared[index]) > 2)
        checked.append(len(prepared))
        return groups(correlator)

    monkeypatch.setattr(stored_module, "prepare", spy)
    monkeypatch.setattr(cnvd, "_stored", cnvd_spy)
    monkeypatch.setattr(store_module, "BULK_BATCH", 1, raising=False)
    monkeypatch.setattr(Correlator, "moved_groups", at_the_end)
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    for number in range(40):
        write_json(feeds / f"PYSEC-{number}.json", osv_doc(f"PYSEC-2021-{number}"))
    write_cnvd(feeds / "1.xml.gz", [cnvd_entry("CNVD-2021-1", opened="2021-01-01")])
    write_cnvd(feeds / "2.xml.gz", [cnvd_entry("CNVD-2021-1", opened="2021-03-01",
                                               title="revised")])
    with SqliteStore(tmp_path / "store.sqlite") as store:
        import_paths(store, [feeds], workers=1)
        assert store.record_count() == 41
    assert checked == [42]
    assert held == []


def test_small_import_regroups_like_a_fresh_import(tmp_path: Path) -> None:
    """A small import regroups only the groups it touches; the groups equal those of one
    import of the final records: here a revision leaves one group (splitting it) and joins
    another, and a new record links two groups."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    write_json(first / "a.json", osv_doc("PYSEC-2021-1", aliases=("CVE-2021-0001",
                                                                  "GHSA-2222-3333-4444")))
    write_json(first / "b.json", osv_doc("PYSEC-2021-2", aliases=("GHSA-2222-3333-4444",)))
    write_json(first / "c.json", osv_doc("PYSEC-2021-3", aliases=("CVE-2021-0005",)))
    write_json(first / "d.json", osv_doc("PYSEC-2021-4", aliases=("CVE-2021-0009",)))
    write_json(first / "e.json", osv_doc("PYSEC-2021-6", aliases=("CVE-2021-0100",)))
    # the revision drops CVE-2021-0001 and the shared GHSA, and names CVE-2021-0005
    write_json(second / "a.json", osv_doc("PYSEC-2021-1", aliases=("CVE-2021-0005",),
                                          modified="2022-01-01T00:00:00Z"))
    write_json(second / "f.json", osv_doc("PYSEC-2021-5", aliases=("CVE-2021-0009",
                                                                   "CVE-2021-0100")))
    with SqliteStore(tmp_path / "step.sqlite") as step:
        import_paths(step, [first])
        import_paths(step, [second])
        stepwise = step.db.execute("SELECT source, id, group_id FROM records "
                                   "ORDER BY source, id").fetchall()
    (first / "a.json").unlink()
    with SqliteStore(tmp_path / "once.sqlite") as once:
        import_paths(once, [first, second])
        assert once.db.execute("SELECT source, id, group_id FROM records "
                               "ORDER BY source, id").fetchall() == stepwise
    assert {(s, i): g for s, i, g in stepwise} == {
        ("osv", "PYSEC-2021-1"): "CVE-2021-0005", ("osv", "PYSEC-2021-2"): "GHSA-2222-3333-4444",
        ("osv", "PYSEC-2021-3"): "CVE-2021-0005", ("osv", "PYSEC-2021-4"): "CVE-2021-0009",
        ("osv", "PYSEC-2021-5"): "CVE-2021-0009", ("osv", "PYSEC-2021-6"): "CVE-2021-0009"}


@pytest.mark.parametrize("corpus", ["cnvd", "osv-pypa", "osv-go", "cnnvd"])
def test_prepared_records_equal_the_parsed_ones_prepared(shared_data: Path, corpus: str) -> None:
    """A feed's import path (``prepared``, which CNVD builds straight from the XML) gives what
    preparing its parsed records gives, record for record and rejection for rejection."""
    compared = 0
    for file in advisory_files([shared_data / corpus]):
        feed = detect(file)
        if feed is None:
            continue
        assert list(prepared_records(feed, file)) == list(prepare_all(feed.parse(file))), file
        compared += 1
    assert compared


@pytest.mark.parametrize("corpus", ["osv-pypa", "osv-go", "cnnvd"])
def test_files_read_once_for_detection_and_parsing(shared_data: Path, corpus: str) -> None:
    """An import parses a small file from the bytes its format detection read: the records
    equal those read from the file again."""
    compared = 0
    for file in advisory_files([shared_data / corpus]):
        with whole_files_kept():
            feed = detect(file)
            once = None if feed is None else list(prepared_records(feed, file))
        if feed is None:
            continue
        assert once == list(prepared_records(feed, file)), file
        compared += 1
    assert compared


def test_detected_file_is_kept_only_for_its_own_parse(tmp_path: Path) -> None:
    """Bytes kept by format detection serve the same file once, inside the block only: a file
    changed after a detection outside it, or another file, is read from disk."""
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_bytes(b'{"id": "PYSEC-2021-1"}')
    second.write_bytes(b'{"id": "PYSEC-2021-2"}')
    read_head(first)
    first.write_bytes(b'{"id": "PYSEC-2021-3"}')
    assert read_limited(first) == b'{"id": "PYSEC-2021-3"}'
    with whole_files_kept():
        read_head(first)
        assert read_limited(second) == b'{"id": "PYSEC-2021-2"}'
        first.write_bytes(b'{"id": "PYSEC-2021-4"}')
        assert read_limited(first) == b'{"id": "PYSEC-2021-3"}'  # the bytes detection read
        assert read_limited(first) == b'{"id": "PYSEC-2021-4"}'  # once
    with pytest.raises(InvalidInputError, match="limit"), whole_files_kept():
        read_head(first)
        read_limited(first, 5)  # the limit holds for kept bytes too


def test_kept_bytes_belong_to_their_thread(tmp_path: Path) -> None:
    """A block in one thread neither serves nor ends another thread's kept bytes (imports can
    run side by side in the server)."""
    import threading

    first = tmp_path / "a.json"
    first.write_bytes(b'{"id": "PYSEC-2021-1"}')
    detected, other_done = threading.Event(), threading.Event()
    seen: list[bytes] = []

    def other() -> None:
        detected.wait()
        seen.append(read_limited(first))  # no block here: read from disk
        with whole_files_kept():
            pass  # ending its own block leaves the main thread's alone
        other_done.set()

    worker = threading.Thread(target=other)
    worker.start()
    with whole_files_kept():
        read_head(first)
        first.write_bytes(b'{"id": "PYSEC-2021-2"}')
        detected.set()
        other_done.wait()
        assert read_limited(first) == b'{"id": "PYSEC-2021-1"}'  # what detection read
    worker.join()
    assert seen == [b'{"id": "PYSEC-2021-2"}']


def test_cnvd_prepared_rejects_as_parse_does(tmp_path: Path) -> None:
    write_cnvd(tmp_path / "1.xml.gz", [cnvd_entry("CNVD-2021-1", opened="2021-01-01"),
                                       cnvd_entry("CNVD-2021-2", opened="yesterday"),
                                       cnvd_entry("not-an-id", opened="2021-01-01")])
    feed = detect(tmp_path / "1.xml.gz")
    assert feed is not None
    assert isinstance(feed, PreparingFeedParser)
    prepared = list(feed.prepared(tmp_path / "1.xml.gz"))
    assert prepared == list(prepare_all(feed.parse(tmp_path / "1.xml.gz")))
    assert [type(item).__name__ for item in prepared] == ["StoredRecord", "Rejection",
                                                          "Rejection"]


def test_bulk_load_groups_equal_those_of_the_final_records(tmp_path: Path) -> None:
    """A bulk load moves rows whose groups joined and regroups what revisions touched: the
    groups equal those of the final records grouped at once (a revision here drops the CVE id
    that joined two groups, and a later record gives a group a lower CVE id)."""
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    write_cnvd(feeds / "1.xml.gz", [
        cnvd_entry("CNVD-2021-1", cves=("CVE-2021-0005", "CVE-2021-0009"), opened="2021-01-01"),
        cnvd_entry("CNVD-2021-2", cves=("CVE-2021-0009",)),
        cnvd_entry("CNVD-2021-3", cves=("CVE-2021-0020",))])
    write_cnvd(feeds / "2.xml.gz", [
        cnvd_entry("CNVD-2021-1", cves=("CVE-2021-0005",), opened="2021-03-01"),
        cnvd_entry("CNVD-2021-4", cves=("CVE-2021-0001", "CVE-2021-0020"))])
    write_json(feeds / "PYSEC-1.json", osv_doc("PYSEC-2021-1", aliases=("CVE-2021-0009",)))
    with SqliteStore(tmp_path / "store.sqlite") as store:
        import_paths(store, [feeds])
        stored = {(s, i): g for s, i, g in store.db.execute(
            "SELECT source, id, group_id FROM records")}
        ids = {(s, i): tuple(ident for (ident,) in store.db.execute(
            "SELECT ident FROM idents WHERE source = ? AND record_id = ?", (s, i)))
            for s, i in stored}
    _ident_group, expected = group_records(ids)
    assert stored == expected
    assert stored[("cnvd", "CNVD-2021-1")] == "CVE-2021-0005"
    assert stored[("cnvd", "CNVD-2021-2")] == "CVE-2021-0009"
    assert stored[("cnvd", "CNVD-2021-3")] == "CVE-2021-0001"


def test_versions_listed_under_another_spelling_are_found_by_their_digits() -> None:
    """A PyPI entry decided for many versions at once finds a version listed under another
    PEP 440 spelling (1.0 == 1.0.0 == v1.0), also when a listed version holds a newline (the
    list is then searched version by version) or a scanned one is padded with whitespace."""
    spellings = ["1.0.0", "v1.0", "1.0.post1", "1.0-1", "2.0rc1", "2.0c1", "01.02", "1.2.0.0",
                 "\n1.0", "1.0\n", " 3.0 ", "3", "10.0", "1.1", "0", "0.0", "abc", "1!1.0",
                 "1.0+local.7", "1.0+local.07", "١.٠"]
    for listed in (("1.0", "2.0rc1", "1.2", "3.0", "1.0+local.7"),
                   ("1.0.0", "v2.0-rc.1", "1.2.0", "3\n", "1.0.post1"),
                   ("1.0", "1.0\nx"), ("10", "1.0.0.0.0"), ()):
        entry = Affected(ecosystem="PyPI", name="p", versions=listed,
                         ranges=(Range("ECOSYSTEM", (Event("introduced", "5.0"),)),))
        assert _split_equals_affects(entry, "PyPI", set(spellings)) == len(spellings)
    found, _ = PreparedEntry(Affected(ecosystem="PyPI", name="p", versions=("1.0.0", "3")),
                             "PyPI").split(VersionSet(spellings))
    assert found == {"1.0.0", "v1.0", "\n1.0", "1.0\n", " 3.0 ", "3"}
    assert nonzero_digits(["1.0.10", "v2", "", "0.0", "1\n2"]) == [b"11", b"2", b"", b"", b"1",
                                                                      b"2"]
