"""OSV API: ``POST /v1/querybatch`` of 1,000 PyPI packages against the PyPA corpus.

The PyPA corpus (and the starter pack) is imported into a SQLite store (through SQLAlchemy, as a
server holds it); the OSV router is served by uvicorn in its own process; this process sends the
same batch of 1,000 queries several times and reports the latency (p50, p95) and the server's CPU
time per batch. Queries: every package the corpus names, once at a version one of its records
lists (vulnerable) and once at version 9999 (not affected), cut to 1,000.

Floor, measured in the same run: the library answering the same 1,000 queries in this process
(``OsvAnswers.answer`` on a warm store: the look-up of the packages and the scan matcher's
version decisions, without HTTP and JSON); the bare store look-up of the packages is printed
for information. Target: p50 of the batch within 3x the floor's p50 (chosen for this benchmark;
no issue sets a latency figure). A load test with many clients reuses
:func:`querybatch` and :func:`load`.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from harness import ROOT, check_limit, shared_data

ROUNDS = 20
BATCH = 1000
LIMIT = 3.0


def querybatch(client: Any, base_url: str, queries: list[dict[str, Any]]) -> float:
    """One ``POST /v1/querybatch`` with ``client`` (an ``httpx.Client``); its latency in
    seconds. Raises if the answer is not a result per query."""
    started = time.perf_counter()
    response = client.post(f"{base_url}/v1/querybatch", json={"queries": queries})
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    results = response.json()["results"]
    if len(results) != len(queries):
        raise RuntimeError(f"{len(results)} results for {len(queries)} queries")
    return elapsed


def load(base_url: str, queries: list[dict[str, Any]], *, clients: int, rounds: int,
         timeout: float = 120.0) -> list[float]:
    """``clients`` threads, each sending ``rounds`` batches of ``queries`` to ``base_url``
    (loopback only); every latency in seconds. Bounded: ``clients * rounds`` requests."""
    import httpx

    latencies: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def client_loop() -> None:
        try:
            with httpx.Client(timeout=timeout) as client:
                for _ in range(rounds):
                    elapsed = querybatch(client, base_url, queries)
                    with lock:
                        latencies.append(elapsed)
        except BaseException as exc:  # reported after the others finish
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} clients failed: {errors[0]!r}")
    return latencies


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p * len(ordered) + 0.5) - 1))]


def build_store(url: str, data: Path) -> list[dict[str, Any]]:
    """Import the PyPA corpus into ``url``; the 1,000 queries."""
    from stackrift.advisories.importer import import_paths
    from stackrift.advisories.store import open_store

    with open_store(url) as store:
        import_paths(store, [data / "osv-pypa"])
        packages = sorted(p for p in store.index().packages if p[0] == "PyPI")
        lookup = store.lookup(packages).packages
    queries: list[dict[str, Any]] = []
    for package in packages:
        listed = sorted({v for _g, r in lookup.get(package, ()) for a in r.affected
                         for v in a.versions})
        for version in ([listed[len(listed) // 2]] if listed else []) + ["9999"]:
            queries.append({"package": {"ecosystem": "PyPI", "name": package[1]},
                            "version": version})
    return queries[:BATCH]


def floor(url: str, queries: list[dict[str, Any]]) -> tuple[list[float], list[float]]:
    """In this process, ``ROUNDS`` times each, warm: the library answering the same queries
    (what the server does without HTTP and JSON), and the bare look-up of their packages."""
    from stackrift.advisories.osvapi import OsvAnswers, parse_batch, summary_object
    from stackrift.advisories.scan import catalogue_keys
    from stackrift.advisories.store import open_store
    from stackrift.catalog.catalogue import load_catalogue

    parsed = parse_batch({"queries": queries})
    keys = catalogue_keys(load_catalogue())
    packages = [q.key for q in parsed]
    answers, lookups = [], []
    with open_store(url, starter=False) as store:
        OsvAnswers(store, keys).answer(parsed)
        for _ in range(ROUNDS):
            started = time.perf_counter()
            found = OsvAnswers(store, keys).answer(parsed)
            [[summary_object(hit) for hit in hits] for hits in found]
            answers.append(time.perf_counter() - started)
            started = time.perf_counter()
            store.lookup(packages)
            lookups.append(time.perf_counter() - started)
    return answers, lookups


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(url: str, port: int) -> None:
    """The OSV router over the store at ``url`` on 127.0.0.1:``port`` (runs until killed)."""
    from contextlib import nullcontext

    import uvicorn
    from fastapi import FastAPI

    from stackrift.advisories.sqlstore import open_sql_store
    from stackrift.catalog.catalogue import load_catalogue
    from stackrift.server.osv import osv_router

    store = open_sql_store(url)
    app = FastAPI()
    app.include_router(osv_router(lambda: nullcontext(store), catalogue=load_catalogue()))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_ready(client: Any, base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited before answering")
        try:
            client.get(f"{base_url}/v1/vulns/PYSEC-0000-0")
            return
        except Exception:  # not listening yet
            time.sleep(0.2)
    raise RuntimeError("the server did not answer within 60 s")


def main() -> int:
    import httpx

    data = shared_data()
    if data is None:
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'advisories.sqlite'}"
        queries = build_store(url, data)
        floor_times, lookup_times = floor(url, queries)
        port = _free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        server = subprocess.Popen([sys.executable, __file__, "serve", url, str(port)], env=env)
        base_url = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(timeout=120) as client:
                _wait_ready(client, base_url, server)
                querybatch(client, base_url, queries)  # warm-up: caches filled
                cpu_before = _cpu_seconds(server.pid)
                latencies = [querybatch(client, base_url, queries) for _ in range(ROUNDS)]
                cpu = (_cpu_seconds(server.pid) - cpu_before) / ROUNDS
        finally:
            server.terminate()
            server.wait(timeout=30)
    p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
    base = statistics.median(floor_times)
    print(f"  querybatch of {len(queries)}: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
          f"server CPU {cpu * 1000:.0f} ms per batch, {ROUNDS} rounds", flush=True)
    print(f"  floor (the library answering the same queries in-process): p50 "
          f"{base * 1000:.0f} ms, p95 {percentile(floor_times, 0.95) * 1000:.0f} ms", flush=True)
    print(f"  (the bare store look-up of the same packages: p50 "
          f"{statistics.median(lookup_times) * 1000:.0f} ms)", flush=True)
    check_limit("osv querybatch 1,000: p50 / library floor p50", "ratio", p50 / base, LIMIT)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(main())
