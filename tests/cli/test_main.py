"""The command line as a user runs it: exit codes, messages on standard error, no tracebacks."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import run_cli

BROKEN = """\
organisation: {name: Acme, hq_country: USA}
systems:
  - id: s1
    name: Chat
    purpose: chat
    site: nowhere
    critcality: high
"""


def test_validate_malformed_estate_exits_2_with_locations(tmp_path: Path) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    result = run_cli("validate", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"{path}:1:40: organisation.hq_country: 'USA' is not an ISO 3166-1 alpha-2 country "
        "code; an ISO 3166-1 alpha-2 code such as US, DE or CN",
        f"{path}:6:11: system 's1' names site 'nowhere' in 'site', which is not defined; the id "
        "of a defined site (none defined)",
        f"{path}:7:5: unknown key 'critcality' in systems[0]; did you mean 'criticality'? allowed "
        "keys: id, name, purpose, owner, site, criticality, users_countries, ai_act_risk, "
        "public_facing, generative, components, sboms, annual_cost, allowed_sites, "
        "allowed_accelerators, export_licences, training_compute_ops, user_data, "
        "user_data_mechanisms, crypto, ai_roles, high_risk_route, interacts_with_people, "
        "opinion_influence, federal, cii, sector, mlps_level, adopted_frameworks, "
            "gpai_provider, high_impact, frontier_compute, recommender, consequential_decisions",
    ]


def test_validate_demo_estate_exits_0(demo_estate: Path) -> None:
    result = run_cli("validate", str(demo_estate))
    assert result.returncode == 0, result.stderr
    assert "valid estate" in result.stderr


def test_verbose_shows_traceback(tmp_path: Path) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    result = run_cli("-v", "validate", str(path))
    assert result.returncode == 2
    assert "Traceback" in result.stderr


def test_usage_error_exits_2() -> None:
    result = run_cli("assess", "--no-such-option")
    assert result.returncode == 2
    assert "No such option" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_as_of_is_a_usage_error(demo_estate: Path) -> None:
    result = run_cli("assess", str(demo_estate), "--as-of", "2026-13-01")
    assert result.returncode == 2
    assert "--as-of: '2026-13-01' is not a date; expected YYYY-MM-DD" in result.stderr


def test_schema_estate_prints_json_schema() -> None:
    result = run_cli("schema", "estate")
    assert result.returncode == 0
    assert '"$schema": "https://json-schema.org/draft/2020-12/schema"' in result.stdout


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("stackrift ")
