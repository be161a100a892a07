"""The one output writer: -o files written atomically, --json as a deprecated alias, Markdown
from the same tables as the text, summaries on standard error."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.cli.conftest import Cli

from stackrift.cli.output import write_atomic
from stackrift.errors import UsageError


def test_atomic_write_replaces_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.txt"
    write_atomic(target, "first\n")
    write_atomic(target, "second\n")
    assert target.read_text(encoding="utf-8") == "second\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.txt"]


@pytest.mark.parametrize("content", ["through the pipe\n", [b"through ", b"the pipe\n"]])
def test_a_named_pipe_is_written_in_place_not_replaced(tmp_path: Path,
                                                       content: str | list[bytes]) -> None:
    """As /dev/null or /dev/stdout would be: renaming over a device replaces it with a file."""
    import stat
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    write_atomic(pipe, content)
    reader.join(timeout=10)
    assert received == [b"through the pipe\n"]
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_failed_write_keeps_the_old_file_and_names_the_path(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old\n", encoding="utf-8")

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fdopen", refuse)
    with pytest.raises(UsageError, match=r"report\.txt: cannot write output"):
        write_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]


def test_json_alias_still_works_with_a_deprecation_note(cli: Cli) -> None:
    old = cli("catalog", "list", "--json")
    new = cli("catalog", "list", "-f", "json")
    assert old.code == new.code == 0
    assert json.loads(old.out) == json.loads(new.out)
    assert "--json is deprecated" in old.err and "-f json" in old.err
    assert new.err == ""


def test_json_alias_is_hidden_from_help(cli: Cli) -> None:
    shown = cli("catalog", "list", "--help")
    assert "--format" in shown.out and "--json" not in shown.out


def test_catalog_list_markdown_has_every_vendor(cli: Cli) -> None:
    listing = json.loads(cli("catalog", "list", "-f", "json").out)
    text = cli("catalog", "list", "-f", "md").out
    assert "| vendor | country | bloc | Entity List | products |" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "vendor" not in line]
    assert len(rows) == len(listing["vendors"])


def test_output_file_gets_the_report_and_stdout_stays_empty(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "catalogue.md"
    result = cli("catalog", "list", "-f", "md", "-o", str(target))
    assert result.code == 0 and result.out == ""
    assert f"wrote {target}" in result.err
    assert target.read_text(encoding="utf-8").startswith("**Provenance catalogue")


def test_piped_catalogue_keeps_every_vendor_name_whole(cli: Cli) -> None:
    listing = json.loads(cli("catalog", "list", "-f", "json").out)
    text = cli("catalog", "list").out  # captured: not a terminal, so natural width
    assert [v["name"] for v in listing["vendors"] if v["name"] not in text] == []


def test_validate_summary_on_stderr_or_as_json(cli: Cli, demo_estate: Path) -> None:
    text = cli("validate", str(demo_estate))
    assert text.code == 0 and text.out == "" and "valid estate" in text.err
    document = json.loads(cli("validate", str(demo_estate), "-f", "json").out)
    assert document["valid"] is True and document["counts"]["systems"] > 0


def test_schema_as_yaml_is_the_same_document(cli: Cli) -> None:
    import yaml

    as_json = json.loads(cli("schema", "waivers").out)
    assert yaml.safe_load(cli("schema", "waivers", "-f", "yaml").out) == as_json


def test_rules_show_as_text_and_rules_check_as_json(cli: Cli) -> None:
    from tests.conftest import REPO_ROOT

    shown = cli("rules", "show", "us.doj.401.restricted", "-f", "terminal")
    assert shown.code == 0 and "us.doj.401.restricted" in shown.out and "disclaimer" in shown.out
    folder = REPO_ROOT / "docs" / "examples" / "rules"
    checked = json.loads(cli("rules", "check", str(folder), "-f", "json").out)
    assert checked["valid"] is True and checked["packs"] >= 1 and checked["rules"] >= 1


def test_init_writes_json_through_o(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "estate.json"
    assert cli("init", "-f", "json", "-o", str(target)).code == 0
    assert json.loads(target.read_text(encoding="utf-8"))["organisation"]
    assert cli("validate", str(target)).code == 0
    clash = cli("init", str(tmp_path / "a.yaml"), "-o", str(tmp_path / "b.yaml"))
    assert clash.code == 2 and "expected one" in clash.err


@pytest.mark.parametrize("message", [
    "wrote /tmp/report.json", "wrote ./a b/c-d_e+f,g=h@i%j(k)'l\"m#n~o", "  spaced  ", "x" * 400,
    "[bold]not markup[/bold]", "a;b|c&d*e?f<g>h!i$j`k\\l^m{n}", "",
    # not plain: written by the console (emoji codes, control characters, other scripts)
    "caveat: :smile: here", "tab\there", "bell\x07", "é and 中文"])
def test_a_plain_note_is_written_as_the_console_writes_it(
        message: str, capsys: pytest.CaptureFixture[str]) -> None:
    from stackrift.cli import output
    from stackrift.textsafe import SafeConsole

    output.note(message)
    written = capsys.readouterr().err
    console = SafeConsole(stderr=True, soft_wrap=True)
    console.print(message, style=None, markup=False, highlight=False)
    assert written == capsys.readouterr().err
