"""The switching-burden model: each term scored and explained from catalogue and support data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from stackrift.catalog.catalogue import load_catalogue
from stackrift.estate.loader import load_estate
from stackrift.plan.burden import (
    accelerator_switch,
    estate_vendor_ids,
    model_switch,
    runtime_support,
    site_move,
)

AS_OF = date(2026, 11, 29)


def test_ascend_to_mi300x_on_the_demo_support_bot(demo_estate: Path) -> None:
    estate = load_estate(demo_estate).estate
    catalogue = load_catalogue()
    system = estate.system("cn-support-bot")
    assert system is not None
    known = estate_vendor_ids(estate, catalogue)
    burden = accelerator_switch(estate, system, catalogue.products["huawei-ascend-910b"],
                                catalogue.products["amd-mi300x"], None, AS_OF, catalogue, known)
    terms = {(t.name, t.explanation.split(" on ")[0] if t.name == "framework_port" else ""): t
             for t in burden.terms}
    assert terms[("runtime_change", "")].score == 3
    assert terms[("framework_port", "PyTorch")].score == 0  # official ROCm wheels
    assert terms[("framework_port", "vLLM")].score == 0
    # torch_npu is CANN's adapter: it goes away rather than being ported.
    assert not any("torch_npu" in t.explanation for t in burden.terms)
    assert terms[("model_revalidation", "")].score == 2
    assert ("vendor_onboarding", "") not in terms  # AMD already supplies eu-doc-ai
    assert burden.total == 5
    # In China the MI300X needs a 3A090 licence: the export term says so, with its source.
    in_china = accelerator_switch(estate, system, catalogue.products["huawei-ascend-910b"],
                                  catalogue.products["amd-mi300x"], "CN", AS_OF, catalogue, known)
    export = [t for t in in_china.terms if t.name == "export_exposure"]
    assert [t.score for t in export] == [4] and "ear-3a090-d5" in export[0].explanation


def test_support_levels_and_sources() -> None:
    table = runtime_support()
    assert table["huawei-cann"]["pytorch"].level == "plugin"
    assert table["huawei-cann"]["jax"].level == "unsupported"
    assert table["amd-rocm"]["tensorflow"].level == "native"
    assert all(s.source.startswith("https://") for t in table.values() for s in t.values())


def test_site_and_model_terms(demo_estate: Path) -> None:
    estate = load_estate(demo_estate).estate
    catalogue = load_catalogue()
    known = estate_vendor_ids(estate, catalogue)
    rag = estate.system("global-rag")
    assert rag is not None
    same = site_move(estate, rag, estate.site("aws-use1"), estate.site("azure-eastus"),
                     AS_OF, catalogue, known)
    assert [(t.name, t.score) for t in same.terms] == [("migration", 2)]
    abroad = site_move(estate, rag, estate.site("aws-use1"), estate.site("ali-sh"),
                       AS_OF, catalogue, known)
    assert {t.name for t in abroad.terms} == {"migration", "country_change", "export_exposure"}
    swap = model_switch(estate, rag, catalogue.products["llama"], catalogue.products["qwen"],
                        "US", AS_OF, catalogue, known, fine_tuned=False)
    assert {t.name: t.score for t in swap.terms} == {"model_replacement": 3,
                                                     "jurisdiction_fit": 1}
    assert model_switch(estate, rag, catalogue.products["llama"], catalogue.products["llama"],
                        "US", AS_OF, catalogue, known, fine_tuned=False).total == 0
