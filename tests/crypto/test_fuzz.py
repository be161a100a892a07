"""Hostile bytes into every crypto reader: only the package's input errors may escape."""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackrift.crypto.errors import CryptoInputError
from stackrift.crypto.loader import load_registry
from stackrift.crypto.probe import parse_certificates, parse_server_hello
from stackrift.crypto.readers.cbom import read_cbom_bytes
from stackrift.crypto.readers.x509 import read_certificate_bytes

FUZZ = settings(max_examples=300, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(
                        ["bomFormat", "components", "type", "cryptoProperties", "assetType",
                         "name", "oid", "algorithmProperties", "protocolProperties",
                         "cipherSuites", "identifiers", "bom-ref", "mode",
                         "parameterSetIdentifier", "relatedCryptoMaterialProperties", "size"]),
                        inner, max_size=5), max_leaves=25)


@FUZZ
@given(st.binary(max_size=600))
def test_certificate_reader_on_random_bytes(data: bytes) -> None:
    try:
        read_certificate_bytes(data, "f.der", load_registry())
    except CryptoInputError as exc:
        assert str(exc).startswith("f.der")


@FUZZ
@given(st.binary(max_size=300).map(lambda b: b"\x30\x82" + b))
def test_certificate_reader_on_sequence_prefixed_bytes(data: bytes) -> None:
    with contextlib.suppress(CryptoInputError):
        read_certificate_bytes(data, "f.der", load_registry())


@FUZZ
@given(JSON)
def test_cbom_reader_on_random_json(doc: object) -> None:
    if isinstance(doc, dict):
        doc["bomFormat"] = "CycloneDX"
    try:
        read_cbom_bytes(json.dumps(doc).encode(), "c.json", load_registry())
    except CryptoInputError as exc:
        assert str(exc).startswith("c.json")


@FUZZ
@given(st.binary(max_size=200), st.booleans())
def test_probe_parsers_raise_only_value_errors(data: bytes, tls13: bool) -> None:
    for parse in (parse_server_hello, lambda d: parse_certificates(d, tls13)):
        with contextlib.suppress(ValueError):
            parse(data)
