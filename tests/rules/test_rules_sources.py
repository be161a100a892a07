"""Every packaged fact is sourced and dated, its confidence agrees with its citation, and every
rule's text agrees with the outcomes it can give."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
import yaml
from tests.cli.helpers import run_cli

from stackrift.findings import Citation
from stackrift.rules.engine import RuleSet, load_rule_set
from stackrift.rules.model import Rule

# Words that say a rule can forbid the flow: its outcomes must include prohibited.
PROHIBITING = re.compile(r"\b(prohibited|may not|must not|is banned|shall not be permitted|"
                         r"stored only in|only after)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rule_set()


def sourced(rules: RuleSet) -> list[tuple[str, Citation, str]]:
    """(where, citation, confidence) for every rule and every conflict side."""
    found = [(r.id, r.citation, r.confidence.value) for r in rules.rules]
    found += [(f"{c.id} side {i}", side.citation, side.confidence.value)
              for c in rules.conflicts for i, side in enumerate(c.sides)]
    return found


def test_every_citation_says_when_it_was_checked(rules: RuleSet) -> None:
    missing = [where for where, citation, _ in sourced(rules) if citation.checked_on is None]
    assert not missing


def test_unverified_facts_say_why_and_verified_ones_do_not_hedge(rules: RuleSet) -> None:
    for where, citation, confidence in sourced(rules):
        text = f"{citation.source} {citation.section or ''}".lower()
        if confidence == "unverified":
            assert citation.unverified_reason, f"{where}: unverified without a reason"
        else:
            assert citation.unverified_reason is None, f"{where}: verified but gives a reason"
            assert "unverified" not in text, f"{where}: verified but its citation says unverified"


def test_citations_checked_on_2026_12_03_name_where_they_were_checked(rules: RuleSet) -> None:
    # A verified citation records the page it was confirmed on.
    unlocated = [where for where, citation, confidence in sourced(rules)
                 if confidence == "verified" and not citation.url
                 and not where.startswith("conflict.")]
    assert not unlocated


def _possible_outcomes(rule: Rule) -> set[str]:
    outcomes = {rule.outcome.value}
    if rule.mechanisms:
        outcomes.add(rule.if_missing)
    return outcomes


def test_rule_text_agrees_with_its_outcomes(rules: RuleSet) -> None:
    """A rule whose title says it forbids something can return prohibited."""
    disagree = [r.id for r in rules.rules
                if PROHIBITING.search(r.title) and "prohibited" not in _possible_outcomes(r)
                and r.outcome.value != "not_applicable"]
    assert not disagree


def test_pack_descriptions_agree_with_their_rules(rules: RuleSet) -> None:
    for loaded in rules.packs:
        pack = loaded.pack
        if pack.description and re.search(r"\bprohibited\b", pack.description, re.IGNORECASE):
            assert any("prohibited" in _possible_outcomes(r) for r in pack.rules), pack.pack


def test_the_text_check_catches_a_rule_that_cannot_prohibit() -> None:
    rule = Rule.model_validate({
        "id": "x.y", "title": "Storing the data abroad is prohibited",
        "when": {"fact": "cross_border", "eq": True},
        "outcome": "allowed_with", "citation": {"source": "Test"},
        "in_force_from": "2020-01-01", "confidence": "verified"})
    assert PROHIBITING.search(rule.title) and "prohibited" not in _possible_outcomes(rule)


def test_every_provider_country_is_sourced_and_dated() -> None:
    text = (resources.files("stackrift.rules") / "data" / "providers.yaml").read_text("utf-8")
    providers = yaml.safe_load(text)["providers"]
    assert providers
    for name, entry in providers.items():
        assert isinstance(entry, dict), name
        assert re.fullmatch(r"[A-Z]{2}", entry["country"]), name
        assert entry["source"] and entry["checked_on"], name
        assert entry["confidence"] in {"verified", "unverified"}, name
        if entry["confidence"] == "unverified":
            assert entry["unverified_reason"], name
        else:
            assert entry["url"] and "unverified_reason" not in entry, name


def test_rules_show_prints_where_and_when_a_rule_was_checked() -> None:
    shown = run_cli("rules", "show", "sa.pdpl.29.safeguards")
    assert shown.returncode == 0, shown.stderr
    source = json.loads(shown.stdout)["source"]
    assert source["checked_on"] == "2026-12-03" and source["url"].startswith("https://")
    assert source["in_force_from"] == "2024-09-14" and source["confidence"] == "verified"
