"""Read -> write -> read keeps components, licences, hashes and lineage (property-based)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackrift.bom import cyclonedx_out, spdx3_out
from stackrift.bom.base import BomDocument, Dependency, read_bom
from stackrift.estate.model import Component, ComponentType, Hash

TEXT = st.text(alphabet=st.characters(whitelist_categories=("L", "N", "P", "Zs"),
                                      blacklist_characters="/"),
               min_size=1, max_size=30).map(str.strip).filter(bool)
IDENT = st.from_regex(r"[a-z][a-z0-9._-]{0,15}", fullmatch=True)
HF_REF = st.from_regex(r"[A-Z][a-z]{1,8}/[A-Za-z0-9][A-Za-z0-9.-]{0,12}", fullmatch=True)
HASH = st.one_of(
    st.builds(Hash, alg=st.just("SHA-256"), value=st.from_regex(r"[0-9a-f]{64}", fullmatch=True)),
    st.builds(Hash, alg=st.just("SHA-1"), value=st.from_regex(r"[0-9a-f]{40}", fullmatch=True)))
LICENCE = st.sampled_from([None, "MIT", "Apache-2.0", "MIT OR Apache-2.0", "Custom Licence"])
COUNTRY = st.sampled_from([None, "CN", "US", "DE", "SG"])


@st.composite
def documents(draw: st.DrawFn) -> BomDocument:
    ids = draw(st.lists(IDENT, min_size=1, max_size=6, unique=True))
    types = [draw(st.sampled_from(list(ComponentType))) for _ in ids]
    models = [i for i, t in zip(ids, types, strict=True) if t is ComponentType.MODEL]
    components = []
    for cid, kind in zip(ids, types, strict=True):
        service = kind is ComponentType.CLOUD_SERVICE
        vendor = draw(st.one_of(st.none(), TEXT))
        bases: tuple[str, ...] = ()
        if kind is ComponentType.MODEL:
            choices = [m for m in models if m != cid]
            bases = tuple(draw(st.lists(st.one_of(HF_REF, st.sampled_from(choices))
                                        if choices else HF_REF, max_size=2, unique=True)))
        components.append(Component(
            id=cid, type=kind, name=draw(TEXT), vendor=vendor,
            version=draw(st.one_of(st.none(), st.from_regex(r"[0-9]{1,2}\.[0-9]{1,2}",
                                                              fullmatch=True))),
            purl=None if service else draw(st.one_of(st.none(), st.just(f"pkg:pypi/{cid}"))),
            hf_id=draw(st.one_of(st.none(), HF_REF)) if kind is ComponentType.MODEL else None,
            base_models=bases, supplier_country=draw(COUNTRY) if vendor else None,
            license=draw(LICENCE),
            hashes=() if service else tuple(sorted(set(draw(st.lists(HASH, max_size=2))),
                                                   key=lambda h: (h.alg, h.value)))))
    datasets = [c.id for c in components if c.type is ComponentType.DATASET]
    dependencies = tuple(Dependency(m, tuple(sorted(datasets)), kind="trained-on")
                         for m in models if datasets)
    return BomDocument(path="generated", format="test", spec_version=None,
                       components=tuple(components), dependencies=dependencies)


def _essence(document: BomDocument) -> list[tuple[object, ...]]:
    return sorted((c.id, c.type, c.name, c.vendor, c.version, c.purl, c.hf_id, c.base_models,
                   c.supplier_country, c.license, c.hashes) for c in document.components)


def _trained(document: BomDocument) -> set[tuple[str, tuple[str, ...]]]:
    return {(d.ref, d.depends_on) for d in document.dependencies if d.kind == "trained-on"}


def _reread(text: str, suffix: str) -> BomDocument:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"bom{suffix}"
        path.write_text(text, encoding="utf-8")
        return read_bom(path)


SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(documents(), st.sampled_from(["1.5", "1.6", "1.7"]))
def test_cyclonedx_json_round_trip(document: BomDocument, version: str) -> None:
    again = _reread(cyclonedx_out.to_json(cyclonedx_out.build(document, version)), ".json")
    assert _essence(again) == _essence(document)
    assert _trained(again) == _trained(document)


@SETTINGS
@given(documents(), st.sampled_from(["1.5", "1.6", "1.7"]))
def test_cyclonedx_xml_round_trip(document: BomDocument, version: str) -> None:
    again = _reread(cyclonedx_out.to_xml(cyclonedx_out.build(document, version)), ".xml")
    assert _essence(again) == _essence(document)
    assert _trained(again) == _trained(document)


@SETTINGS
@given(documents())
def test_spdx3_round_trip(document: BomDocument) -> None:
    again = _reread(spdx3_out.to_jsonld(spdx3_out.build(document)), ".spdx3.json")
    assert _essence(again) == _essence(document)
    assert _trained(again) == _trained(document)


REAL = ["aibom/examples/Qwen2.5-7B-Instruct.json", "aibom/examples/FLUX.1-dev.json",
        "cyclonedx/bom-examples/SBOM/dropwizard-1.3.15/bom.json",
        "cyclonedx/bom-examples/SaaSBOM/apigateway-microservices-datastores/bom.json",
        "spdx/ai/example01/spdx3.0/simplehtr-example.json",
        "spdx/software/example9/spdx2.2/appbomination.spdx.json"]


def test_real_documents_round_trip(shared_data: Path) -> None:
    for relative in REAL:
        document = read_bom(shared_data / relative)
        written = [
            (cyclonedx_out.to_json(cyclonedx_out.build(document, "1.6")), ".json"),
            (cyclonedx_out.to_xml(cyclonedx_out.build(document, "1.7")), ".xml"),
            (spdx3_out.to_jsonld(spdx3_out.build(document)), ".spdx3.json")]
        for text, suffix in written:
            again = _reread(text, suffix)
            assert _essence(again) == _essence(document), (relative, suffix)
            assert _trained(again) == _trained(document), (relative, suffix)
