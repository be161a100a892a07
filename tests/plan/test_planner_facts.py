"""Defects 2-5: consistent stacks, explicit availability, complete explanations, listed
substitutes."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackrift.catalog.catalogue import Catalogue, load_catalogue
from stackrift.catalog.model import Layer
from stackrift.estate.loader import load_estate
from stackrift.estate.model import Estate
from stackrift.plan.burden import runtime_of
from stackrift.plan.lawful import FlowJudge
from stackrift.plan.scenario import load_scenario, resolve_scenario
from stackrift.plan.solver import Objective, Planner, PlanResult
from stackrift.plan.stack import availability_at, listed_exposure
from stackrift.plan.stress import stress, swap_accelerator

AS_OF = date(2026, 11, 29)
HERE = Path(__file__).parent
DEMO = HERE.parents[1] / "src" / "stackrift" / "demo" / "estate.yaml"
ONPREM = HERE / "estate_onprem_cn.yaml"
INFEASIBLE = HERE / "estate_infeasible.yaml"


@pytest.fixture(scope="module")
def judge() -> FlowJudge:
    return FlowJudge.load()


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _write(tmp_path: Path, source: Path, edit: Any) -> Path:
    data = yaml.safe_load(source.read_text())
    edit(data)
    path = tmp_path / source.name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _stack_is_consistent(estate: Estate, catalogue: Catalogue) -> list[str]:
    """Problems: a component needing a runtime the system's accelerator does not bring."""
    problems = []
    for system in estate.systems:
        products = [catalogue.resolve(c).product for r in system.components
                    if (c := estate.component(r)) is not None]
        accelerators = [p for p in products if p is not None and p.layer == Layer.ACCELERATOR]
        runtimes = {rt.id for p in accelerators if (rt := runtime_of(p, catalogue))}
        if not accelerators:
            continue
        if not runtimes:
            problems.append(f"{system.id}: no runtime for {accelerators[0].id}")
        for product in products:
            if product is None:
                continue
            needed = {r for r in product.requires if r in catalogue.products
                      and catalogue.products[r].layer == Layer.RUNTIME}
            if needed - runtimes:
                problems.append(f"{system.id}: {product.id} needs {sorted(needed)}")
    return problems


# -- defect 2: stacks stay consistent ---------------------------------------------------------

def test_ascend_to_cambricon_replaces_the_whole_dependent_stack(catalogue: Catalogue) -> None:
    estate = load_estate(DEMO).estate
    bot = estate.system("cn-support-bot")
    accelerator = estate.component("npu-910b")
    assert bot is not None and accelerator is not None
    swapped = swap_accelerator(estate, bot, accelerator, catalogue.products["cambricon-mlu590"],
                               catalogue)
    after = swapped.system("cn-support-bot")
    assert after is not None
    assert "torch-npu" not in after.components and "cann-8" not in after.components
    assert {"sub-cambricon-mlu590", "sub-cambricon-neuware", "sub-torch-mlu"} <= set(
        after.components)
    assert _stack_is_consistent(swapped, catalogue) == []


def test_plans_keep_every_stack_consistent(judge: FlowJudge, catalogue: Catalogue) -> None:
    loaded = load_estate(DEMO)
    for objective, cap in ((Objective.COST, None), (Objective.BALANCED, 0.6)):
        result = Planner(loaded, catalogue, judge, AS_OF).solve(
            objective, max_bloc_share=cap, cross_border=True, time_limit=20)
        assert result.feasible and result.new_estate is not None
        for change in result.changes:
            if change.accelerator_from != change.accelerator_to:
                assert change.runtime_to is not None, change.system
        assert _stack_is_consistent(result.new_estate, catalogue) == []


def test_stress_never_proposes_a_substitute_without_a_consistent_stack(
        judge: FlowJudge, catalogue: Catalogue) -> None:
    estate = load_estate(DEMO).estate
    scenario = load_scenario(resolve_scenario("h20-china-licence-2025"))
    result = stress(estate, scenario, catalogue, judge, AS_OF)
    proposed = {s.id for impact in result.broken for s in impact.substitutes}
    assert proposed, "the scenario breaks the demo's H20 systems"
    for product_id in proposed:
        assert runtime_of(catalogue.products[product_id], catalogue) is not None, product_id
    assert result.stressed_estate is not None
    assert _stack_is_consistent(result.stressed_estate, catalogue) == []


# -- defect 3: availability is product data ---------------------------------------------------

def test_ascend_on_premises_in_china_is_feasible_without_us_nexus(
        judge: FlowJudge, catalogue: Catalogue) -> None:
    result = Planner(load_estate(ONPREM), catalogue, judge, AS_OF).solve(time_limit=10)
    assert result.feasible, [r.text for r in result.conflicts]
    change = next(c for c in result.changes if c.system == "grasp")
    assert change.accelerator_to == "huawei-ascend-910b"
    assert change.runtime_to == "huawei-cann"


