"""Load frameworks, crosswalks and control catalogues; every problem located as FILE:LINE:COL.

Packaged data lives in ``packs/frameworks`` and ``packs/crosswalk``; users add folders (each file
is a framework, or a crosswalk when it has a top-level ``crosswalk`` key). Requirement references
are ``framework:requirement``. Files are parsed by the safe located YAML reader of
:mod:`stackrift.estate.yamlsource` (bounded, aliases counted, duplicate keys refused).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from stackrift.compliance.model import (
    ComplianceInputError,
    ControlCatalogue,
    Crosswalk,
    Framework,
    Requirement,
    RequirementKind,
)
from stackrift.compliance.oscal import OscalControl, read_catalog
from stackrift.errors import InvalidInputError, Location, Problem
from stackrift.estate.loader import validation_error
from stackrift.estate.yamlsource import LocatedDocument, load_located

SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILES = 500
PACKS = Path(__file__).parent / "packs"
_PACKAGED_LABEL = "stackrift/compliance/packs"
Model = TypeVar("Model", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True)
class Located(Generic[T]):
    """A validated record and the document it came from (for later located errors)."""

    value: T
    document: LocatedDocument

    def locate(self, *path: str | int) -> Location:
        return self.document.locate(tuple(path))


@dataclass(frozen=True)
class RequirementRef:
    """A requirement together with the framework it belongs to."""

    framework: Framework
    requirement: Requirement

    @property
    def ref(self) -> str:
        return f"{self.framework.id}:{self.requirement.id}"


@dataclass(frozen=True)
class ComplianceLibrary:
    """Every framework and mapping, indexed by requirement reference."""

    frameworks: tuple[Framework, ...]
    crosswalks: tuple[Crosswalk, ...]
    notes: tuple[str, ...] = ()
    # per OSCAL-backed framework, the ids its catalogues hold beyond the selection (read only
    # when the catalogue folder was given): known controls that are not requirements here
    unselected: Mapping[str, frozenset[str]] = field(default_factory=dict, compare=False)
    index: Mapping[str, RequirementRef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {
            f"{fw.id}:{req.id}": RequirementRef(fw, req)
            for fw in self.frameworks for req in fw.requirements})

    @property
    def mapping_count(self) -> int:
        return sum(len(c.mappings) for c in self.crosswalks)

    def unmapped(self) -> tuple[str, ...]:
        """Requirement references no mapping names: evidence for them is reused nowhere."""
        named = {r for c in self.crosswalks for m in c.mappings for r in (m.source, m.target)}
        return tuple(sorted(set(self.index) - named))


def _problem(doc: LocatedDocument, path: tuple[str | int, ...], message: str,
             expected: str) -> Problem:
    return Problem(doc.locate(path), message, expected)


def _validate(doc: LocatedDocument, model: type[Model], what: str) -> Model:
    if not isinstance(doc.data, dict):
        raise ComplianceInputError([_problem(doc, (), f"a {what} must be a mapping at top level",
                                             "a YAML mapping")])
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise ComplianceInputError(validation_error(doc, exc, model).problems) from exc


def _duplicates(doc: LocatedDocument, ids: Sequence[str], path: str, what: str
                ) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for i, item_id in enumerate(ids):
        if item_id in first:
            yield _problem(doc, (path, i, "id"), f"duplicate {what} id '{item_id}' (first at "
                           f"{doc.locate((path, first[item_id], 'id'))})", f"unique {what} ids")
        first.setdefault(item_id, i)


def load_framework(path: Path, *, text: str | None = None) -> Located[Framework]:
    doc = load_located(path, text=text)
    framework = _validate(doc, Framework, "framework")
    problems = list(_duplicates(doc, [r.id for r in framework.requirements], "requirements",
                                "requirement"))
    if framework.oscal is None and not framework.requirements:
        problems.append(_problem(doc, (), "a framework without requirements",
                                 "a 'requirements' list or an 'oscal' selection"))
    if problems:
        raise ComplianceInputError(problems)
    return Located(framework, doc)


def load_crosswalk(path: Path, *, text: str | None = None) -> Located[Crosswalk]:
    doc = load_located(path, text=text)
    return Located(_validate(doc, Crosswalk, "crosswalk"), doc)


def _files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise ComplianceInputError([Problem(Location(str(directory)), "not a folder",
                                            "a folder of framework or crosswalk YAML files")])
    files = sorted(p for p in directory.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
    if len(files) > MAX_FILES:
        raise ComplianceInputError([Problem(Location(str(directory)), f"{len(files)} files",
                                            f"at most {MAX_FILES}")])
    return files


def _packaged() -> Iterator[tuple[Path, str]]:
    for sub in ("frameworks", "crosswalk"):
        for entry in sorted((PACKS / sub).iterdir(), key=lambda e: e.name):
            if entry.suffix in SUFFIXES and entry.is_file():
                yield Path(f"{_PACKAGED_LABEL}/{sub}/{entry.name}"), entry.read_text("utf-8")


def _user(directories: Sequence[Path]) -> Iterator[tuple[Path, str | None]]:
    for directory in directories:
        for path in _files(directory):
            yield path, None


def _read_all(sources: Iterator[tuple[Path, str | None]]
              ) -> tuple[list[Located[Framework]], list[Located[Crosswalk]]]:
    frameworks: list[Located[Framework]] = []
    crosswalks: list[Located[Crosswalk]] = []
    problems: list[Problem] = []
    for path, text in sources:
        try:
            doc = load_located(path, text=text)
            if isinstance(doc.data, dict) and "crosswalk" in doc.data:
                crosswalks.append(Located(_validate(doc, Crosswalk, "crosswalk"), doc))
            else:
                frameworks.append(load_framework(path, text=text))
        except InvalidInputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ComplianceInputError(problems)
    return frameworks, crosswalks


def _oscal_requirements(located: Located[Framework], oscal_dir: Path | None
                        ) -> tuple[tuple[Requirement, ...], str | None, frozenset[str]]:
    """The framework's OSCAL selection as requirements, titles read from the catalogue."""
    selection = located.value.oscal
    assert selection is not None
    if oscal_dir is None:
        note = (f"{located.value.id}: OSCAL catalogue not read (no folder given); "
                f"{len(selection.controls)} selected control ids kept without titles")
        return tuple(Requirement(id=c, title=f"{c.upper()} (title not read)",
                                 kind=RequirementKind.CONTROL) for c in selection.controls), \
            note, frozenset()
    controls: dict[str, OscalControl] = {}
    for name in selection.catalogs:
        catalog = read_catalog(oscal_dir / name)
        for key, control in catalog.controls.items():
            controls.setdefault(key, control)
    missing = [(i, c) for i, c in enumerate(selection.controls) if c not in controls]
    if missing:
        raise ComplianceInputError([
            Problem(located.locate("oscal", "controls", i), f"control '{c}' is not in the OSCAL "
                    f"catalogues {', '.join(selection.catalogs)} under {oscal_dir}",
                    "ids of controls in those catalogues") for i, c in missing])
    return tuple(Requirement(id=c, title=f"{controls[c].label} {controls[c].title}",
                             kind=RequirementKind.CONTROL, section=controls[c].group)
                 for c in selection.controls), None, frozenset(controls) - set(selection.controls)


