"""Located loading of the crypto packs: the algorithm and TLS registries and the regime packs.

Every problem is reported as ``FILE:LINE:COL: what; expected`` (safe YAML composition, pydantic
validation mapped back to locations, then cross-references between the files).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, ValidationError

from stackrift.crypto.errors import CryptoInputError
from stackrift.crypto.model import (
    Algorithm,
    AlgorithmRegistryFile,
    CipherSuite,
    NamedGroup,
    RegimePack,
    SignatureScheme,
    TlsRegistryFile,
)
from stackrift.errors import InvalidInputError, Problem, combine

if TYPE_CHECKING:
    from stackrift.estate.yamlsource import LocatedDocument

PACKS = Path(__file__).parent / "packs"
MAX_REGIME_FILES = 200
_Model = TypeVar("_Model", bound=BaseModel)


def name_key(text: str) -> str:
    """How names are compared: case-folded, with every non-alphanumeric character dropped, so
    'AES-128-GCM', 'aes128gcm' and 'AES_128_GCM' are one name."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def _validated(path: Path, model: type[_Model]) -> tuple[_Model, LocatedDocument]:
    # the estate's model carries crypto blocks, so the estate package is imported here, not at
    # module level: the package graph stays acyclic
    from stackrift.estate.loader import validation_error
    from stackrift.estate.yamlsource import load_located

    doc = load_located(path)
    if not isinstance(doc.data, dict):
        raise CryptoInputError([Problem(doc.locate(()), "the file must be a mapping at top level",
                                        f"the keys of {model.__name__}")])
    try:
        return model.model_validate(doc.data), doc
    except ValidationError as exc:
        raise CryptoInputError(validation_error(doc, exc, model).problems) from None


@dataclass(frozen=True)
class Registry:
    """The algorithm and TLS registries with look-ups by id, OID, name and code point."""

    algorithms: tuple[Algorithm, ...]
    cipher_suites: tuple[CipherSuite, ...]
    groups: tuple[NamedGroup, ...]
    signature_schemes: tuple[SignatureScheme, ...]
    by_id: dict[str, Algorithm] = field(init=False, repr=False, compare=False)
    by_oid: dict[str, Algorithm] = field(init=False, repr=False, compare=False)
    by_name: dict[str, Algorithm] = field(init=False, repr=False, compare=False)
    suites_by_name: dict[str, CipherSuite] = field(init=False, repr=False, compare=False)
    suites_by_code: dict[int, tuple[CipherSuite, ...]] = field(init=False, repr=False,
                                                              compare=False)
    groups_by_key: dict[str, NamedGroup] = field(init=False, repr=False, compare=False)
    schemes_by_key: dict[str, SignatureScheme] = field(init=False, repr=False, compare=False)
    _found: dict[tuple[str, str], object] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names: dict[str, Algorithm] = {}
        for alg in self.algorithms:
            for text in (alg.id, alg.name, *alg.aliases):
                names.setdefault(name_key(text), alg)
        codes: dict[int, list[CipherSuite]] = {}
        for suite in self.cipher_suites:
            codes.setdefault(suite.code, []).append(suite)
        object.__setattr__(self, "by_id", {a.id: a for a in self.algorithms})
        object.__setattr__(self, "by_oid", {o: a for a in self.algorithms for o in a.oids})
        object.__setattr__(self, "by_name", names)
        object.__setattr__(self, "suites_by_name", {
            name_key(s.name.removeprefix("TLS_")): s for s in self.cipher_suites})
        object.__setattr__(self, "suites_by_code", {c: tuple(v) for c, v in codes.items()})
        object.__setattr__(self, "groups_by_key", _keyed(self.groups))
        object.__setattr__(self, "schemes_by_key", _keyed(self.signature_schemes))
        # names are looked up once per estate entry and flow; the answers never change
        object.__setattr__(self, "_found", {})

    def suite(self, text: str) -> CipherSuite | None:
        """A suite by IANA/TLCP name (with or without ``TLS_``) or by ``0xNNNN`` code."""
        key = ("suite", text)
        if key not in self._found:
            self._found[key] = self._suite(text)
        return self._found[key]  # type: ignore[return-value]

    def _suite(self, text: str) -> CipherSuite | None:
        code = _code(text)
        if code is not None:
            found = self.suites_by_code.get(code, ())
            return found[0] if len(found) == 1 else None
        return self.suites_by_name.get(name_key(text.strip().removeprefix("TLS_")))

    def group(self, text: str) -> NamedGroup | None:
        key = ("group", text)
        if key not in self._found:
            self._found[key] = self.groups_by_key.get(_lookup_key(text))
        return self._found[key]  # type: ignore[return-value]

    def signature_scheme(self, text: str) -> SignatureScheme | None:
        key = ("scheme", text)
        if key not in self._found:
            self._found[key] = self.schemes_by_key.get(_lookup_key(text))
        return self._found[key]  # type: ignore[return-value]

    def algorithm(self, algorithm_id: str) -> Algorithm:
        return self.by_id[algorithm_id]


