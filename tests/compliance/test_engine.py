"""Applicability per system and date, with traces; obligation status against controls."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from stackrift.compliance.engine import (
    Applicability,
    MetStatus,
    ObligationVerdict,
    evaluate_requirement,
    evaluate_system,
    evaluate_systems,
    evidence_reuse,
    implications,
    obligation_status,
    status_counts,
)
from stackrift.compliance.loader import load_controls
from stackrift.compliance.model import AiRole, HighRiskRoute, Relation, RiskClass

from .helpers import DATA, TODAY, facts, framework, library, mapping, packaged

EU_HR = {"users_in": frozenset({"DE", "FR"}), "sites_in": frozenset({"DE"}),
         "roles": frozenset({AiRole.PROVIDER}), "risk_class": RiskClass.HIGH,
         "high_risk_route": HighRiskRoute.ANNEX_III}
CN_BOT = {"users_in": frozenset({"CN"}), "sites_in": frozenset({"CN"}), "generative": True,
          "public_facing": True, "opinion_influence": True,
          "roles": frozenset({AiRole.PROVIDER})}


def _verdict(ref: str, as_of: date, **known: Any) -> ObligationVerdict:
    return evaluate_requirement(packaged().index[ref], facts(**known), as_of)


def test_cn_public_generative_bot_needs_cac_filing_and_labelling() -> None:
    verdicts = {v.ref: v for v in evaluate_system(packaged(), facts("cn-support-bot", **CN_BOT),
                                                   TODAY)}
    filing = verdicts["cn-genai-measures:art17"]
    assert filing.status is Applicability.APPLIES and filing.kind.value == "filing"
    assert filing.applies_from == date(2023, 8, 15)
    assert filing.citations[0].source.startswith("生成式人工智能服务管理暂行办法")
    for ref in ("cn-ai-labelling:explicit-label", "cn-ai-labelling:implicit-label",
                "cn-gb-45438:metadata-label"):
        assert verdicts[ref].status is Applicability.APPLIES
        assert verdicts[ref].applies_from == date(2025, 9, 1)
    assert verdicts["eu-ai-act:art50-2"].status is Applicability.NOT_APPLICABLE


def test_eu_high_risk_obligations_dated_by_the_omnibus_on_todays_date() -> None:
    verdict = _verdict("eu-ai-act:art9", TODAY, **EU_HR)
    assert verdict.status is Applicability.FUTURE
    assert verdict.applies_from == date(2027, 12, 2)
    assert "2026/1744" in verdict.citations[1].source
    assert verdict.citations[1].url and "L_202601744" in verdict.citations[1].url


def test_the_amended_date_rule_switches_on_the_omnibus_entry_into_force() -> None:
    before = _verdict("eu-ai-act:art9", date(2026, 7, 26), **EU_HR)
    after = _verdict("eu-ai-act:art9", date(2026, 7, 27), **EU_HR)
    assert before.applies_from == date(2026, 8, 2) and "2024/1689" in before.citations[1].source
    assert after.applies_from == date(2027, 12, 2)


@pytest.mark.parametrize(("ref", "start"), [
    ("eu-ai-act:art5", date(2025, 2, 2)), ("eu-ai-act:art50-2", date(2026, 8, 2)),
    ("eu-ai-act:art9", date(2027, 12, 2))])
def test_status_switches_from_future_to_applies_on_the_start_day(ref: str, start: date) -> None:
    known = {**EU_HR, "generative": True}
    assert _verdict(ref, start - timedelta(days=1), **known).status is Applicability.FUTURE
    assert _verdict(ref, start, **known).status is Applicability.APPLIES


def test_annex_i_route_gets_its_own_date() -> None:
    verdict = _verdict("eu-ai-act:art9", TODAY, **{**EU_HR,
                                                   "high_risk_route": HighRiskRoute.ANNEX_I})
    assert verdict.applies_from == date(2028, 8, 2)


def test_unknown_route_leaves_the_date_undetermined_not_guessed() -> None:
    verdict = _verdict("eu-ai-act:art9", TODAY, **{**EU_HR, "high_risk_route": None})
    assert verdict.status is Applicability.UNDETERMINED
    assert verdict.applies_from is None
    assert any("high_risk_route" in m for m in verdict.missing)


def test_unknown_fact_gives_undetermined_naming_it() -> None:
    verdict = _verdict("eu-ai-act:art50-2", TODAY, users_in=frozenset({"FR"}),
                       roles=frozenset({AiRole.PROVIDER}))
    assert verdict.status is Applicability.UNDETERMINED
    assert verdict.missing == ("generative",)


def test_known_false_fact_gives_not_applicable_with_reason() -> None:
    verdict = _verdict("eu-ai-act:art50-2", TODAY, users_in=frozenset({"FR"}),
                       roles=frozenset({AiRole.PROVIDER}), generative=False)
    assert verdict.status is Applicability.NOT_APPLICABLE
    assert verdict.reasons == ("not generative",)


def test_us_fraud_system_maps_to_all_four_ai_rmf_functions() -> None:
    verdicts = evaluate_system(packaged(), facts("us-fraud", users_in=frozenset({"US", "DE"}),
                                                 sites_in=frozenset({"US"})), TODAY)
    applying = {v.ref.split(":")[1].split("-")[0] for v in verdicts
                if v.framework_id == "nist-ai-rmf" and v.status is Applicability.APPLIES}
    assert applying == {"GOVERN", "MAP", "MEASURE", "MANAGE"}
    assert all(v.citations for v in verdicts)


def test_colorado_law_is_future_and_needs_the_state() -> None:
    known = {"users_in": frozenset({"US-CO"}), "consequential_decisions": True,
                 "roles": frozenset({AiRole.DEPLOYER})}
    verdict = _verdict("us-co-admt:pre-decision-notice", TODAY, **known)
    assert verdict.status is Applicability.FUTURE
    assert verdict.applies_from == date(2027, 1, 1)
    assert verdict.citations[0].url == "https://coag.gov/resources/ai/"
    only_us = _verdict("us-co-admt:pre-decision-notice", TODAY,
                       **{**known, "users_in": frozenset({"US"})})
    assert only_us.status is Applicability.UNDETERMINED


def test_korea_applies_since_january_2026() -> None:
    known = {"users_in": frozenset({"KR"}), "generative": True}
    assert _verdict("kr-ai-basic-act:art31-label", date(2026, 1, 21), **known).status \
        is Applicability.FUTURE
    assert _verdict("kr-ai-basic-act:art31-label", date(2026, 1, 22), **known).status \
        is Applicability.APPLIES


def test_ended_framework_is_reported_as_ended() -> None:
    fw = framework("old", "r").model_copy(update={"in_force_until": date(2020, 1, 1)})
    verdict = evaluate_system(library([fw]), facts(), TODAY)[0]
    assert verdict.status is Applicability.ENDED


def test_implications_follow_olir_relations_transitively() -> None:
    lib = library([framework("a", "x"), framework("b", "y"), framework("c", "z"),
                   framework("d", "w")],
                  [mapping("a:x", "b:y", Relation.SUPERSET), mapping("c:z", "b:y", Relation.SUBSET),
                   mapping("b:y", "d:w", Relation.EQUAL), mapping("a:x", "c:z",
                                                                  Relation.INTERSECTS)])
    implied = implications(lib)
    # a is a superset of b, c a subset of b, b equals d: meeting a meets all of them
    assert implied.covers("a:x") == {"a:x", "b:y", "c:z", "d:w"}
    assert implied.covers("d:w") == {"d:w", "b:y", "c:z"}
    assert implied.covers("c:z") == {"c:z"}
    assert implied.partly_covers("a:x") == set()  # fully covered already
    assert implied.partly_covers("c:z") == {"a:x", "b:y"}  # weaker side, and intersects


def test_obligation_status_met_partial_missing() -> None:
    lib = packaged()
    catalogue = load_controls(DATA / "controls.yaml", lib)
    known = {**EU_HR, "generative": True}
    verdicts = [v for v in evaluate_system(lib, facts("eu-hr", **known), TODAY)
                if v.ref in {"eu-ai-act:art9", "eu-ai-act:art12", "eu-ai-act:art11"}]
    status = {s.verdict.ref: s for s in obligation_status(verdicts, catalogue, implications(lib))}
    assert status["eu-ai-act:art9"].status is MetStatus.MET
    assert status["eu-ai-act:art9"].evidence == ("grc://risk/ai-process",)
    assert status["eu-ai-act:art12"].status is MetStatus.PARTIAL  # the logging control is partial
    assert status["eu-ai-act:art11"].status is MetStatus.MISSING


def test_planned_control_meets_nothing_and_system_scope_is_respected() -> None:
    lib = packaged()
    catalogue = load_controls(DATA / "controls.yaml", lib)
    verdicts = [v for v in evaluate_system(lib, facts("cn-support-bot", **CN_BOT), TODAY)
                if v.ref == "cn-genai-measures:art17"]
    (status,) = obligation_status(verdicts, catalogue, implications(lib))
    assert status.status is MetStatus.MISSING  # CTL-CAC-FILING is only planned


def test_systems_with_the_same_facts_share_verdicts_but_keep_their_ids() -> None:
    lib = packaged()
    same = [facts("b", **EU_HR), facts("a", **EU_HR),
            facts("c", **{**EU_HR, "risk_class": RiskClass.MINIMAL})]
    verdicts = evaluate_systems(lib, same, TODAY)
    by_system: dict[str, list[ObligationVerdict]] = {}
    for v in verdicts:
        by_system.setdefault(v.system_id, []).append(v)
    assert list(by_system) == ["a", "b", "c"]
    strip = [(v.ref, v.status, v.applies_from, v.missing) for v in by_system["a"]]
    assert strip == [(v.ref, v.status, v.applies_from, v.missing) for v in by_system["b"]]
    assert strip != [(v.ref, v.status, v.applies_from, v.missing) for v in by_system["c"]]
    single = evaluate_system(lib, facts("a", **EU_HR), TODAY)
    assert tuple(by_system["a"]) == single


def test_art50_1_reads_interaction_not_public_facing() -> None:
    known = {"users_in": frozenset({"FR"}), "roles": frozenset({AiRole.PROVIDER}),
             "public_facing": False, "interacts_with_people": True}
    assert _verdict("eu-ai-act:art50-1", TODAY, **known).status is Applicability.APPLIES


def test_counts_per_system_and_jurisdiction_and_reused_evidence() -> None:
    lib = packaged()
    catalogue = load_controls(DATA / "controls.yaml", lib)
    known = {**EU_HR, "generative": True, "users_in": frozenset({"DE", "CN"}),
             "public_facing": True, "opinion_influence": True}
    verdicts = evaluate_system(lib, facts("x", **known), TODAY)
    statuses = obligation_status(verdicts, catalogue, implications(lib))
    counts = {c.jurisdiction: c for c in status_counts(statuses)}
    assert set(counts) >= {"EU", "CN"}
    eu = counts["EU"]
    assert eu.met >= 2 and eu.partial >= 2 and eu.missing > 0  # art9 and art50-2 met
    reuse = evidence_reuse(statuses)
    # the labelling evidence serves the EU AI Act and the Chinese labelling rules
    assert {"eu-ai-act", "cn-ai-labelling"} <= set(reuse["repo://bot/labeller"])


def test_shared_evaluation_equals_one_requirement_at_a_time() -> None:
    """Verdicts shared across systems by the facts each requirement reads are exactly those of
    evaluating every requirement for every system on its own."""
    import random

    rng = random.Random(4)
    flags = ("generative", "public_facing", "recommender", "high_impact", "opinion_influence",
             "gpai_provider", "consequential_decisions", "federal", "cii")

    def pick(value: Any) -> Any:
        return value if rng.random() < 0.6 else None

    systems = [facts(
        f"s{i}", users_in=pick(frozenset(rng.sample(["CN", "DE", "US", "KR", "US-CO"], 2))),
        roles=pick(frozenset({rng.choice(list(AiRole))})),
        risk_class=pick(rng.choice(list(RiskClass))),
        high_risk_route=pick(rng.choice(list(HighRiskRoute))), mlps_level=pick(rng.randint(1, 4)),
        **{f: pick(rng.random() < 0.5) for f in flags}) for i in range(12)]
    lib = packaged()
    shared = evaluate_systems(lib, systems, TODAY)
    alone = [evaluate_requirement(lib.index[ref], f, TODAY)
             for f in sorted(systems, key=lambda f: f.system_id) for ref in sorted(lib.index)]
    assert list(shared) == alone
