"""`stackrift knowledge update`: verified, validated, atomic; every loader reads the new set."""

from __future__ import annotations

import io
import json
import tarfile
import threading
from collections.abc import Iterator
from datetime import date
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from tests.cli.helpers import run_cli
from tests.knowledge.conftest import CliRunner, replace_in, reseal


def _show(cli: CliRunner) -> dict[str, object]:
    result = cli("knowledge", "show", "--json")
    assert result.code == 0, result.err
    shown: dict[str, object] = json.loads(result.out)
    return shown


def _add_records(folder: Path) -> None:
    """A new vendor, rule pack, scenario and country group, copied from shipped records."""
    vendor = next(v for f in sorted((folder / "catalog" / "data").glob("*.yaml"))
                  for v in (yaml.safe_load(f.read_text("utf-8")).get("vendors") or ()))
    vendor = {**vendor, "id": "zz-vendor", "name": "Zed Test Vendor", "aliases": [],
              "hf_orgs": [], "purl_namespaces": [], "cpe_vendors": [], "parent": None}
    (folder / "catalog" / "data" / "zz-extra.yaml").write_text(
        yaml.safe_dump({"vendors": [vendor]}), encoding="utf-8")
    pack = yaml.safe_load((folder / "rules" / "packs" / "sg.yaml").read_text("utf-8"))
    pack["pack"] = "zz"
    pack["rules"] = [{**r, "id": f"zz.{r['id']}"} for r in pack["rules"]]
    (folder / "rules" / "packs" / "zz.yaml").write_text(yaml.safe_dump(pack), encoding="utf-8")
    scenario_file = sorted((folder / "plan" / "scenarios").glob("*.yaml"))[0]
    scenario = {**yaml.safe_load(scenario_file.read_text("utf-8")), "id": "zz-scenario"}
    (folder / "plan" / "scenarios" / "zz-scenario.yaml").write_text(
        yaml.safe_dump(scenario), encoding="utf-8")
    groups_file = folder / "plan" / "data" / "country_groups.yaml"
    groups = yaml.safe_load(groups_file.read_text("utf-8"))
    groups["groups"].append({**groups["groups"][0], "id": "Z:9"})
    groups_file.write_text(yaml.safe_dump(groups), encoding="utf-8")


def test_update_from_directory_makes_every_loader_read_the_new_set(
        cli: CliRunner, exported: Path, home: Path) -> None:
    from stackrift.catalog.catalogue import load_catalogue
    from stackrift.plan.groups import country_groups
    from stackrift.plan.scenario import packaged_scenarios
    from stackrift.rules.engine import load_rule_set

    assert _show(cli)["source"] == "packaged"
    assert load_catalogue().vendor_by_name("Zed Test Vendor") is None
    _add_records(exported)
    reseal(cli, exported, "2026.12.9")
    result = cli("knowledge", "update", "--from", str(exported))
    assert result.code == 0, result.err
    shown = _show(cli)
    assert (shown["version"], shown["source"]) == ("2026.12.9", "installed")
    assert str(home) in str(shown["location"])
    assert load_catalogue().vendor_by_name("Zed Test Vendor") is not None
    assert load_rule_set().rule("zz.sg.pdpa.26.transfer-limitation") is not None
    assert "zz-scenario" in {p.stem for p in packaged_scenarios()}
    assert "Z:9" in country_groups()
    assert cli("knowledge", "reset").code == 0
    assert _show(cli)["source"] == "packaged"
    assert "Z:9" not in country_groups()


def test_tampered_file_is_refused_and_the_active_set_stays(
        cli: CliRunner, exported: Path, home: Path) -> None:
    reseal(cli, exported, "2026.12.8")
    assert cli("knowledge", "update", "--from", str(exported)).code == 0
    replace_in(exported / "plan" / "data" / "country_groups.yaml", "D:5", "D:6")
    result = cli("knowledge", "update", "--from", str(exported))
    assert result.code == 2
    assert "plan/data/country_groups.yaml: SHA-256 differs from the manifest" in result.err
    assert "Traceback" not in result.err
    assert _show(cli)["version"] == "2026.12.8"
    assert [p.name for p in (home / "sets").iterdir()] == [f"2026.12.8-{_digest(cli)[:12]}"]


def _digest(cli: CliRunner) -> str:
    return str(_show(cli)["digest"])


def test_missing_and_extra_files_are_refused(cli: CliRunner, exported: Path, home: Path) -> None:
    (exported / "rules" / "packs" / "sg.yaml").unlink()
    result = cli("knowledge", "update", "--from", str(exported))
    assert result.code == 2
    assert "rules/packs/sg.yaml: file named in the manifest is missing" in result.err
    reseal(cli, exported)
    (exported / "rules" / "packs" / "extra.yaml").write_text("pack: extra\n", encoding="utf-8")
    result = cli("knowledge", "update", "--from", str(exported))
    assert result.code == 2
    assert "rules/packs/extra.yaml: file not named in the manifest" in result.err
    assert _show(cli)["source"] == "packaged"


