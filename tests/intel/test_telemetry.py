"""Log readers: every format, located problems, never silent, bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from stackrift.errors import InvalidInputError
from stackrift.intel.matching import check_complex, indicators_from, match_logs
from stackrift.intel.telemetry import MAX_LINE, ReadStats
from stackrift.intel.telemetry.formats import read_events


def _events(path: Path, strict: bool = False) -> tuple[list, ReadStats]:
    stats = ReadStats(str(path), strict=strict)
    return list(read_events(path, stats)), stats


def test_zeek_tsv_http_and_files(tmp_path: Path) -> None:
    log = tmp_path / "http.log"
    log.write_text("#separator \\x09\n#set_separator\t,\n#fields\tts\tid.orig_h\tid.resp_h\thost"
                   "\tusername\n1\t10.0.0.1\t198.51.100.2\tevil.example\t-\n"
                   "2\t10.0.0.2\t198.51.100.3\t(empty)\tzhang\n3\tshort\n")
    events, stats = _events(log)
    assert [e.observables for e in events] == [
        (("ip", "10.0.0.1"), ("ip", "198.51.100.2"), ("domain", "evil.example")),
        (("ip", "10.0.0.2"), ("ip", "198.51.100.3"), ("user", "zhang"))]
    assert stats.unreadable == 1
    assert str(stats.problems[0]).startswith(f"{log}:6:1: 2 columns where #fields names 5")


def test_zeek_json_and_syslog_cef(tmp_path: Path) -> None:
    zeek = tmp_path / "dns.json"
    zeek.write_text(json.dumps({"ts": 1.0, "id.orig_h": "10.0.0.1", "id.resp_h": "10.0.0.53",
                                "query": "bad.example", "answers": ["192.0.2.1", "cdn.x"]})
                    + "\nnot json\n")
    events, stats = _events(zeek)
    assert set(events[0].observables) == {("ip", "10.0.0.1"), ("ip", "10.0.0.53"),
                                          ("domain", "bad.example"), ("ip", "192.0.2.1"),
                                          ("domain", "cdn.x")}
    assert stats.unreadable == 1 and "dns.json:2:1: not JSON" in str(stats.problems[0])
    cef = tmp_path / "fw.log"
    cef.write_text("Dec  4 01:00:00 fw CEF:0|Vendor|FW|1.0|100|Blocked|5|src=10.0.0.9 "
                   "dst=203.0.113.5 suser=li.na request=http://evil.example/a\n"
                   "Dec  4 01:00:01 host sshd[1]: Failed password from 192.0.2.77 port 22\n"
                   "Dec  4 01:00:02 fw CEF:0|Vendor|FW\n")
    events, stats = _events(cef)
    assert set(events[0].observables) == {("ip", "10.0.0.9"), ("ip", "203.0.113.5"),
                                          ("user", "li.na"), ("url", "http://evil.example/a")}
    assert events[1].observables == (("ip", "192.0.2.77"),)
    assert stats.unreadable == 1 and "CEF header with 3 of 8 fields" in str(stats.problems[0])


def test_invalid_utf8_and_overlong_lines_are_counted_or_refused(tmp_path: Path) -> None:
    log = tmp_path / "eve.json"
    log.write_bytes(b'{"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2"}\n'
                    b'{"event_type":"flow","src_ip":"\xc3\x28"}\n'
                    + b'{"event_type":"flow","x":"' + b"a" * (MAX_LINE + 10) + b'"}\n'
                    + b'{"event_type":"flow","src_ip":"10.0.0.3","dest_ip":"10.0.0.4"}\n')
    events, stats = _events(log)
    assert [e.line for e in events] == [1, 4]
    assert stats.unreadable == 2
    assert [p.location.line for p in stats.problems] == [2, 3]
    with pytest.raises(InvalidInputError, match=r"eve.json:2:1: invalid UTF-8 at byte 32"):
        _events(log, strict=True)


def test_unrecognised_log_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    with pytest.raises(InvalidInputError, match="empty or unrecognised log"):
        _events(empty)


@pytest.mark.parametrize(("pattern", "message"), [
    ("[" * 40 + "ipv4-addr:value = '1.2.3.4'" + "]" * 40, "nests 40 levels deep"),
    ("[ipv4-addr:value = '1.2.3.4'] REPEATS 1000000 TIMES", "repeats 1000000 times"),
    ("[ipv4-addr:value = '" + "1" * 5000 + "']", "pattern of 5,"),
    ("[ipv4-addr:value === '1']", "invalid STIX pattern"),
])
def test_expensive_or_malformed_patterns_are_refused(pattern: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        check_complex(pattern, "partner.json")


def test_complex_patterns_match_through_stix2_matcher(tmp_path: Path) -> None:
    bundle = {"type": "bundle", "objects": [{
        "type": "indicator", "id": "indicator--00000000-0000-4000-8000-000000000001",
        "pattern": "[ipv4-addr:value ISSUBSET '198.51.100.0/24' AND "
                   "ipv4-addr:value != '198.51.100.8']",
        "pattern_type": "stix"}]}
    log = tmp_path / "eve.json"
    log.write_text('{"event_type":"flow","src_ip":"10.0.0.5","dest_ip":"198.51.100.7"}\n'
                   '{"event_type":"flow","src_ip":"10.0.0.6","dest_ip":"198.51.100.8"}\n')
    result = match_logs(indicators_from([("b", bundle)]), [log])
    assert dict(result.counts) == {"indicator--00000000-0000-4000-8000-000000000001": 1}


def test_large_log_streams_in_bounded_memory(tmp_path: Path) -> None:
    """A 160 MiB log (one 128 MiB line, then ordinary lines) is read in a fresh interpreter
    whose peak memory stays far below the file's size."""
    log = tmp_path / "big.json"
    line = b'{"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"203.0.113.5"}\n'
    with log.open("wb") as handle:
        handle.write(b'{"event_type":"flow","pad":"')
        chunk = b"x" * (1 << 20)
        for _ in range(128):
            handle.write(chunk)
        handle.write(b'"}\n')
        handle.write(line * (32 * (1 << 20) // len(line)))
    script = textwrap.dedent(f"""
        import json
        from pathlib import Path

        def high_water_mib():  # VmHWM starts afresh at exec, unlike ru_maxrss
            for row in Path("/proc/self/status").read_text().splitlines():
                if row.startswith("VmHWM:"):
                    return int(row.split()[1]) // 1024
            raise SystemExit("no VmHWM")

        from stackrift.intel.matching import indicators_from, match_logs
        import stackrift.intel.telemetry.formats
        base = high_water_mib()
        bundle = {{"type": "bundle", "objects": [{{"type": "ipv4-addr", "value": "203.0.113.5",
                   "id": "ipv4-addr--00000000-0000-4000-8000-000000000001"}}]}}
        result = match_logs(indicators_from([("b", bundle)]), [Path({str(log)!r})])
        peak = high_water_mib()
        print(json.dumps({{"count": sum(result.counts.values()),
                          "unreadable": result.unreadable, "peak_mib": peak,
                          "base_mib": base}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, timeout=300)
    measured = json.loads(done.stdout)
    assert measured["unreadable"] == 1
    assert measured["count"] == 32 * (1 << 20) // len(line)
    # the reader holds at most one line (1 MiB) plus buffers: far below the 160 MiB file
    assert measured["peak_mib"] - measured["base_mib"] < 32, measured
    assert measured["peak_mib"] < 100, measured


def test_ipv6_spellings_match(tmp_path: Path) -> None:
    bundle = {"type": "bundle", "objects": [{
        "type": "indicator", "id": "indicator--00000000-0000-4000-8000-000000000001",
        "pattern": "[ipv6-addr:value = '2001:db8::7']", "pattern_type": "stix"}]}
    log = tmp_path / "eve.json"
    log.write_text('{"event_type":"flow","src_ip":"2001:0db8:0000:0000:0000:0000:0000:0007",'
                   '"dest_ip":"fe80::1"}\n')
    assert sum(match_logs(indicators_from([("b", bundle)]), [log]).counts.values()) == 1


def test_remembered_addresses_match_as_a_fresh_look_up(monkeypatch: pytest.MonkeyPatch) -> None:
    # a matcher remembers each address's hits (and starts again when its memo is full): every
    # answer must be what a matcher that never saw the address gives
    import random

    from stackrift.intel import matching
    from stackrift.intel.telemetry import Event

    def indicator(index: int, pattern: str) -> dict[str, str]:
        return {"type": "indicator", "id": f"indicator--00000000-0000-4000-8000-{index:012d}",
                "pattern": pattern, "pattern_type": "stix"}

    objects = [indicator(1, "[ipv4-addr:value = '198.51.100.7']"),
               indicator(2, "[ipv4-addr:value ISSUBSET '198.51.100.0/24']"),
               indicator(3, "[ipv4-addr:value ISSUBSET '198.51.0.0/16']"),
               indicator(4, "[ipv6-addr:value = '2001:db8::7']"),
               indicator(5, "[ipv6-addr:value ISSUBSET '2001:db8::/32']"),
               indicator(6, "[domain-name:value = 'evil.example']")]
    indicators = indicators_from([("b", {"type": "bundle", "objects": objects})])
    rng = random.Random(5)
    addresses = ["198.51.100.7", "198.51.100.8", "198.51.7.1", "203.0.113.9", "not an address",
                 "2001:0db8::0007", "2001:db8::8", "fe80::1", "10.0.0.1"]
    events = [Event(line, tuple(("ip", rng.choice(addresses)) for _ in range(rng.randrange(4)))
                    + (("domain", "www.evil.example"),) * rng.randrange(2))
              for line in range(400)]
    monkeypatch.setattr(matching, "ADDRESS_MEMO", 3)  # starts again many times
    remembering = matching.Matcher(indicators)
    found = [remembering.hits(event) for event in events]
    assert found == [matching.Matcher(indicators).hits(event) for event in events]
    assert {"indicator--00000000-0000-4000-8000-000000000001",
            "indicator--00000000-0000-4000-8000-000000000005"} <= set().union(*found)
    assert len(remembering._addresses) <= 3


def test_indicators_no_log_could_match_are_named(tmp_path: Path) -> None:
    """A file-hash indicator against connection logs could not match: a caveat says so (and
    none once a log carries hashes); the address indicator is matched as usual."""
    digest = "a" * 64
    bundle = {"type": "bundle", "objects": [
        {"type": "indicator", "id": "indicator--00000000-0000-4000-8000-000000000001",
         "pattern": "[ipv4-addr:value = '198.51.100.2']", "pattern_type": "stix"},
        {"type": "indicator", "id": "indicator--00000000-0000-4000-8000-000000000002",
         "pattern": f"[file:hashes.'SHA-256' = '{digest}']", "pattern_type": "stix"}]}
    conn = tmp_path / "conn.log"
    conn.write_text("#fields\tts\tid.orig_h\tid.resp_h\n1\t10.0.0.1\t198.51.100.2\n")
    result = match_logs(indicators_from([("b", bundle)]), [conn])
    assert dict(result.counts) == {"indicator--00000000-0000-4000-8000-000000000001": 1}
    assert [str(c) for c in result.caveats] == [
        "indicator--00000000-0000-4000-8000-000000000002: no event of the logs read carries a "
        "file hash, so it could not match: not seen is not absent"]
    files = tmp_path / "files.log"
    files.write_text(f"#fields\tts\tsha256\n1\t{'b' * 64}\n")
    assert match_logs(indicators_from([("b", bundle)]), [conn, files]).caveats == []
