"""Rule packs: the packaged set is complete and cited; user packs are validated with locations."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from tests.cli.helpers import run_cli
from tests.rules.rules_helpers import estate, flow

from stackrift.errors import InvalidInputError
from stackrift.rules.engine import Verdict, evaluate_estate, load_rule_set


def test_packaged_packs_cover_every_regime_with_cited_dated_rules() -> None:
    rules = load_rule_set()
    assert {p.pack.pack for p in rules.packs} >= {"cn", "us", "eu", "ru", "in", "vn", "sa",
                                                   "conflicts"}
    assert len(rules.rules) >= 45
    for rule in rules.rules:
        assert rule.citation.source and rule.in_force_from
    assert len(rules.conflicts) >= 7


POLICY = """\
pack: acme-policy
title: Acme data policy
regime: ACME
version: "1"
rules:
  - id: acme.no-cn-vendors
    title: No personal data to Chinese vendors
    when:
      all:
        - {fact: recipient_country, eq: CN}
        - {fact: categories, any_of: [personal]}
        - {fact: transfer_kind, eq: vendor_agreement}
    outcome: prohibited
    citation: {source: Acme Data Policy, section: "4.2"}
    in_force_from: 2026-01-01
    confidence: verified
"""


def test_user_pack_adds_a_company_policy(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    rules = load_rule_set([tmp_path])
    spec = flow("f", "us-dc", "cn-vendor", ["personal"], subjects=10,
                transfer_kind="vendor_agreement")
    v = evaluate_estate(estate(spec), date(2026, 6, 1), rules)[0]
    assert v.verdict is Verdict.PROHIBITED
    assert "acme.no-cn-vendors" in v.rules_fired and "ACME" in v.regimes
    assert any(c.source == "Acme Data Policy" for c in v.citations)
    result = run_cli("rules", "check", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "1 valid pack(s), 1 rules" in result.stderr


@pytest.mark.parametrize(("text", "where", "message"), [
    (POLICY.replace("fact: recipient_country", "fact: recipient_contry"), "10:18",
     "unknown flow fact 'recipient_contry'"),
    (POLICY.replace("    outcome: prohibited", "    outcom: prohibited"), "13:5",
     "unknown key 'outcom'"),
    (POLICY.replace("in_force_from: 2026-01-01", "in_force_from: 2026-13-01"), "15:20",
     "invalid value '2026-13-01'"),
    (POLICY.replace("{fact: transfer_kind, eq: vendor_agreement}",
                    "{fact: transfer_kind, gte: 3}"), "12:38",
     "operator 'gte' does not apply to str fact 'transfer_kind'"),
    (POLICY.replace("id: acme.no-cn-vendors", "id: cn.pipl.38.mechanism"), "6:5",
     "rule id 'cn.pipl.38.mechanism' is already defined"),
    (POLICY.replace("    outcome: prohibited", "    outcome: prohibited\n    supersedes: [nope]"),
     "14:18", "supersedes 'nope', which is not defined"),
    (POLICY.replace("    when:\n", "    when: [\n"), "10:9", "YAML syntax error"),
    (POLICY.replace("outcome: prohibited", "outcome: forbidden"), "13:14",
     "invalid value 'forbidden'"),
    (POLICY.replace("{fact: transfer_kind, eq: vendor_agreement}",
                    "{fact: purpose, matches: '(a+)+$'}"), "12:11", "catastrophic backtracking"),
])
def test_malformed_user_pack_exits_2_with_location(tmp_path: Path, text: str, where: str,
                                                   message: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        load_rule_set([tmp_path])
    assert any(str(p).startswith(f"{path}:{where}: ") and message in str(p)
               for p in caught.value.problems), caught.value.problems
    result = run_cli("rules", "check", str(tmp_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{path}:{where}: " in result.stderr


def test_documented_example_pack_is_valid_and_applies(demo_estate: Path) -> None:
    from tests.conftest import REPO_ROOT

    from stackrift.estate.loader import load_estate

    folder = REPO_ROOT / "docs" / "examples" / "rules"
    assert run_cli("rules", "check", str(folder)).returncode == 0
    rules = load_rule_set([folder])
    verdicts = {v.flow_id: v for v in evaluate_estate(load_estate(demo_estate).estate,
                                                      date(2026, 11, 29), rules)}
    annotation = verdicts["us-ids-to-annotation"]
    assert "policy.no-personal-data-to-china-vendors" in annotation.rules_fired
    assert "POLICY" in verdicts["cn-recsys-logs-to-sg"].regimes


def test_codes_and_names_compare_case_insensitively(tmp_path: Path) -> None:
    text = POLICY.replace("eq: CN}", "in: [cn]}").replace("any_of: [personal]",
                                                          "any_of: [PERSONAL]")
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    spec = flow("f", "us-dc", "cn-vendor", ["personal"], subjects=10,
                transfer_kind="vendor_agreement")
    v = evaluate_estate(estate(spec), date(2026, 6, 1), load_rule_set([tmp_path]))[0]
    assert "acme.no-cn-vendors" in v.rules_fired


def test_condition_ref_cycle_is_reported(tmp_path: Path) -> None:
    text = POLICY.replace("rules:\n", "conditions:\n  a: {ref: b}\n  b: {ref: a}\nrules:\n")
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInputError, match="cycle"):
        load_rule_set([tmp_path])


def test_transfers_with_bad_rules_dir_exits_2(tmp_path: Path, demo_estate: Path) -> None:
    result = run_cli("transfers", str(demo_estate), "--rules", str(tmp_path / "missing"))
    assert result.returncode == 2
    assert "not a folder of rule packs" in result.stderr
