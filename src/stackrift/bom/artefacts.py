"""Model artefact safety: pickle-based files scanned without unpickling; safetensors and GGUF
headers parsed within limits and their tensors checked against the file size.

Pickles are read opcode by opcode with the standard library's ``pickletools.genops``, which
decodes the instruction stream and never executes it. This is the technique maintained scanners
(picklescan, modelscan) use too; doing it here keeps the limits (opcodes, nested pickles, zip
members) under our control and adds no dependency. Every import a pickle would perform
(``GLOBAL``, ``INST``, ``STACK_GLOBAL``) is checked against a list of dangerous callables.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from stackrift.errors import InvalidInputError
from stackrift.findings import Severity

PICKLE_SUFFIXES = frozenset({".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib"})
MAX_OPCODES = 5_000_000
MAX_PICKLES_PER_FILE = 16
MAX_ZIP_MEMBERS = 100_000
MAX_ZIP_PICKLE_BYTES = 256 * 1024 * 1024
MAX_ZIP_RATIO = 200  # uncompressed/compressed beyond this is treated as a zip bomb
MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024  # the format's own limit
MAX_GGUF_KV = 100_000
MAX_GGUF_STRING = 16 * 1024 * 1024
MAX_GGUF_ARRAY = 50_000_000
MAX_GGUF_TENSORS = 1_000_000

# Any import from these modules can run commands, open sockets, load code or touch files.
DANGEROUS_MODULES = frozenset({
    "os", "posix", "nt", "subprocess", "sys", "socket", "shutil", "runpy", "pty", "commands",
    "webbrowser", "ctypes", "importlib", "marshal", "code", "codeop", "pdb", "bdb", "asyncio",
    "multiprocessing", "http", "urllib", "urllib2", "httplib", "requests", "ftplib", "smtplib",
    "telnetlib", "tempfile", "pathlib", "glob", "pickle", "_pickle", "dill", "cloudpickle",
    "types", "signal", "threading", "_thread", "pip", "setuptools", "platform", "zipimport",
})
DANGEROUS_NAMES = {
    "builtins": frozenset({"eval", "exec", "compile", "__import__", "getattr", "setattr",
                           "delattr", "open", "globals", "locals", "vars", "breakpoint", "input",
                           "execfile", "apply", "memoryview", "help", "exit", "quit"}),
    "__builtin__": frozenset({"eval", "exec", "compile", "__import__", "getattr", "setattr",
                              "open", "execfile", "apply", "file", "input", "globals"}),
    "operator": frozenset({"attrgetter", "methodcaller", "getitem"}),
    "functools": frozenset({"partial", "reduce"}),
    "numpy": frozenset({"load", "fromfile"}),
    "torch": frozenset({"load", "hub"}),
    "torch.serialization": frozenset({"load"}),
}
# Imports ordinary framework checkpoints perform; anything else is reported for review.
SAFE_PREFIXES = ("collections.", "torch._utils.", "torch.", "numpy.core.multiarray.",
                 "numpy._core.multiarray.", "numpy.", "_codecs.encode", "builtins.set",
                 "builtins.frozenset", "builtins.slice", "builtins.range", "builtins.complex",
                 "builtins.bytearray", "builtins.dict", "builtins.list", "builtins.tuple",
                 "builtins.int", "builtins.float", "builtins.str", "builtins.bytes",
                 "builtins.object", "copyreg._reconstructor", "__builtin__.set",
                 "sklearn.", "joblib.numpy_pickle.", "scipy.sparse.", "pandas.core.",
                 "tokenizers.", "transformers.", "datetime.", "decimal.Decimal", "uuid.UUID",
                 "argparse.Namespace", "pathlib.PosixPath", "pathlib.WindowsPath", "re._compile")


@dataclass(frozen=True)
class ArtefactFinding:
    """Something unsafe or malformed in one model file."""

    path: str
    kind: str  # pickle | safetensors | gguf | zip
    rule: str  # dangerous-import | unknown-import | unresolved-import | tensor-out-of-bounds | ...
    severity: Severity
    message: str
    detail: str = ""


def classify_import(module: str, name: str) -> Severity | None:
    """Severity of a pickle importing ``module.name``; ``None`` when it is an expected import."""
    top = module.split(".", 1)[0]
    if name in DANGEROUS_NAMES.get(module, frozenset()):
        return Severity.CRITICAL
    if top in DANGEROUS_MODULES or module in DANGEROUS_MODULES:
        return Severity.CRITICAL
    if name.startswith("__") and name not in ("__builtin__",):
        return Severity.HIGH
    qualified = f"{module}.{name}"
    if any(qualified.startswith(p) or qualified == p.rstrip(".") for p in SAFE_PREFIXES):
        return None
    return Severity.MEDIUM


class NotAPickleError(Exception):
    """The file does not start with a pickle stream (so there is nothing to scan)."""


_STRING_OPS = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING",
               "BINSTRING", "SHORT_BINSTRING"}


def pickle_imports(stream: IO[bytes]) -> Iterator[tuple[str, str] | None]:
    """Every (module, name) a pickle stream would import; ``None`` for an unresolvable one.

    Several pickles in a row (legacy ``torch.save`` files) are read until one fails to decode,
    which is where the raw tensor bytes begin.
    """
    import pickletools  # only artefact scans need it

    count = 0
    for index in range(MAX_PICKLES_PER_FILE):
        strings: list[str] = []
        memo: dict[int, str] = {}
        try:
            for opcode, arg, _ in pickletools.genops(stream):
                count += 1
                if count > MAX_OPCODES:
                    return
                name = opcode.name
                if name in _STRING_OPS and isinstance(arg, str | bytes):
                    strings.append(arg if isinstance(arg, str) else arg.decode("latin-1"))
                elif name == "MEMOIZE" and strings:
                    memo[len(memo)] = strings[-1]
                elif name in ("BINPUT", "LONG_BINPUT", "PUT") and strings and \
                        isinstance(arg, int):
                    memo[arg] = strings[-1]
                elif name in ("BINGET", "LONG_BINGET", "GET") and isinstance(arg, int):
                    if arg in memo:
                        strings.append(memo[arg])
                elif name in ("GLOBAL", "INST") and isinstance(arg, str):
                    module, _, attribute = arg.partition(" ")
                    yield module, attribute
                elif name == "STACK_GLOBAL":
                    yield (strings[-2], strings[-1]) if len(strings) >= 2 else None
        except (ValueError, EOFError, struct.error, UnicodeDecodeError) as exc:
            if index == 0 and count == 0:
                raise NotAPickleError(str(exc)) from None
            return  # the raw bytes after the last pickle of a legacy checkpoint
        if not stream.read(1):
            return
        stream.seek(-1, io.SEEK_CUR)


def scan_pickle_bytes(stream: IO[bytes], where: str) -> list[ArtefactFinding]:
    findings: list[ArtefactFinding] = []
    seen: set[tuple[str, str] | None] = set()
    try:
        imports = list(pickle_imports(stream))
    except NotAPickleError as exc:
        return [ArtefactFinding(where, "pickle", "not-a-pickle", Severity.INFO,
                                "not a pickle stream, so not scanned for imports",
                                f"first opcode unreadable: {exc}")]
    for found in imports:
        if found in seen:
            continue
        seen.add(found)
        if found is None:
            findings.append(ArtefactFinding(
                where, "pickle", "unresolved-import", Severity.HIGH,
                "pickle imports a callable whose name is computed at load time",
                "STACK_GLOBAL without literal module/name"))
            continue
        module, name = found
        severity = classify_import(module, name)
        if severity is None:
            continue
        rule = "dangerous-import" if severity is Severity.CRITICAL else "unknown-import"
        message = (f"pickle imports {module}.{name}, which can run code when the file is loaded"
                   if severity is Severity.CRITICAL else
                   f"pickle imports {module}.{name}, not a known-safe checkpoint import")
        findings.append(ArtefactFinding(where, "pickle", rule, severity, message,
                                        f"{module}.{name}"))
    return findings


def scan_pickle_file(path: Path) -> list[ArtefactFinding]:
    """Scan a pickle, or every ``*.pkl`` inside a PyTorch zip checkpoint, without loading it."""
    if zipfile.is_zipfile(path):
        return _scan_zip(path)
    with path.open("rb") as stream:
        return scan_pickle_bytes(stream, str(path))


def _scan_zip(path: Path) -> list[ArtefactFinding]:
    findings: list[ArtefactFinding] = []
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                return [ArtefactFinding(str(path), "zip", "zip-bomb", Severity.HIGH,
                                        f"{len(members)} members exceed the limit of "
                                        f"{MAX_ZIP_MEMBERS}")]
            for member in members:
                if not member.filename.endswith((".pkl", ".pickle")):
                    continue
                where = f"{path}!{member.filename}"
                ratio = member.file_size / max(member.compress_size, 1)
                if member.file_size > MAX_ZIP_PICKLE_BYTES or ratio > MAX_ZIP_RATIO:
                    findings.append(ArtefactFinding(
                        where, "zip", "zip-bomb", Severity.HIGH,
                        f"member declares {member.file_size} bytes (ratio {ratio:.0f}); not "
                        "expanded", "size or compression ratio over the limit"))
                    continue
                with archive.open(member) as handle:
                    data = handle.read(MAX_ZIP_PICKLE_BYTES + 1)
                findings.extend(scan_pickle_bytes(io.BytesIO(data[:MAX_ZIP_PICKLE_BYTES]),
                                                  where))
    except (zipfile.BadZipFile, OSError, NotImplementedError) as exc:
        findings.append(ArtefactFinding(str(path), "zip", "malformed-archive", Severity.MEDIUM,
                                        f"cannot read the zip archive: {exc}"))
    return findings


# -- safetensors -----------------------------------------------------------------------------------

_ST_DTYPE_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2,
                   "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8,
                   "U64": 8, "F4": 1, "F6_E2M3": 1, "F6_E3M2": 1, "E8M0": 1}


@dataclass(frozen=True)
class SafetensorsHeader:
    metadata: dict[str, str]
    tensors: int
    parameters: int
    findings: tuple[ArtefactFinding, ...]


def read_safetensors_header(path: Path) -> SafetensorsHeader:
    """Parse the JSON header (bounded) and check every tensor's extent against the file size."""
    size = path.stat().st_size
    with path.open("rb") as stream:
        prefix = stream.read(8)
        if len(prefix) < 8:
            raise InvalidInputError.single(path, "at byte 0: file is shorter than the 8-byte "
                                           "header length", "a safetensors file")
        (length,) = struct.unpack("<Q", prefix)
        if length > MAX_SAFETENSORS_HEADER or length > size - 8:
            raise InvalidInputError.single(
                path, f"at byte 0: header length {length} exceeds "
                f"{'the file size' if length <= MAX_SAFETENSORS_HEADER else 'the limit'} "
                f"({min(size - 8, MAX_SAFETENSORS_HEADER)} bytes)",
                "a safetensors header of at most 100 MiB inside the file")
        raw = stream.read(length)
    try:
        header = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInputError.single(path, f"at byte 8: header is not JSON "
                                       f"({exc or 'nested too deeply'})",
                                       "a JSON object of tensor descriptions") from None
    if not isinstance(header, dict):
        raise InvalidInputError.single(path, "at byte 8: header is not a JSON object",
                                       "a JSON object of tensor descriptions")
    data_size = size - 8 - length
    findings: list[ArtefactFinding] = []
    parameters = tensors = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        tensors += 1
        problem = _check_tensor(entry, data_size)
        if problem:
            findings.append(ArtefactFinding(str(path), "safetensors", "tensor-out-of-bounds",
                                            Severity.HIGH, f"tensor '{name}': {problem}"))
            continue
        count = 1
        for dim in entry["shape"]:
            count *= dim
        parameters += count
    metadata = header.get("__metadata__")
    clean = ({str(k): str(v) for k, v in metadata.items()} if isinstance(metadata, dict) else {})
    return SafetensorsHeader(clean, tensors, parameters, tuple(findings))


