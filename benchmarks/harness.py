"""Shared measuring for the benchmarks: whole commands in fresh processes, compared with a floor.

Every figure is the median of several runs (with min–max), for wall time, CPU time (user + system
of the child process and the processes it waited for, read from the kernel's accounting,
``os.wait4``, so a command that uses two processes cannot hide its cost behind wall time) and peak
resident memory of the largest process (reported by GNU time, see ``run_once``). A target compares
a command with its floor measured in the same run on the same machine and says met or missed;
``run.py`` collects the verdicts of all scripts and prints them together.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_ENV = "STACKRIFT_BENCH_RESULTS"
DEFAULT_RUNS = 5


@dataclass(frozen=True)
class Run:
    """One fresh-process run of a command."""

    wall_s: float
    cpu_s: float
    peak_mib: float


@dataclass(frozen=True)
class Measurement:
    """Several runs of one command: medians with their spread."""

    label: str
    runs: tuple[Run, ...]

    def _values(self, attribute: str) -> list[float]:
        return [getattr(run, attribute) for run in self.runs]

    def median(self, attribute: str) -> float:
        return statistics.median(self._values(attribute))

    def spread(self, attribute: str) -> tuple[float, float]:
        values = self._values(attribute)
        return min(values), max(values)

    def describe(self) -> str:
        wall_lo, wall_hi = self.spread("wall_s")
        cpu_lo, cpu_hi = self.spread("cpu_s")
        return (f"{self.label}: wall {self.median('wall_s'):.3f} s ({wall_lo:.3f}–{wall_hi:.3f}), "
                f"cpu {self.median('cpu_s'):.3f} s ({cpu_lo:.3f}–{cpu_hi:.3f}), "
                f"peak {self.median('peak_mib'):.0f} MiB, {len(self.runs)} runs")


def python(*args: str) -> list[str]:
    """A command line running this interpreter (the project's venv) with ``args``."""
    return [sys.executable, *args]


def stackrift(*args: str) -> list[str]:
    """A command line running the ``stackrift`` CLI in a fresh interpreter."""
    return python("-m", "stackrift", *args)


GNU_TIME = Path("/usr/bin/time")


def run_once(argv: Sequence[str], *, env: Mapping[str, str] | None = None,
             cwd: Path | None = None, ok_codes: Sequence[int] = (0,)) -> Run:
    """Run ``argv`` to completion, its output discarded, and read its own resource usage.

    The command is started by GNU time, which reports its peak memory: the kernel counts in a
    process's peak the memory of the process it was forked from until it runs its program
    (Linux keeps the larger), so the peak of a child of this interpreter, which holds the
    benchmark's generated inputs, would include this interpreter's size. GNU time forks the
    command from its own small process. CPU time comes from this process's accounting of the
    child and everything it waited for (GNU time's own share is about a millisecond)."""
    if not GNU_TIME.is_file():
        raise SystemExit(f"benchmarks need GNU time at {GNU_TIME} (Debian package 'time'; "
                         "`make bench` installs it)")
    with tempfile.TemporaryDirectory() as scratch:
        peak_file = Path(scratch) / "peak"
        started = time.perf_counter()
        process = subprocess.Popen([str(GNU_TIME), "-f", "%M", "-o", str(peak_file), *argv],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   env={**os.environ, **(env or {})}, cwd=cwd)
        assert process.stderr is not None
        stderr = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in ok_codes:
            raise RuntimeError(f"{' '.join(argv)} exited {process.returncode}: "
                               f"{stderr.decode(errors='replace')[-2000:]}")
        # the last line is the peak in KiB (a line before it notes a non-zero exit)
        peak_kib = int(peak_file.read_text().split()[-1])
    return Run(wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime, peak_mib=peak_kib / 1024)


def measure(label: str, argv: Sequence[str], *, runs: int = DEFAULT_RUNS,
            env: Mapping[str, str] | None = None, cwd: Path | None = None,
            ok_codes: Sequence[int] = (0,)) -> Measurement:
    """``runs`` fresh-process runs of ``argv``; one extra warm-up run fills the page cache first."""
    run_once(argv, env=env, cwd=cwd, ok_codes=ok_codes)
    measured = tuple(run_once(argv, env=env, cwd=cwd, ok_codes=ok_codes) for _ in range(runs))
    result = Measurement(label, measured)
    print(f"  {result.describe()}", flush=True)
    return result


def measure_interleaved(commands: Sequence[tuple[str, Sequence[str], Sequence[int]]], *,
                        runs: int = DEFAULT_RUNS) -> list[Measurement]:
    """:func:`measure` of several commands ``(label, argv, exit codes taken as success)`` run
    in rounds, each command once per round after a warm-up round, so that a change in the
    machine's speed during the runs lands on all of them alike (a command and its floor)."""
    for _label, argv, ok_codes in commands:  # the warm-up round fills the page cache
        run_once(argv, ok_codes=ok_codes)
    done: list[list[Run]] = [[] for _ in commands]
    for _ in range(runs):
        for runs_of, (_label, argv, ok_codes) in zip(done, commands, strict=True):
            runs_of.append(run_once(argv, ok_codes=ok_codes))
    results = [Measurement(label, tuple(runs_of))
               for runs_of, (label, _argv, _ok) in zip(done, commands, strict=True)]
    for result in results:
        print(f"  {result.describe()}", flush=True)
    return results


@dataclass(frozen=True)
class Verdict:
    """A target compared with its floor: the ratio of medians and whether it is within the limit."""

    target: str
    metric: str
    measured: float
    floor: float
    ratio: float
    limit: float
    met: bool

    def line(self) -> str:
        status = "met" if self.met else "MISSED"
        return (f"{self.target}: {self.metric} {self.measured:.3f} vs floor {self.floor:.3f} = "
                f"{self.ratio:.2f}x (limit {self.limit:g}x) -> {status}")


def check_ratio(target: str, measured: Measurement, floor: Measurement, limit: float,
                metrics: Sequence[str] = ("wall_s", "cpu_s")) -> list[Verdict]:
    """One verdict per metric: ``measured`` may cost at most ``limit`` times ``floor``."""
    verdicts = []
    for metric in metrics:
        value, base = measured.median(metric), floor.median(metric)
        ratio = value / base if base > 0 else float("inf")
        verdicts.append(record(Verdict(target, metric, value, base, ratio, limit, ratio <= limit)))
    return verdicts


def check_limit(target: str, metric: str, value: float, limit: float) -> Verdict:
    """A verdict against an absolute limit (seconds, MiB) rather than a floor."""
    ratio = value / limit if limit else float("inf")
    return record(Verdict(target, metric, value, limit, ratio, 1.0, value <= limit))


def record(verdict: Verdict) -> Verdict:
    """Print the verdict and append it to the results file ``run.py`` gathers, when one is set."""
    print(f"  TARGET {verdict.line()}", flush=True)
    path = os.environ.get(RESULTS_ENV)
    if path:
        with Path(path).open("a", encoding="utf-8") as results:
            results.write(json.dumps(asdict(verdict)) + "\n")
    return verdict


def shared_data() -> Path | None:
    """The real corpora: ``$STACKRIFT_SHARED_DATA`` or ``../shared/data`` beside the checkout.

    When absent, says so loudly: a benchmark without its corpora measures something else.
    """
    configured = os.environ.get("STACKRIFT_SHARED_DATA")
    candidate = Path(configured) if configured else ROOT.parent / "shared" / "data"
    if candidate.is_dir():
        return candidate
    print(f"!! REAL CORPORA MISSING: {candidate} does not exist; the benchmarks that need them "
          "are NOT run (set STACKRIFT_SHARED_DATA or check out beside shared/)", flush=True)
    return None


def machine() -> str:
    """One line naming the machine, for the figures written to docs."""
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")
