"""The in-process job worker over the ``assessments`` table.

A job is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (so several server
processes share one queue) and by a conditional update on SQLite (one writer at a time); the
claim gets a fresh token, and a running job's heartbeat is renewed while it runs. Results are
written only under the claim token, so a job re-queued meanwhile is never finished twice. A job
whose heartbeat is older than the lease (its server was killed) goes back to the queue, up to
``max_attempts`` runs. On shutdown the worker waits for the running job for a grace period and
otherwise puts it back in the queue. Periodically it checks whether the knowledge set or the
advisory store changed and queues a re-assessment of every assessed project's newest estate.
"""

from __future__ import annotations

import logging
import secrets
import threading
import traceback
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from stackrift.errors import StackRiftError
from stackrift.server.config import ServerSettings
from stackrift.server.db.engine import SessionFactory
from stackrift.server.db.tables import Assessment, Project, ReportOutput, ServerState, utcnow

log = logging.getLogger("stackrift.server.jobs")


def requeue_orphans(db: Session, lease_seconds: float, max_attempts: int) -> int:
    """Running jobs whose heartbeat stopped go back to the queue (or fail after too many
    attempts); returns how many were re-queued."""
    cutoff = utcnow() - timedelta(seconds=lease_seconds)
    stale = (Assessment.status == "running") & (
        (Assessment.heartbeat_at.is_(None)) | (Assessment.heartbeat_at < cutoff))
    db.execute(update(Assessment).where(stale, Assessment.attempts >= max_attempts)
               .values(status="failed", claim_token=None, finished_at=utcnow(),
                       stage="failed", error=f"abandoned after {max_attempts} attempts "
                       "(the server stopped while it ran)"))
    result = db.execute(update(Assessment).where(stale).values(
        status="queued", claim_token=None, progress=0, stage="re-queued after a restart"))
    db.commit()
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        log.info("re-queued %d orphaned job(s)", count)
    return count


def claim_next(db: Session) -> tuple[int, str] | None:
    """Claim the oldest queued job; ``(assessment id, claim token)`` or ``None``."""
    candidate = db.scalar(select(Assessment.id).where(Assessment.status == "queued")
                          .order_by(Assessment.id).limit(1)
                          .with_for_update(skip_locked=True))
    if candidate is None:
        db.rollback()
        return None
    token = secrets.token_hex(16)
    now = utcnow()
    result = db.execute(update(Assessment)
                        .where(Assessment.id == candidate, Assessment.status == "queued")
                        .values(status="running", claim_token=token, heartbeat_at=now,
                                started_at=now, attempts=Assessment.attempts + 1,
                                progress=1, stage="started", error=None))
    db.commit()
    if not getattr(result, "rowcount", 0):
        return None  # another worker won it
    return candidate, token


def _owned(db: Session, assessment_id: int, token: str) -> Assessment | None:
    row = db.scalar(select(Assessment).where(Assessment.id == assessment_id)
                    .with_for_update())
    return row if row is not None and row.claim_token == token else None


def set_progress(sessions: SessionFactory, assessment_id: int, token: str, percent: int,
                 stage: str) -> None:
    with sessions() as db:
        db.execute(update(Assessment).where(Assessment.id == assessment_id,
                                            Assessment.claim_token == token)
                   .values(progress=percent, stage=stage[:200], heartbeat_at=utcnow()))
        db.commit()


def run_job(sessions: SessionFactory, settings: ServerSettings, assessment_id: int,
            token: str) -> None:
    """Run one claimed job and store its outcome (only while the claim is still ours)."""
    from stackrift.server.services.running import load_inputs, run_assessment

    with sessions() as db:
        row = db.get(Assessment, assessment_id)
        assert row is not None
        inputs = load_inputs(db, row)
    error = None
    try:
        outcome = run_assessment(
            inputs, settings.advisory_source(),
            lambda p, s: set_progress(sessions, assessment_id, token, p, s))
    except StackRiftError as exc:
        error = str(exc)
    except Exception:  # an internal error: logged with its traceback, the job fails
        log.error("assessment %d failed: %s", assessment_id, traceback.format_exc())
        error = "internal error while assessing (see the server log)"
    with sessions() as db:
        row = _owned(db, assessment_id, token)
        if row is None:
            db.rollback()
            log.info("assessment %d was re-queued while it ran; result dropped", assessment_id)
            return
        row.finished_at, row.claim_token = utcnow(), None
        if error is not None:
            row.status, row.stage, row.error = "failed", "failed", error
        else:
            for name, content in outcome.outputs.items():
                db.add(ReportOutput(assessment_id=assessment_id, format=name, content=content))
            row.status, row.stage, row.progress = "done", "done", 100
            row.knowledge_version = outcome.knowledge_version
            row.knowledge_digest = outcome.knowledge_digest
            row.advisory_fingerprint = outcome.advisory_fingerprint
            row.finding_count, row.failing_count = outcome.finding_count, outcome.failing_count
        db.commit()
    log.info("assessment %d %s", assessment_id, "failed" if error else "done")


