"""``stackrift compliance obligations|plan``, ``assess --controls`` and ``schema controls``,
run in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import Cli

AS_OF = "2026-12-04"
DEMO_CONTROLS = Path(__file__).resolve().parents[1] / "compliance" / "data" / "demo-controls.yaml"


@pytest.fixture
def no_shared_oscal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run where the default OSCAL folder is absent (the run must say titles were not read)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_obligations_json_names_filings_and_caveats(cli: Cli, demo_estate: Path,
                                                    no_shared_oscal: Path) -> None:
    run = cli("compliance", "obligations", str(demo_estate), "--as-of", AS_OF, "-f", "json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["caveats"] and "OSCAL" in data["caveats"][0]
    assert "caveat: " in run.err  # said on the terminal too, never silently
    rows = next(t for t in data["tables"] if t["title"] == "Obligations")["rows"]
    by_key = {(r[0], r[1]): r for r in rows}
    assert by_key[("cn-support-bot", "cn-genai-measures:art17")][3] == "applies"
    hr = by_key[("eu-hr-analytics", "eu-ai-act:art49")]
    assert hr[3] == "future" and hr[4] == "2027-12-02"
    undetermined = [r for r in rows if r[3] == "undetermined"]
    assert undetermined and all(r[5] for r in undetermined)  # the missing facts are named


def test_obligations_text_and_markdown_to_file(cli: Cli, demo_estate: Path,
                                               tmp_path: Path) -> None:
    out = tmp_path / "obligations.md"
    run = cli("compliance", "obligations", str(demo_estate), "--as-of", AS_OF, "-f", "md",
              "-o", str(out))
    assert run.code == 0, run.err
    text = out.read_text(encoding="utf-8")
    assert "| system | jurisdiction | applies now | applies later | undetermined |" in text
    run = cli("compliance", "obligations", str(demo_estate), "--as-of", AS_OF)
    assert run.code == 0 and "cn-support-bot" in run.out


def test_plan_is_cheaper_than_per_framework_plans(cli: Cli, demo_estate: Path) -> None:
    run = cli("compliance", "plan", str(demo_estate), "--controls", str(DEMO_CONTROLS),
              "--as-of", AS_OF, "-f", "json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["joint_cost"] < data["separate_cost"]
    assert data["saving"] == data["separate_cost"] - data["joint_cost"] > 0
    assert data["all_optimal"] is True
    chosen = next(t for t in data["tables"] if t["title"].startswith("Chosen controls"))
    assert "AI-RISK-PROCESS" in {r[0] for r in chosen["rows"]}
    gaps = next(t for t in data["tables"] if t["title"].startswith("Not covered"))
    assert any(r[2].startswith("undetermined") for r in gaps["rows"])


def test_plan_needs_controls(cli: Cli, demo_estate: Path) -> None:
    assert cli("compliance", "plan", str(demo_estate)).code == 2


def test_unknown_control_id_is_a_located_error(cli: Cli, demo_estate: Path,
                                               tmp_path: Path) -> None:
    controls = tmp_path / "controls.yaml"
    controls.write_text("controls:\n  - id: X\n    satisfies: [eu-ai-act:art999]\n",
                        encoding="utf-8")
    run = cli("compliance", "obligations", str(demo_estate), "--controls", str(controls))
    assert run.code == 2
    assert f"{controls}:3:" in run.err and "eu-ai-act:art999" in run.err
    assert "Traceback" not in run.err


def test_assess_passes_controls_to_the_analysis(cli: Cli, demo_estate: Path) -> None:
    run = cli("assess", str(demo_estate), "-a", "compliance", "--controls", str(DEMO_CONTROLS),
              "--as-of", AS_OF, "-f", "json", "--db", "/nonexistent/none.db")
    assert run.code in (0, 1), run.err
    findings = json.loads(run.out)["findings"]
    rules = {f["rule"] for f in findings}
    assert "obligation-met" in rules and "obligation-missing" in rules
    assert "obligation-undetermined" in rules


def test_schema_controls(cli: Cli) -> None:
    run = cli("schema", "controls")
    assert run.code == 0
    schema = json.loads(run.out)
    assert "controls" in schema["properties"]


def test_obligations_and_plan_as_oscal(cli: Cli, demo_estate: Path, tmp_path: Path) -> None:
    from trestle.oscal.assessment_results import AssessmentResults
    from trestle.oscal.poam import PlanOfActionAndMilestones

    results = tmp_path / "ar.json"
    run = cli("compliance", "obligations", str(demo_estate), "--controls", str(DEMO_CONTROLS),
              "--as-of", AS_OF, "-f", "oscal", "-o", str(results))
    assert run.code == 0, run.err
    document = json.loads(results.read_text(encoding="utf-8"))["assessment-results"]
    assert AssessmentResults.model_validate(document).results[0].findings
    poam = tmp_path / "poam.json"
    run = cli("compliance", "plan", str(demo_estate), "--controls", str(DEMO_CONTROLS),
              "--as-of", AS_OF, "-f", "oscal", "-o", str(poam))
    assert run.code == 0, run.err
    document = json.loads(poam.read_text(encoding="utf-8"))["plan-of-action-and-milestones"]
    items = PlanOfActionAndMilestones.model_validate(document).poam_items
    assert any(i.title == "Put control AI-RISK-PROCESS in place" for i in items)


def test_obligations_as_xlsx(cli: Cli, demo_estate: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "obligations.xlsx"
    run = cli("compliance", "obligations", str(demo_estate), "--controls", str(DEMO_CONTROLS),
              "--as-of", AS_OF, "-f", "xlsx", "-o", str(out))
    assert run.code == 0, run.err
    assert f"wrote {out}" in run.err
    rows = list(load_workbook(out, read_only=True)["Obligations"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    plan_column = header.index("smallest control set")
    # with a controls file the workbook names the chosen controls covering each obligation
    assert any(r[plan_column] for r in body)
    assert len({(r[0], r[1], r[2]) for r in body}) == len(body) > 1000


def test_component_definition_as_controls_with_a_located_error(cli: Cli, demo_estate: Path,
                                                               tmp_path: Path) -> None:
    component = tmp_path / "component.json"
    component.write_text(json.dumps({"component-definition": {"components": [{
        "title": "GRC", "control-implementations": [{
            "source": "https://example.org/sp800-53-rev5-catalog.json",
            "implemented-requirements": [{"control-id": "ra-3"}, {"control-id": "qq-1"}]}]}]}},
        indent=1), encoding="utf-8")
    run = cli("compliance", "obligations", str(demo_estate), "--controls", str(component),
              "--as-of", AS_OF)
    assert run.code == 2 and "Traceback" not in run.err
    assert f"{component}:14:23:" in run.err and "unknown control-id 'qq-1'" in run.err
    component.write_text(component.read_text().replace("qq-1", "ra-5"))
    run = cli("compliance", "obligations", str(demo_estate), "--controls", str(component),
              "--as-of", AS_OF, "-f", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["tables"][2]["title"].startswith("Obligations met")


FRAMEWORK_DATA = Path(__file__).resolve().parents[1] / "compliance" / "data"


@pytest.mark.parametrize(("files", "located"), [
    # a framework file with a duplicate requirement id
    ({"dup.yaml": "fw-duplicate.yaml"}, "dup.yaml:9:10: duplicate requirement id 'r1'"),
    # a mapping to a requirement that does not exist
    ({"acme-policy.yaml": "bad-crosswalk/acme-policy.yaml",
      "broken.yaml": "bad-crosswalk/broken.yaml"},
     "broken.yaml:5:13: mapping target 'eu-ai-act:art999' names no loaded requirement"),
])
@pytest.mark.parametrize("command", ["obligations", "plan"])
def test_bad_framework_folders_are_located_errors(cli: Cli, demo_estate: Path, tmp_path: Path,
                                                   files: dict[str, str], located: str,
                                                   command: str) -> None:
    folder = tmp_path / "frameworks"
    folder.mkdir()
    for name, source in files.items():
        (folder / name).write_text((FRAMEWORK_DATA / source).read_text(encoding="utf-8"),
                                   encoding="utf-8")
    extra = ["--controls", str(DEMO_CONTROLS)] if command == "plan" else []
    run = cli("compliance", command, str(demo_estate), "--frameworks", str(folder), *extra)
    assert run.code == 2 and "Traceback" not in run.err
    assert f"{folder}/{located}" in run.err


def test_framework_id_defined_twice_is_a_located_error(cli: Cli, demo_estate: Path,
                                                       tmp_path: Path) -> None:
    folder = tmp_path / "frameworks"
    folder.mkdir()
    text = (FRAMEWORK_DATA / "fw-duplicate.yaml").read_text(encoding="utf-8")
    (folder / "a.yaml").write_text(text.replace("id: r1, kind: obligation, title: Second",
                                                "id: r2, kind: obligation, title: Second"),
                                   encoding="utf-8")
    (folder / "b.yaml").write_text((folder / "a.yaml").read_text(), encoding="utf-8")
    run = cli("assess", str(demo_estate), "-a", "compliance", "--frameworks", str(folder),
              "--db", "/nonexistent/none.db")
    assert run.code == 2 and "Traceback" not in run.err
    assert f"{folder}/b.yaml:1:5: framework id 'dup-fw' is already defined in" in run.err
