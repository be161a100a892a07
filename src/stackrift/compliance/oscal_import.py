"""Read an OSCAL component definition (JSON) as the user's controls.

Each implemented requirement of each component becomes one :class:`Control` (id
``COMPONENT: control-id``) satisfying one requirement of a loaded framework. Which framework a
``control-id`` belongs to is decided, in order, by:

1. a property ``framework`` (namespace ``urn:stackrift:oscal``) on the control implementation:
   the id is that framework's requirement id;
2. the OSCAL token of one of our requirements (``eu-ai-act_art9``, as our OSCAL output writes
   them);
3. a control implementation whose ``source`` (or the back-matter resource it points to) names
   SP 800-53: the id is an SP 800-53 Rev 5 control of the ``nist-sp800-53r5`` selection.

An SP 800-53 control that the catalogue holds but the selection does not (an enhancement such as
``sc-8.1``) is not a requirement here: it is left out and the run says so. Any other id is an
error located at its line and column, with its JSON pointer. Optional properties in the same
namespace: ``system`` on a component (repeatable; absent = every system) and
``implementation-status`` (OSCAL's values) on a component or implemented requirement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackrift.compliance.loader import ComplianceLibrary, load_controls
from stackrift.compliance.model import (
    ComplianceInputError,
    Control,
    ControlCatalogue,
    ControlStatus,
    Evidence,
)
from stackrift.compliance.oscal import NAMESPACE, target_token
from stackrift.errors import Problem
from stackrift.estate.yamlsource import LocatedDocument, load_located

SP800_53 = "nist-sp800-53r5"
_SP800_53_ID = re.compile(r"^[a-z]{2}-\d+(\.\d+)?$")
# OSCAL implementation-status values (and ours) → how far the control is in place
_STATUS = {"implemented": ControlStatus.IMPLEMENTED, "partial": ControlStatus.PARTIAL,
           "planned": ControlStatus.PLANNED, "alternative": ControlStatus.PARTIAL,
           "not-applicable": ControlStatus.NOT_IMPLEMENTED,
           "not_implemented": ControlStatus.NOT_IMPLEMENTED}
Path_ = tuple[str | int, ...]


def is_component_definition(document: Any) -> bool:
    return isinstance(document, dict) and "component-definition" in document


@dataclass(frozen=True, kw_only=True)
class ImportedControls:
    """The controls read from a component definition and what was left out, said plainly."""

    catalogue: ControlCatalogue
    notes: tuple[str, ...]


def _entries(value: object) -> list[Mapping[str, Any]]:
    """The objects of an optional list (anything else holds none)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _pointer(path: Path_) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


class _Reader:
    """Walks one component definition, collecting controls, problems and notes."""

    def __init__(self, doc: LocatedDocument, library: ComplianceLibrary) -> None:
        self.doc = doc
        self.library = library
        self.tokens = {target_token(ref): ref for ref in library.index}
        self.problems: list[Problem] = []
        self.left_out: list[str] = []
        self.resources = self._resources()

    def problem(self, path: Path_, message: str, expected: str) -> None:
        self.problems.append(Problem(self.doc.locate(path),
                                     f"{message} (at {_pointer(path)})", expected))

    def _resources(self) -> dict[str, str]:
        """Back-matter resources by UUID, as the text that names what they are."""
        back = self.doc.data["component-definition"].get("back-matter")
        resources = back.get("resources") if isinstance(back, dict) else None
        out: dict[str, str] = {}
        for res in resources if isinstance(resources, list) else ():
            if isinstance(res, dict) and isinstance(res.get("uuid"), str):
                links = " ".join(str(r.get("href", "")) for r in _entries(res.get("rlinks")))
                out[res["uuid"]] = f"{res.get('title', '')} {res.get('description', '')} {links}"
        return out

    def names_sp800_53(self, source: object) -> bool:
        text = str(source)
        if text.startswith("#"):
            text = self.resources.get(text[1:], text)
        return bool(re.search(r"800-53", text))

    def resolve(self, control_id: str, framework: str | None, sp800_53: bool,
                path: Path_) -> str | None:
        if framework is not None:
            ref = f"{framework}:{control_id}"
            if ref in self.library.index:
                return ref
            self.problem(path, f"control-id '{control_id}' is not a requirement of framework "
                         f"'{framework}'", f"a requirement id of {framework}")
            return None
        if control_id in self.tokens:
            return self.tokens[control_id]
        ref = f"{SP800_53}:{control_id}"
        if sp800_53 and ref in self.library.index:
            return ref
        if sp800_53 and (control_id in self.library.unselected.get(SP800_53, ()) or (
                not self.library.unselected.get(SP800_53) and _SP800_53_ID.match(control_id))):
            self.left_out.append(control_id)
            return None
        self.problem(path, f"unknown control-id '{control_id}'",
                     "an SP 800-53 Rev 5 control of the selection (with an SP 800-53 source), "
                     "our OSCAL token of a requirement (framework_requirement), or a "
                     f"'framework' property in namespace {NAMESPACE}")
        return None


