"""Intel benchmark: ``stackrift intel sightings`` matching 100,000 indicators against 10 million
Zeek conn.log lines (about 1.2 GB), streamed.

The data is generated in a temporary folder: a STIX bundle of 100,000 indicators (IPv4 addresses,
CIDR networks and domains) and a Zeek TSV conn.log whose lines reach a few of them. Targets: the
whole command within 60 s and 1 GiB peak memory. ``STACKRIFT_BENCH_INTEL_LINES`` sets a
smaller log for a quick run (the targets are then checked on it as they are). The time target
is checked on CPU time (the command is single-threaded, so on an idle machine wall time is the
same; on a shared one wall time measures the neighbours), and the wall time is printed beside it.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
from pathlib import Path

from harness import check_limit, measure, stackrift

INDICATORS = 100_000
LINES = int(os.environ.get("STACKRIFT_BENCH_INTEL_LINES", "10000000"))
TIME_LIMIT_S = 60.0
MEMORY_LIMIT_MIB = 1024.0
BLOCK = 100_000
# Zeek's default conn.log columns
HEADER = ("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
          "#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
          "service\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\t"
          "missed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\t"
          "tunnel_parents\n"
          "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\t"
          "string\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n")


def write_indicators(path: Path) -> None:
    """100,000 indicators: 90% single addresses, 5% /24 networks, 5% domains."""
    objects = []
    for i in range(INDICATORS):
        if i % 20 == 0:
            pattern = f"[ipv4-addr:value ISSUBSET '198.{i % 200}.{(i >> 8) % 256}.0/24']"
        elif i % 20 == 1:
            pattern = f"[domain-name:value = 'bad{i}.example']"
        else:
            pattern = f"[ipv4-addr:value = '203.{i % 256}.{(i >> 8) % 256}.{(i >> 16) % 256}']"
        objects.append({"type": "indicator", "spec_version": "2.1",
                        "id": f"indicator--00000000-0000-4000-8000-{i:012d}",
                        "pattern": pattern, "pattern_type": "stix",
                        "valid_from": "2026-01-01T00:00:00Z"})
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-"
                                "000000000000", "objects": objects}))


def write_log(path: Path, lines: int, seed: int = 11) -> None:
    """A conn.log of ``lines`` lines: one block of distinct lines written again and again."""
    rng = random.Random(seed)
    rows = []
    for i in range(min(BLOCK, lines)):
        if i % 1000 == 0:
            responder = f"203.{i % 256}.{(i >> 8) % 256}.0"  # a listed address now and then
        else:
            responder = (f"{rng.randrange(1, 197)}.{rng.randrange(256)}.{rng.randrange(256)}."
                         f"{rng.randrange(256)}")
        rows.append(f"1733300000.{i:06d}\tC{i:08x}\t10.{i % 256}.{(i >> 8) % 256}.7\t"
                    f"{40000 + i % 20000}\t{responder}\t443\ttcp\tssl\t0.53\t1200\t5400\tSF\t"
                    "T\tF\t0\tShADadFf\t12\t1680\t10\t5920\t-\n")
    block = "".join(rows).encode()
    with path.open("wb") as handle:
        handle.write(HEADER.encode())
        for _ in range(lines // len(rows)):
            handle.write(block)
        handle.write("".join(rows[: lines % len(rows)]).encode())


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        bundle, log = Path(tmp) / "indicators.json", Path(tmp) / "conn.log"
        write_indicators(bundle)
        write_log(log, LINES)
        size = log.stat().st_size / (1 << 20)
        print(f"{INDICATORS:,} indicators, {LINES:,} log lines ({size:,.0f} MiB):", flush=True)
        command = measure(f"stackrift intel sightings, {LINES:,} lines",
                          stackrift("intel", "sightings", str(bundle), "--logs", str(log),
                                    "-f", "json"), runs=1)
    check_limit(f"intel sightings {INDICATORS:,} indicators x {LINES:,} lines within "
                f"{TIME_LIMIT_S:g} s", "cpu_s", command.median("cpu_s"), TIME_LIMIT_S)
    check_limit(f"intel sightings {INDICATORS:,} indicators x {LINES:,} lines within "
                f"{MEMORY_LIMIT_MIB:g} MiB", "peak_mib", command.median("peak_mib"),
                MEMORY_LIMIT_MIB)
    return 0


if __name__ == "__main__":
    sys.exit(main())
