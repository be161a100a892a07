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
def test_3a090_rule_of_2023(catalogue: Catalogue, product: str) -> None:
    control = next(c for c in catalogue.products[product].controls if c.eccn == "3A090.a")
    assert control.id == "ear-3a090-d5"
    assert control.licence_required_from == date(2023, 11, 17)
    assert set(control.destinations) == {"D:1", "D:4", "D:5", "MO"}
    assert set(control.headquarters_destinations) == {"D:5", "MO"}
    assert control.citation.source == "88 FR 73458"
    assert control.citation.checked_on == date(2026, 12, 3)


@pytest.mark.parametrize("product", ["nvidia-a100", "nvidia-h100", "amd-mi250"])
def test_3a090_china_from_2022_and_macau_from_2023(catalogue: Catalogue, product: str) -> None:
    controls = {c.id: c for c in catalogue.products[product].controls}
    china = controls["ear-3a090-china-2022"]
    assert china.destinations == ("CN", "HK")
    assert china.licence_required_from == date(2022, 10, 7)
    assert china.licence_required_until == date(2023, 11, 17)
    assert china.citation.source == "87 FR 62186"
    macau = controls["ear-3a090-macau-2023"]
    assert macau.destinations == ("MO",)
    assert macau.licence_required_from == date(2023, 1, 17)
    assert macau.citation.source == "88 FR 2821"


@pytest.mark.parametrize("product", ["nvidia-a800", "nvidia-h800", "nvidia-l40s", "nvidia-l40"])
def test_reduced_interconnect_parts_escape_the_2022_rule(catalogue: Catalogue,
                                                         product: str) -> None:
    ids = {c.id for c in catalogue.products[product].controls}
    assert "ear-3a090-china-2022" not in ids


def test_l40_is_3a090b(catalogue: Catalogue) -> None:
    (control,) = catalogue.products["nvidia-l40"].controls
    assert control.eccn == "3A090.b"
    assert control.licence_required_from == date(2023, 11, 17)
    tpp = catalogue.products["nvidia-l40"].tpp
    assert tpp is not None and 2400 <= tpp < 4800


@pytest.mark.parametrize("product", ["nvidia-h200", "amd-mi325x"])
def test_h200_class_case_by_case_review_from_2026_01_15(catalogue: Catalogue,
                                                        product: str) -> None:
    from stackrift.plan.groups import covers

    (control,) = catalogue.products[product].controls
    before = control.review_policy_on("CN", date(2026, 1, 14), covers)
    after = control.review_policy_on("CN", date(2026, 1, 15), covers)
    assert before is not None and before.policy == "presumption of denial"
    assert after is not None and after.policy.startswith("case-by-case")
    assert after.citation.source == "91 FR 1684"
    # Blackwell parts are above the policy's limits: no case-by-case review.
    (b200,) = catalogue.products["nvidia-b200"].controls
    policy = b200.review_policy_on("CN", date(2026, 6, 1), covers)
    assert policy is not None and policy.policy == "presumption of denial"


def test_h20_and_mi308_licence_destinations_and_dates(catalogue: Catalogue) -> None:
    (h20,) = catalogue.products["nvidia-h20"].controls
    (mi308,) = catalogue.products["amd-mi308"].controls
    for control in (h20, mi308):
        assert control.destinations == ("CN", "HK", "MO", "D:5")
        assert control.headquarters_destinations == ("CN", "HK", "MO", "D:5")
    assert h20.licence_required_from == date(2025, 4, 9)
    assert mi308.licence_required_from == date(2025, 4, 15)  # AMD's own date differs


@pytest.mark.parametrize(
    "product", ["huawei-ascend-910b", "huawei-ascend-910c", "huawei-ascend-910d"]
)
def test_gp10_guidance(catalogue: Catalogue, product: str) -> None:
    (control,) = catalogue.products[product].controls
    assert catalogue.products[product].confidence == "verified"
    assert control.regime == "EAR GP10"
    assert control.destinations == ("*",)
    assert control.licence_required_from == date(2025, 5, 13)


def test_unlisted_chinese_chipmakers_are_not_marked_listed(catalogue: Catalogue) -> None:
    for vendor_id in ("kunlunxin", "t-head", "enflame", "metax", "iluvatar"):
        vendor = catalogue.vendors[vendor_id]
        assert vendor.country == "CN"
        assert vendor.entity_list.listed is False
