"""Export inputs: an estate with a model folder (hashed into an indicator), and reports."""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

import pytest

from stackrift.choices import TlpLevel
from stackrift.errors import InvalidInputError
from stackrift.intel.model import Tlp
from stackrift.intel.sources import is_report, load_estate_source, load_report
from stackrift.intel.stix_out import bundle_text, export_bundle

from .conftest import AS_OF
from .test_stix_out import assert_valid

ESTATE = """\
organisation: {name: Acme, hq_country: CN}
entities:
  - {id: acme-cn, name: Acme Shanghai, country: CN}
sites:
  - {id: sh, name: Shanghai DC, kind: on_prem, country: CN, entity: acme-cn}
components:
  - {id: app, type: application, name: Edge app, purl: "pkg:pypi/edge-app@1.0"}
systems:
  - id: edge
    name: Edge gateway
    purpose: Routes traffic.
    owner: acme-cn
    site: sh
    components: [app]
    sboms: [models/ft]
"""


class _Payload:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("true",))


def test_estate_export_hashes_unsafe_model_files(tmp_path: Path) -> None:
    folder = tmp_path / "models" / "ft"
    folder.mkdir(parents=True)
    payload = pickle.dumps(_Payload(), 2)
    (folder / "pytorch_model.bin").write_bytes(payload)
    estate = tmp_path / "estate.yaml"
    estate.write_text(ESTATE)
    source = load_estate_source(estate, AS_OF, db=tmp_path / "advisories.db")
    bundle = export_bundle(source)
    assert_valid(bundle_text(bundle))
    (indicator,) = [o for o in bundle["objects"] if o["type"] == "indicator"]
    assert hashlib.sha256(payload).hexdigest() in indicator["pattern"]
    (system,) = [o for o in bundle["objects"] if o["type"] == "infrastructure"]
    assert next(iter(system["extensions"].values()))["site_country"] == "CN"
    assert any(o["type"] == "software" and o["name"] == "Edge app" for o in bundle["objects"])


def test_report_detection_and_errors(tmp_path: Path) -> None:
    golden = Path(__file__).parent.parent / "report" / "golden" / "demo-report.json"
    assert is_report(golden)
    assert not is_report(Path(__file__))
    broken = tmp_path / "r.json"
    broken.write_text('{"schema_version": 1, "as_of": "2026-12-04", "findings": [{"id": 1}]}')
    with pytest.raises(InvalidInputError, match=r"findings\[0\]"):
        load_report(broken)


def test_tlp_choices_match_the_library() -> None:
    assert [t.value for t in TlpLevel] == [t.value for t in Tlp]
