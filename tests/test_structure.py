"""The shape of the package: start-up imports no plug-in, and top-level imports form no cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "stackrift"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _top_level_imports(path: Path, modules: set[str]) -> set[str]:
    """Modules of the package imported when ``path`` is imported (not inside functions, not
    under ``if TYPE_CHECKING``)."""
    name = _module_name(path)
    found: set[str] = set()
    body = list(ast.parse(path.read_text(encoding="utf-8")).body)
    while body:
        node = body.pop(0)
        if isinstance(node, ast.If) and not _is_type_checking(node):
            body.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            body.extend(node.body + node.orelse + node.finalbody)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:  # relative import
                anchor = name.split(".")[: len(name.split(".")) - node.level
                                         + (1 if path.name == "__init__.py" else 0)]
                base = ".".join([*anchor, node.module])
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules)
    return {m for m in found if m in modules and m != name}


def _graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(p) for p in paths}
    return {_module_name(p): _top_level_imports(p, modules) for p in paths}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, if there is any (depth-first search)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_top_level_imports_form_no_cycle_between_modules() -> None:
    graph = _graph()
    assert "stackrift.analyses.base" in graph["stackrift.pipeline"]  # the graph is real
    assert _cycle(graph) is None


def test_top_level_imports_form_no_cycle_between_packages() -> None:
    def package(module: str) -> str:
        """A subpackage, or a top-level module (``stackrift.findings``) on its own."""
        return ".".join(module.split(".")[:2])

    packages: dict[str, set[str]] = {}
    for module, targets in _graph().items():
        mine = package(module)
        packages.setdefault(mine, set()).update(
            package(t) for t in targets if package(t) != mine)
    assert _cycle(packages) is None


def test_version_imports_no_analysis_renderer_or_reader() -> None:
    code = ("import sys\nfrom stackrift.cli import main\ntry:\n    main(['--version'])\n"
            "except SystemExit:\n    pass\n"
            "print('\\n'.join(m for m in sys.modules if m.startswith('stackrift')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=SRC.parent)
    loaded = set(done.stdout.split())
    assert "stackrift.cli" in loaded
    from stackrift.advisories.feed import FEEDS
    from stackrift.analyses.base import ANALYSES
    from stackrift.bom.base import READERS
    from stackrift.report.base import RENDERERS

    plugins = {m for r in (ANALYSES, RENDERERS, READERS, FEEDS) for m in r.modules()}
    assert {"stackrift.analyses.vulnerabilities", "stackrift.report.html",
            "stackrift.bom.spdx3", "stackrift.advisories.osv"} <= plugins
    assert loaded & plugins == set()


def test_finding_the_analyses_imports_no_solver_nor_data_frames() -> None:
    """Every ``assess`` imports every analysis module (to know their names): OR-Tools (with
    numpy and pandas, about 0.4 s) is imported only by the solvers that run it."""
    code = ("import sys\nfrom stackrift.analyses.base import ANALYSES\nANALYSES.discover()\n"
            "print('\\n'.join(sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=SRC.parent)
    loaded = {m.split(".")[0] for m in done.stdout.split()}
    assert loaded & {"ortools", "pandas", "numpy"} == set()