def _framework_set_problems(frameworks: Sequence[Located[Framework]]) -> Iterator[Problem]:
    first: dict[str, Located[Framework]] = {}
    for located in frameworks:
        fid = located.value.id
        if fid in first:
            yield Problem(located.locate("id"), f"framework id '{fid}' is already defined in "
                          f"{first[fid].document.path}", "framework ids unique across files")
        first.setdefault(fid, located)


def _mapping_problems(crosswalks: Sequence[Located[Crosswalk]], known: Mapping[str, Any]
                      ) -> Iterator[Problem]:
    for located in crosswalks:
        for i, mapping in enumerate(located.value.mappings):
            for end in ("source", "target"):
                ref = getattr(mapping, end)
                if ref not in known:
                    yield Problem(located.locate("mappings", i, end),
                                  f"mapping {end} '{ref}' names no loaded requirement",
                                  "'framework:requirement' of a loaded framework")
            if mapping.source == mapping.target:
                yield Problem(located.locate("mappings", i), "a mapping from a requirement to "
                              "itself", "two different requirements")


def load_library(directories: Sequence[Path] = (), *, oscal_dir: Path | None = None,
                 packaged: bool = True) -> ComplianceLibrary:
    """Packaged frameworks and crosswalks plus those in ``directories``, cross-checked.

    ``oscal_dir`` is the folder holding the OSCAL catalogues that OSCAL-backed frameworks name;
    without it their control ids are kept but titles are not read (and a note says so)."""
    sources: list[tuple[Path, str | None]] = list(_packaged()) if packaged else []
    sources.extend(_user(directories))
    frameworks, crosswalks = _read_all(iter(sources))
    problems = list(_framework_set_problems(frameworks))
    resolved: list[Framework] = []
    notes: list[str] = []
    unselected: dict[str, frozenset[str]] = {}
    for located in frameworks:
        framework = located.value
        if framework.oscal is not None:
            requirements, note, unselected[framework.id] = _oscal_requirements(located,
                                                                               oscal_dir)
            framework = framework.model_copy(
                update={"requirements": (*framework.requirements, *requirements)})
            notes.extend([note] if note else [])
        resolved.append(framework)
    library = ComplianceLibrary(tuple(resolved), tuple(c.value for c in crosswalks),
                                tuple(notes), unselected)
    problems.extend(_mapping_problems(crosswalks, library.index))
    if problems:
        raise ComplianceInputError(sorted(problems, key=lambda p: (
            p.location.file, p.location.line, p.location.column)))
    return library


def load_controls(path: Path, library: ComplianceLibrary, *, text: str | None = None
                  ) -> ControlCatalogue:
    """A user's control catalogue; every ``satisfies`` entry must name a loaded requirement."""
    doc = load_located(path, text=text)
    catalogue = _validate(doc, ControlCatalogue, "control catalogue")
    problems = list(_duplicates(doc, [c.id for c in catalogue.controls], "controls", "control"))
    for i, control in enumerate(catalogue.controls):
        for j, ref in enumerate(control.satisfies):
            if ref not in library.index:
                problems.append(_problem(doc, ("controls", i, "satisfies", j),
                                         f"control '{control.id}' names unknown requirement "
                                         f"'{ref}'", "'framework:requirement' of a loaded "
                                         "framework"))
    if problems:
        raise ComplianceInputError(problems)
    return catalogue
