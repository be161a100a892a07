"""SPDX 2.2/2.3 JSON and SPDX 3.0 JSON-LD readers on the SPDX project's own examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackrift.bom.base import read_bom
from stackrift.errors import InvalidInputError
from stackrift.estate.model import ComponentType

# (format, components, dependency edges) per example file.
SPDX_EXAMPLES = {
    "ai/example01/spdx3.0/simplehtr-example.json": ("spdx-3", 13, 11),
    "ai/example02/spdx3.0/sbom.spdx3.json": ("spdx-3", 2, 2),
    "dataset/example01/spdx3.0/example01.spdx3.json": ("spdx-3", 1, 0),
    "software/example1/spdx3.0/example1.json": ("spdx-3", 1, 0),
    "software/example10/spdx2.3/hello-source.spdx.json": ("spdx-2", 1, 0),
    "software/example10/spdx3.0/hello-source.spdx3.json": ("spdx-3", 1, 0),
    "software/example11/spdx2.3/sbom.spdx.json": ("spdx-2", 4, 3),
    "software/example11/spdx3.0/sbom.spdx3.json": ("spdx-3", 4, 3),
    "software/example12/spdx2.2/hello-dist.spdx.json": ("spdx-2", 1, 0),
    "software/example12/spdx2.2/hello-src.spdx.json": ("spdx-2", 1, 0),
    "software/example12/spdx3.0/hello-dist.spdx3.json": ("spdx-3", 1, 0),
    "software/example12/spdx3.0/hello-src.spdx3.json": ("spdx-3", 1, 0),
    "software/example13/spdx3.0/example13.spdx3.json": ("spdx-3", 4, 1),
    "software/example14/content/examplemaven-0.0.1.spdx.json": ("spdx-2", 6, 5),
    "software/example14/content/examplemaven-0.0.1.spdx3.json": ("spdx-3", 6, 5),
    "software/example14/spdx2.3/examplemaven-0.0.1-enriched.spdx.json": ("spdx-2", 6, 5),
    "software/example14/spdx3.0/examplemaven-0.0.1-enriched.spdx3.json": ("spdx-3", 6, 5),
    "software/example3/spdx3.0/example3-bin.json": ("spdx-3", 1, 0),
    "software/example3/spdx3.0/example3-src.json": ("spdx-3", 1, 0),
    "software/example4/spdx3.0/example4-bin.json": ("spdx-3", 3, 4),
    "software/example4/spdx3.0/example4-src.json": ("spdx-3", 1, 0),
    "software/example5/spdx3.0/example5-bin.json": ("spdx-3", 1, 0),
    "software/example5/spdx3.0/example5-src.json": ("spdx-3", 1, 0),
    "software/example6/spdx3.0/example6-bin.json": ("spdx-3", 1, 0),
    "software/example6/spdx3.0/example6-lib.json": ("spdx-3", 5, 0),
    "software/example6/spdx3.0/example6-src.json": ("spdx-3", 1, 0),
    "software/example7/spdx2.2/example7-bin.spdx.json": ("spdx-2", 1, 0),
    "software/example7/spdx2.2/example7-go-module.spdx.json": ("spdx-2", 1, 0),
    "software/example7/spdx2.2/example7-golang.spdx.json": ("spdx-2", 2, 0),
    "software/example7/spdx2.2/example7-third-party-modules.spdx.json": ("spdx-2", 3, 0),
    "software/example7/spdx3.0/example7-bin.spdx3.json": ("spdx-3", 1, 0),
    "software/example7/spdx3.0/example7-go-module.spdx3.json": ("spdx-3", 1, 0),
    "software/example7/spdx3.0/example7-golang.spdx3.json": ("spdx-3", 1, 0),
    "software/example7/spdx3.0/example7-third-party-modules.spdx3.json": ("spdx-3", 2, 0),
    "software/example8/spdx2.3/examplemaven-0.0.1.spdx.json": ("spdx-2", 6, 5),
    "software/example8/spdx3.0/examplemaven-0.0.1.spdx3.json": ("spdx-3", 6, 5),
    "software/example9/spdx2.2/appbomination.spdx.json": ("spdx-2", 7, 4),
    "software/example9/spdx3.0/appbomination.spdx3.json": ("spdx-3", 7, 4),
}


def test_every_spdx_example_is_read(shared_data: Path) -> None:
    root = shared_data / "spdx"
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.json"))
    assert files == sorted(SPDX_EXAMPLES)
    for relative, (fmt, components, edges) in SPDX_EXAMPLES.items():
        document = read_bom(root / relative)
        assert document.format == fmt, relative
        assert len(document.components) == components, relative
        assert sum(len(d.depends_on) for d in document.dependencies) == edges, relative


def test_spdx2_and_spdx3_twins_agree(shared_data: Path) -> None:
    root = shared_data / "spdx" / "software"
    for two_name, three_name in (
            ("example8/spdx2.3/examplemaven-0.0.1.spdx.json",
             "example8/spdx3.0/examplemaven-0.0.1.spdx3.json"),
            ("example9/spdx2.2/appbomination.spdx.json",
             "example9/spdx3.0/appbomination.spdx3.json"),
            ("example11/spdx2.3/sbom.spdx.json", "example11/spdx3.0/sbom.spdx3.json")):
        two, three = read_bom(root / two_name), read_bom(root / three_name)
        assert sorted(c.name for c in two.components) == sorted(c.name for c in three.components)


def test_ai_profile_models_datasets_and_training(shared_data: Path) -> None:
    document = read_bom(shared_data / "spdx/ai/example02/spdx3.0/sbom.spdx3.json")
    by_type = {c.type: c for c in document.components}
    model, dataset = by_type[ComponentType.MODEL], by_type[ComponentType.DATASET]
    assert model.license == "CC0-1.0"
    # trainedOn/testedOn join files; each file stands for the package containing it.
    relations = {(d.ref, d.kind, d.depends_on) for d in document.dependencies}
    assert relations == {(model.id, "trained-on", (dataset.id,)),
                         (model.id, "tested-on", (dataset.id,))}


def test_spdx2_package_fields(shared_data: Path) -> None:
    document = read_bom(shared_data / "spdx/software/example8/spdx2.3/"
                        "examplemaven-0.0.1.spdx.json")
    by_id = {c.id: c for c in document.components}
    junit = by_id["junit"]
    assert (junit.name, junit.version, junit.vendor, junit.license) == (
        "JUnit", "3.8.1", "JUnit", "CPL-1.0")
    example = by_id["example"]
    assert [(h.alg, h.value) for h in example.hashes] == [
        ("SHA-1", "b8a7e6c75001e6d78625cfc9a3103bf121abf8b4")]
    assert {(d.ref, d.depends_on) for d in document.dependencies} == {
        ("example", ("junit", "log4jApi", "log4jImpl", "log4jslf4jApi", "log4jslf4jbinding"))}


@pytest.mark.parametrize(("name", "document", "expected"), [
    ("a.spdx.json", {"spdxVersion": "SPDX-2.1", "SPDXID": "SPDXRef-DOCUMENT"},
     r"\$\.spdxVersion: spdxVersion 'SPDX-2.1' is not supported"),
    ("b.spdx.json", {"spdxVersion": "SPDX-2.3", "SPDXID": "x", "packages": [{"name": "a"}]},
     r"\$\.packages\[0\]: package without SPDXID or name"),
    ("c.spdx3.json", {"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
                      "@graph": [{"spdxId": "x"}]},
     r"\$\[\"@graph\"\]\[0\]: element without a type"),
])
def test_bad_spdx_documents(tmp_path: Path, name: str, document: dict[str, object],
                            expected: str) -> None:
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=1))
    with pytest.raises(InvalidInputError, match=expected):
        read_bom(path)
