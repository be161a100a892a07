"""Helpers shared by the BOM readers: ids, hashes, licences, purls, located JSON/TOML errors."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from stackrift.bom._jsonpos import locate
from stackrift.boundedio import read_bounded
from stackrift.errors import InvalidInputError, Location, Problem, json_syntax_error

if TYPE_CHECKING:
    from stackrift.estate.model import Hash

# pycountry, packageurl and the estate models are imported where used: scan's direct CycloneDX
# path reads JSON and locates errors with this module and needs none of them

MAX_DOCUMENT_BYTES = 128 * 1024 * 1024
"""Largest SBOM/lock file read into memory; beyond this a file is refused rather than parsed.
Parsed SBOMs take about seven times their size in memory, so this bounds one input to ~1 GB."""

_ID_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/@+-]*$")
_ID_BAD_CHARS = re.compile(r"[^A-Za-z0-9_.:/@+-]+")


def slug(text: str) -> str:
    """A valid estate identifier made from arbitrary text (kept readable, at most 200 chars)."""
    cleaned = _ID_BAD_CHARS.sub("-", text.strip()).lstrip("_.:/@+-")
    return cleaned[:200] or "component"


class IdAllocator:
    """Hands out unique, valid component ids, preferring the document's own reference."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def take(self, preferred: str | None, fallback: str) -> str:
        valid = bool(preferred and _ID_OK.match(preferred) and len(preferred) <= 200)
        base = preferred if valid and preferred else slug(preferred or fallback)
        candidate, n = base, 1
        while candidate in self._used:
            n += 1
            candidate = f"{base[:190]}-{n}"
        self._used.add(candidate)
        return candidate


# CycloneDX algorithm names are the canonical spelling; other formats map onto them.
_HASH_NAMES = {
    "md5": "MD5", "sha1": "SHA-1", "sha-1": "SHA-1", "sha256": "SHA-256", "sha-256": "SHA-256",
    "sha384": "SHA-384", "sha-384": "SHA-384", "sha512": "SHA-512", "sha-512": "SHA-512",
    "sha3-256": "SHA3-256", "sha3_256": "SHA3-256", "sha3-384": "SHA3-384", "sha3_384": "SHA3-384",
    "sha3-512": "SHA3-512", "sha3_512": "SHA3-512", "blake2b-256": "BLAKE2b-256",
    "blake2b256": "BLAKE2b-256", "blake2b-384": "BLAKE2b-384", "blake2b384": "BLAKE2b-384",
    "blake2b-512": "BLAKE2b-512", "blake2b512": "BLAKE2b-512", "blake3": "BLAKE3",
    "sha224": "SHA-224", "sha-224": "SHA-224",
}


def hash_alg(name: str) -> str:
    """Canonical (CycloneDX) spelling of a hash algorithm name; unknown names are kept as given."""
    return _HASH_NAMES.get(name.strip().lower(), name.strip())


def make_hash(alg: str, value: str) -> Hash:
    from stackrift.estate.model import Hash

    # Both fields are plain strings built here; skipping validation keeps large SBOMs cheap.
    return Hash.model_construct(alg=hash_alg(alg), value=value.strip().lower())


def prefixed_hash(text: str) -> Hash | None:
    """``sha256:abcd…`` (pip, Poetry, uv, Pipfile) as a :class:`Hash`; ``None`` when malformed."""
    alg, sep, value = text.partition(":")
    if not sep or not value or not re.fullmatch(r"[0-9A-Fa-f]+", value.strip()):
        return None
    return make_hash(alg, value)


def unique_hashes(hashes: Iterable[Hash]) -> tuple[Hash, ...]:
    """Each hash once, in a stable order (algorithm, then value)."""
    return tuple(sorted(set(hashes), key=lambda h: (h.alg, h.value)))


def country_code(value: object) -> str | None:
    """ISO 3166-1 alpha-2 code from a code or an English country name; ``None`` if unknown."""
    if not isinstance(value, str) or not value.strip():
        return None
    import pycountry

    text = value.strip()
    if len(text) == 2 and pycountry.countries.get(alpha_2=text.upper()) is not None:
        return text.upper()
    if len(text) == 3:
        found = pycountry.countries.get(alpha_3=text.upper())
        if found is not None:
            return str(found.alpha_2)
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


