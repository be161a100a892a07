"""Detection without moving the data: a CN site matches 3 of 50 EU indicators; nothing of its
logs crosses the border."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from stackrift.intel.matching import indicators_from
from stackrift.intel.release import Destination, load_release_rules
from stackrift.intel.sovereign import (
    audit_record,
    canonical,
    make_digest,
    match_digest,
    release_counts,
    release_digest,
    reveal,
)

from .conftest import AS_OF

KEY = b"k" * 48
INTERNAL = ["10.8.1.15", "10.8.1.16", "192.168.40.7"]


def _eu_bundle() -> dict:
    objects = []
    for n in range(50):
        value = (f"203.0.113.{n}" if n < 40 else f"bad{n}.example.net")
        kind = "ipv4-addr" if n < 40 else "domain-name"
        objects.append({"type": "indicator", "spec_version": "2.1",
                        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
                        "name": f"eu-{n}", "pattern": f"[{kind}:value = '{value}']",
                        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
                        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z"})
    return {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000",
            "objects": objects}


def _cn_logs(folder: Path) -> list[Path]:
    conn = folder / "conn.log"
    fields = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto"
    rows = [f"1733300000.{i}\tC{i}\t{INTERNAL[i % 3]}\t5{i:04d}\t{dst}\t443\ttcp"
            for i, dst in enumerate(["203.0.113.7", "198.51.100.1", "203.0.113.7",
                                     "203.0.113.21", "8.8.8.8"])]
    conn.write_text("#separator \\x09\n#set_separator\t,\n#path\tconn\n#fields\t" + fields
                    + "\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\n"
                    + "\n".join(rows) + "\n#close\t2026-12-04-00-00-00\n")
    dns = folder / "dns.log"
    dns.write_text("#separator \\x09\n#set_separator\t,\n#path\tdns\n"
                   "#fields\tts\tuid\tid.orig_h\tid.resp_h\tquery\tanswers\n"
                   f"1.0\tD1\t{INTERNAL[0]}\t10.8.0.2\tcdn.bad45.example.net\t198.51.100.9\n"
                   f"2.0\tD2\t{INTERNAL[1]}\t10.8.0.2\tintranet.cn.corp\t-\n")
    eve = folder / "eve.json"
    eve.write_text("\n".join(json.dumps(e) for e in [
        {"timestamp": "2026-12-04T01:00:00+0800", "event_type": "flow", "src_ip": INTERNAL[2],
         "dest_ip": "203.0.113.21", "dest_port": 443},
        {"timestamp": "2026-12-04T01:00:01+0800", "event_type": "dns", "src_ip": INTERNAL[0],
         "dest_ip": "10.8.0.2", "dns": {"rrname": "ok.example.org"}}]) + "\n")
    return [conn, dns, eve]


@pytest.mark.parametrize("algorithm", ["hmac-sha256", "bloom"])
def test_eu_learns_which_three_matched_and_cn_logs_stay_home(tmp_path: Path, algorithm: str
                                                             ) -> None:
    rules = load_release_rules()
    # the EU side may send digests of addresses only with a transfer basis (pseudonymised data)
    refused, _, decision = release_digest(Destination("DE", "CN", AS_OF), rules)
    assert not refused and decision["missing_facts"] == ["transfer_lawful"]
    allowed, eu_rules, _ = release_digest(Destination("DE", "CN", AS_OF, transfer_lawful=True),
                                          rules)
    assert allowed
    indicators = indicators_from([("eu.json", _eu_bundle())])
    digest, state = make_digest(indicators, KEY, "eu-cn-soc", algorithm=algorithm)
    digest_sent = canonical(digest.to_json())
    assert orjson.loads(digest_sent)["algorithm"] == algorithm
    eu_audit = audit_record("digest", digest.to_json(), as_of=AS_OF.isoformat(),
                            direction="DE->CN", rules=eu_rules, local={"indicators": 50})

    logs = _cn_logs(tmp_path)
    counts, files = match_digest(digest, KEY, logs)
    match, cited, local = release_counts(
        digest, counts, files, Destination("CN", "DE", AS_OF), rules)
    match_sent = canonical(match.to_json())
    cn_audit = audit_record("match", match.to_json(), as_of=AS_OF.isoformat(),
                            direction="CN->DE", rules=cited, local=local)

    revealed = reveal(state, match)
    found = {r["name"]: r["count"] for r in revealed}
    assert found == {"eu-7": 2, "eu-21": 2, "eu-45": 1}
    if algorithm == "bloom":  # every count carries the stated rate of false matches
        assert all(0 < r["false_match_rate_per_value"] < 1e-6 for r in revealed)

    raw = b"".join(p.read_bytes() for p in logs)
    for sent in (digest_sent, match_sent):
        for address in [*INTERNAL, "10.8.0.2", "198.51.100.1", "8.8.8.8"]:
            assert address.encode() not in sent
        for line in raw.splitlines():
            assert line not in sent
        assert b"intranet.cn.corp" not in sent and b"cdn.bad45" not in sent
    # indicator values do not cross either: only keyed digests
    assert b"203.0.113" not in digest_sent and b"bad45" not in digest_sent
    cited_ids = {r["id"] for r in cn_audit["rules"]}
    assert {"intel.sovereign.match-counts", "intel.cn.raw-logs"} <= cited_ids
    assert cn_audit["kept_local"]["log_lines"]["action"] == "withhold"
    assert cn_audit["crossed"]["sha256"] and eu_audit["crossed"]["entries"] == 50
    assert orjson.loads(match_sent)["counts"] and all(
        set(c) == {"ref", "count"} for c in orjson.loads(match_sent)["counts"])


def test_cidr_indicators_match_through_prefix_digests(tmp_path: Path) -> None:
    bundle = {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001",
              "objects": [{"type": "indicator", "id": "indicator--00000000-0000-4000-8000-0000000"
                           "00001", "pattern": "[ipv4-addr:value ISSUBSET '203.0.113.0/24']",
                           "pattern_type": "stix"}]}
    digest, state = make_digest(indicators_from([("b", bundle)]), KEY, "c")
    counts, files = match_digest(digest, KEY, _cn_logs(tmp_path))
    match, _, _ = release_counts(digest, counts, files, Destination("CN", "DE", AS_OF),
                                 load_release_rules())
    assert reveal(state, match) == [{"indicator": "indicator--00000000-0000-4000-8000-000000000001",
                                     "name": "indicator--00000000-0000-4000-8000-000000000001",
                                     "count": 4}]


def test_bloom_digests_are_unlinkable_and_carry_no_full_digest(tmp_path: Path) -> None:
    """Two Bloom digests of the same indicators share no filter, salt or bucket list, and no
    entry holds a value's full keyed digest."""
    indicators = indicators_from([("eu.json", _eu_bundle())])
    first, _ = make_digest(indicators, KEY, "c", algorithm="bloom", false_positive_rate=1e-4)
    second, _ = make_digest(indicators, KEY, "c", algorithm="bloom", false_positive_rate=1e-4)
    assert first.bloom is not None and second.bloom is not None
    assert first.bloom.salt != second.bloom.salt and first.bloom.data != second.bloom.data
    # 50 buckets of at least 14 bits each: a few may meet by chance, the lists do not
    assert len({e.digest for e in first.entries} & {e.digest for e in second.entries}) < 3
    assert first.bloom.false_positive_rate <= 1e-4
    assert all(len(e.digest) <= 12 for e in first.entries)  # buckets, not 64-hex digests
    hmac_digest, _ = make_digest(indicators, KEY, "c")
    assert {e.digest for e in hmac_digest.entries}.isdisjoint({e.digest for e in first.entries})


def test_a_bloom_message_that_does_not_add_up_is_refused(tmp_path: Path) -> None:
    from stackrift.errors import InvalidInputError
    from stackrift.intel.sovereign import read_digest

    indicators = indicators_from([("eu.json", _eu_bundle())])
    digest, _ = make_digest(indicators, KEY, "c", algorithm="bloom")
    document = digest.to_json()
    for damage in ({"bits": document["bloom"]["bits"] * 2}, {"hashes": 10_000},
                   {"filter": "not base64!"}):
        path = tmp_path / "digest.json"
        path.write_bytes(orjson.dumps({**document, "bloom": {**document["bloom"], **damage}}))
        with pytest.raises(InvalidInputError, match="malformed digest message"):
            read_digest(path)
    path.write_bytes(orjson.dumps({**document, "algorithm": "rot13"}))
    with pytest.raises(InvalidInputError, match="digest algorithm 'rot13'"):
        read_digest(path)
    path.write_bytes(orjson.dumps(document))
    assert read_digest(path) == digest