def test_availability_comes_from_sourced_records(catalogue: Catalogue) -> None:
    estate = load_estate(ONPREM).estate
    site = estate.site("sz-dc")
    tpu = availability_at(catalogue.products["google-tpu-v5p"], site, catalogue, estate)
    assert tpu.available is False and tpu.citation is not None
    assert tpu.citation.checked_on is not None
    ascend = availability_at(catalogue.products["huawei-ascend-910b"], site, catalogue, estate)
    assert ascend.available is True and ascend.citation is not None
    # Not recorded: unknown, never guessed either way.
    h20 = availability_at(catalogue.products["nvidia-h20"], site, catalogue, estate)
    assert h20.available is None


# -- defect 4: explanations name every fact, and relaxing one item makes a plan ----------------

def _infeasible_cases(tmp_path: Path) -> list[tuple[str, Path, bool]]:
    def tpu_only(data: dict[str, Any]) -> None:
        data["systems"][0]["allowed_accelerators"] = ["google-tpu-v5p"]

    def no_runtime(data: dict[str, Any]) -> None:
        data["systems"][0]["allowed_accelerators"] = ["sambanova-sn40l"]

    def us_owner(data: dict[str, Any]) -> None:
        data["entities"].append({"id": "us-parent", "name": "Hanxin US Inc.", "country": "US"})
        data["entities"][0].update({"parent": "us-parent", "ownership_pct": 100})

    return [("licence", INFEASIBLE, True),
            ("availability", _write(tmp_path / "a", ONPREM, tpu_only), False),
            ("stack", _write(tmp_path / "b", ONPREM, no_runtime), False),
            ("gp10", _write(tmp_path / "c", ONPREM, us_owner), False)]


def _solve(path: Path, judge: FlowJudge, catalogue: Catalogue, cross: bool,
           relax: tuple[str, ...] = ()) -> PlanResult:
    return Planner(load_estate(path), catalogue, judge, AS_OF).solve(
        time_limit=10, cross_border=cross, relax=relax)


def test_every_infeasible_explanation_names_something_that_relaxed_makes_it_feasible(
        tmp_path: Path, judge: FlowJudge, catalogue: Catalogue) -> None:
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
    for name, path, cross in _infeasible_cases(tmp_path):
        result = _solve(path, judge, catalogue, cross)
        assert result.status == "infeasible", name
        assert result.conflicts, name
        relaxing = {r.id: _solve(path, judge, catalogue, cross, (r.id,)).feasible
                    for r in result.conflicts}
        assert any(relaxing.values()), (name, relaxing)


def test_facts_that_removed_candidates_are_named_with_sources(
        tmp_path: Path, judge: FlowJudge, catalogue: Catalogue) -> None:
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
    cases = {name: (path, cross) for name, path, cross in _infeasible_cases(tmp_path)}
    result = _solve(cases["availability"][0], judge, catalogue, cases["availability"][1])
    facts = [r for r in result.conflicts if r.kind == "fact"]
    assert facts and "TPU v5p" in facts[0].text and facts[0].citations
    result = _solve(cases["stack"][0], judge, catalogue, cases["stack"][1])
    facts = [r for r in result.conflicts if r.kind == "fact"]
    assert facts and "no runtime is catalogued" in facts[0].text and facts[0].citations
    result = _solve(cases["gp10"][0], judge, catalogue, cases["gp10"][1])
    assert {r.kind for r in result.conflicts} >= {"gp10", "allowed_accelerators"}


# -- defect 5: listed substitutes --------------------------------------------------------------

def test_listed_substitutes_carry_exposure_and_can_be_excluded(
        tmp_path: Path, judge: FlowJudge, catalogue: Catalogue) -> None:
    def open_choice(data: dict[str, Any]) -> None:
        data["systems"][0]["allowed_accelerators"] = []

    path = _write(tmp_path, ONPREM, open_choice)
    loaded = load_estate(path)
    plain = Planner(loaded, catalogue, judge, AS_OF).solve(time_limit=10)
    change = next(c for c in plain.changes if c.system == "grasp")
    assert change.accelerator_to is not None
    chosen = catalogue.products[change.accelerator_to]
    exposure = listed_exposure(chosen, catalogue, AS_OF)
    if exposure:  # a listed substitute shows its listing and pays for it in the objective
        assert change.exposure and any(t.name == "listed_exposure" for t in change.burden.terms)
    excluded = Planner(loaded, catalogue, judge, AS_OF).solve(time_limit=10, exclude_listed=True)
    for item in excluded.changes:
        for product_id in (item.accelerator_to, item.model_to):
            if product_id and product_id not in (item.accelerator_from, item.model_from):
                assert not listed_exposure(catalogue.products[product_id], catalogue, AS_OF)


def test_entity_listed_vendor_costs_more_than_an_unlisted_equal(catalogue: Catalogue) -> None:
    from stackrift.plan.burden import accelerator_switch, estate_vendor_ids

    estate = load_estate(ONPREM).estate
    system = estate.system("grasp")
    assert system is not None
    current = catalogue.products["nvidia-h20"]
    known = estate_vendor_ids(estate, catalogue)
    listed = accelerator_switch(estate, system, current, catalogue.products["cambricon-mlu590"],
                                None, AS_OF, catalogue, known)
    terms = [t for t in listed.terms if t.name == "listed_exposure"]
    assert terms and "Entity List" in terms[0].explanation