def _props(item: Mapping[str, Any], name: str) -> list[str]:
    return [str(p.get("value")) for p in _entries(item.get("props"))
            if p.get("name") == name and p.get("ns") == NAMESPACE]


def _status(reader: _Reader, item: Mapping[str, Any], default: ControlStatus, path: Path_
            ) -> ControlStatus:
    given = [p for p in _entries(item.get("props")) if p.get("name") == "implementation-status"]
    if not given:
        return default
    value = str(given[0].get("value"))
    if value not in _STATUS:
        reader.problem(path, f"implementation-status '{value}'",
                       "one of " + ", ".join(sorted(_STATUS)))
        return default
    return _STATUS[value]


def _list(reader: _Reader, parent: Mapping[str, Any], key: str, path: Path_,
          required: bool = False) -> Iterator[tuple[int, Mapping[str, Any]]]:
    items = parent.get(key)
    if items is None and not required:
        return
    if not isinstance(items, list) or not items:
        reader.problem((*path, key), f"'{key}' is not a non-empty list", f"a list of {key}")
        return
    for i, item in enumerate(items):
        if isinstance(item, dict):
            yield i, item
        else:
            reader.problem((*path, key, i), f"an entry of '{key}' that is not an object",
                           "a JSON object")


def _component_controls(reader: _Reader, component: Mapping[str, Any], path: Path_
                        ) -> Iterator[Control]:
    name = str(component.get("title") or component.get("uuid") or f"component {path[-1]}")
    systems = tuple(_props(component, "system")) or None
    status = _status(reader, component, ControlStatus.IMPLEMENTED, (*path, "props"))
    for j, impl in _list(reader, component, "control-implementations", path):
        here = (*path, "control-implementations", j)
        named = _props(impl, "framework")
        framework = named[0] if named else None
        sp800_53 = reader.names_sp800_53(impl.get("source", ""))
        for k, req in _list(reader, impl, "implemented-requirements", here, required=True):
            at = (*here, "implemented-requirements", k)
            control_id = req.get("control-id")
            if not isinstance(control_id, str) or not control_id:
                reader.problem(at, "an implemented requirement without a control-id",
                               "a 'control-id' string")
                continue
            ref = reader.resolve(control_id, framework, sp800_53, (*at, "control-id"))
            if ref is None:
                continue
            yield Control(
                id=f"{name}: {control_id}", title=str(req.get("description") or name)[:500],
                satisfies=(ref,), systems=systems,
                status=_status(reader, req, status, (*at, "props")),
                evidence=(Evidence(location=f"{reader.doc.path}#{_pointer(at)}"),))


def _unique(controls: Sequence[Control]) -> tuple[Control, ...]:
    seen: dict[str, int] = {}
    out = []
    for control in controls:
        n = seen[control.id] = seen.get(control.id, 0) + 1
        out.append(control if n == 1 else control.model_copy(update={"id": f"{control.id} #{n}"}))
    return tuple(out)


def load_component_definition(path: Path, library: ComplianceLibrary, *,
                              document: LocatedDocument | None = None) -> ImportedControls:
    """The controls of an OSCAL component definition; every problem located."""
    doc = document or load_located(path)
    if not is_component_definition(doc.data) or not isinstance(
            doc.data["component-definition"], dict):
        raise ComplianceInputError([Problem(doc.locate(()), "not an OSCAL component definition",
                                            "a JSON object with 'component-definition'")])
    reader = _Reader(doc, library)
    root: Path_ = ("component-definition",)
    controls = [c for i, component in _list(reader, doc.data["component-definition"],
                                            "components", root, required=True)
                for c in _component_controls(reader, component, (*root, "components", i))]
    if reader.problems:
        raise ComplianceInputError(reader.problems)
    if not controls:
        raise ComplianceInputError([Problem(doc.locate(root), "no implemented requirement names "
                                            "a requirement of a loaded framework",
                                            "at least one control-id we know")])
    notes = (f"{path}: SP 800-53 controls outside the selection left out: "
             f"{', '.join(sorted(set(reader.left_out)))}",) if reader.left_out else ()
    return ImportedControls(catalogue=ControlCatalogue(controls=_unique(controls)), notes=notes)


def load_control_file(path: Path, library: ComplianceLibrary) -> ImportedControls:
    """``--controls``: an OSCAL component definition (JSON with ``component-definition``) or our
    controls file (YAML or JSON)."""
    doc = load_located(path)
    if is_component_definition(doc.data):
        return load_component_definition(path, library, document=doc)
    return ImportedControls(catalogue=load_controls(path, library), notes=())
