"""Store faults are said plainly (exit 2) and leave the store unchanged: another process's
lock (after a bounded wait, naming the holder), a full disk, a read-only store; and an import
killed with SIGKILL leaves no worker processes behind."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stackrift.advisories.store import SqliteStore
from stackrift.cli import main

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _osv(folder: Path, count: int, start: int = 0, pad: int = 2000) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(start, start + count):
        (folder / f"PYSEC-2030-{n}.json").write_text(json.dumps({
            "id": f"PYSEC-2030-{n}", "modified": "2030-01-01T00:00:00Z", "details": "d" * pad,
            "affected": [{"package": {"ecosystem": "PyPI", "name": f"pkg{n}"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [
                              {"introduced": "0"}, {"fixed": "1.0"}]}]}]}))
    return folder


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Path, tuple[object, ...]]:
    db = tmp_path / "store.sqlite"
    with pytest.raises(SystemExit) as caught:
        main(["db", "import", "--db", str(db), str(_osv(tmp_path / "seed", 3))])
    assert caught.value.code == 0
    with SqliteStore(db) as store:
        return db, store.fingerprint()


def _fingerprint(db: Path) -> tuple[object, ...]:
    with SqliteStore(db) as store:
        return store.fingerprint()


def _cli(*args: str, **popen: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "STACKRIFT_DB_TIMEOUT": "1"}
    return subprocess.run([sys.executable, "-m", "stackrift", *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False, **popen)  # type: ignore[call-overload]


HOLDER = textwrap.dedent("""
    import sys, time
    from stackrift.advisories.importer import stored_records
    from stackrift.advisories.model import ImportReport
    from stackrift.advisories.store import SqliteStore
    from pathlib import Path

    store = SqliteStore(sys.argv[1])
    report = ImportReport()

    def records():
        yield from stored_records([Path(sys.argv[2])], report)
        print("holding", flush=True)
        time.sleep(60)  # the import is still running: the write lock is held

    store.apply_import(records(), report)
""")


@pytest.fixture
def importing(seeded: tuple[Path, tuple[object, ...]], tmp_path: Path
              ) -> Iterator[subprocess.Popen[str]]:
    """An import in another process, holding the store's write lock."""
    feed = _osv(tmp_path / "more", 2, start=100)
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(seeded[0]), str(feed)],
                               stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": SRC})
    assert process.stdout is not None and process.stdout.readline().strip() == "holding"
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def test_second_import_waits_then_names_the_holder(
        seeded: tuple[Path, tuple[object, ...]], importing: subprocess.Popen[str],
        tmp_path: Path) -> None:
    db, before = seeded
    started = time.monotonic()
    result = _cli("db", "import", "--db", str(db), str(_osv(tmp_path / "other", 2, start=200)))
    assert result.returncode == 2, result.stderr
    assert "locked" in result.stderr and f"process {importing.pid}" in result.stderr
    assert "Traceback" not in result.stderr and "database is locked" not in result.stderr
    assert time.monotonic() - started >= 1.0  # it waited for the lock first
    importing.kill()
    importing.wait()
    assert _fingerprint(db) == before


def test_scan_during_an_import_reads_the_last_committed_store(
        seeded: tuple[Path, tuple[object, ...]], importing: subprocess.Popen[str],
        tmp_path: Path) -> None:
    sbom = tmp_path / "requirements.txt"
    sbom.write_text("pkg1==0.5\n")
    result = _cli("scan", str(sbom), "--db", str(seeded[0]), "-f", "json")
    assert result.returncode in (0, 1), result.stderr  # a scan, not a lock error
    assert [f["group"] for f in json.loads(result.stdout)["findings"]] == ["PYSEC-2030-1"]


def test_scan_against_an_exclusively_locked_store_says_so(
        seeded: tuple[Path, tuple[object, ...]], tmp_path: Path) -> None:
    locker = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sqlite3, sys, time
        db = sqlite3.connect(sys.argv[1], isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        print("locked", flush=True)
        time.sleep(60)
    """), str(seeded[0])], stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        sbom = tmp_path / "requirements.txt"
        sbom.write_text("pkg1==0.5\n")
        result = _cli("scan", str(sbom), "--db", str(seeded[0]))
        assert result.returncode == 2, result.stderr
        assert "locked: another program holds it" in result.stderr
    finally:
        locker.kill()
        locker.wait()


def test_full_disk_is_named_and_the_store_is_unchanged(
        seeded: tuple[Path, tuple[object, ...]], tmp_path: Path) -> None:
    db, before = seeded
    feed = _osv(tmp_path / "big", 300, start=1000)
    limit = db.stat().st_size + 50_001  # a real limit on file size, enforced by the kernel

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = _cli("db", "import", "--db", str(db), str(feed), preexec_fn=small_disk)
    assert result.returncode == 2, result.stderr
    assert "disk full" in result.stderr and "store is unchanged" in result.stderr
    assert "cannot rollback" not in result.stderr and "Traceback" not in result.stderr
    assert _fingerprint(db) == before


def _read_only(db: Path) -> list[str]:
    """The command prefix that runs a process unable to write ``db``."""
    db.chmod(0o444)
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a read-only file cannot be simulated")
    caps = "-dac_override,-dac_read_search,-fowner"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]


def test_read_only_store_is_named_and_unchanged(
        seeded: tuple[Path, tuple[object, ...]], tmp_path: Path) -> None:
    db, before = seeded
    prefix = _read_only(db)
    env = {**os.environ, "PYTHONPATH": SRC}
    result = subprocess.run([*prefix, sys.executable, "-m", "stackrift", "db", "import", "--db",
                             str(db), str(_osv(tmp_path / "new", 2, start=300))],
                            capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 2, result.stderr
    assert "read-only" in result.stderr and "Traceback" not in result.stderr
    db.chmod(0o644)
    assert _fingerprint(db) == before


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found.update(int(p) for p in text.split())
    return found


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie has exited


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_killed_import_leaves_no_workers(tmp_path: Path, method: str) -> None:
    feed = _osv(tmp_path / "feed", 64)
    script = textwrap.dedent("""
        import sys, threading, time
        if sys.argv[3] == "spawn":  # another thread makes the importer spawn its workers
            threading.Thread(target=time.sleep, args=(120,), daemon=True).start()
        from pathlib import Path
        from stackrift.advisories.importer import stored_records
        from stackrift.advisories.model import ImportReport
        records = stored_records([Path(sys.argv[1])], ImportReport(), workers=int(sys.argv[2]))
        next(records)
        print("workers started", flush=True)
        time.sleep(120)
    """)
    process = subprocess.Popen([sys.executable, "-c", script, str(feed), "2", method],
                               stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": SRC})
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "workers started"
        workers = _children(process.pid)
        assert len(workers) >= 2
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 10
        while any(_running(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if _running(w)]
    finally:
        process.kill()
        process.wait()
