"""pip requirements files: pins, ``--hash`` options, environment markers, ``-r`` includes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from packaging.requirements import InvalidRequirement, Requirement

from stackrift.bom._common import (
    IdAllocator,
    prefixed_hash,
    pypi_name,
    pypi_purl,
    read_bytes,
    unique_hashes,
)
from stackrift.bom.base import BomDocument, register_reader
from stackrift.errors import InvalidInputError
from stackrift.estate.model import Component, ComponentType, Hash

MAX_INCLUDE_DEPTH = 10
# Options that take a value and say nothing about which packages are installed.
_GLOBAL_WITH_VALUE = {"-i", "--index-url", "--extra-index-url", "-f", "--find-links",
                      "--trusted-host", "--no-binary", "--only-binary", "--use-feature",
                      "--progress-bar", "--platform", "--python-version", "--implementation",
                      "--abi"}
_GLOBAL_FLAGS = {"--pre", "--prefer-binary", "--require-hashes", "--no-index"}
_COMMENT = re.compile(r"(^|\s+)#.*$")
# Options pip accepts after a requirement on the same line.
_PER_REQUIREMENT = re.compile(r"\s+--(hash|config-settings|global-option|install-option)"
                              r"(?:=|\s+)(\S+)")
_EGG = re.compile(r"#egg=([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class _Line:
    number: int
    text: str


def _logical_lines(text: str) -> list[_Line]:
    """Join backslash continuations and strip comments, remembering where each line began."""
    lines: list[_Line] = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not buffer:
            start = number
        if raw.endswith("\\"):
            buffer += raw[:-1] + " "
            continue
        buffer += raw
        stripped = _COMMENT.sub("", buffer).strip()
        if stripped:
            lines.append(_Line(start, stripped))
        buffer = ""
    if buffer.strip():
        lines.append(_Line(start, _COMMENT.sub("", buffer).strip()))
    return lines


@register_reader
class RequirementsReader:
    """``requirements.txt`` (and ``-r``/``-c`` includes) as PyPI library components."""

    format: ClassVar[str] = "requirements"

    def accepts(self, path: Path, head: bytes) -> bool:
        name = path.name.lower()
        return (name.endswith((".txt", ".in")) and
                ("requirements" in name or "constraints" in name or
                 path.parent.name.lower() == "requirements"))

    def read(self, path: Path) -> BomDocument:
        state: dict[str, Any] = {"components": [], "ids": IdAllocator(), "markers": {},
                                 "specifiers": {}, "skipped": [], "seen": set()}
        self._read_file(path, state, depth=0)
        return BomDocument(path=str(path), format=self.format, spec_version=None,
                           components=tuple(state["components"]),
                           metadata={"markers": state["markers"],
                                     "specifiers": state["specifiers"],
                                     "skipped": state["skipped"]})

    def _read_file(self, path: Path, state: dict[str, Any], depth: int) -> None:
        resolved = path.resolve()
        if resolved in state["seen"]:
            return  # an include cycle or a file included twice: read once
        state["seen"].add(resolved)
        raw = read_bytes(path)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInputError.single(path, f"not UTF-8 text (byte {exc.start})",
                                           "a UTF-8 requirements file") from None
        for line in _logical_lines(text):
            self._read_line(path, line, state, depth)

    def _read_line(self, path: Path, line: _Line, state: dict[str, Any], depth: int) -> None:
        tokens = line.text.split()
        first = tokens[0]
        option, _, inline_value = first.partition("=")
        if option in ("-r", "--requirement", "-c", "--constraint"):
            target = inline_value or (tokens[1] if len(tokens) > 1 else "")
            if not target:
                raise InvalidInputError.single(path, f"{option} without a file name",
                                               f"{option} FILE", line.number, 1)
            if depth >= MAX_INCLUDE_DEPTH:
                raise InvalidInputError.single(path, f"includes nested deeper than "
                                               f"{MAX_INCLUDE_DEPTH} files", "fewer nested -r",
                                               line.number, 1)
            if "://" in target:
                state["skipped"].append(f"{path}:{line.number}: remote include {target}")
                return
            self._read_file(path.parent / target, state, depth + 1)
            return
        if option in _GLOBAL_WITH_VALUE or option in _GLOBAL_FLAGS:
            return
        if option in ("-e", "--editable"):
            target = inline_value or (tokens[1] if len(tokens) > 1 else "")
            egg = _EGG.search(target)
            if egg is None:
                state["skipped"].append(f"{path}:{line.number}: editable {target} has no #egg=")
                return
            self._add(state, egg.group(1), None, (), None, None, f"editable {target}")
            return
        if first.startswith("-"):
            raise InvalidInputError.single(path, f"unknown pip option '{option}'",
                                           "a requirement or a pip option such as -r, -c, -i, "
                                           "--hash", line.number, 1)
        hashes: list[Hash] = []
        for match in _PER_REQUIREMENT.finditer(line.text):
            if match.group(1) != "hash":
                continue
            found = prefixed_hash(match.group(2))
            if found is None:
                raise InvalidInputError.single(path, f"malformed hash '{match.group(2)}'",
                                               "--hash=ALGORITHM:HEXDIGEST", line.number,
                                               match.start(2) + 1)
            hashes.append(found)
        spec = _PER_REQUIREMENT.sub("", line.text).strip()
        if re.match(r"^(\.{0,2}/|[A-Za-z]+://)|\.(whl|zip|tar\.gz)$", spec):
            state["skipped"].append(f"{path}:{line.number}: path or URL without a name: {spec}")
            return
        try:
            requirement = Requirement(spec)
        except InvalidRequirement as exc:
            message = str(exc).splitlines()
            caret = next((m for m in message if m.strip() == "^"), None)
            column = caret.index("^") - 4 + 1 if caret and len(message) > 1 else 1
            raise InvalidInputError.single(path, f"invalid requirement: {message[0]}",
                                           "NAME[extras] (==VERSION) (; marker) per PEP 508",
                                           line.number, max(column, 1)) from None
        version = None
        specifiers = list(requirement.specifier)
        if len(specifiers) == 1 and specifiers[0].operator in ("==", "===") and \
                not specifiers[0].version.endswith(".*"):
            version = specifiers[0].version
        self._add(state, requirement.name, version, tuple(hashes),
                  str(requirement.marker) if requirement.marker else None,
                  str(requirement.specifier) or None, requirement.url)

    @staticmethod
    def _add(state: dict[str, Any], name: str, version: str | None, hashes: tuple[Hash, ...],
             marker: str | None, specifier: str | None, url: str | None) -> None:
        normal = pypi_name(name)
        cid = state["ids"].take(f"pypi:{normal}" + (f"@{version}" if version else ""), normal)
        state["components"].append(Component(
            id=cid, type=ComponentType.LIBRARY, name=normal, version=version,
            purl=pypi_purl(normal, version),
            hashes=unique_hashes(hashes),
            description=url))
        if marker:
            state["markers"][cid] = marker
        if specifier and version is None:
            state["specifiers"][cid] = specifier
