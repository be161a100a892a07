"""Terminal escape injection: estate text, SBOM names and advisory text never reach a terminal
or a plain-text report as control sequences or rich markup."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.table import Table

from stackrift.cli import main
from stackrift.textsafe import SafeConsole, markup, plain

# clear screen, window title (OSC 0), hyperlink (OSC 8), cursor up (CSI), 8-bit CSI, bidi override
HOSTILE = ("\x1b[2J\x1b]0;pwned\x07\x1b]8;;https://evil.example\x07click\x1b]8;;\x07"
           "\x1b[1A\x9b2J\u202etxt.exe[bold]loud[/bold][link=https://evil.example]x[/link]")
FORBIDDEN = ("\x1b", "\x9b", "\x07", "\u202e")


def _clean(text: str) -> None:
    for char in FORBIDDEN:
        assert char not in text, f"{char!r} reached the output"


def test_plain_escapes_controls_and_keeps_layout() -> None:
    assert plain("a\tb\nc\x1b[2J\x7f\x85\u2066") == "a\tb\nc\\u001b[2J\\u007f\\u0085\\u2066"
    assert plain("a\nb", single_line=True) == "a\\u000ab"
    assert plain("\ud800") == "\\ud800"  # a lone surrogate cannot even be encoded
    assert json.loads(json.dumps("x") .replace("x", plain("\u202ex"))) == "\u202ex"
    assert markup("[bold]x[/bold]") == "\\[bold]x\\[/bold]"


def test_safe_console_filters_text_but_keeps_its_own_styles() -> None:
    buffer = io.StringIO()
    console = SafeConsole(file=buffer, force_terminal=True, color_system="standard",
                          highlight=False, width=400)
    table = Table("name")
    table.add_row(markup(HOSTILE))
    console.print(table)
    console.print("[bold]ours[/bold] " + markup(HOSTILE))
    text = buffer.getvalue()
    assert "\x1b[1m" in text  # rich's own bold
    assert "]0;pwned" in text and "\x1b]0;pwned" not in text and "\x1b]8;" not in text
    assert "\\u001b" in text and "[bold]loud[/bold]" in text and "[link=" in text


def _hostile_estate(tmp_path: Path) -> Path:
    path = tmp_path / "estate.yaml"
    name = json.dumps(HOSTILE)  # a JSON string is a YAML double-quoted scalar, escapes included
    path.write_text("schema_version: 1\n"
                    f"organisation: {{name: {name}, hq_country: US}}\n"
                    "entities: [{id: e1, name: " + name + ", country: US}]\n"
                    "components: [{id: c1, type: framework, name: " + name + ", vendor: "
                    + name + ", version: '1.0'}]\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("output_format", ["terminal", "md"])
def test_assess_outputs_are_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  output_format: str) -> None:
    estate = _hostile_estate(tmp_path)
    target = tmp_path / f"report.{output_format}"
    with pytest.raises(SystemExit):
        main(["assess", str(estate), "-f", output_format, "-o", str(target)])
    captured = capsys.readouterr()
    text = target.read_text(encoding="utf-8")
    assert "txt.exe" in text  # the name is shown, escaped
    _clean(text)
    _clean(captured.out + captured.err)


def test_validate_error_messages_are_clean(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text("schema_version: 1\norganisation: {name: a, hq_country: US}\n"
                    f"{json.dumps(HOSTILE)}: 1\n", encoding="utf-8")
    with pytest.raises(SystemExit) as caught:
        main(["validate", str(path)])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "unknown key" in err and "[bold]loud[/bold]" in err
    _clean(err)


def test_usage_error_quoting_an_argument_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["assess", "--no-such-option\x1b]0;pwned\x07"])
    assert caught.value.code == 2
    _clean(capsys.readouterr().err)


def test_scan_table_shows_sbom_names_literally(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one table row per line
    sbom = tmp_path / "bom.cdx.json"
    sbom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                                "components": [{"type": "library", "bom-ref": "t",
                                                "name": HOSTILE, "version": "2.3.0",
                                                "purl": "pkg:pypi/torch@2.3.0"}]}))
    db = tmp_path / "store.sqlite"
    osv = tmp_path / "osv"
    osv.mkdir()
    (osv / "PYSEC-2099-1.json").write_text(json.dumps({
        "id": "PYSEC-2099-1", "modified": "2099-01-01T00:00:00Z", "summary": HOSTILE,
        "affected": [{"package": {"ecosystem": "PyPI", "name": "torch"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}))
    with pytest.raises(SystemExit):
        main(["db", "import", "--db", str(db), str(osv)])
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["scan", str(sbom), "--db", str(db)])
    out = capsys.readouterr().out
    assert "PYSEC-2099-1" in out and "[bold]loud" in out
    _clean(out)
    with pytest.raises(SystemExit):
        main(["db", "show", "PYSEC-2099-1", "--db", str(db)])
    shown = capsys.readouterr().out
    assert "PYSEC-2099-1" in shown
    _clean(shown)
