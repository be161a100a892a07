"""Accelerator and runtime data: equivalence classes, runtimes and export controls."""

from __future__ import annotations

from datetime import date

import pytest

from stackrift.catalog.catalogue import Catalogue
from stackrift.catalog.model import Layer


def test_every_accelerator_has_a_class_and_known_runtime(catalogue: Catalogue) -> None:
    accelerators = [p for p in catalogue.products.values() if p.layer is Layer.ACCELERATOR]
    assert len(accelerators) >= 40
    for product in accelerators:
        assert product.equivalence_class in {"dc-training-accelerator", "inference-accelerator"}
        for required in product.requires:
            assert catalogue.products[required].layer is Layer.RUNTIME, product.id


def test_runtime_pairs(catalogue: Catalogue) -> None:
    pairs = {
        "nvidia-h100": "nvidia-cuda",
        "amd-mi300x": "amd-rocm",
        "huawei-ascend-910b": "huawei-cann",
        "cambricon-mlu370": "cambricon-neuware",
        "hygon-dcu": "hygon-dtk",
        "mthreads-s4000": "mthreads-musa",
        "biren-br100": "biren-supa",
        "aws-trainium": "aws-neuron",
        "intel-gaudi3": "intel-synapseai",
    }
    for accelerator, runtime in pairs.items():
        assert catalogue.products[accelerator].requires == (runtime,)
        assert catalogue.products[runtime].equivalence_class == "accelerator-runtime"


def test_substitutes_cross_blocs(catalogue: Catalogue) -> None:
    substitutes = {p.vendor for p in catalogue.equivalents(catalogue.products["nvidia-h100"])}
    assert {"amd", "intel", "huawei", "cambricon", "biren"} <= substitutes


@pytest.mark.parametrize(
    "product",
    [
        "nvidia-a100",
        "nvidia-a800",
        "nvidia-h100",
        "nvidia-h800",
        "nvidia-l40s",
        "nvidia-rtx-4090",
        "amd-mi250",
        "amd-mi300x",
        "intel-gaudi2",
        "intel-gaudi3",
    ],
)
def test_3a090_rule(catalogue: Catalogue, product: str) -> None:
    control = next(c for c in catalogue.products[product].controls if c.eccn == "3A090.a")
    assert control.licence_required_from == date(2023, 11, 17)
    assert set(control.destinations) == {"D:1", "D:4", "D:5", "MO"}
    assert control.citation.source == "88 FR 73458"


@pytest.mark.parametrize("product", ["nvidia-h20", "amd-mi308"])
def test_china_licence_2025(catalogue: Catalogue, product: str) -> None:
    (control,) = catalogue.products[product].controls
    assert control.destinations == ("CN", "HK", "MO")
    assert control.licence_required_from == date(2025, 4, 9)


@pytest.mark.parametrize(
    "product", ["huawei-ascend-910b", "huawei-ascend-910c", "huawei-ascend-910d"]
)
def test_gp10_guidance(catalogue: Catalogue, product: str) -> None:
    (control,) = catalogue.products[product].controls
    assert control.regime == "EAR GP10"
    assert control.destinations == ("*",)
    assert control.licence_required_from == date(2025, 5, 13)


def test_unlisted_chinese_chipmakers_are_not_marked_listed(catalogue: Catalogue) -> None:
    for vendor_id in ("kunlunxin", "t-head", "enflame", "metax", "iluvatar"):
        vendor = catalogue.vendors[vendor_id]
        assert vendor.country == "CN"
        assert vendor.entity_list.listed is False
