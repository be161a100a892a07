"""The packaged catalogue: completeness, Entity List facts, resolution and lineage."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from stackrift.catalog.catalogue import Catalogue, load_catalogue
from stackrift.catalog.model import CHINA_BLOC, Layer
from stackrift.errors import InvalidInputError
from stackrift.estate.model import Bloc, Component, Site

DATA = Path(__file__).resolve().parents[2] / "src" / "stackrift" / "catalog" / "data"


def component(**fields: object) -> Component:
    fields.setdefault("id", "c")
    fields.setdefault("type", "library")
    fields.setdefault("name", "thing")
    return Component.model_validate(fields)


def test_counts(catalogue: Catalogue) -> None:
    assert len(catalogue.vendors) >= 45
    assert len(catalogue.products) >= 90
    layers = {p.layer for p in catalogue.products.values()}
    assert {Layer.ACCELERATOR, Layer.RUNTIME, Layer.FRAMEWORK, Layer.MODEL, Layer.CLOUD} <= layers


def test_every_vendor_states_country_explicitly_in_the_data() -> None:
    for file in sorted(DATA.glob("*.yaml")):
        for vendor in yaml.safe_load(file.read_text()).get("vendors") or []:
            assert "country" in vendor, f"{file.name}: {vendor['id']} has no country key"
            assert "entity_list" in vendor, f"{file.name}: {vendor['id']}"


def test_vendor_bloc_follows_country(catalogue: Catalogue) -> None:
    for vendor in catalogue.vendors.values():
        if vendor.country is None:
            assert vendor.bloc is Bloc.UNKNOWN
        elif vendor.country in CHINA_BLOC:
            assert vendor.bloc is Bloc.CN
        elif vendor.country == "US":
            assert vendor.bloc is Bloc.US
    assert catalogue.vendors["mistral"].bloc is Bloc.EU
    assert catalogue.vendors["cohere"].bloc is Bloc.OTHER


def test_listed_vendors_carry_date_and_citation(catalogue: Catalogue) -> None:
    listed = {v.id for v in catalogue.vendors.values() if v.entity_list.listed}
    for vendor_id in listed:
        status = catalogue.vendors[vendor_id].entity_list
        assert status.since is not None and status.citation is not None, vendor_id
    expected = {
        "huawei": date(2019, 5, 16),
        "hygon": date(2019, 6, 24),
        "sugon": date(2019, 6, 24),
        "sensetime": date(2019, 10, 9),
        "megvii": date(2019, 10, 9),
        "iflytek": date(2019, 10, 9),
        "phytium": date(2021, 4, 8),
        "sunway": date(2021, 4, 8),
        "cambricon": date(2022, 12, 16),
        "biren": date(2023, 10, 17),
        "moore-threads": date(2023, 10, 17),
        "zhipu": date(2025, 1, 16),
        "smic": date(2020, 12, 18),
        "sophgo": date(2025, 1, 16),
        "baai": date(2025, 3, 25),
        "nettrix": date(2025, 3, 25),
    }
    for vendor_id, since in expected.items():
        assert catalogue.vendors[vendor_id].entity_list.since == since, vendor_id
    assert catalogue.vendors["biren"].entity_list.citation.source == "88 FR 71991"  # type: ignore[union-attr]
    assert catalogue.vendors["baai"].entity_list.citation.source == "90 FR 14046"  # type: ignore[union-attr]
    # The sheet marks the Zhipu citation as unverified; the data must say so.
    zhipu = catalogue.vendors["zhipu"].entity_list.citation
    assert zhipu is not None and zhipu.source == "90 FR 4617" and zhipu.confidence == "verified"
    assert "Keyi Hongyuan" in (catalogue.vendors["zhipu"].entity_list.note or "")


def test_unlisted_means_not_listed_as_of_a_date(catalogue: Catalogue) -> None:
    for vendor_id in ("deepseek", "moonshot", "alibaba", "baidu", "kunlunxin", "tencent"):
        vendor = catalogue.vendors[vendor_id]
        assert vendor.entity_list.listed is False
        text = vendor.entity_list.describe(date(2026, 11, 20), vendor.as_of)
        assert text == f"not listed as of {vendor.as_of}"
        assert "safe" not in text


def test_as_of_semantics(catalogue: Catalogue) -> None:
    baai = catalogue.vendors["baai"].entity_list
    assert not baai.listed_on(date(2025, 3, 24))
    assert baai.listed_on(date(2025, 3, 25))
    assert baai.describe(date(2025, 1, 1), date(2026, 11, 15)) == (
        "not listed as of 2025-01-01 (listed from 2025-03-25)"
    )
    assert catalogue.vendors["huawei"].entity_list.listed_on(date(2020, 1, 1))


@pytest.mark.parametrize(
    ("fields", "evidence", "vendor", "product"),
    [
        ({"purl": "pkg:pypi/torch@2.1.0"}, "purl", "pytorch-foundation", "pytorch"),
        ({"purl": "pkg:pypi/Torch_NPU@2.1.0"}, "purl", "huawei", "torch-npu"),
        ({"purl": "pkg:pypi/tensorflow-gpu@2.4.0"}, "purl", "google", "tensorflow"),
        ({"purl": "pkg:pypi/paddlepaddle@2.5.0"}, "purl", "baidu", "paddlepaddle"),
        ({"purl": "pkg:pypi/pymilvus@2.3.0"}, "purl", "zilliz", "milvus"),
        ({"purl": "pkg:golang/github.com/aws/aws-sdk-go@v1.50.0"}, "purl", "aws", None),
        ({"hf_id": "Qwen/Qwen2.5-7B-Instruct"}, "hf-org", "alibaba-cloud", "qwen"),
        ({"hf_id": "Qwen/Qwen3-Embedding-8B"}, "hf-org", "alibaba-cloud", "qwen-embedding"),
        ({"hf_id": "THUDM/glm-4-9b"}, "hf-org", "zhipu", "glm"),
        ({"hf_id": "BAAI/bge-m3"}, "hf-org", "baai", "bge"),
        ({"hf_id": "meta-llama/Llama-3.1-8B"}, "hf-org", "meta", "llama"),
        (
            {"cpe": "cpe:2.3:a:linuxfoundation:pytorch:2.1.0:*:*:*:*:*:*:*"},
            "cpe",
            "pytorch-foundation",
            "pytorch",
        ),
        ({"cpe": "cpe:2.3:a:google:tensorflow:2.4.0:*:*:*:*:*:*:*"}, "cpe", "google", "tensorflow"),
        (
            {"cpe": "cpe:2.3:a:nvidia:cuda_toolkit:12.4:*:*:*:*:*:*:*"},
            "cpe",
            "nvidia",
            "nvidia-cuda",
        ),
        (
            {"vendor": "Huawei Technologies Co., Ltd.", "product": "Ascend 910B"},
            "vendor-name",
            "huawei",
            "huawei-ascend-910b",
        ),
        ({"vendor": "Higon", "product": "DCU"}, "vendor-name", "hygon", "hygon-dcu"),
        (
            {"vendor": "Microsoft", "product": "Azure OpenAI Service"},
            "vendor-name",
            "microsoft",
            "azure-openai",
        ),
        ({"name": "NVIDIA H100 SXM"}, "vendor-name", "nvidia", "nvidia-h100"),
        ({"name": "MLU590"}, "product-name", "cambricon", "cambricon-mlu590"),
        ({"name": "NVIDIA H20", "vendor": "NVIDIA"}, "vendor-name", "nvidia", "nvidia-h20"),
        ({"name": "NVIDIA A100"}, "product-name", "nvidia", "nvidia-a100"),
    ],
)
def test_resolution(
    catalogue: Catalogue, fields: dict[str, str], evidence: str, vendor: str, product: str | None
) -> None:
    resolution = catalogue.resolve(component(**fields))
    assert resolution.evidence == evidence
    assert resolution.vendor is not None and resolution.vendor.id == vendor
    assert (resolution.product.id if resolution.product else None) == product


def test_supplier_country_and_unknown(catalogue: Catalogue) -> None:
    own = catalogue.resolve(component(vendor="Acme Widgets Ltd", supplier_country="DE"))
    assert own.evidence == "supplier-country" and own.country == "DE" and own.bloc is Bloc.EU
    assert not own.resolved
    unknown = catalogue.resolve(component(name="line inspection toolkit"))
    assert unknown.evidence == "none" and unknown.country is None
    assert unknown.bloc is Bloc.UNKNOWN


def test_vendor_in_name_only_for_technology_components(catalogue: Catalogue) -> None:
    dataset = catalogue.resolve(component(type="dataset", name="Amazon product reviews"))
    assert dataset.evidence == "none"
    card = catalogue.resolve(component(type="accelerator", name="Moore Threads MTT S4000"))
    assert card.vendor is not None and card.vendor.id == "moore-threads"
    assert card.product is not None and card.product.id == "mthreads-s4000"


def test_lineage_of_a_qwen_fine_tune(catalogue: Catalogue) -> None:
    base = component(
        id="qwen-7b", type="model", name="Qwen2.5-7B", hf_id="Qwen/Qwen2.5-7B-Instruct"
    )
    quant = component(
        id="ft-q4",
        type="model",
        name="ft 4-bit",
        supplier_country="US",
        base_models=["ft"],
        base_model_relation="quantized",
    )
    fine = component(
        id="ft",
        type="model",
        name="ft",
        supplier_country="US",
        base_models=["qwen-7b"],
        base_model_relation="finetune",
    )
    chain = catalogue.lineage(quant, [base, quant, fine])
    assert [s.reference for s in chain] == ["ft-q4", "ft", "qwen-7b"]
    assert chain[0].resolution.country == "US"
    root = chain[-1].resolution
    assert root.vendor is not None and root.vendor.id == "alibaba-cloud"
    assert root.bloc is Bloc.CN


def test_lineage_through_hugging_face_reference(catalogue: Catalogue) -> None:
    fine = component(
        id="ft",
        type="model",
        name="ft",
        supplier_country="US",
        base_models=["deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"],
    )
    chain = catalogue.lineage(fine, [fine])
    assert chain[-1].resolution.vendor.id == "deepseek"  # type: ignore[union-attr]


def test_lineage_stops_on_cycles(catalogue: Catalogue) -> None:
    a = component(id="a", type="model", name="a", base_models=["b"])
    b = component(id="b", type="model", name="b", base_models=["a"])
    assert [s.reference for s in catalogue.lineage(a, [a, b])] == ["a", "b"]


def test_resolve_site_with_local_operator(catalogue: Catalogue) -> None:
    site = Site.model_validate(
        {
            "id": "s",
            "name": "n",
            "kind": "cloud_region",
            "provider": "AWS",
            "region": "cn-north-1",
            "country": "CN",
        }
    )
    resolved = catalogue.resolve_site(site)
    assert resolved.evidence == "region"
    assert resolved.provider is not None and resolved.provider.id == "aws"
    assert resolved.operator is not None and resolved.operator.id == "sinnet"
    assert resolved.local_operator and resolved.country == "CN" and resolved.bloc is Bloc.CN


def test_resolve_site_reports_mismatch_and_unknowns(catalogue: Catalogue) -> None:
    wrong = Site.model_validate(
        {
            "id": "s",
            "name": "n",
            "kind": "cloud_region",
            "provider": "Google Cloud",
            "region": "europe-west3",
            "country": "FR",
        }
    )
    resolved = catalogue.resolve_site(wrong)
    assert resolved.country == "DE"
    assert resolved.notes == ("estate says FR, catalogue places Google europe-west3 in DE",)
    unknown_region = catalogue.resolve_site(
        Site.model_validate(
            {
                "id": "s",
                "name": "n",
                "kind": "cloud_region",
                "provider": "Microsoft Azure",
                "region": "atlantis-1",
                "country": "US",
            }
        )
    )
    assert unknown_region.evidence == "provider" and unknown_region.region is None
    assert "atlantis-1" in unknown_region.detail
    unknown_provider = catalogue.resolve_site(
        Site.model_validate(
            {
                "id": "s",
                "name": "n",
                "kind": "cloud_region",
                "provider": "Nimbus Hosting",
                "region": "r1",
                "country": "US",
            }
        )
    )
    assert unknown_provider.evidence == "none" and unknown_provider.provider is None
    on_prem = catalogue.resolve_site(
        Site.model_validate(
            {"id": "s", "name": "n", "kind": "on_prem", "country": "CN", "entity": "e"}
        )
    )
    assert on_prem.evidence == "on-prem" and on_prem.bloc is Bloc.CN


def _write(tmp: Path, name: str, data: object) -> None:
    (tmp / name).write_text(yaml.safe_dump(data), encoding="utf-8")


def test_loader_rejects_inconsistent_catalogue(tmp_path: Path) -> None:
    _write(tmp_path, "catalogue.yaml", {"version": "t", "as_of": "2026-01-01"})
    vendor = {
        "id": "v",
        "name": "V",
        "country": "US",
        "entity_list": {"listed": False},
        "as_of": "2026-01-01",
        "parent": "nobody",
    }
    _write(
        tmp_path,
        "a.yaml",
        {
            "vendors": [vendor],
            "products": [{"id": "p", "vendor": "ghost", "name": "P", "layer": "model"}],
        },
    )
    with pytest.raises(InvalidInputError) as error:
        load_catalogue(tmp_path)
    message = str(error.value)
    assert "product 'p' names unknown vendor 'ghost'" in message
    assert "vendor 'v' names unknown parent 'nobody'" in message


def test_loader_locates_bad_records_and_ignores_anchor_keys(tmp_path: Path) -> None:
    _write(tmp_path, "catalogue.yaml", {"version": "t", "as_of": "2026-01-01"})
    (tmp_path / "b.yaml").write_text(
        "x-shared:\n  status: &unlisted {listed: false}\n"
        "vendors:\n"
        "  - {id: v, name: V, country: US, entity_list: *unlisted, as_of: 2026-01-01}\n"
        "  - {id: w, name: W, country: XX, entity_list: *unlisted, as_of: 2026-01-01}\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInputError) as error:
        load_catalogue(tmp_path)
    (problem,) = error.value.problems
    assert problem.location.file.endswith("b.yaml") and problem.location.line == 5
    assert "vendors[1].country" in problem.message


def test_lineages_of_a_merge_are_bounded(catalogue: Catalogue) -> None:
    bases = [f"org/m{i}" for i in range(3)]
    merge = component(id="m", type="model", name="m", base_models=bases)
    paths = catalogue.lineages(merge, [merge])
    assert [[s.reference for s in p] for p in paths] == [["m", b] for b in bases]
    assert paths[0] == catalogue.lineage(merge, [merge])
    assert len(catalogue.lineages(merge, [merge], limit=2)) == 2


def test_lineages_of_a_very_deep_chain_are_cut(catalogue: Catalogue) -> None:
    chain = [
        component(id=f"m{i}", type="model", name=f"m{i}", base_models=[f"m{i + 1}"])
        for i in range(3000)
    ]
    (path,) = catalogue.lineages(chain[0], chain)
    assert len(path) == 100
    assert len(catalogue.lineage(chain[0], chain)) == 100


def test_unknown_country_stays_null(tmp_path: Path) -> None:
    from stackrift.catalog.views import catalogue_json

    _write(tmp_path, "catalogue.yaml", {"version": "t", "as_of": "2026-01-01"})
    _write(
        tmp_path,
        "v.yaml",
        {
            "vendors": [
                {
                    "id": "anon",
                    "name": "Anon Labs",
                    "country": None,
                    "entity_list": {"listed": False},
                    "as_of": "2026-01-01",
                }
            ]
        },
    )
    data = catalogue_json(load_catalogue(tmp_path))
    (vendor,) = data["vendors"]
    assert vendor["country"] is None and vendor["bloc"] == "unknown"
    assert vendor["entity_list"]["status"] == "not listed as of 2026-01-01"


def test_product_named_after_its_vendor_resolves_with_a_vendor_given(catalogue: Catalogue) -> None:
    # A vendor prefix in the name ("AMD Instinct MI308") used to leave the product unresolved,
    # and with it the MI308's export control.
    from stackrift.estate.model import Component

    for name in ("AMD Instinct MI308", "Instinct MI308", "MI308"):
        resolution = catalogue.resolve(
            Component(id="x", type="accelerator", name=name, vendor="AMD"))
        assert resolution.product is not None and resolution.product.id == "amd-mi308", name
