"""The job table: claims (FOR UPDATE SKIP LOCKED on PostgreSQL), heartbeats, orphans."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from tests.server.conftest import BACKENDS, MINIMAL, database_url

from stackrift.server.db.engine import SessionFactory, make_engine, session_factory
from stackrift.server.db.migrate import upgrade
from stackrift.server.db.tables import Assessment, Project, utcnow
from stackrift.server.jobs import claim_next, requeue_orphans, set_progress
from stackrift.server.services import accounts, projects, uploads
from stackrift.server.services.assessments import enqueue
from stackrift.server.tenancy import SYSTEM


def _queue(backend: str, request: pytest.FixtureRequest, tmp_path: Path
           ) -> Iterator[tuple[str, SessionFactory]]:
    """A migrated database holding three queued jobs, and no worker."""
    engine = make_engine(database_url(backend, request, tmp_path))
    upgrade(engine)
    sessions = session_factory(engine)
    with sessions() as db:
        unit = accounts.create_unit(db, SYSTEM, "unit")
        project_id = projects.create_project(db, SYSTEM, unit.id, "p").id
        estate = uploads.add_upload(db, SYSTEM, project_id, uploads.UploadKind.ESTATE,
                                    "estate.yaml", MINIMAL.read_bytes())
        project = db.get(Project, project_id)
        assert project is not None
        for _ in range(3):
            enqueue(db, SYSTEM, project, estate_upload_id=estate.id, as_of=date(2026, 12, 4),
                    trigger="test")
        db.commit()
    yield backend, sessions
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str,
                                                                            SessionFactory]]:
    yield from _queue(request.param, request, tmp_path)


@pytest.fixture
def postgres_queue(request: pytest.FixtureRequest, tmp_path: Path
                   ) -> Iterator[tuple[str, SessionFactory]]:
    """SKIP LOCKED is PostgreSQL's (SQLite has one writer at a time)."""
    yield from _queue("postgresql", request, tmp_path)


def test_each_job_is_claimed_once(queue: tuple[str, SessionFactory]) -> None:
    _, sessions = queue
    claims = []
    for _ in range(4):
        with sessions() as db:
            claims.append(claim_next(db))
    assert claims[3] is None
    ids = [c[0] for c in claims[:3] if c]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert len({c[1] for c in claims[:3] if c}) == 3  # a fresh token per claim


def test_a_locked_job_is_skipped_not_waited_for(postgres_queue: tuple[str, SessionFactory]
                                                ) -> None:
    _, sessions = postgres_queue
    with sessions() as holder, sessions() as other:
        first = holder.scalar(select(Assessment.id).order_by(Assessment.id).limit(1)
                              .with_for_update())
        other.execute(text("SET lock_timeout = '3s'"))  # without SKIP LOCKED: an error
        claimed = claim_next(other)
        assert claimed is not None and claimed[0] != first
        holder.rollback()


def test_orphans_are_requeued_and_stale_claims_write_nothing(
        queue: tuple[str, SessionFactory]) -> None:
    _, sessions = queue
    with sessions() as db:
        claimed = claim_next(db)
    assert claimed is not None
    job, token = claimed
    with sessions() as db:
        assert requeue_orphans(db, lease_seconds=60, max_attempts=3) == 0  # heartbeat fresh
        db.execute(update(Assessment).where(Assessment.id == job)
                   .values(heartbeat_at=utcnow() - timedelta(minutes=5)))
        db.commit()
        assert requeue_orphans(db, lease_seconds=60, max_attempts=3) == 1
    set_progress(sessions, job, token, 50, "late news from the dead worker")
    with sessions() as db:
        row = db.get(Assessment, job)
        assert row is not None and row.status == "queued" and row.progress == 0
        assert row.claim_token is None
    # a job that keeps dying is given up on
    for _ in range(2):
        with sessions() as db:
            again = claim_next(db)
            assert again is not None and again[0] == job
            db.execute(update(Assessment).where(Assessment.id == job)
                       .values(heartbeat_at=utcnow() - timedelta(minutes=5)))
            db.commit()
            requeue_orphans(db, lease_seconds=60, max_attempts=3)
    with sessions() as db:
        row = db.get(Assessment, job)
        assert row is not None and row.status == "failed" and row.attempts == 3
        assert "abandoned after 3 attempts" in (row.error or "")
