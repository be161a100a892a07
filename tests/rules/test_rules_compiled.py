"""The compiled and cached evaluation paths give exactly what the reference interpreter gives.

``evaluate_estate`` compiles each rule's condition once per rule set, shares the results of rules
that read only a flow's own facts between flows with the same facts, decides once per group which
other flows a volume test counts, and writes traces only for rules that fire. Every verdict field
(verdict, mechanisms, citations, the whole trace) must stay identical to the uncompiled, uncached
path on the demo estate, the tests' estates and generated estates.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.rules.rules_helpers import BASE_ENTITIES, BASE_SITES, estate
from tests.rules.test_rules_coverage import CASES
from tests.rules.test_rules_scenarios import SCENARIOS

from stackrift.estate.loader import load_estate
from stackrift.estate.model import Estate
from stackrift.rules.conditions import (
    EvalContext,
    combined_guard,
    compile_condition,
    compile_guards,
    evaluate,
)
from stackrift.rules.engine import (
    RuleSet,
    detect_conflicts,
    evaluate_estate,
    evaluate_sites,
    evaluate_systems,
    load_rule_set,
)
from stackrift.rules.facts import EstateIndex, site_facts, system_facts

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 29)
DAYS = (date(2025, 6, 1), AS_OF, date(2027, 3, 1))
CATEGORIES = ["personal", "sensitive_personal", "employee_hr", "covered_personal_identifiers",
              "precise_geolocation", "health", "financial", "important_data", "non_personal",
              "biometric", "human_genomic"]
KINDS = ["intra_group", "vendor_agreement", "data_brokerage", "contract_with_individual"]
MECHANISMS = [[], ["scc", "tia"], ["cac_standard_contract", "pipia"], ["separate_consent"],
              ["pipia", "separate_consent", "cac_standard_contract"]]


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rule_set()


def generated(flows: int, seed: int) -> Estate:
    """Many flows over the rule tests' entities and sites, with repeated facts (so the cache is
    hit), volumes that add up per exporter and counterparty, and unknown counts."""
    rng = random.Random(seed)
    ends = [s["id"] for s in BASE_SITES] + [e["id"] for e in BASE_ENTITIES]
    specs: list[dict[str, Any]] = []
    for i in range(flows):
        source = rng.choice([s["id"] for s in BASE_SITES])
        specs.append({
            "id": f"g{i}", "from": source, "to": rng.choice(ends),
            "data_categories": rng.sample(CATEGORIES, rng.randint(1, 3)),
            "subjects": rng.choice([None, 50, 5_000, 90_000, 150_000, 1_200_000]),
            "devices": rng.choice([None, 500, 5_000]),
            "subjects_countries": rng.choice([[], ["CN"], ["US"], ["DE", "FR"]]),
            "transfer_kind": rng.choice(KINDS), "mechanisms": rng.choice(MECHANISMS),
            "purpose": rng.choice([None, "customer support", "emergency medical care"]),
            "start": f"202{rng.randint(5, 6)}-0{rng.randint(1, 9)}-01"})
    return estate(*specs)


def estates() -> list[tuple[str, Estate]]:
    found = [("demo", load_estate(ROOT / "src" / "stackrift" / "demo" / "estate.yaml").estate)]
    found += [(path.stem, load_estate(path).estate)
              for path in sorted((ROOT / "tests" / "plan").glob("estate_*.yaml"))]
    found += [("scenarios", estate(*(s.spec for s in SCENARIOS)))]
    found += [(f"case-{c.name}", c.estate) for c in CASES[-3:]]  # the system and site cases
    found += [(f"generated-{n}", generated(n, seed)) for n, seed in ((300, 1), (600, 2))]
    return found


ESTATES = estates()


@pytest.mark.parametrize(("name", "subject"), ESTATES, ids=[n for n, _ in ESTATES])
@pytest.mark.parametrize("day", DAYS, ids=str)
def test_compiled_cached_flow_verdicts_equal_reference(rules: RuleSet, name: str,
                                                       subject: Estate, day: date) -> None:
    compiled = evaluate_estate(subject, day, rules)
    reference = evaluate_estate(subject, day, rules, compiled=False)
    assert len(compiled) == len(subject.data_flows)
    for fast, slow in zip(compiled, reference, strict=True):
        assert fast == slow, (name, fast.flow_id)


@pytest.mark.parametrize(("name", "subject"), ESTATES, ids=[n for n, _ in ESTATES])
def test_compiled_system_and_site_verdicts_equal_reference(rules: RuleSet, name: str,
                                                           subject: Estate) -> None:
    assert evaluate_systems(subject, AS_OF, rules) == evaluate_systems(subject, AS_OF, rules,
                                                                       compiled=False)
    assert evaluate_sites(subject, AS_OF, rules) == evaluate_sites(subject, AS_OF, rules,
                                                                   compiled=False)
    assert detect_conflicts(subject, AS_OF, rules) == detect_conflicts(subject, AS_OF, rules,
                                                                       compiled=False)


def test_every_compiled_condition_equals_the_interpreter(rules: RuleSet) -> None:
    """Rule by rule and subject by subject: result, trace and unknown facts, traced or not."""
    subject = ESTATES[0][1]
    index = EstateIndex(subject)
    subjects = ([(f, index.flow_facts(f)) for f in subject.data_flows]
                + [(s, system_facts(index, s)) for s in subject.systems]
                + [(s, site_facts(index, s)) for s in subject.sites])
    compared = 0
    for rule in rules.rules:
        named = rules.conditions_for(rule.id)
        compiled = compile_condition(rule.when, named)
        for item, facts in subjects:
            if type(item).__name__.lower().replace("dataflow", "flow") != rule.scope.value:
                continue
            slow = EvalContext(EstateIndex(subject), AS_OF, item, facts, named)
            fast = EvalContext(EstateIndex(subject), AS_OF, item, facts, named)
            quiet = EvalContext(EstateIndex(subject), AS_OF, item, facts, named, tracing=False)
            expected = evaluate(rule.when, slow)
            assert compiled(fast) == expected, (rule.id, item.id)
            assert compiled(quiet) == expected, (rule.id, item.id)
            assert (fast.trace, fast.unknown) == (slow.trace, slow.unknown), (rule.id, item.id)
            assert quiet.unknown == slow.unknown and not quiet.trace
            compared += 1
    assert compared > 1_000


@pytest.mark.parametrize(("name", "subject"), ESTATES, ids=[n for n, _ in ESTATES])
def test_a_rule_ruled_out_by_its_fact_guards_evaluates_false(rules: RuleSet, name: str,
                                                             subject: Estate) -> None:
    """The engine skips a rule whose guard fails; the interpreter must then say ``False``.
    Guards that never fail would make this vacuous, so they must fail often too."""
    index = EstateIndex(subject)
    subjects = ([(f, index.flow_facts(f)) for f in subject.data_flows]
                + [(s, system_facts(index, s)) for s in subject.systems]
                + [(s, site_facts(index, s)) for s in subject.sites])
    ruled_out = 0
    for rule in rules.rules:
        named = rules.conditions_for(rule.id)
        guard = combined_guard(compile_guards(rule.when, named))
        for item, facts in subjects:
            if type(item).__name__.lower().replace("dataflow", "flow") != rule.scope.value:
                continue
            if guard is not None and guard(facts):
                ctx = EvalContext(EstateIndex(subject), AS_OF, item, facts, named)
                assert evaluate(rule.when, ctx) is False, (rule.id, item.id)
                ruled_out += 1
    assert ruled_out > 0, name


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_results_shared_across_one_flow_estates_equal_reference(rules: RuleSet,
                                                                day: date) -> None:
    """``shared_results`` (the planner's lone-flow evaluations): every flow of the demo, the
    tests' and a generated estate evaluated alone, one dict shared by all of them, gives what
    the reference interpreter gives flow by flow - and the dict is actually hit."""
    shared: dict[Any, Any] = {}
    compared = 0
    for _, subject in (*ESTATES[:-2], ("generated", generated(200, 3))):
        for flow in subject.data_flows:
            alone = subject.model_copy(update={"data_flows": (flow,)})
            fast = evaluate_estate(alone, day, rules, shared_results=shared)
            assert fast == evaluate_estate(alone, day, rules, compiled=False), flow.id
            compared += 1
    assert compared > 200 and shared


@pytest.mark.parametrize(("name", "subject"), ESTATES, ids=[n for n, _ in ESTATES])
def test_a_rule_the_dispatch_index_leaves_out_evaluates_false(rules: RuleSet, name: str,
                                                              subject: Estate) -> None:
    """The engine looks only at the rules its index admits for a subject's value of the most
    tested fact and for its sets (``any_of`` tests); every rule it leaves out must evaluate
    ``False`` in the interpreter. The index must leave rules out often, or this says nothing."""
    from stackrift.rules.engine import Scope, _dispatch

    index = EstateIndex(subject)
    left_out = 0
    for scope, subjects in ((Scope.FLOW, [(f, index.flow_facts(f)) for f in subject.data_flows]),
                            (Scope.SYSTEM, [(s, system_facts(index, s))
                                            for s in subject.systems])):
        dispatch = _dispatch(rules, scope, AS_OF)
        for item, facts in subjects:
            looked_at = {e.rule.id for e in dispatch.candidates(facts)}
            for entry in dispatch.every:
                if entry.rule.id in looked_at:
                    continue
                named = rules.conditions_for(entry.rule.id)
                ctx = EvalContext(EstateIndex(subject), AS_OF, item, facts, named)
                assert evaluate(entry.rule.when, ctx) is False, (entry.rule.id, item.id)
                left_out += 1
    assert left_out > 0 or not subject.data_flows, name


def test_the_dispatch_index_narrows_by_sets(rules: RuleSet) -> None:
    """Sets (data categories, subjects' countries) leave rules out that the text value alone
    admits: the narrowing is exercised (what it leaves out is checked above)."""
    from stackrift.rules.engine import _dispatch
    from stackrift.rules.model import Scope

    subject = generated(200, 3)
    index = EstateIndex(subject)
    dispatch = _dispatch(rules, Scope.FLOW, AS_OF)
    narrowed = sum(len(dispatch._by_text(facts)) - len(dispatch.candidates(facts))
                   for facts in (index.flow_facts(f) for f in subject.data_flows))
    assert dispatch.set_facts and narrowed > len(subject.data_flows)