def _code(text: str) -> int | None:
    stripped = text.strip().casefold()
    if re.fullmatch(r"0x[0-9a-f]{1,4}", stripped):
        return int(stripped, 16)
    return None


def _lookup_key(text: str) -> str:
    code = _code(text)
    return f"#{code}" if code is not None else name_key(text)


_Keyed = TypeVar("_Keyed", NamedGroup, SignatureScheme)


def _keyed(items: Iterable[_Keyed]) -> dict[str, _Keyed]:
    table: dict[str, _Keyed] = {}
    for item in items:
        table[name_key(item.name)] = item
        table[f"#{item.code}"] = item
    return table


def _algorithm_problems(alg_doc: LocatedDocument, algs: AlgorithmRegistryFile,
                        seen_ids: set[str]) -> Iterator[Problem]:
    """Duplicate ids and OIDs, malformed OIDs; fills ``seen_ids`` for the cross-references."""
    seen_oids: dict[str, str] = {}
    for i, alg in enumerate(algs.algorithms):
        if alg.id in seen_ids:
            yield Problem(alg_doc.locate(("algorithms", i, "id")), f"duplicate id {alg.id!r}",
                          "each algorithm id once")
        seen_ids.add(alg.id)
        for oid in alg.oids:
            if not re.fullmatch(r"[0-2](\.\d+)+", oid):
                yield Problem(alg_doc.locate(("algorithms", i, "oids")),
                              f"{oid!r} is not a dotted OID", "an OID such as 1.2.840.113549.1.1.1")
            if oid in seen_oids:
                yield Problem(alg_doc.locate(("algorithms", i, "oids")),
                              f"OID {oid} also belongs to {seen_oids[oid]!r}", "each OID once")
            seen_oids[oid] = alg.id


