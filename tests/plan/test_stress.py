"""Scenarios and stress tests: loading, propagation, substitutes with burden, re-evaluated flows."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from stackrift.catalog.catalogue import Catalogue, load_catalogue
from stackrift.cli import main
from stackrift.errors import InvalidInputError, UsageError
from stackrift.estate.loader import LoadedEstate, load_estate
from stackrift.plan.lawful import FlowJudge
from stackrift.plan.scenario import load_scenario, packaged_scenarios, resolve_scenario
from stackrift.plan.stress import stress

AS_OF = date(2026, 11, 29)


@pytest.fixture(scope="module")
def judge() -> FlowJudge:
    return FlowJudge.load()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


def test_packaged_scenarios_are_valid_and_cited() -> None:
    paths = packaged_scenarios()
    assert len(paths) >= 6
    scenarios = {load_scenario(p).id: load_scenario(p) for p in paths}
    for needed in ("h20-china-licence-2025", "d5-accelerator-tightening",
                   "bis-affiliates-rule-returns-2026", "china-restricts-nvidia",
                   "alibaba-cn-hangzhou-unavailable", "llama-licence-excludes-eu"):
        assert needed in scenarios
    assert all(s.citations for s in scenarios.values())
    assert scenarios["h20-china-licence-2025"].effective == date(2025, 4, 9)
    assert scenarios["bis-affiliates-rule-returns-2026"].effective == date(2026, 11, 10)
    assert scenarios["china-restricts-nvidia"].confidence == "unverified"
    for path in paths:
        assert load_scenario(path).id == path.stem


def test_bad_scenario_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "id: x\ntitle: t\ndescription: d\neffective: 2026-13-01\n"
                 "status: enacted\nshocks: []\n")
    with pytest.raises(InvalidInputError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}:4:12: invalid value '2026-13-01'")
    path = write(tmp_path, "id: x\ntitle: t\ndescription: d\neffective: 2026-12-01\n"
                 "status: enacted\nshocks:\n  - kind: export_licence\n    description: d\n"
                 "    control_id: c\n    destinatons: [CN]\n")
    with pytest.raises(InvalidInputError) as info:
        load_scenario(path)
    text = str(info.value)
    assert f"{path}:10:5: unknown key 'destinatons'" in text
    assert "destinations" in text


def test_unknown_scenario_reference() -> None:
    with pytest.raises(UsageError, match="packaged"):
        resolve_scenario("no-such-scenario")


def test_h20_breaks_china_systems_with_substitutes(small_estate: LoadedEstate,
                                                    small_catalogue: Catalogue,
                                                    judge: FlowJudge) -> None:
    scenario = load_scenario(resolve_scenario("h20-china-licence-2025"))
    result = stress(small_estate.estate, scenario, small_catalogue, judge, AS_OF)
    assert [i.subject for i in result.broken] == ["cn-rec"]
    subs = {s.id: s for s in result.broken[0].substitutes}
    # H100 and MI300X need a 3A090 licence in China today, so they are no substitute there.
    assert "nvidia-h100" not in subs and "amd-mi300x" not in subs
    ascend = subs["huawei-ascend-910b"].burden
    terms = {t.name: t for t in ascend.terms}
    assert terms["runtime_change"].explanation == "runtime CUDA -> CANN"
    # cn-sub is 100 % owned by a US entity: GP10 risk scores 3; the Entity-Listed vendor
    # carries its listing (2) plus due diligence for a US-linked user (1).
    assert sum(t.score for t in ascend.terms if t.name == "export_exposure") == 3
    assert sum(t.score for t in ascend.terms if t.name == "listed_exposure") == 3
    assert ascend.total == sum(t.score for t in ascend.terms)
    assert subs["kunlunxin-p800"].burden.total < ascend.total


def test_region_loss_moves_system_and_reevaluates_flows(small_estate: LoadedEstate,
                                                       small_catalogue: Catalogue,
                                                       judge: FlowJudge, tmp_path: Path) -> None:
    path = write(tmp_path, "id: lose-us\ntitle: US region lost\ndescription: d\n"
                 "effective: 2026-12-01\nstatus: hypothetical\nshocks:\n"
                 "  - {kind: region_unavailable, description: d, provider: AWS, "
                 "regions: [us-east-1]}\n")
    result = stress(small_estate.estate, load_scenario(path), small_catalogue, judge, AS_OF)
    assert [i.subject for i in result.broken] == ["us-core"]
    best = result.broken[0].substitutes[0]
    assert best.kind == "site"
    terms = {t.name for t in best.burden.terms}
    assert {"migration", "country_change"} <= terms  # every remaining site is in China
    assert result.stressed_estate is not None
    moved = result.stressed_estate.system("us-core")
    assert moved is not None and moved.site == best.id
    flow = next(f for f in result.stressed_estate.data_flows if f.id == "cn-to-us")
    assert flow.destination == best.id


def test_model_licence_exclusion(small_estate: LoadedEstate, small_catalogue: Catalogue,
                                 judge: FlowJudge, tmp_path: Path) -> None:
    path = write(tmp_path, "id: qwen-us\ntitle: t\ndescription: d\neffective: 2027-01-01\n"
                 "status: hypothetical\nshocks:\n  - {kind: model_licence_exclusion, "
                 "description: d, models: [qwen], excluded: [CN]}\n")
    result = stress(small_estate.estate, load_scenario(path), small_catalogue, judge, AS_OF)
    assert sorted(i.subject for i in result.broken) == ["cn-bot", "cn-rec"]
    assert {s.id for s in result.broken[0].substitutes} == {"llama", "mistral-models"}


def test_entity_list_affiliates(small_estate: LoadedEstate, small_catalogue: Catalogue,
                                judge: FlowJudge, tmp_path: Path) -> None:
    path = write(tmp_path, "id: list-nvidia\ntitle: t\ndescription: d\neffective: 2027-01-01\n"
                 "status: hypothetical\nshocks:\n  - {kind: entity_list_add, description: d, "
                 "vendors: [nvidia]}\n")
    result = stress(small_estate.estate, load_scenario(path), small_catalogue, judge, AS_OF)
    assert not result.broken
    assert sorted(i.subject for i in result.degraded) == ["cn-big", "cn-rec", "us-core"]
    # Degraded systems get substitutes from vendors the shock does not touch.
    us_core = next(i for i in result.degraded if i.subject == "us-core")
    assert us_core.substitutes and all(not s.id.startswith("nvidia-") for s in us_core.substitutes)


def test_demo_h20_cli_json(demo_estate: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["stress", str(demo_estate), "h20-china-licence-2025", "--as-of", "2026-11-29",
              "--format", "json"])
    assert exit_info.value.code == 0
    payload = json.loads(capsys.readouterr().out)
    result = payload[0]
    assert result["scenario"] == "h20-china-licence-2025"
    broken = {b["system"]: b for b in result["broken"]}
    assert set(broken) == {"cn-recommender", "cn-dev-copilot"}
    for entry in broken.values():
        assert entry["cause"]
        assert entry["substitutes"], "each broken system needs at least one substitute"
        first = entry["substitutes"][0]
        assert {"product", "burden"} <= set(first)
        assert first["burden"]["total"] == sum(t["score"] for t in first["burden"]["terms"])
    assert isinstance(result["unlawful_flows"], list) and isinstance(result["degraded"], list)


def test_demo_all_scenarios_run(demo_estate: Path, judge: FlowJudge) -> None:
    estate = load_estate(demo_estate).estate
    catalogue = load_catalogue()
    results = {p.stem: stress(estate, load_scenario(p), catalogue, judge, AS_OF)
               for p in packaged_scenarios()}
    hangzhou = results["alibaba-cn-hangzhou-unavailable"]
    assert [i.subject for i in hangzhou.broken] == ["cn-support-bot"]
    assert hangzhou.broken[0].substitutes[0].burden.total <= 4  # another China site first
    llama = results["llama-licence-excludes-eu"]
    assert [i.subject for i in llama.broken] == ["global-rag"]
    nvidia = results["china-restricts-nvidia"]
    assert {i.subject for i in nvidia.broken} == {"cn-recommender", "cn-dev-copilot"}


def test_cli_bad_scenario_exits_2(demo_estate: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "id: x\ntitle: t\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["stress", str(demo_estate), str(path)])
    assert exit_info.value.code == 2
    assert f"{path}:1:1: missing required key" in capsys.readouterr().err


def test_region_loss_makes_flow_unlawful(small_catalogue: Catalogue, judge: FlowJudge,
                                         tmp_path: Path) -> None:
    estate = load_estate(Path(__file__).parent / "estate_region.yaml").estate
    path = write(tmp_path, "id: lose-us-west\ntitle: t\ndescription: d\neffective: 2026-12-01\n"
                 "status: hypothetical\nshocks:\n  - {kind: region_unavailable, description: d, "
                 "provider: AWS, regions: [us-west-2]}\n")
    result = stress(estate, load_scenario(path), small_catalogue, judge, AS_OF)
    # allowed_sites leaves only Shanghai: the US identifiers now flow to China.
    assert [s.id for s in result.broken[0].substitutes] == ["cn1"]
    [change] = result.unlawful_flows
    assert change.flow == "ids-to-scorer" and change.rerouted == "destination -> cn1"
    assert change.after.prohibited and not change.before.prohibited
    assert "us.doj.401.restricted-intra-group" in change.after.rules_fired


def test_scenario_not_touching_estate_is_a_note(small_estate: LoadedEstate,
                                                small_catalogue: Catalogue,
                                                judge: FlowJudge, tmp_path: Path) -> None:
    path = write(tmp_path, "id: lose-frankfurt\ntitle: t\ndescription: d\neffective: 2026-12-01\n"
                 "status: hypothetical\nshocks:\n  - {kind: region_unavailable, description: d, "
                 "provider: AWS, regions: [eu-central-1]}\n")
    result = stress(small_estate.estate, load_scenario(path), small_catalogue, judge, AS_OF)
    assert not result.broken and not result.unlawful_flows
    assert result.notes == ("no site of the estate is in AWS eu-central-1",
                            "no system or flow of this estate is affected")


CAMBODIA_ESTATE = """\
schema_version: 1
organisation: {name: Mekong Logistics, hq_country: SG}
entities:
  - {id: ml-sg, name: Mekong Logistics Pte. Ltd., country: SG}
