"""The pickle corpus through the command line: every malicious file fails the run with a high or
critical finding, every benign one is clean, and no payload ever runs.

Most variants passed the previous scanner (which paired "the last two strings seen" and stopped
silently at its limits) with exit 0: names built at load time, popped decoys, more than 16
concatenated pickles, polyglots, pickles in unexpected zip members, corrupt and over-long
streams, joblib data after array bytes, compressed pickles, npy object arrays and odd names.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.bom import pickle_corpus
from tests.cli.helpers import run_cli

from stackrift.bom import _pickle_vm, artefacts
from stackrift.cli import main

CATALOGUE = str(Path(__file__).parent / "catalogue")
LONG_OPCODES = 30_000  # the over-long variant, scanned with the opcode limit lowered below
TEST_LIMIT = 20_000
SENTINEL_NAME = "payload-ran"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("pickle-corpus")
    sentinel = root / SENTINEL_NAME
    pickle_corpus.write(root / "malicious", pickle_corpus.malicious(str(sentinel), LONG_OPCODES),
                        sentinel)
    pickle_corpus.write(root / "benign", pickle_corpus.benign(), sentinel)
    return root, sentinel


@pytest.fixture
def low_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_pickle_vm, "MAX_OPCODES", TEST_LIMIT)


MALICIOUS = [v.name for v in pickle_corpus.malicious("/nonexistent", LONG_OPCODES)]
BENIGN = [v.name for v in pickle_corpus.benign()]


def _bom(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(["bom", str(path), "--catalog", CATALOGUE, "--as-of", "2026-12-03"])
    code = exited.value.code
    return (code if isinstance(code, int) else 0), capsys.readouterr().err


def test_corpus_size() -> None:
    assert len(MALICIOUS) >= 30 and len(BENIGN) >= 6
    kinds = {v.kind for v in pickle_corpus.malicious("/x", 10)}
    assert {"load-time name", "decoy", "memo trick", "concatenated", "dangerous family",
            "polyglot", "truncated", "corrupt", "over-long", "npy object dtype",
            "npz object dtype", "joblib", "compressed", "odd extension",
            "content-sniffed"} <= kinds


@pytest.mark.usefixtures("low_limit")
@pytest.mark.parametrize("name", MALICIOUS)
def test_malicious_file_fails_bom_with_high_finding(corpus: tuple[Path, Path], name: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    root, sentinel = corpus
    code, err = _bom(capsys, root / "malicious" / name)
    assert code == 1, err
    assert "CRITICAL: " in err or "HIGH: " in err, err
    assert not sentinel.exists()


@pytest.mark.parametrize("name", BENIGN)
def test_benign_file_is_clean(corpus: tuple[Path, Path], name: str,
                              capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = corpus
    path = root / "benign" / name
    assert artefacts.scan_file(path) == []
    code, err = _bom(capsys, path)
    assert code == 0, err
    assert "0 unsafe model artefacts" in err


def test_assess_reports_every_malicious_file_in_an_estate(corpus: tuple[Path, Path]) -> None:
    """The path users take: systems reference model files in the estate; ``assess`` exits 1 and
    names each file. (The over-long file needs the real limit, so it is left to the test above.)"""
    root, sentinel = corpus
    names = [n for n in MALICIOUS if n != "over-long.pkl"]
    estate = root / "estate.yaml"
    systems = "".join(f"  - id: s{i}\n    name: System {i}\n    purpose: Serves a model.\n"
                      f"    sboms: [malicious/{name}, benign/{BENIGN[i % len(BENIGN)]}]\n"
                      for i, name in enumerate(names))
    estate.write_text("organisation: {name: Acme, hq_country: US}\nsystems:\n" + systems)
    result = run_cli("assess", str(estate), "--format", "json", "--analysis", "artefacts",
                     "--as-of", "2026-12-03")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    flagged: dict[str, set[str]] = {}
    for finding in report["findings"]:
        if finding["analysis"] == "artefacts" and finding["severity"] in ("high", "critical"):
            file = Path(finding["evidence"]["file"].split("!")[0].split(" (")[0])
            flagged.setdefault(file.parent.name, set()).add(file.name)
    assert flagged.get("malicious", set()) == set(names)
    assert "benign" not in flagged
    assert not sentinel.exists()


def test_scan_of_a_model_file_reports_its_unsafe_pickle(corpus: tuple[Path, Path],
                                                        tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """``stackrift scan`` on a model file matched no advisories and exited 0, hiding the
    pickle's os.system import."""
    root, sentinel = corpus
    with pytest.raises(SystemExit) as exited:
        main(["scan", str(root / "malicious" / "family-os-system.pkl"), "--db",
              str(tmp_path / "absent.db"), "--as-of", "2026-12-03"])
    assert exited.value.code == 1
    assert "CRITICAL: " in capsys.readouterr().err
    assert not sentinel.exists()