def _state(db: Session, key: str) -> str | None:
    row = db.get(ServerState, key)
    return row.value if row is not None else None


def _set_state(db: Session, key: str, value: str) -> None:
    row = db.get(ServerState, key)
    if row is None:
        db.add(ServerState(key=key, value=value))
    else:
        row.value = value


def current_fingerprints(settings: ServerSettings) -> dict[str, str]:
    from stackrift.knowledge.sets import active_knowledge
    from stackrift.server.services.running import advisory_fingerprint

    return {"knowledge": active_knowledge().stamp().digest,
            "advisories": advisory_fingerprint(settings.advisory_source())}


def reassess_on_change(db: Session, fingerprints: dict[str, str]) -> list[int]:
    """Queue a re-assessment of each assessed project's newest estate when the knowledge set
    or advisory store differs from what the last check saw; returns the new assessment ids."""
    changed = [k for k, v in sorted(fingerprints.items())
               if _state(db, f"fingerprint:{k}") not in (None, v)]
    first = all(_state(db, f"fingerprint:{k}") is None for k in fingerprints)
    for key, value in fingerprints.items():
        _set_state(db, f"fingerprint:{key}", value)
    queued: list[int] = []
    if changed and not first:
        trigger = "+".join(f"{k}-changed" for k in changed)
        queued = [a for p in db.scalars(select(Project).where(Project.id.in_(
            select(Assessment.project_id).distinct())).order_by(Project.id))
            if (a := reassess_project(db, p, trigger)) is not None]
    db.commit()
    return queued


def reassess_project(db: Session, project: Project, trigger: str) -> int | None:
    """Queue the newest estate of the project again, unless such a job is already queued."""
    from stackrift.server.services.assessments import enqueue, latest_estate_id
    from stackrift.server.tenancy import SYSTEM

    estate = latest_estate_id(db, project.id)
    if estate is None:
        return None
    waiting = db.scalar(select(Assessment.id).where(
        Assessment.project_id == project.id, Assessment.estate_upload_id == estate,
        Assessment.status == "queued").limit(1))
    if waiting is not None:
        return None
    return enqueue(db, SYSTEM, project, estate_upload_id=estate, as_of=date.today(),
                   trigger=trigger).id


class Worker:
    """One background thread claiming and running jobs, plus the periodic change check."""

    def __init__(self, sessions: SessionFactory, settings: ServerSettings) -> None:
        self.sessions = sessions
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._current: tuple[int, str] | None = None
        self._lock = threading.Lock()
        self._next_check = 0.0

    def start(self) -> None:
        with self.sessions() as db:
            requeue_orphans(db, self.settings.job_lease_seconds, self.settings.max_attempts)
        self._thread = threading.Thread(target=self._loop, name="stackrift-jobs", daemon=True)
        self._thread.start()

    def stop(self, grace: float) -> None:
        """Let the running job finish within ``grace`` seconds, else put it back in the queue."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(grace)
        with self._lock:
            current = self._current
        if current is not None:
            with self.sessions() as db:
                db.execute(update(Assessment).where(Assessment.id == current[0],
                                                    Assessment.claim_token == current[1])
                           .values(status="queued", claim_token=None, progress=0,
                                   stage="re-queued at shutdown",
                                   attempts=Assessment.attempts - 1))
                db.commit()
            log.info("assessment %d re-queued at shutdown", current[0])

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception:  # the worker must outlive database hiccups; logged, retried
                log.error("job worker error: %s", traceback.format_exc())
                worked = False
            if not worked:
                self._stop.wait(self.settings.poll_seconds)

    def _heartbeat(self, assessment_id: int, token: str, done: threading.Event) -> None:
        interval = max(self.settings.job_lease_seconds / 3, 0.2)
        while not done.wait(interval):
            set_progress_heartbeat(self.sessions, assessment_id, token)

    def run_once(self) -> bool:
        """Recover orphans, check for changes when due, run at most one job."""
        import time

        with self.sessions() as db:
            requeue_orphans(db, self.settings.job_lease_seconds, self.settings.max_attempts)
            if time.monotonic() >= self._next_check:
                self._next_check = time.monotonic() + self.settings.recheck_seconds
                reassess_on_change(db, current_fingerprints(self.settings))
            claimed = claim_next(db)
        if claimed is None:
            return False
        with self._lock:
            self._current = claimed
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(*claimed, done), daemon=True)
        beat.start()
        try:
            run_job(self.sessions, self.settings, *claimed)
        finally:
            done.set()
            with self._lock:
                self._current = None
        return True


def set_progress_heartbeat(sessions: SessionFactory, assessment_id: int, token: str) -> None:
    with sessions() as db:
        db.execute(update(Assessment).where(Assessment.id == assessment_id,
                                            Assessment.claim_token == token)
                   .values(heartbeat_at=utcnow()))
        db.commit()