def _check_tensor(entry: Any, data_size: int) -> str | None:
    if not isinstance(entry, dict):
        return "description is not an object"
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if dtype not in _ST_DTYPE_BYTES:
        return f"unknown dtype {dtype!r}"
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        return "shape is not a list of non-negative integers"
    if (not isinstance(offsets, list) or len(offsets) != 2 or
            not all(isinstance(o, int) and o >= 0 for o in offsets)):
        return "data_offsets is not [begin, end]"
    begin, end = offsets
    if begin > end or end > data_size:
        return f"data [{begin}, {end}) lies outside the {data_size} data bytes"
    count = 1
    for dim in shape:
        count *= dim
    expected = count * _ST_DTYPE_BYTES[dtype]
    if dtype not in ("F4", "F6_E2M3", "F6_E3M2") and end - begin != expected:
        return f"{end - begin} bytes for shape {shape} of {dtype} (expected {expected})"
    return None


# -- GGUF ------------------------------------------------------------------------------------------

# ggml tensor types: (bytes per block, elements per block)
_GGML_TYPES = {0: (4, 1), 1: (2, 1), 2: (18, 32), 3: (20, 32), 6: (22, 32), 7: (24, 32),
               8: (34, 32), 9: (36, 32), 10: (84, 256), 11: (110, 256), 12: (144, 256),
               13: (176, 256), 14: (210, 256), 15: (292, 256), 24: (1, 1), 25: (2, 1),
               26: (4, 1), 27: (8, 1), 28: (8, 1), 30: (2, 1)}
_GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
                 10: "<Q", 11: "<q", 12: "<d"}


@dataclass(frozen=True)
class GgufHeader:
    version: int
    metadata: dict[str, Any]
    tensors: int
    findings: tuple[ArtefactFinding, ...]


class _GgufReader:
    def __init__(self, path: Path, stream: IO[bytes]) -> None:
        self.path, self.stream = path, stream

    def fail(self, message: str, at: int | None = None) -> InvalidInputError:
        where = self.stream.tell() if at is None else at
        return InvalidInputError.single(self.path, f"at byte {where}: {message}",
                                        "a well-formed GGUF header within the limits")

    def take(self, count: int) -> bytes:
        data = self.stream.read(count)
        if len(data) != count:
            raise self.fail("file ends inside the header")
        return data

    def scalar(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        start = self.stream.tell()
        length = self.scalar("<Q")
        if length > MAX_GGUF_STRING:
            raise self.fail(f"string of {length} bytes exceeds the {MAX_GGUF_STRING}-byte limit",
                            start)
        return self.take(length).decode("utf-8", "replace")

    def value(self, kind: int, keep: bool, depth: int = 0) -> Any:
        if depth > 4:
            raise self.fail("metadata arrays nested more than 4 levels deep")
        if kind in _GGUF_SCALARS:
            return self.scalar(_GGUF_SCALARS[kind])
        if kind == 8:
            return self.string()
        if kind == 9:
            item_kind = self.scalar("<I")
            count = self.scalar("<Q")
            if count > MAX_GGUF_ARRAY:
                raise self.fail(f"array of {count} items exceeds the {MAX_GGUF_ARRAY} limit")
            items = [self.value(item_kind, keep, depth + 1) for _ in range(count)]
            # Tokenizer vocabularies are large and say nothing about provenance.
            return items if keep and count <= 64 else f"<array of {count}>"
        raise self.fail(f"unknown metadata value type {kind}")


def read_gguf_header(path: Path) -> GgufHeader:
    """GGUF metadata (bounded) and a check of every tensor's extent against the file size."""
    size = path.stat().st_size
    with path.open("rb") as stream:
        reader = _GgufReader(path, stream)
        if reader.take(4) != b"GGUF":
            raise InvalidInputError.single(path, "at byte 0: missing GGUF magic", "a GGUF file")
        version = reader.scalar("<I")
        if version not in (2, 3):
            raise reader.fail(f"GGUF version {version} is not supported")
        tensor_count = reader.scalar("<Q")
        kv_count = reader.scalar("<Q")
        if kv_count > MAX_GGUF_KV or tensor_count > MAX_GGUF_TENSORS:
            raise reader.fail(f"{kv_count} metadata entries / {tensor_count} tensors exceed "
                              "the limits")
        metadata: dict[str, Any] = {}
        for _ in range(kv_count):
            key = reader.string()
            metadata[key] = reader.value(reader.scalar("<I"), keep=True)
        infos = []
        for _ in range(tensor_count):
            name = reader.string()
            dims = reader.scalar("<I")
            if dims > 8:
                raise reader.fail(f"tensor '{name}' has {dims} dimensions")
            shape = [reader.scalar("<Q") for _ in range(dims)]
            infos.append((name, shape, reader.scalar("<I"), reader.scalar("<Q")))
        alignment = metadata.get("general.alignment", 32)
        alignment = alignment if isinstance(alignment, int) and alignment > 0 else 32
        data_start = -(-stream.tell() // alignment) * alignment
    data_size = max(size - data_start, 0)
    findings = []
    for name, shape, kind, offset in infos:
        count = 1
        for dim in shape:
            count *= dim
        block = _GGML_TYPES.get(kind)
        length = (count // block[1]) * block[0] if block else 0
        if offset + length > data_size:
            findings.append(ArtefactFinding(
                str(path), "gguf", "tensor-out-of-bounds", Severity.HIGH,
                f"tensor '{name}': data [{offset}, {offset + length}) lies outside the "
                f"{data_size} data bytes"))
    return GgufHeader(version, metadata, tensor_count, tuple(findings))


def scan_file(path: Path) -> list[ArtefactFinding]:
    """Findings for one model file, chosen by its suffix."""
    suffix = path.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        return scan_pickle_file(path)
    if suffix == ".safetensors":
        return list(read_safetensors_header(path).findings)
    if suffix == ".gguf":
        return list(read_gguf_header(path).findings)
    return []
