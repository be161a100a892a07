"""requirements.txt reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackrift.bom.base import read_bom
from stackrift.errors import InvalidInputError

SHA = "58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f"


def _write(folder: Path, text: str, name: str = "requirements.txt") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_pins_hashes_markers_and_includes(tmp_path: Path) -> None:
    _write(tmp_path, "urllib3==2.2.1\n", "base-requirements.txt")
    path = _write(tmp_path, f"""# production
-i https://pypi.org/simple
-r base-requirements.txt
Requests==2.31.0 \\
    --hash=sha256:{SHA}
torch>=2.0; python_version >= "3.10"  # GPU hosts
-e git+https://example.org/y.git#egg=my_pkg
numpy
""")
    document = read_bom(path)
    assert document.format == "requirements"
    by_name = {c.name: c for c in document.components}
    assert list(by_name) == ["urllib3", "requests", "torch", "my-pkg", "numpy"]
    requests = by_name["requests"]
    assert (requests.version, requests.purl) == ("2.31.0", "pkg:pypi/requests@2.31.0")
    assert [(h.alg, h.value) for h in requests.hashes] == [("SHA-256", SHA)]
    assert by_name["torch"].version is None
    assert document.metadata["markers"][by_name["torch"].id] == 'python_version >= "3.10"'
    assert document.metadata["specifiers"][by_name["torch"].id] == ">=2.0"


def test_include_cycle_is_read_once(tmp_path: Path) -> None:
    _write(tmp_path, "-r requirements.txt\nsix==1.16.0\n", "other-requirements.txt")
    path = _write(tmp_path, "-r other-requirements.txt\nsix==1.16.0\n")
    assert [c.id for c in read_bom(path).components] == ["pypi:six@1.16.0", "pypi:six@1.16.0-2"]


@pytest.mark.parametrize(("text", "line", "column", "message"), [
    ("ok==1\nfoo bar baz\n", 2, 5, "invalid requirement"),
    ("ok==1\n\nbad==1 --hash=sha256:xyz\n", 3, 15, "malformed hash 'sha256:xyz'"),
    ("--frobnicate\n", 1, 1, "unknown pip option '--frobnicate'"),
    ("-r\n", 1, 1, "-r without a file name"),
])
def test_bad_lines_are_located(tmp_path: Path, text: str, line: int, column: int,
                               message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InvalidInputError) as caught:
        read_bom(path)
    problem = caught.value.problems[0]
    assert (problem.location.file, problem.location.line, problem.location.column) == (
        str(path), line, column)
    assert message in problem.message
