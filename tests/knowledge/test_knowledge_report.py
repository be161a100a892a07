"""Reports record the knowledge set they were produced with."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from tests.knowledge.conftest import CliRunner, reseal

from stackrift.report.json_schema import report_schema


def test_reports_record_the_installed_knowledge_version(
        cli: CliRunner, exported: Path, home: Path, demo_estate: Path, tmp_path: Path) -> None:
    reseal(cli, exported, "2026.12.42")
    assert cli("knowledge", "update", "--from", str(exported)).code == 0
    shown = json.loads(cli("knowledge", "show", "--json").out)
    result = cli("assess", str(demo_estate), "--as-of", "2026-11-15", "-f", "json")
    assert result.code in (0, 1), result.err
    report = json.loads(result.out)
    jsonschema.Draft202012Validator(report_schema()).validate(report)
    assert report["knowledge"] == {
        "version": "2026.12.42", "date": "2026-12-03", "source": "installed",
        "location": shown["location"], "digest": shown["digest"]}
    sarif = json.loads(cli("assess", str(demo_estate), "--as-of", "2026-11-15", "-f",
                           "sarif").out)
    assert sarif["runs"][0]["properties"]["knowledge"]["version"] == "2026.12.42"
    markdown = cli("assess", str(demo_estate), "--as-of", "2026-11-15", "-f", "md").out
    assert "- Knowledge: 2026.12.42 (2026-12-03, installed at " in markdown
    html = cli("assess", str(demo_estate), "--as-of", "2026-11-15", "-f", "html").out
    assert f"knowledge 2026.12.42 (<code>sha256:{shown['digest']}</code>)" in html


def test_reports_record_the_packaged_set_by_default(cli: CliRunner, home: Path,
                                                    demo_estate: Path) -> None:
    from stackrift.knowledge.sets import packaged_set

    report = json.loads(cli("assess", str(demo_estate), "--as-of", "2026-11-15", "-f",
                            "json").out)
    shipped = packaged_set().manifest
    assert report["knowledge"]["source"] == "packaged"
    assert report["knowledge"]["location"] is None
    assert report["knowledge"]["version"] == shipped.version
    assert report["knowledge"]["digest"] == shipped.digest()
