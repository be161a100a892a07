"""`assess --waivers` and `--vex` reach the vulnerabilities analysis; suppressions are counted."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli.helpers import run_cli


def _run_assess(demo_estate: Path, tmp_path: Path,
                *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("assess", str(demo_estate), "-a", "vulnerabilities",
                   "--db", str(tmp_path / "store.db"), *extra)


def _assess(demo_estate: Path, tmp_path: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    result = _run_assess(demo_estate, tmp_path, "-f", "json", "--as-of", "2026-11-15", *extra)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_waiver_suppresses_and_is_counted(demo_estate: Path, tmp_path: Path) -> None:
    before = _assess(demo_estate, tmp_path)
    target = before["findings"][0]
    waived_id = target["evidence"]["ids"][0]
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        f"waivers:\n  - id: {waived_id}\n    purl: {target['evidence']['purl']}\n"
        "    reason: \"Not reachable: the affected loader is never called\"\n"
        "    expires: 2027-06-30\n",
        encoding="utf-8",
    )
    after = _assess(demo_estate, tmp_path, "--waivers", str(waivers))
    summary = after["analyses"]["vulnerabilities"]["summary"]
    assert summary["suppressed"] >= 1
    assert target["id"] not in {f["id"] for f in after["findings"]}
    assert len(after["findings"]) == len(before["findings"]) - summary["suppressed"]


def test_waiver_without_reason_is_bad_input(demo_estate: Path, tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - id: CVE-2023-6730\n", encoding="utf-8")
    result = _run_assess(demo_estate, tmp_path, "--waivers", str(waivers))
    assert result.returncode == 2
    assert f"{waivers}:2:5: waivers[0] (CVE-2023-6730) has no reason" in result.stderr
    assert "Traceback" not in result.stderr
