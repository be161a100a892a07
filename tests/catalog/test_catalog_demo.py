"""Every component and site of the bundled demo estate resolves as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackrift.catalog.catalogue import Catalogue
from stackrift.estate.loader import LoadedEstate, load_estate

# component id -> (evidence, vendor id, product id)
EXPECTED = {
    "gpu-h100": ("vendor-name", "nvidia", "nvidia-h100"),
    "gpu-h20": ("vendor-name", "nvidia", "nvidia-h20"),
    "gpu-a100": ("vendor-name", "nvidia", "nvidia-a100"),
    "gpu-l40s": ("vendor-name", "nvidia", "nvidia-l40s"),
    "npu-910b": ("vendor-name", "huawei", "huawei-ascend-910b"),
    "mlu-370": ("vendor-name", "cambricon", "cambricon-mlu370"),
    "gpu-mi300x": ("vendor-name", "amd", "amd-mi300x"),
    "cuda-12": ("vendor-name", "nvidia", "nvidia-cuda"),
    "cann-8": ("vendor-name", "huawei", "huawei-cann"),
    "rocm-6": ("vendor-name", "amd", "amd-rocm"),
    "neuware": ("vendor-name", "cambricon", "cambricon-neuware"),
    "torch": ("purl", "pytorch-foundation", "pytorch"),
    "torch-npu": ("purl", "huawei", "torch-npu"),
    "tensorflow": ("purl", "google", "tensorflow"),
    "mindspore": ("purl", "huawei", "mindspore"),
    "paddle": ("purl", "baidu", "paddlepaddle"),
    "transformers": ("purl", "hugging-face", "transformers"),
    "vllm": ("purl", "vllm-project", "vllm"),
    "langchain": ("purl", "langchain", "langchain-lib"),
    "mlflow": ("purl", "databricks", "mlflow"),
    "onnxruntime": ("purl", "microsoft", "onnxruntime"),
    "qwen-72b": ("hf-org", "alibaba-cloud", "qwen"),
    "qwen-7b": ("hf-org", "alibaba-cloud", "qwen"),
    "llama-70b": ("hf-org", "meta", "llama"),
    "deepseek-v3": ("hf-org", "deepseek", "deepseek-models"),
    "bge-m3": ("hf-org", "baai", "bge"),
    "mistral-small": ("hf-org", "mistral", "mistral-models"),
    "paddleocr": ("vendor-name", "baidu", "paddleocr"),
    "gpt-4o": ("vendor-name", "microsoft", "azure-openai"),
    "vector-db": ("purl", "zilliz", "milvus"),
}
# The organisation's own components: not catalogued, bloc from the supplier's country.
OWN = {"support-ft": "US", "fraud-gbm": "US", "ds-tickets": "US", "ds-hr": "DE"}
UNKNOWN = {"inspect-tool"}
# site id -> (provider, region code, hosting country, operator)
SITES = {
    "aws-use1": ("aws", "us-east-1", "US", "aws"),
    "aws-euc1": ("aws", "eu-central-1", "DE", "aws"),
    "gcp-usc1": ("google", "us-central1", "US", "google"),
    "azure-eastus": ("microsoft", "eastus", "US", "microsoft"),
    "stackit-eu01": ("stackit", "eu01", "DE", "stackit"),
    "ali-hz": ("alibaba-cloud", "cn-hangzhou", "CN", "alibaba-cloud"),
    "ali-sh": ("alibaba-cloud", "cn-shanghai", "CN", "alibaba-cloud"),
    "ali-sg": ("alibaba-cloud", "ap-southeast-1", "SG", "alibaba-cloud"),
    "aws-cnnw1": ("aws", "cn-northwest-1", "CN", "nwcd"),
}


@pytest.fixture(scope="module")
def demo(demo_estate: Path) -> LoadedEstate:
    return load_estate(demo_estate)


def test_expectations_cover_the_whole_demo(demo: LoadedEstate) -> None:
    assert {c.id for c in demo.estate.components} == set(EXPECTED) | set(OWN) | UNKNOWN
    assert {s.id for s in demo.estate.sites} == set(SITES) | {"sh-dc1"}


@pytest.mark.parametrize("component_id", sorted(EXPECTED))
def test_component_resolves(demo: LoadedEstate, catalogue: Catalogue, component_id: str) -> None:
    component = demo.estate.component(component_id)
    assert component is not None
    resolution = catalogue.resolve(component)
    evidence, vendor, product = EXPECTED[component_id]
    assert resolution.evidence == evidence
    assert resolution.vendor is not None and resolution.vendor.id == vendor
    assert resolution.product is not None and resolution.product.id == product


def test_own_components_resolve_by_supplier_country(
    demo: LoadedEstate, catalogue: Catalogue
) -> None:
    for component_id, country in OWN.items():
        component = demo.estate.component(component_id)
        assert component is not None
        resolution = catalogue.resolve(component)
        assert resolution.vendor is None
        assert (resolution.evidence, resolution.country) == ("supplier-country", country)
    assert all(
        catalogue.vendor_by_name(n) is None
        for n in ("Meridian Dynamics Inc.", "Meridian Dynamics GmbH", "Meridian Dynamics")
    )


def test_unknown_stays_unknown(demo: LoadedEstate, catalogue: Catalogue) -> None:
    component = demo.estate.component("inspect-tool")
    assert component is not None
    assert catalogue.resolve(component).evidence == "none"


@pytest.mark.parametrize("site_id", sorted(SITES))
def test_site_resolves(demo: LoadedEstate, catalogue: Catalogue, site_id: str) -> None:
    site = demo.estate.site(site_id)
    assert site is not None
    resolved = catalogue.resolve_site(site)
    provider, code, country, operator = SITES[site_id]
    assert resolved.evidence == "region" and resolved.notes == ()
    assert resolved.provider is not None and resolved.provider.id == provider
    assert resolved.region is not None and resolved.region.code == code
    assert resolved.country == country
    assert resolved.operator is not None and resolved.operator.id == operator


def test_on_prem_site(demo: LoadedEstate, catalogue: Catalogue) -> None:
    site = demo.estate.site("sh-dc1")
    assert site is not None
    resolved = catalogue.resolve_site(site)
    assert (resolved.evidence, resolved.country, resolved.provider) == ("on-prem", "CN", None)


def test_support_fine_tune_weights_come_from_qwen(demo: LoadedEstate, catalogue: Catalogue) -> None:
    component = demo.estate.component("support-ft")
    assert component is not None
    chain = catalogue.lineage(component, demo.estate.components)
    assert [s.reference for s in chain] == ["support-ft", "qwen-7b"]
    assert chain[-1].resolution.country == "CN"
