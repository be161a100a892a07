"""Fuzzing every reader: whatever the bytes, a reader returns or raises an ``InputError`` (the
CLI's exit 2), never anything else (exit 3, a traceback).

Each reader starts from a small valid document of its format and is fed structural mutations
(a value replaced by another of any JSON type, a key dropped, text with lone surrogate escapes,
control characters, markup) and byte-level mutations (truncation, inserted tokens). Examples are
derandomized and no example database is kept, so the run is the same on every machine; the
example counts keep the whole module at about a minute on a small machine
(``STACKRIFT_FUZZ_SCALE=10`` searches ten times longer).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import DEMO_ESTATE

from stackrift.advisories.feed import feeds
from stackrift.advisories.model import Advisory
from stackrift.advisories.scan import starter_pack_path
from stackrift.advisories.store import prepare
from stackrift.advisories.vex import load_vex, load_waivers
from stackrift.bom.base import read_bom
from stackrift.catalog.catalogue import load_catalogue
from stackrift.errors import InputError
from stackrift.estate.loader import load_estate
from stackrift.plan.scenario import load_scenario
from stackrift.rules.loader import load_pack

SRC = Path(__file__).resolve().parents[2] / "src" / "stackrift"

SCALE = float(os.environ.get("STACKRIFT_FUZZ_SCALE", "1"))  # > 1 for a longer local search


def scaled(examples: int) -> int:
    return max(1, int(examples * SCALE))


FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=True,
                suppress_health_check=list(HealthCheck))

# -- values and mutations --------------------------------------------------------------------

NASTY_TEXT = ["\ud800", "a\udfffb", "\x1b]0;title\x07", "\x1b[2J", "[bold]x[/bold]", "\x00",
              "\u202e", "", " ", "-1", "1e999", "NOASSERTION", "pkg:pypi/x@", "pkg:", "CVE-",
              "x" * 300, "../../etc/passwd", "Organization: ", "<!DOCTYPE", "&x;", "*a"]
texts = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=12))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=False, allow_infinity=False), texts)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)), max_leaves=6)


def _slots(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``data`` (the root too)."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _slots(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _slots(value, (*path, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, seed: Any) -> Any:
    """``seed`` with one to three values replaced or removed."""
    data = json.loads(json.dumps(seed, default=str))  # YAML dates as text
    for _ in range(draw(st.integers(1, 3))):
        slots = _slots(data)
        path = slots[draw(st.integers(0, len(slots) - 1))]
        value = draw(json_values)
        if not path:
            data = value
            continue
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
    return data


TOKENS = [b"\\uD800", b"\x00", b"\xff\xfe", b"\x1b[2J", b"[", b"{", b"<", b"&x;", b"*a", b"&a ",
          b"\n", b"'", b'"', b"=", b"<!DOCTYPE x>", b"<![CDATA[", b"]]>", b"---\n"]


@st.composite
def byte_mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` truncated, or with bytes or tokens inserted or overwritten."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.integers(0, 3))
        if action == 0:
            del data[at:]
        elif action == 1:
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif action == 2:
            data[at:at + 1] = draw(st.binary(min_size=1, max_size=4))
        else:
            data[at:at + draw(st.integers(1, 40))] = b""
    return bytes(data)


def _toml(data: Any) -> str:
    """A TOML document for a mapping (every value inline; null as an empty string)."""
    def value(item: Any) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, int | float):
            return repr(item)
        if isinstance(item, list):
            return "[" + ", ".join(value(v) for v in item) + "]"
        if isinstance(item, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {value(v)}" for k, v in item.items()) + "}"
        return json.dumps("" if item is None else str(item))

    if not isinstance(data, dict):
        return value(data)
    return "\n".join(f"{json.dumps(k)} = {value(v)}" for k, v in data.items()) + "\n"


def _json(data: Any) -> bytes:
    # ensure_ascii writes lone surrogates as \ud800 escapes, as a hostile file would
    return json.dumps(data, ensure_ascii=True).encode()


# -- the outcome every reader must have ------------------------------------------------------


def only_input_errors(run: Callable[[], Any]) -> None:
    """Run a reader; anything but success or an InputError fails the test with the example."""
    try:
        result = run()
    except InputError as exc:
        text = "\n".join(exc.diagnostics())
        assert text.strip()
        text.encode("utf-8")  # the message itself is printable
        return
    if isinstance(result, list):
        for item in result:
            if isinstance(item, Advisory):
                prepare(item)  # what the store does next: encode the record


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    if path.is_dir():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _feed(path: Path, name: str) -> Callable[[], list[Any]]:
    return lambda: list(feeds()[name].parse(path))


# -- seeds -----------------------------------------------------------------------------------

CDX = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
       "metadata": {"component": {"type": "application", "bom-ref": "app", "name": "app"}},
       "components": [
           {"type": "library", "bom-ref": "t", "name": "torch", "version": "2.3.0",
            "purl": "pkg:pypi/torch@2.3.0", "supplier": {"name": "Meta"},
            "hashes": [{"alg": "SHA-256", "content": "ab" * 32}],
            "licenses": [{"license": {"id": "BSD-3-Clause"}}, {"expression": "MIT"}],
            "externalReferences": [{"type": "website", "url": "https://pytorch.org"}],
            "properties": [{"name": "stackrift:supplier-country", "value": "US"}]},
           {"type": "machine-learning-model", "bom-ref": "q", "name": "Qwen2.5-7B",
            "purl": "pkg:huggingface/Qwen/Qwen2.5-7B", "modelCard": {"modelParameters": {
                "task": "text-generation", "datasets": [{"ref": "d"}]}},
            "components": [{"type": "data", "bom-ref": "d", "name": "corpus"}]}],
       "dependencies": [{"ref": "app", "dependsOn": ["t", "q"]}]}
SPDX2 = {"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "x",
         "dataLicense": "CC0-1.0", "documentNamespace": "https://example.org/x",
         "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: x"]},
         "documentDescribes": ["SPDXRef-a"],
         "packages": [{"SPDXID": "SPDXRef-a", "name": "requests", "versionInfo": "2.32.3",
                       "downloadLocation": "NOASSERTION", "supplier": "Organization: PSF",
                       "checksums": [{"algorithm": "SHA256", "checksumValue": "ab"}],
                       "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER",
                                         "referenceType": "purl",
                                         "referenceLocator": "pkg:pypi/requests@2.32.3"}]},
                      {"SPDXID": "SPDXRef-b", "name": "urllib3", "versionInfo": "2.2.2",
                       "downloadLocation": "NOASSERTION"}],
         "relationships": [{"spdxElementId": "SPDXRef-a", "relatedSpdxElement": "SPDXRef-b",
                            "relationshipType": "DEPENDS_ON"}]}
SPDX3 = {"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": [
    {"type": "SpdxDocument", "spdxId": "urn:doc", "rootElement": ["urn:m"]},
    {"type": "ai_AIPackage", "spdxId": "urn:m", "name": "model", "software_packageVersion": "1",
     "suppliedBy": "urn:org", "software_downloadLocation": "https://huggingface.co/Qwen/Q",
     "externalIdentifier": [{"type": "ExternalIdentifier", "externalIdentifierType": "packageUrl",
                             "identifier": "pkg:huggingface/Qwen/Q"}],
     "verifiedUsing": [{"type": "Hash", "algorithm": "sha256", "hashValue": "ab"}]},
    {"type": "dataset_DatasetPackage", "spdxId": "urn:d", "name": "data"},
    {"type": "Organization", "spdxId": "urn:org", "name": "Alibaba"},
    {"type": "Relationship", "spdxId": "urn:r1", "from": "urn:m", "to": ["urn:d"],
     "relationshipType": "trainedOn"},
    {"type": "Relationship", "spdxId": "urn:r2", "from": "urn:m", "to": ["urn:lic"],
     "relationshipType": "hasDeclaredLicense"},
    {"type": "simplelicensing_LicenseExpression", "spdxId": "urn:lic",
     "simplelicensing_licenseExpression": "Apache-2.0"}]}
PYLOCK = {"lock-version": "1.0", "created-by": "pip", "packages": [
    {"name": "Requests", "version": "2.32.3", "dependencies": [{"name": "urllib3"}],
     "sdist": {"url": "https://f/r.tar.gz", "hashes": {"sha256": "a" * 64}},
     "wheels": [{"name": "r.whl", "hashes": {"sha256": "b" * 64}}]},
    {"name": "urllib3", "version": "2.2.2"}]}
POETRY = {"package": [{"name": "torch", "version": "2.3.1", "files": [
    {"file": "t.whl", "hash": "sha256:" + "a" * 64}], "dependencies": {"numpy": "*"}},
    {"name": "numpy", "version": "1.26.4", "files": []}],
    "metadata": {"lock-version": "2.0", "content-hash": "abc"}}
UV = {"version": 1, "package": [
    {"name": "app", "version": "0.1.0", "source": {"editable": "."},
     "dependencies": [{"name": "transformers"}]},
    {"name": "transformers", "version": "4.44.0", "source": {"registry": "https://pypi.org"},
     "sdist": {"url": "https://f/t.tar.gz", "hash": "sha256:" + "a" * 64, "size": 1},
     "wheels": [{"url": "https://f/t.whl", "hash": "sha256:" + "b" * 64, "size": 2}]}]}
PIPFILE = {"_meta": {"hash": {"sha256": "x"}, "pipfile-spec": 6, "requires": {},
                     "sources": []},
           "default": {"safetensors": {"hashes": ["sha256:" + "a" * 64], "version": "==0.4.3",
                                       "markers": "python_version >= '3.7'"}},
           "develop": {"pytest": {"hashes": [], "version": "==8.2.0"}}}
REQUIREMENTS = (b"# comment\nrequests==2.32.3 --hash=sha256:" + b"a" * 64 + b"\n"
                b"torch>=2.3 ; python_version >= '3.11'\n-e git+https://x/y.git#egg=y\n"
                b"numpy==1.26.4 \\\n  --hash=sha256:" + b"b" * 64 + b"\n")
CDX_XML = (b'<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">'
           b'<components><component type="library" bom-ref="t"><name>torch</name>'
           b'<version>2.3.0</version><purl>pkg:pypi/torch@2.3.0</purl></component>'
           b'</components></bom>')
CARD = (b"---\nlicense: apache-2.0\nbase_model: [Qwen/Qwen2.5-7B]\nlibrary_name: transformers\n"
        b"datasets: [a/b]\n---\n# Model\n")
METADATA = (b"Metadata-Version: 2.1\nName: requests\nVersion: 2.32.3\nLicense: Apache-2.0\n"
            b"Requires-Dist: urllib3 (<3,>=1.21.1)\nRequires-Dist: x ; extra == 'y'\n"
            b"Author: Kenneth\n\nbody\n")
CSAF = {"document": {"category": "csaf_vex", "csaf_version": "2.0", "title": "t",
                     "publisher": {"category": "vendor", "name": "v", "namespace": "https://v"},
                     "tracking": {"id": "V-1", "current_release_date": "2024-01-01T00:00:00Z",
                                  "initial_release_date": "2024-01-01T00:00:00Z",
                                  "status": "final", "version": "1",
                                  "revision_history": [{"date": "2024-01-01T00:00:00Z",
                                                        "number": "1", "summary": "s"}]}},
        "product_tree": {"branches": [{"category": "vendor", "name": "v", "branches": [
            {"category": "product_version", "name": "p 1.0", "product": {
                "name": "p 1.0", "product_id": "P1",
                "product_identification_helper": {"purl": "pkg:pypi/p@1.0"}}}]}]},
        "vulnerabilities": [{"cve": "CVE-2024-1", "title": "t",
                             "product_status": {"known_affected": ["P1"], "fixed": []},
                             "scores": [{"products": ["P1"], "cvss_v3": {
                                 "version": "3.1", "baseScore": 9.8, "baseSeverity": "CRITICAL",
                                 "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}],
                             "notes": [{"category": "description", "text": "d"}]}]}
CNNVD_JSON = {"cnnvdDetail": {"cnnvdCode": "CNNVD-202401-001", "cveCode": "CVE-2024-1",
                              "publishTime": "2024-01-02", "updateTime": "2024-01-03",
                              "hazardLevel": 1, "vulName": "x", "vulDesc": "d",
                              "affectedVendor": "Google", "referUrl": "https://x"}}
CNNVD_XML = (b'<?xml version="1.0" encoding="UTF-8"?><cnnvd><entry><name>x</name>'
             b"<vuln-id>CNNVD-202401-001</vuln-id><published>2024-01-02</published>"
             b"<modified>2024-01-03</modified><severity>\xe9\xab\x98\xe5\x8d\xb1</severity>"
             b"<vuln-software-list><product>Google TensorFlow 2.6</product></vuln-software-list>"
             b"<other-id><cve-id>CVE-2024-1</cve-id></other-id></entry></cnnvd>")
CDX_VEX = {"bomFormat": "CycloneDX", "specVersion": "1.6", "vulnerabilities": [
    {"id": "CVE-2024-1", "analysis": {"state": "not_affected", "justification": "code_not_present"},
     "affects": [{"ref": "pkg:pypi/torch@2.3.0"}]}]}
WAIVERS = [{"id": "CVE-2024-1", "reason": "r", "purl": "pkg:pypi/torch", "expires": "2030-01-01"}]


def _starter(relative: str) -> bytes:
    return (starter_pack_path() / relative).read_bytes()


def _first(folder: str, suffix: str) -> bytes:
    return sorted((starter_pack_path() / folder).glob(f"*{suffix}"))[0].read_bytes()


def _yaml_data(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# -- structural fuzzing of JSON- and YAML-shaped inputs ---------------------------------------

BOM_JSON = {"cyclonedx-json": ("bom.cdx.json", CDX), "spdx-2": ("doc.spdx.json", SPDX2),
            "spdx-3": ("doc.spdx3.json", SPDX3), "pipfile-lock": ("Pipfile.lock", PIPFILE)}
BOM_TOML = {"pylock": ("pylock.toml", PYLOCK), "poetry-lock": ("poetry.lock", POETRY),
            "uv-lock": ("uv.lock", UV)}


@pytest.mark.parametrize("reader", sorted(BOM_JSON))
def test_json_bom_readers(work: Path, reader: str) -> None:
    name, seed = BOM_JSON[reader]

    @settings(FUZZ, max_examples=scaled(120))
    @given(mutated(seed))
    def check(data: Any) -> None:
        path = _write(work, name, _json(data))
        only_input_errors(lambda: read_bom(path, reader))

    check()


@pytest.mark.parametrize("reader", sorted(BOM_TOML))
def test_toml_lock_readers(work: Path, reader: str) -> None:
    name, seed = BOM_TOML[reader]

    @settings(FUZZ, max_examples=scaled(100))
    @given(mutated(seed))
    def check(data: Any) -> None:
        path = _write(work, name, _toml(data).encode("utf-8", "surrogatepass"))
        only_input_errors(lambda: read_bom(path, reader))

    check()


def _osv_seed() -> Any:
    return orjson.loads(_first("osv", ".json"))


def _cve5_seed() -> Any:
    return orjson.loads(_first("cve5", ".json"))


FEED_JSON: dict[str, tuple[str, str, Callable[[], Any]]] = {
    "osv": ("osv", "GHSA-x.json", _osv_seed), "cve5": ("cve5", "CVE-2024-1.json", _cve5_seed),
    "csaf": ("csaf", "csaf.json", lambda: CSAF), "cnnvd": ("cnnvd", "cnnvd.json",
                                                          lambda: CNNVD_JSON)}


@pytest.mark.parametrize("name", sorted(FEED_JSON))
def test_json_feeds(work: Path, name: str) -> None:
    feed, file_name, seed = FEED_JSON[name]

    @settings(FUZZ, max_examples=scaled(120))
    @given(mutated(seed()))
    def check(data: Any) -> None:
        path = _write(work, file_name, _json(data))
        only_input_errors(_feed(path, feed))

    check()


YAML_INPUTS: dict[str, tuple[Callable[[], Any], Callable[[Path], Any]]] = {
    "estate": (lambda: _yaml_data(DEMO_ESTATE), load_estate),
    "rule pack": (lambda: _yaml_data(SRC / "rules" / "packs" / "cn.yaml"), load_pack),
    "scenario": (lambda: _yaml_data(SRC / "plan" / "scenarios" / "china-restricts-nvidia.yaml"),
                 load_scenario),
    "osv yaml": (_osv_seed, lambda p: list(feeds()["osv"].parse(p))),
    "waivers": (lambda: WAIVERS, load_waivers),
    "catalogue": (lambda: _yaml_data(Path(__file__).parents[1] / "bom" / "catalogue"
                                     / "catalogue.yaml"),
                  lambda p: load_catalogue(_alone(p, "catalogue"))),
    "model config": (lambda: {"model_type": "qwen2", "architectures": ["Q"],
                              "_name_or_path": "Qwen/Qwen2.5-7B", "torch_dtype": "bfloat16"},
                     lambda p: read_bom(_model_folder(p.parent, CARD, p.read_bytes()),
                                        "huggingface")),
    "vex": (lambda: CDX_VEX, load_vex),
}


@pytest.mark.parametrize("name", sorted(YAML_INPUTS))
def test_yaml_inputs(work: Path, name: str) -> None:
    seed, reader = YAML_INPUTS[name]
    examples = 40 if name in ("estate", "rule pack", "catalogue") else 100  # the larger ones

    @settings(FUZZ, max_examples=scaled(examples))
    @given(mutated(seed()))
    def check(data: Any) -> None:
        # JSON is YAML; escapes keep lone surrogates as a hostile file would spell them
        path = _write(work, "input.yaml", _json(data))
        only_input_errors(lambda: reader(path))

    check()


# -- byte-level fuzzing of text formats --------------------------------------------------------


def _alone(path: Path, folder: str) -> Path:
    """A folder holding only a copy of ``path`` (for readers that take a whole folder)."""
    return _write(path.parent / folder, path.name, path.read_bytes()).parent


def _model_folder(folder: Path, card: bytes,
                  config: bytes = b'{"model_type": "qwen2", "architectures": ["Q"]}') -> Path:
    _write(folder / "model", "README.md", card)
    _write(folder / "model", "config.json", config)
    return folder / "model"


def _site_packages(folder: Path, metadata: bytes) -> Path:
    _write(folder / "site", "requests-2.32.3.dist-info/METADATA", metadata)
    return folder / "site"


TEXT_INPUTS: dict[str, tuple[Callable[[], bytes], Callable[[Path, bytes], Callable[[], Any]]]] = {
    "requirements": (lambda: REQUIREMENTS, lambda w, b: lambda: read_bom(
        _write(w, "requirements.txt", b), "requirements")),
    "cyclonedx-xml": (lambda: CDX_XML, lambda w, b: lambda: read_bom(
        _write(w, "bom.xml", b), "cyclonedx-xml")),
    "huggingface": (lambda: CARD, lambda w, b: lambda: read_bom(_model_folder(w, b),
                                                                "huggingface")),
    "environment": (lambda: METADATA, lambda w, b: lambda: read_bom(_site_packages(w, b),
                                                                    "environment")),
    "cnvd": (lambda: _starter("cnvd/starter-cnvd.xml"), lambda w, b: _feed(
        _write(w, "cnvd.xml", b), "cnvd")),
    "cnnvd-xml": (lambda: CNNVD_XML, lambda w, b: _feed(_write(w, "cnnvd.xml", b), "cnnvd")),
    "osv-yaml-text": (lambda: yaml.safe_dump(_osv_seed()).encode(), lambda w, b: _feed(
        _write(w, "GHSA-x.yaml", b), "osv")),
    "estate-text": (lambda: DEMO_ESTATE.read_bytes(), lambda w, b: lambda: load_estate(
        _write(w, "estate.yaml", b))),
}


@pytest.mark.parametrize("name", sorted(TEXT_INPUTS))
def test_text_inputs(work: Path, name: str) -> None:
    seed, runner = TEXT_INPUTS[name]

    @settings(FUZZ, max_examples=scaled(60))
    @given(byte_mutated(seed()))
    def check(data: bytes) -> None:
        only_input_errors(runner(work, data))

    check()