sites:
  - {id: pp-dc, name: Phnom Penh data centre, kind: on_prem, country: KH, entity: ml-sg}
components:
  - {id: gpu, type: accelerator, name: AMD Instinct MI300X, vendor: AMD, product: Instinct MI300X}
systems:
  - {id: kh-ocr, name: Waybill OCR, purpose: Reads waybills., owner: ml-sg, site: pp-dc,
     components: [gpu]}
"""


@pytest.mark.parametrize("as_of, hit", [(date(2025, 11, 6), True), (date(2025, 11, 7), False)])
def test_d5_shocks_use_country_groups_on_the_as_of_date(
    tmp_path: Path, judge: FlowJudge, as_of: date, hit: bool
) -> None:
    """Cambodia left D:5 on 2025-11-07: a D:5 licence shock reaches Phnom Penh only before it."""
    estate_path = tmp_path / "estate.yaml"
    estate_path.write_text(CAMBODIA_ESTATE)
    path = write(tmp_path, "id: d5-all\ntitle: t\ndescription: d\neffective: 2025-01-01\n"
                 "status: hypothetical\nshocks:\n  - {kind: export_licence, description: d, "
                 "control_id: d5-all, vendor_countries: [US], destinations: ['D:5']}\n")
    result = stress(load_estate(estate_path).estate, load_scenario(path), load_catalogue(), judge,
                    as_of)
    affected = {i.subject for i in (*result.broken, *result.degraded)}
    assert ("kh-ocr" in affected) is hit
