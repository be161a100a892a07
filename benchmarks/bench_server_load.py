"""The server under load, on PostgreSQL: OSV batch queries and estate uploads at once.

A throw-away PostgreSQL cluster is started; the PyPA advisories from ``../shared/data`` are
imported into it (``stackrift db import --db URL``); ``stackrift serve`` runs on it (server
tables and advisory store in the same database). Then, for ``STACKRIFT_BENCH_LOAD_SECONDS``
(60 by default), 50 clients each send ``POST /v1/querybatch`` with 1,000 packages in a loop while
5 clients upload estates (each a different version) in a loop. Reported: requests, p50/p95/max
latency of each kind. Targets: no error (every response 2xx), no lost upload (every upload the
server acknowledged is listed afterwards with the content sent).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml
from harness import ROOT, check_limit, shared_data, stackrift

sys.path.insert(0, str(ROOT))
from tests.postgres_support import throwaway_cluster

QUERY_CLIENTS = 50
UPLOAD_CLIENTS = 5
PACKAGES_PER_BATCH = 1000
DEMO_ESTATE = ROOT / "src" / "stackrift" / "demo" / "estate.yaml"


@dataclass
class Tally:
    """Latencies and failures of one kind of request, shared by its client threads."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies.append(seconds)
            if error:
                self.errors.append(error)

    def describe(self, label: str) -> str:
        if not self.latencies:
            return f"{label}: no requests"
        ordered = sorted(self.latencies)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        return (f"{label}: {len(ordered)} requests, p50 {statistics.median(ordered):.3f} s, "
                f"p95 {p95:.3f} s, max {ordered[-1]:.3f} s, errors {len(self.errors)}")


def batch_queries(corpus: Path) -> list[dict[str, object]]:
    """1,000 (package, version) queries from the PyPA records: an affected version where a record
    lists one, else a version no record names."""
    queries: list[dict[str, object]] = []
    for folder in sorted((corpus / "vulns").iterdir()):
        version = "0.0.0.dev0"
        for record_file in sorted(folder.glob("*.yaml"))[:1]:
            record = yaml.safe_load(record_file.read_text(encoding="utf-8"))
            for affected in record.get("affected") or []:
                versions = affected.get("versions") or []
                if versions:
                    version = str(versions[-1])
                    break
        queries.append({"package": {"name": folder.name, "ecosystem": "PyPI"},
                        "version": version})
    while len(queries) < PACKAGES_PER_BATCH:
        queries.extend(queries[: PACKAGES_PER_BATCH - len(queries)])
    return queries[:PACKAGES_PER_BATCH]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(base: str, server: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} before it was ready")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server was not ready in time")


def _token(data_dir: Path) -> str:
    text = (data_dir / "first-admin.txt").read_text(encoding="utf-8")
    return next(line.split(":", 1)[1].strip() for line in text.splitlines()
                if line.startswith("API token:"))


def _loop(until: float, action: Callable[[], str | None], tally: Tally) -> None:
    while time.monotonic() < until:
        started = time.perf_counter()
        try:
            error = action()
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        tally.add(time.perf_counter() - started, error)


def _run_load(base: str, token: str, project: int, queries: list[dict[str, object]],
              seconds: float) -> tuple[Tally, Tally, dict[int, bytes]]:
    headers = {"Authorization": f"Bearer {token}"}
    queried, uploaded = Tally(), Tally()
    acknowledged: dict[int, bytes] = {}
    estate = DEMO_ESTATE.read_bytes()
    counter = iter(range(10**9))
    counter_lock = threading.Lock()
    until = time.monotonic() + seconds

    def query(client: httpx.Client) -> str | None:
        response = client.post(f"{base}/v1/querybatch", json={"queries": queries})
        return None if response.status_code == 200 else f"querybatch {response.status_code}"

    def upload(client: httpx.Client) -> str | None:
        with counter_lock:
            number = next(counter)
        content = estate + f"\n# load upload {number}\n".encode()
        response = client.post(f"{base}/api/v1/projects/{project}/uploads",
                               data={"kind": "estate", "name": "estate.yaml"},
                               files={"file": ("estate.yaml", content)})
        if response.status_code != 201:
            return f"upload {response.status_code}: {response.text[:200]}"
        with counter_lock:
            acknowledged[int(response.json()["id"])] = content
        return None

    def client_thread(action: Callable[[httpx.Client], str | None], tally: Tally) -> None:
        with httpx.Client(headers=headers, timeout=300) as client:
            _loop(until, lambda: action(client), tally)

    threads = [threading.Thread(target=client_thread, args=(query, queried))
               for _ in range(QUERY_CLIENTS)]
    threads += [threading.Thread(target=client_thread, args=(upload, uploaded))
                for _ in range(UPLOAD_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return queried, uploaded, acknowledged


def _lost_uploads(base: str, token: str, acknowledged: dict[int, bytes]) -> int:
    lost = 0
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        for upload_id, content in acknowledged.items():
            response = client.get(f"{base}/api/v1/uploads/{upload_id}/content")
            if response.status_code != 200 or response.content != content:
                lost += 1
    return lost


def _setup(base: str, token: str) -> int:
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        unit = client.post(f"{base}/api/v1/units", json={"name": "load"})
        unit.raise_for_status()
        project = client.post(f"{base}/api/v1/projects",
                              json={"unit_id": unit.json()["id"], "name": "load"})
        project.raise_for_status()
        return int(project.json()["id"])


def main() -> int:
    data = shared_data()
    if data is None:
        return 1
    seconds = float(os.environ.get("STACKRIFT_BENCH_LOAD_SECONDS", "60"))
    with throwaway_cluster() as cluster, tempfile.TemporaryDirectory() as scratch:
        url = cluster.create_database("stackrift")
        subprocess.run(stackrift("db", "import", str(data / "osv-pypa"), "--db", url),
                       check=True, capture_output=True)
        port, data_dir = _free_port(), Path(scratch)
        base = f"http://127.0.0.1:{port}"
        log = (data_dir / "server.log").open("wb")
        server = subprocess.Popen(
            stackrift("serve", "--database", url, "--advisory-db", url, "--port", str(port),
                      "--data-dir", str(data_dir)), stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(base, server)
            print("  server ready", flush=True)
            token = _token(data_dir)
            project = _setup(base, token)
            print("  project made", flush=True)
            queries = batch_queries(data / "osv-pypa")
            queried, uploaded, acknowledged = _run_load(base, token, project, queries, seconds)
            lost = _lost_uploads(base, token, acknowledged)
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                print("  !! the server did not stop within 60 s of SIGTERM", flush=True)
            log.close()
            print((data_dir / "server.log").read_text(errors="replace")[-3000:], flush=True)
    print(f"  {QUERY_CLIENTS} query clients ({PACKAGES_PER_BATCH} packages per batch) and "
          f"{UPLOAD_CLIENTS} upload clients for {seconds:g} s on PostgreSQL", flush=True)
    print("  " + queried.describe("POST /v1/querybatch"), flush=True)
    print("  " + uploaded.describe("POST uploads"), flush=True)
    for error in (queried.errors + uploaded.errors)[:5]:
        print(f"  error: {error}", flush=True)
    check_limit("server load: failed requests", "count",
                len(queried.errors) + len(uploaded.errors), 0)
    check_limit("server load: lost uploads", "count", lost, 0)
    if not queried.latencies or not acknowledged:
        print("  !! no request of one kind completed", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