def _tls_references(tls: TlsRegistryFile) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every algorithm id the TLS registry names, with the path where it names it."""
    for i, suite in enumerate(tls.cipher_suites):
        for role in ("key_exchange", "authentication", "cipher", "hash"):
            ref = getattr(suite, role)
            if ref is not None:
                yield ("cipher_suites", i, role), ref
    for i, group in enumerate(tls.groups):
        yield ("groups", i, "algorithm"), group.algorithm
    for i, scheme in enumerate(tls.signature_schemes):
        for ref in scheme.algorithms:
            yield ("signature_schemes", i, "algorithms"), ref


def _registry_problems(alg_doc: LocatedDocument, algs: AlgorithmRegistryFile,
                       tls_doc: LocatedDocument, tls: TlsRegistryFile) -> Iterator[Problem]:
    seen_ids: set[str] = set()
    yield from _algorithm_problems(alg_doc, algs, seen_ids)
    for path, ref in _tls_references(tls):
        if ref not in seen_ids:
            yield Problem(tls_doc.locate(path), f"unknown algorithm id {ref!r}",
                          "an id from algorithms.yaml")


def load_registry_files(algorithms_path: Path, tls_path: Path) -> Registry:
    """Read and cross-check a pair of registry files. Raises :class:`CryptoInputError`."""
    algs, alg_doc = _validated(algorithms_path, AlgorithmRegistryFile)
    tls, tls_doc = _validated(tls_path, TlsRegistryFile)
    error = combine(_registry_problems(alg_doc, algs, tls_doc, tls))
    if error is not None:
        raise CryptoInputError(error.problems)
    return Registry(algs.algorithms, tls.cipher_suites, tls.groups, tls.signature_schemes)


REGISTRY_SECTION = "crypto/packs"
REGIMES_SECTION = "crypto/packs/regimes"


def knowledge_folder(section: str) -> Path:
    """The folder of a crypto section in the active knowledge set; a set made before the crypto
    packs joined the knowledge set has none, and then the packs shipped in the package serve."""
    from stackrift.knowledge.sets import knowledge_path

    folder = knowledge_path(section)
    return folder if folder.is_dir() else PACKS / section.removeprefix("crypto/packs").strip("/")


def load_registry() -> Registry:
    """The registry of the active knowledge set (read once per process and set)."""
    return _registry_in(knowledge_folder(REGISTRY_SECTION))


@cache
def _registry_in(folder: Path) -> Registry:
    return load_registry_files(folder / "algorithms.yaml", folder / "tls.yaml")


@dataclass(frozen=True)
class LoadedRegime:
    """A validated regime pack and the file it came from."""

    pack: RegimePack
    path: str


def _regime_problems(doc: LocatedDocument, pack: RegimePack,
                     registry: Registry) -> Iterator[Problem]:
    families = {a.family for a in registry.algorithms}
    seen: set[str] = set()
    for i, rule in enumerate(pack.rules):
        if rule.id in seen:
            yield Problem(doc.locate(("rules", i, "id")), f"duplicate rule id {rule.id!r}",
                          "each rule id once")
        seen.add(rule.id)
        for key, names in (("selects", rule.selects.families),
                           ("requires", rule.requires.only_families)):
            for name in names:
                if name not in families:
                    yield Problem(doc.locate(("rules", i, key)), f"unknown family {name!r}",
                                  f"one of {', '.join(sorted(families))}")
        for name in rule.selects.algorithms:
            if name not in registry.by_id:
                yield Problem(doc.locate(("rules", i, "selects")),
                              f"unknown algorithm id {name!r}", "an id from algorithms.yaml")
        if rule.in_force_from and rule.in_force_until and rule.in_force_until < rule.in_force_from:
            yield Problem(doc.locate(("rules", i, "in_force_until")),
                          "in_force_until is before in_force_from", "a date on or after it")


def load_regime(path: Path, registry: Registry | None = None) -> LoadedRegime:
    """Read and check one regime pack. Raises :class:`CryptoInputError`."""
    pack, doc = _validated(path, RegimePack)
    error = combine(_regime_problems(doc, pack, registry or load_registry()))
    if error is not None:
        raise CryptoInputError(error.problems)
    return LoadedRegime(pack, str(path))


def load_regimes(extra_dirs: Iterable[Path] = (), *,
                 registry: Registry | None = None) -> Mapping[str, LoadedRegime]:
    """The packaged regime packs plus any in ``extra_dirs`` (a user's pack replaces the packaged
    pack of the same regime), keyed by regime code. Every file's problems are collected."""
    files = sorted(knowledge_folder(REGIMES_SECTION).glob("*.yaml"))
    for directory in extra_dirs:
        if not directory.is_dir():
            raise InvalidInputError.single(directory, "not a directory",
                                           "a folder of regime pack YAML files")
        found = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
        if len(found) > MAX_REGIME_FILES:
            raise InvalidInputError.single(directory, f"{len(found)} pack files",
                                           f"at most {MAX_REGIME_FILES}")
        files.extend(found)
    problems: list[Problem] = []
    regimes: dict[str, LoadedRegime] = {}
    for path in files:
        try:
            loaded = load_regime(path, registry)
        except InvalidInputError as exc:
            problems.extend(exc.problems)
            continue
        regimes[loaded.pack.regime] = loaded
    if problems:
        raise CryptoInputError(problems)
    return regimes
