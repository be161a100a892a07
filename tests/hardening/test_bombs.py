"""Bombs and unbounded input: every YAML input counts alias expansion before building values,
every file read is bounded (devices and pipes included), and a DTD is refused wherever it is."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stackrift.advisories import feed
from stackrift.advisories.cnvd import CnvdFeed
from stackrift.advisories.model import Rejection
from stackrift.advisories.osv import OsvFeed, parse_osv_bytes
from stackrift.advisories.vex import load_vex, load_waivers
from stackrift.bom import _common
from stackrift.bom.base import read_bom
from stackrift.catalog.catalogue import load_catalogue
from stackrift.errors import InvalidInputError
from stackrift.estate import yamlsource
from stackrift.estate.loader import load_estate
from stackrift.plan.scenario import load_scenario
from stackrift.rules.loader import load_pack


def laughs(levels: int = 9, width: int = 9) -> str:
    """A YAML "billion laughs": a few hundred bytes expanding to ``width ** levels`` values."""
    lines = ["l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


RECURSIVE = "a: &x [1, *x]\n"


def _osv(path: Path) -> Any:
    return [r.reason for r in OsvFeed().parse(path) if isinstance(r, Rejection)]


YAML_LOADERS: dict[str, Callable[[Path], Any]] = {
    "estate": load_estate,
    "rule pack": load_pack,
    "scenario": load_scenario,
    "waivers": load_waivers,
    "catalogue": lambda path: load_catalogue(path.parent),
    "model card": lambda path: read_bom(path.parent, "huggingface"),
}


@pytest.mark.parametrize("name", sorted(YAML_LOADERS))
@pytest.mark.parametrize("document", ["laughs", "recursive"])
def test_every_yaml_input_refuses_alias_bombs(tmp_path: Path, name: str, document: str) -> None:
    text = laughs() if document == "laughs" else RECURSIVE
    if name == "model card":
        path = tmp_path / "README.md"
        path.write_text(f"---\n{text}---\n", encoding="utf-8")
        (tmp_path / "config.json").write_text('{"model_type": "llama"}', encoding="utf-8")
    else:
        path = tmp_path / "input.yaml"
        path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInputError, match="alias"):
        YAML_LOADERS[name](path)


@pytest.mark.parametrize("document", ["laughs", "recursive"])
def test_osv_yaml_alias_bomb_is_a_rejection(tmp_path: Path, document: str) -> None:
    body = laughs() if document == "laughs" else RECURSIVE
    path = tmp_path / "PYSEC-2024-1.yaml"
    path.write_text("id: PYSEC-2024-1\n" + body, encoding="utf-8")
    reasons = _osv(path)
    assert len(reasons) == 1 and "alias" in reasons[0]
    outcome = parse_osv_bytes(path.read_bytes(), str(path), yaml_text=True)
    assert isinstance(outcome, Rejection)


def test_large_osv_yaml_bomb_is_refused_quickly(tmp_path: Path) -> None:
    # ~14 KB expanding to ~10^13 values: counted through shared nodes, never built
    path = tmp_path / "GHSA-bomb.yaml"
    path.write_text("id: GHSA-bomb\n" + laughs(levels=14, width=150) + "aliases: *l13\n",
                    encoding="utf-8")
    assert path.stat().st_size < 30_000
    reasons = _osv(path)
    assert len(reasons) == 1 and "expands to" in reasons[0]


def _fifo_with(tmp_path: Path, data: bytes, name: str = "pipe.json") -> Path:
    """A FIFO whose writer (a thread) writes ``data`` once a reader opens it."""
    path = tmp_path / name
    os.mkfifo(path)

    def write() -> None:
        try:
            with path.open("wb") as handle:
                handle.write(data)
        except BrokenPipeError:
            pass  # the reader stopped at its limit, as it should

    threading.Thread(target=write, daemon=True).start()
    return path


def test_fifo_read_is_bounded_and_names_the_limit(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_common, "MAX_DOCUMENT_BYTES", 1000)
    path = _fifo_with(tmp_path, b'{"bomFormat": "CycloneDX", "components": []' + b" " * 5000
                      + b"}")
    with pytest.raises(InvalidInputError, match=r"more than the limit of 1,000 bytes"):
        _common.read_bytes(path, _common.MAX_DOCUMENT_BYTES)


@pytest.mark.parametrize("reader", ["bom", "estate", "feed", "vex"])
def test_dev_zero_is_bounded(reader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    zero = Path("/dev/zero")
    if not zero.exists():
        pytest.skip("no /dev/zero on this system")
    monkeypatch.setattr(_common, "MAX_DOCUMENT_BYTES", 4096)
    monkeypatch.setattr(yamlsource, "MAX_FILE_BYTES", 4096)
    monkeypatch.setattr(feed, "MAX_FILE_BYTES", 4096)
    monkeypatch.setattr("stackrift.advisories.vex.MAX_VEX_BYTES", 4096)
    run: dict[str, Callable[[], object]] = {
        "bom": lambda: read_bom(zero, "cyclonedx-json"),
        "estate": lambda: load_estate(zero),
        "feed": lambda: list(OsvFeed().parse(zero)),
        "vex": lambda: load_vex(zero),
    }
    with pytest.raises(InvalidInputError, match=r"device or pipe holds more data.*4,096 bytes"):
        run[reader]()


def test_oversized_sbom_refused_before_reading(tmp_path: Path) -> None:
    # sparse: 129 MiB on paper, nothing on disk; the limit is checked before any byte is read
    path = tmp_path / "huge.cdx.json"
    with path.open("wb") as handle:
        handle.truncate(129 * 1024 * 1024)
    with pytest.raises(InvalidInputError, match=r"more than the limit of 134,217,728 bytes "
                       r"\(128 MiB\)"):
        read_bom(path, "cyclonedx-json")


def test_cnvd_doctype_after_the_first_8_kb_is_refused(tmp_path: Path) -> None:
    padding = "<!-- " + "x" * 20_000 + " -->"
    path = tmp_path / "cnvd.xml"
    path.write_text('<?xml version="1.0"?>' + padding
                    + '<!DOCTYPE v [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                    '<vulnerabilitys><vulnerability><number>CNVD-2021-1</number>'
                    '<title>&x;</title></vulnerability></vulnerabilitys>', encoding="utf-8")
    with pytest.raises(InvalidInputError, match="document type or entities"):
        list(CnvdFeed().parse(path))
