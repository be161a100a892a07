"""Hostile input to the intel readers: whatever the bytes, an input error (exit 2) or a result,
never a crash. Derandomized and bounded, like tests/hardening."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackrift.errors import InputError
from stackrift.intel.bundles import parse_bundle
from stackrift.intel.matching import indicators_from, match_logs
from stackrift.intel.release import Destination, load_release_rules
from stackrift.intel.release_bundle import release
from stackrift.intel.sovereign import read_digest, read_match
from stackrift.intel.stix_out import export_bundle

from .conftest import AS_OF

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=150,
                suppress_health_check=list(HealthCheck))
texts = st.one_of(st.sampled_from(["\ud800", "\x1b[2J", "", "1e999", "x" * 300, "--", "'",
                                   "[", "203.0.113.5", "::1", "10.0.0.0/8", "a" * 70]),
                  st.text(max_size=10))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=False, allow_infinity=False), texts)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)), max_leaves=8)


def _mutate(document: Any, data: st.DataObject) -> Any:
    objects = document["objects"]
    index = data.draw(st.integers(0, len(objects) - 1))
    target = objects[index]
    key = data.draw(st.sampled_from(sorted(target)))
    if data.draw(st.booleans()):
        target[key] = data.draw(values)
    else:
        del target[key]
    return document


@pytest.fixture(scope="module")
def valid_bundle() -> dict[str, Any]:
    from stackrift.intel.sources import ComponentInfo, ExportSource, SystemInfo

    from .conftest import vulnerability_finding

    source = ExportSource(
        path="e", as_of=AS_OF, organisation="O",
        findings=(vulnerability_finding("CVE-2025-1", ["CVE-2025-1"], "c", disclosed=False),),
        systems=(SystemInfo("cn-edge", "Edge", "CN", "CN"),),
        components=(ComponentInfo("c", "c", "1", "V", "pkg:generic/c@1", None, "CN"),))
    bundle = export_bundle(source)
    bundle["objects"].append({"type": "indicator", "spec_version": "2.1",
                              "id": "indicator--00000000-0000-4000-8000-000000000001",
                              "pattern": "[ipv4-addr:value = '203.0.113.5']",
                              "pattern_type": "stix"})
    return bundle


@FUZZ
@given(data=st.data())
def test_mutated_bundles_give_a_result_or_an_input_error(valid_bundle: dict[str, Any],
                                                         data: st.DataObject) -> None:
    document = _mutate(json.loads(json.dumps(valid_bundle)), data)
    try:
        bundle = parse_bundle(json.dumps(document).encode(), "partner.json")
        release(bundle, Destination("CN", "DE", AS_OF, recipient_in_community=True),
                load_release_rules())
        indicators_from([("partner.json", bundle)])
    except InputError:
        pass


@FUZZ
@given(lines=st.lists(st.one_of(st.binary(max_size=80), st.sampled_from([
    b"#fields\tts\tid.orig_h\tquery\tanswers", b"#set_separator\t", b"{\"event_type\":1}",
    b"CEF:0|a|b", b"{\"dns\":{\"queries\":[1,{\"rrname\":2}]},\"event_type\":\"dns\"}",
    b"1\t10.0.0.1\tx\t::1,\xff", b"{\"id.orig_h\":[1,\"a\"]}"])), max_size=8))
def test_arbitrary_log_bytes_never_crash(tmp_path_factory: pytest.TempPathFactory,
                                         lines: list[bytes]) -> None:
    log = tmp_path_factory.mktemp("log") / "x.log"
    log.write_bytes(b"\n".join(lines))
    bundle = {"type": "bundle", "objects": [{"type": "ipv4-addr", "value": "10.0.0.1",
                                             "id": "ipv4-addr--00000000-0000-4000-8000-"
                                             "000000000001"}]}
    with contextlib.suppress(InputError):
        match_logs(indicators_from([("b", bundle)]), [log])


@FUZZ
@given(document=values)
def test_arbitrary_messages_are_input_errors(tmp_path_factory: pytest.TempPathFactory,
                                             document: Any) -> None:
    path: Path = tmp_path_factory.mktemp("m") / "m.json"
    for kind in ("stackrift-digest", "stackrift-match"):
        body = {"kind": kind, "version": 1, **document} if isinstance(document, dict) else document
        path.write_text(json.dumps(body))
        with pytest.raises(InputError):
            (read_digest if kind == "stackrift-digest" else read_match)(path)


def test_an_empty_pattern_is_an_input_error_not_a_validator_crash() -> None:
    """stix2-patterns' validator raises UnboundLocalError on an empty pattern."""
    import pytest

    from stackrift.errors import InvalidInputError
    from stackrift.intel.matching import check_complex

    for pattern in ("", "   "):
        with pytest.raises(InvalidInputError, match="empty STIX pattern"):
            check_complex(pattern, "bundle.json")