def test_manifest_path_traversal_is_refused(cli: CliRunner, exported: Path, home: Path) -> None:
    manifest = json.loads((exported / "manifest.json").read_text("utf-8"))
    manifest["files"]["rules/packs/../../../evil.yaml"] = manifest["files"].pop(
        "rules/packs/sg.yaml")
    (exported / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = cli("knowledge", "update", "--from", str(exported))
    assert result.code == 2
    assert "file 'rules/packs/../../../evil.yaml': path leaves the knowledge set" in result.err
    assert not (home / "evil.yaml").exists()


def test_symlink_in_a_set_is_refused(cli: CliRunner, exported: Path, home: Path,
                                     tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("secret: 1\n", encoding="utf-8")
    (exported / "plan" / "data" / "link.yaml").symlink_to(outside)
    result = cli("knowledge", "update", "--from", str(exported))
    assert result.code == 2
    assert "symbolic link in a knowledge set" in result.err


def test_set_that_does_not_load_is_refused_with_its_location(
        cli: CliRunner, exported: Path, home: Path) -> None:
    from stackrift.knowledge.manifest import build_manifest

    replace_in(exported / "rules" / "packs" / "sg.yaml", "outcome:", "outcome_typo:")
    assert cli("knowledge", "manifest", str(exported), "--version", "9").code == 2  # validates
    # A publisher that skipped validation: the manifest is right, the content is not.
    manifest = build_manifest(exported, "2026.12.5", date(2026, 12, 3))
    (exported / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    result = cli("knowledge", "update", "--from", str(exported))
    assert result.code == 2
    assert "rules/packs/sg.yaml:" in result.err
    assert "outcome_typo" in result.err
    assert _show(cli)["source"] == "packaged"


def _tar(folder: Path, target: Path, extra: dict[str, bytes] | None = None) -> Path:
    with tarfile.open(target, "w:gz") as tar:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=path.relative_to(folder).as_posix())
        for name, data in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def test_archive_with_traversal_or_link_is_refused(cli: CliRunner, exported: Path, home: Path,
                                                   tmp_path: Path) -> None:
    bad = _tar(exported, tmp_path / "bad.tar.gz", {"../escape.yaml": b"x: 1\n"})
    result = cli("knowledge", "update", "--from", str(bad))
    assert result.code == 2
    assert "entry '../escape.yaml': path leaves the knowledge set" in result.err
    assert not (tmp_path / "escape.yaml").exists()
    linked = tmp_path / "link.tar.gz"
    with tarfile.open(linked, "w:gz") as tar:
        info = tarfile.TarInfo("plan/data/link.yaml")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    result = cli("knowledge", "update", "--from", str(linked))
    assert result.code == 2
    assert "not a plain file" in result.err


def test_oversized_archive_entry_is_refused(cli: CliRunner, exported: Path, home: Path,
                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    monkeypatch.setattr("stackrift.knowledge.install.MAX_FILE_BYTES", 1000)
    archive = _tar(exported, tmp_path / "set.tar.gz")
    result = cli("knowledge", "update", "--from", str(archive))
    assert result.code == 2
    assert "bytes; at most 1,000" in result.err


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A plain HTTP server on 127.0.0.1 serving the folder ``www``."""
    www = tmp_path / "www"
    www.mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", www
    finally:
        server.shutdown()
        server.server_close()


def test_update_from_url(cli: CliRunner, exported: Path, home: Path,
                         served: tuple[str, Path]) -> None:
    base, www = served
    reseal(cli, exported, "2026.12.7")
    _tar(exported, www / "knowledge.tar.gz")
    result = cli("knowledge", "update", "--from", f"{base}/knowledge.tar.gz")
    assert result.code == 0, result.err
    assert _show(cli)["version"] == "2026.12.7"
    missing = cli("knowledge", "update", "--from", f"{base}/absent.tar.gz")
    assert missing.code == 2
    assert "HTTP 404" in missing.err


def test_update_refuses_plain_http_to_other_hosts(cli: CliRunner, home: Path) -> None:
    result = cli("knowledge", "update", "--from", "http://example.com/knowledge.tar.gz")
    assert result.code == 2
    assert "expected an https URL (plain http only to 127.0.0.1 or localhost)" in result.err


def test_knowledge_option_points_at_a_folder_and_verifies_it(
        cli: CliRunner, exported: Path, home: Path) -> None:
    reseal(cli, exported, "2026.12.6")
    result = cli("--knowledge", str(exported), "knowledge", "show", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["source"] == "directory"
    replace_in(exported / "rules" / "packs" / "sg.yaml", "title:", "title: x")
    # A new process, as a user runs it (a set is verified once per process).
    tampered = run_cli("--knowledge", str(exported), "rules", "list", "--json")
    assert tampered.returncode == 2
    assert "rules/packs/sg.yaml: size " in tampered.stderr
    assert "differs from the manifest (changed or tampered with)" in tampered.stderr
    assert "Traceback" not in tampered.stderr


def test_damaged_pointer_is_an_error_and_reset_recovers(cli: CliRunner, home: Path) -> None:
    home.mkdir(parents=True)
    (home / "active").write_text("../../etc\n", encoding="utf-8")
    result = cli("knowledge", "show")
    assert result.code == 2
    assert "is not a knowledge set name" in result.err
    assert cli("knowledge", "reset").code == 0
    assert _show(cli)["source"] == "packaged"


def test_installed_set_changed_afterwards_is_refused_at_use(cli: CliRunner, exported: Path,
                                                            home: Path) -> None:
    reseal(cli, exported, "2026.12.4")
    assert cli("knowledge", "update", "--from", str(exported)).code == 0
    installed = next((home / "sets").iterdir())
    replace_in(installed / "plan" / "data" / "country_groups.yaml", "D:5", "D:6")
    result = run_cli("catalog", "list", "--json")  # a new process verifies the set again
    assert result.returncode == 2
    assert "country_groups.yaml: SHA-256 differs from the manifest" in result.stderr