def pypi_name(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pypi_purl(name: str, version: str | None) -> str:
    from packageurl import PackageURL

    return PackageURL(type="pypi", name=pypi_name(name), version=version).to_string()


_HF_URL = re.compile(r"^https?://(?:www\.)?huggingface\.co/(?!datasets/|spaces/|docs/|blog/)"
                     r"([A-Za-z0-9][\w.-]*/[\w.-]+)/?(?:$|[?#]|/(?:tree|blob|resolve)/)")


def hf_id_from_url(url: str) -> str | None:
    """``Qwen/Qwen2.5-7B`` from ``https://huggingface.co/Qwen/Qwen2.5-7B`` (models only)."""
    match = _HF_URL.match(url.strip())
    return match.group(1) if match else None


def hf_id_from_purl(purl: str) -> str | None:
    if not purl.startswith("pkg:huggingface/"):
        return None  # parsing every purl would dominate the cost of reading large SBOMs
    from packageurl import PackageURL

    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return None
    if parsed.type == "huggingface" and parsed.namespace:
        return f"{parsed.namespace}/{parsed.name}"
    return None


HEAD_BYTES = 4096
"""How much of a file format detection reads."""

UTF8_BOM = b"\xef\xbb\xbf"
"""Some tools start JSON files with a byte-order mark; it is not part of the document."""


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The file's bytes, refusing unreadable or over-large files (devices and pipes too);
    the limit is :data:`MAX_DOCUMENT_BYTES` unless given."""
    return read_bounded(path, MAX_DOCUMENT_BYTES if limit is None else limit)


def load_json(path: Path, data: bytes | None = None) -> Any:
    """Parse JSON, turning syntax errors into ``FILE:LINE:COL`` problems."""
    raw = (read_bytes(path) if data is None else data).removeprefix(UTF8_BOM)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise json_syntax_error(path, exc, "malformed JSON: {reason}",
                                "valid JSON (RFC 8259)") from None


def read_json(path: Path) -> tuple[bytes, Any]:
    """The file's bytes (without a byte-order mark) and their parsed JSON.

    Readers keep the bytes so that :func:`json_problem` can locate a JSON path in them.
    """
    raw = read_bytes(path).removeprefix(UTF8_BOM)
    return raw, load_json(path, raw)


def load_toml(path: Path) -> dict[str, Any]:
    """Parse TOML, turning syntax errors into ``FILE:LINE:COL`` problems."""
    import tomllib  # here: most readers (and every scan) parse no TOML

    raw = read_bytes(path)
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidInputError.single(path, f"not UTF-8 text (byte {exc.start})",
                                       "a UTF-8 TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line, column = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise InvalidInputError.single(path, f"malformed TOML: {reason}", "valid TOML 1.0",
                                       line, column) from None


def json_path(parts: list[str | int] | tuple[str | int, ...]) -> str:
    """``$.components[3].hashes[0].alg`` from path segments."""
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_$][\w$-]*", part):
            text += f".{part}"
        else:
            text += "[" + orjson.dumps(part).decode() + "]"
    return text


def json_problem(path: Path, raw: bytes, parts: list[str | int], message: str,
                 expected: str = "") -> Problem:
    """A problem at the JSON path ``parts`` of ``raw``, located to its line and column."""
    line, column = locate(raw, parts)
    return Problem(Location(str(path), line, column), f"{json_path(parts)}: {message}", expected)


def json_array(path: Path, raw: bytes, owner: dict[str, Any], key: str,
               parents: list[str | int]) -> list[Any]:
    """``owner[key]`` when it is an array, ``[]`` when absent or null; anything else (an object,
    a number) is a located error rather than something to iterate."""
    value = owner.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise json_error(path, raw, [*parents, key], f"is {_json_kind(value)}, not an array",
                         "an array")
    return value


def _json_kind(value: Any) -> str:
    kinds = {dict: "an object", str: "a string", bool: "a boolean", int: "a number",
             float: "a number"}
    return kinds.get(type(value), type(value).__name__)


def json_error(path: Path, raw: bytes, parts: list[str | int], message: str,
               expected: str) -> InvalidInputError:
    """An error carrying the one located :func:`json_problem`."""
    return InvalidInputError([json_problem(path, raw, parts, message, expected)])
