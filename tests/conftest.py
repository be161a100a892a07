"""Shared fixtures. Real third-party corpora live in ../shared/data beside the repository."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from stackrift.catalog.catalogue import Catalogue, load_catalogue

# A throw-away PostgreSQL cluster (fixtures postgres_cluster, postgres_url) for any test that asks.
pytest_plugins = ["tests.postgres_support"]

if TYPE_CHECKING:
    from stackrift.advisories.interface import (
        GroupView,
        RecordLookup,
        StoreDescription,
        StoreIndex,
    )
    from stackrift.advisories.model import Advisory

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("STACKRIFT_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
DEMO_ESTATE = REPO_ROOT / "src" / "stackrift" / "demo" / "estate.yaml"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real-data folder; tests that need it skip with a reason when it is absent, and fail
    under CI (which always has it beside the checkout)."""
    if not SHARED_DATA.is_dir():
        reason = f"real corpora not found at {SHARED_DATA} (set STACKRIFT_SHARED_DATA)"
        if os.environ.get("CI"):
            pytest.fail(f"the real corpora are required on CI: {reason}")
        pytest.skip(reason)
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_estate() -> Path:
    return DEMO_ESTATE


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The packaged provenance catalogue (read once per session)."""
    return load_catalogue()


@pytest.fixture(scope="session", autouse=True)
def _advisory_store_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the default advisory store (filled with the starter pack on first use) out of the
    user's data directory during tests."""
    os.environ["STACKRIFT_DB"] = str(tmp_path_factory.mktemp("store") / "advisories.sqlite")


@pytest.fixture(scope="session", autouse=True)
def _validated_copies_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the validated JSON copies of the packaged catalogue, packs and tables out of the
    user's cache folder during tests (a test that needs another folder sets its own)."""
    os.environ.setdefault("STACKRIFT_CACHE_DIR", str(tmp_path_factory.mktemp("copies")))


@pytest.fixture(scope="session", autouse=True)
def _packaged_knowledge(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests read the packaged knowledge set, never one installed in the user's data folder."""
    os.environ["STACKRIFT_KNOWLEDGE_HOME"] = str(tmp_path_factory.mktemp("knowledge-home"))
    os.environ.pop("STACKRIFT_KNOWLEDGE", None)


class FakeAdvisoryReader:
    """An in-memory :class:`~stackrift.advisories.interface.AdvisoryReader` built from a list of
    advisory records: no SQLite, no file. ``calls`` names every method asked, so a test can
    prove the code under test went through the interface."""

    def __init__(self, records: Sequence[Advisory], *, label: str | None = None) -> None:
        from stackrift.advisories.correlation import group_records
        from stackrift.advisories.store import prepare

        self.records = sorted(records, key=lambda r: (r.source, r.id))
        _ident_group, record_group = group_records({(r.source, r.id): r.ids
                                                    for r in self.records})
        self.group_of = {(r.source, r.id): record_group.get((r.source, r.id), r.id)
                         for r in self.records}
        self.meta = {"content": label} if label else {}
        self.by_package: dict[tuple[str, str], list[tuple[str, Advisory]]] = defaultdict(list)
        self.by_product: dict[str, list[tuple[str, Advisory]]] = defaultdict(list)
        for record in self.records:
            stored = prepare(record)
            group = self.group_of[(record.source, record.id)]
            for package in stored.packages:
                self.by_package[package].append((group, record))
            for key in stored.products:
                self.by_product[key].append((group, record))
        self.calls: list[str] = []

    def index(self) -> StoreIndex:
        from stackrift.advisories.interface import StoreIndex

        self.calls.append("index")
        return StoreIndex(frozenset(self.by_package), {})

    def lookup(self, packages: Iterable[tuple[str, str]] = (),
               product_keys: Iterable[str] = ()) -> RecordLookup:
        from stackrift.advisories.interface import RecordLookup

        self.calls.append("lookup")
        return RecordLookup({p: list(self.by_package[p]) for p in packages
                             if p in self.by_package},
                            {k: list(self.by_product[k]) for k in product_keys
                             if k in self.by_product})

    def groups(self, ids: Iterable[str], *, by_member: bool = False) -> dict[str, GroupView]:
        from stackrift.advisories.interface import GroupView

        self.calls.append("groups")
        found = {}
        for ident in ids:
            group = ident
            if by_member:
                group = next((self.group_of[(r.source, r.id)] for r in self.records
                              if ident.upper() in (i.upper() for i in r.ids)), "")
            members = [r for r in self.records if self.group_of[(r.source, r.id)] == group]
            if members:
                found[ident] = GroupView(group, tuple(sorted({i for r in members
                                                              for i in r.ids})),
                                         tuple(members))
        return found

    def describe(self, ecosystems: Iterable[str] = (), *, text: bool = False,
                 newest: bool = False, totals: bool = False) -> StoreDescription:
        from stackrift.advisories.interface import StoreDescription

        self.calls.append("describe")
        coverage: dict[str, dict[str, tuple[int, str | None]]] = {}
        for ecosystem in ecosystems:
            named = {(r.source, r.id): r for (eco, _n), found in self.by_package.items()
                     if eco == ecosystem for _g, r in found}
            per_source: dict[str, tuple[int, str | None]] = {}
            for record in named.values():
                count, day = per_source.get(record.source, (0, None))
                mine = (record.modified or record.published or "")[:10] or None
                per_source[record.source] = (count + 1, max(filter(None, (day, mine)),
                                                            default=None))
            coverage[ecosystem] = per_source
        return StoreDescription(records=len(self.records), meta=dict(self.meta),
                                package_coverage=coverage,
                                text_coverage={} if text else None)

    def published_dates(self) -> Iterator[tuple[str, str, str | None]]:
        self.calls.append("published_dates")
        for record in sorted(self.records, key=lambda r: (self.group_of[(r.source, r.id)],
                                                          r.source)):
            yield self.group_of[(record.source, record.id)], record.source, record.published
