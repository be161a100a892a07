"""Model artefact safety: pickle-based files scanned without unpickling; safetensors and GGUF
headers parsed within limits and their tensors checked against the file size.

Pickles are replayed on a symbolic machine (``_pickle_vm``: the unpickler's stack, marks and
memo over ``pickletools.genops``), so every import is resolved from what would really be on the
stack, and checked against an allow-list (``_pickle_policy``). Files are recognised by their
content as well as their name: pickles, NumPy ``.npy`` files with an object dtype (which embed a
pickle), zip archives (PyTorch checkpoints, ``.npz``) and gzip/bz2/xz/zlib-compressed data.
Nothing is ever unpickled, and every place the scan had to stop is itself a finding.
"""

from __future__ import annotations

import ast
import bz2
import io
import json
import lzma
import re
import struct
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from stackrift.bom import _pickle_vm as vm
from stackrift.bom._pickle_policy import classify_import as _policy_verdict
from stackrift.errors import InvalidInputError
from stackrift.findings import Severity

PICKLE_SUFFIXES = frozenset({".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib",
                             ".npy", ".npz", ".dat", ".gz", ".bz2", ".xz", ".z", ".zlib"})
MAX_OPCODES = vm.MAX_OPCODES
MAX_PICKLES_PER_FILE = 64
MAX_ZIP_MEMBERS = 100_000
MAX_ZIP_PICKLE_BYTES = 256 * 1024 * 1024
MAX_ZIP_RATIO = 200  # uncompressed/compressed beyond this is treated as a zip bomb
MAX_DECOMPRESSED = 256 * 1024 * 1024
MAX_NPY_HEADER = 64 * 1024
MAX_NESTING = 3  # archives and compressed streams inside each other
MAX_LINE = 16 * 1024 * 1024  # text opcodes (protocol 0) read up to a newline
SNIFF_BYTES = 4096
MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024  # the format's own limit
MAX_GGUF_KV = 100_000
MAX_GGUF_STRING = 16 * 1024 * 1024
MAX_GGUF_ARRAY = 50_000_000
MAX_GGUF_TENSORS = 1_000_000
_TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_TORCH_STORAGE = re.compile(r"(^|/)data/\d+$")


@dataclass(frozen=True)
class ArtefactFinding:
    """Something unsafe or malformed in one model file."""

    path: str
    kind: str  # pickle | npy | safetensors | gguf | zip | compressed
    rule: str  # dangerous-import | unknown-import | unresolved-import | tensor-out-of-bounds | ...
    severity: Severity
    message: str
    detail: str = ""


def classify_import(module: str, name: str) -> Severity | None:
    """Severity of a pickle importing ``module.name``; ``None`` when it is on the allow-list."""
    verdict = _policy_verdict(module, name)
    return None if verdict is None else verdict[0]


class NotAPickleError(Exception):
    """The data does not start with a pickle opcode (so there is nothing to scan)."""


class _Capped:
    """A view of ``stream`` that never reads past ``end`` nor a line longer than MAX_LINE, so a
    length field of 2**60 in a hostile pickle cannot make a read allocate that much."""

    def __init__(self, stream: IO[bytes], end: int) -> None:
        self.stream, self.end = stream, end
        self.position = stream.tell()  # tracked here: one call less per opcode read

    def read(self, size: int = -1, /) -> bytes:
        left = self.end - self.position
        if size < 0 or size > left:
            size = left if left > 0 else 0
        data = self.stream.read(size)
        self.position += len(data)
        return data

    def readline(self, size: int = -1, /) -> bytes:
        data = self.stream.readline(max(min(self.end - self.position, MAX_LINE), 0))
        self.position += len(data)
        return data

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0, /) -> int:
        self.position = self.stream.seek(offset, whence)
        return self.position


def _finding(where: str, rule: str, severity: Severity, message: str, detail: str = "",
             kind: str = "pickle") -> ArtefactFinding:
    return ArtefactFinding(where, kind, rule, severity, message, detail)


# -- pickles --------------------------------------------------------------------------------------

_JOBLIB_WRAPPER = ("joblib.numpy_pickle", "NumpyArrayWrapper")
_ITEM_BYTES = re.compile(r"^[<>|=]?([biufcSVUMm])(\d*)")


def _joblib_array(stream: vm.Stream, built: vm.Built, state: vm.Dict, trace: vm.Trace) -> None:
    """Step over the array data joblib writes right after a NumpyArrayWrapper (raw bytes, or a
    nested pickle for object arrays, which is replayed like any other)."""
    maker = built.maker
    if not isinstance(maker, vm.Ref) or (maker.module, maker.name) != _JOBLIB_WRAPPER:
        return
    dtype, shape = state.items.get("dtype"), state.items.get("shape")
    first = dtype.args[0] if isinstance(dtype, vm.Made) and dtype.args else None
    descr = first.value if isinstance(first, vm.Const) else None
    if not isinstance(descr, str):
        raise vm.CorruptError("joblib array without a readable dtype; its data cannot be located")
    if descr.lstrip("<>|=").startswith("O"):
        if not vm.replay(stream, trace, _joblib_array):
            raise vm.TruncatedError("joblib object array without its pickle")
        return
    match = _ITEM_BYTES.match(descr)
    dims = shape.items if isinstance(shape, vm.Tuple) else None
    counts = [d.value for d in dims or () if isinstance(d, vm.Const)]
    if match is None or dims is None or not all(isinstance(c, int) for c in counts) or \
            len(counts) != len(dims):
        raise vm.CorruptError(f"joblib array of dtype {descr!r}: its data cannot be located")
    kind, digits = match.groups()
    size = int(digits or 8) * (4 if kind == "U" else 1)
    for count in counts:
        size *= int(count)  # type: ignore[call-overload]
    alignment = state.items.get("numpy_array_alignment_bytes")
    if isinstance(alignment, vm.Const) and alignment.value is not None:
        padding = stream.read(1)
        size += padding[0] if padding else 0
    target = stream.tell() + size
    if isinstance(stream, _Capped) and target > stream.end:
        raise vm.TruncatedError("joblib array data runs past the end of the file")
    stream.seek(target)


def _policy_findings(trace: vm.Trace, where: str) -> list[ArtefactFinding]:
    findings: list[ArtefactFinding] = []
    seen: set[tuple[str, str]] = set()
    for found in trace.imports:
        if (found.module, found.name) in seen:
            continue
        seen.add((found.module, found.name))
        verdict = _policy_verdict(found.module, found.name)
        if verdict is None:
            continue
        severity, reason = verdict
        qualified = f"{found.module}.{found.name}"
        rule = "dangerous-import" if severity is Severity.CRITICAL else "unknown-import"
        findings.append(_finding(where, rule, severity,
                                 f"pickle imports {qualified}, which can run code when the file "
                                 f"is loaded ({reason})" if severity is Severity.CRITICAL else
                                 f"pickle imports {qualified}, {reason}", qualified))
    messages = {"unresolved-import": "pickle imports a callable whose name is built at load "
                                     "time, so no scanner can check it",
                "computed-call": "pickle calls a value built at load time",
                "extension": "pickle imports through the copyreg extension registry"}
    for issue in {(i.rule, i.detail): i for i in trace.issues}.values():
        severity = Severity.CRITICAL if issue.rule == "unresolved-import" else Severity.HIGH
        findings.append(_finding(where, issue.rule, severity, messages[issue.rule],
                                 f"{issue.detail} (at byte {issue.offset})"))
    return findings


def _stopped(where: str, exc: Exception) -> ArtefactFinding:
    if isinstance(exc, vm.LimitError):
        return _finding(where, "scan-limit", Severity.HIGH,
                        "pickle too long to examine: the rest was not scanned", str(exc))
    if isinstance(exc, vm.TruncatedError):
        return _finding(where, "truncated-pickle", Severity.HIGH, "pickle is truncated; what "
                        "was read before the end was scanned", str(exc))
    return _finding(where, "corrupt-pickle", Severity.HIGH, "pickle is corrupt where loading "
                    "would fail; the data after that point was not scanned", str(exc))


def _scan_pickles(stream: _Capped, where: str) -> list[ArtefactFinding]:
    """Every pickle in a row from the stream's position (legacy ``torch.save`` files hold five,
    an attacker may append more); raises NotAPickleError if the first byte is no opcode."""
    trace, problems = vm.Trace(), []
    legacy = False
    for index in range(MAX_PICKLES_PER_FILE + 1):
        if index == MAX_PICKLES_PER_FILE:
            if stream.read(1):
                problems.append(_finding(where, "scan-limit", Severity.HIGH,
                                         f"more than {MAX_PICKLES_PER_FILE} pickles in a row: "
                                         "the rest was not scanned"))
            break
        start = stream.tell()
        if stream.read(4) == b"PK\x03\x04":
            break  # an appended zip: reported and scanned as a polyglot by the caller
        stream.seek(start)
        try:
            if not vm.replay(stream, trace, _joblib_array):
                break
        except vm.NotPickleError as exc:
            if index == 0:
                raise NotAPickleError(str(exc)) from None
            if not legacy:  # legacy checkpoints keep raw tensor bytes after their pickles
                problems.append(_finding(
                    where, "trailing-data", Severity.MEDIUM, f"{stream.end - start} bytes "
                    "after the last pickle are not a pickle and were not examined", str(exc)))
            break
        except (vm.CorruptError, vm.LimitError) as exc:
            problems.append(_stopped(where, exc))
            break
        first = trace.first_result
        legacy = legacy or (isinstance(first, vm.Const) and first.value == _TORCH_LEGACY_MAGIC)
        if legacy and trace.pickles >= 5:  # magic, protocol, sys info, object, storage keys
            break
    return _policy_findings(trace, where) + problems


# -- content recognition and containers ----------------------------------------------------------

_COMPRESSION_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"))


def _compression(head: bytes) -> str | None:
    for magic, kind in _COMPRESSION_MAGIC:
        if head.startswith(magic):
            return kind
    if len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib"  # joblib's default compressor writes a bare zlib stream
    return None


def looks_like_pickle(head: bytes) -> bool:
    """Whether bytes start like a pickle: a PROTO opcode, or opcodes that replay cleanly (stack
    and memo consistent) to a STOP or to the end of a full sniffing window. Text rarely does."""
    if len(head) >= 2 and head[0] == 0x80 and head[1] <= 5:
        return True
    if not head or head[0] not in vm.OPCODE_BYTES:
        return False
    window = _Capped(io.BytesIO(head), len(head))
    try:
        return vm.replay(window, vm.Trace())
    except vm.TruncatedError:
        return len(head) >= SNIFF_BYTES
    except (vm.CorruptError, vm.LimitError, vm.NotPickleError):
        return False


def looks_like_model_file(path: Path, head: bytes) -> bool:
    """Whether a file of any name holds something the artefact scan must examine."""
    if head.startswith(b"\x93NUMPY") or looks_like_pickle(head):
        return True
    if _compression(head):
        with path.open("rb") as stream:
            inner = _inflate_head(stream, _compression(head) or "")
        return inner.startswith((b"\x93NUMPY", b"PK\x03\x04")) or looks_like_pickle(inner)
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                return any(_member_is_model(m.filename) for m in archive.infolist()[:1000])
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
    return False


def _member_is_model(name: str) -> bool:
    return name.endswith((".pkl", ".pickle", ".npy", ".joblib")) or name == "data.pkl"


def _decompressor(kind: str) -> Any:
    if kind == "gzip":
        return zlib.decompressobj(wbits=31)
    if kind == "zlib":
        return zlib.decompressobj()
    return bz2.BZ2Decompressor() if kind == "bz2" else lzma.LZMADecompressor()


def _inflate_head(stream: IO[bytes], kind: str) -> bytes:
    """The first SNIFF_BYTES of compressed data (bz2 needs a whole block: up to 4 MiB read)."""
    decompressor, out = _decompressor(kind), b""
    try:
        for _ in range(64):
            data = stream.read(64 * 1024)
            if not data:
                break
            out += decompressor.decompress(data, SNIFF_BYTES - len(out))
            if len(out) >= SNIFF_BYTES or decompressor.eof:
                break
    except (zlib.error, OSError, EOFError, lzma.LZMAError):
        pass
    return bytes(out)


def _inflate(stream: _Capped, kind: str, out: IO[bytes]) -> str | None:
    """Decompress into ``out`` up to MAX_DECOMPRESSED bytes; what went wrong, if anything."""
    decompressor, total, pending = _decompressor(kind), 0, b""
    chunk = 1024 * 1024
    while True:
        if kind in ("gzip", "zlib"):
            data = decompressor.unconsumed_tail or pending or stream.read(chunk)
            pending = b""
            if not data and not decompressor.unconsumed_tail:
                break
            piece = decompressor.decompress(data, chunk)
        else:
            data = pending or (stream.read(chunk) if decompressor.needs_input else b"")
            pending = b""
            if not data and decompressor.needs_input:
                break
            piece = decompressor.decompress(data, chunk)
        total += len(piece)
        if total > MAX_DECOMPRESSED:
            out.write(piece[: len(piece) - (total - MAX_DECOMPRESSED)])
            return f"more than {MAX_DECOMPRESSED} bytes once decompressed"
        out.write(piece)
        if decompressor.eof:
            pending = decompressor.unused_data
            if not pending and not (pending := stream.read(chunk)):
                return None
            if _compression(pending) != kind:
                return f"{len(pending)} bytes after the compressed stream"
            decompressor = _decompressor(kind)
    return "the compressed stream is truncated"


def _worth_inflating(stream: _Capped, kind: str, expected: bool) -> bool:
    """Whether compressed data starts with something a loader would unpickle — so a dataset
    ``.tar.gz`` beside the weights is not expanded (up to the limit) to find nothing."""
    start = stream.tell()
    inner = _inflate_head(stream.stream, kind)
    stream.seek(start)
    if inner.startswith((b"\x93NUMPY", b"PK\x03\x04")) or looks_like_pickle(inner):
        return True
    # A name that promises a pickle: anything starting with an opcode (a corrupt pickle is a
    # finding), unless it is plainly a tar archive.
    return (expected and bool(inner) and inner[0] in vm.OPCODE_BYTES and
            inner[257:262] != b"ustar")


def _scan_compressed(stream: _Capped, where: str, kind: str,
                     depth: int) -> list[ArtefactFinding]:
    inner = f"{where} ({kind})"
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as out:
        try:
            problem = _inflate(stream, kind, out)
        except (zlib.error, OSError, EOFError, lzma.LZMAError) as exc:
            problem = f"corrupt compressed data: {exc}"
        size = out.tell()
        out.seek(0)
        findings = _scan_stream(_Capped(out, size), inner, depth + 1, expected=True)
    if problem:
        findings.append(_finding(where, "compressed-data", Severity.HIGH,
                                 f"{kind} data not fully examined: {problem}", problem,
                                 kind="compressed"))
    return findings


def _has_object(descr: object) -> bool:
    if isinstance(descr, str):
        return descr.lstrip("<>|=").startswith("O")
    if isinstance(descr, list):
        return any(isinstance(f, tuple) and len(f) >= 2 and _has_object(f[1]) for f in descr)
    if isinstance(descr, tuple) and descr:
        return _has_object(descr[0])
    return True  # a dtype we cannot read might hold objects


def _scan_npy(stream: _Capped, where: str) -> list[ArtefactFinding]:
    """A ``.npy`` file: an object dtype means the rest of the file is a pickle."""
    prefix = stream.read(8)
    major = prefix[6] if len(prefix) == 8 else 0
    length_format = "<H" if major == 1 else "<I"
    raw_length = stream.read(struct.calcsize(length_format))
    problem = None
    if major not in (1, 2, 3) or len(raw_length) != struct.calcsize(length_format):
        problem = f"unknown .npy version {major} or truncated header"
    else:
        (length,) = struct.unpack(length_format, raw_length)
        header = stream.read(min(length, MAX_NPY_HEADER + 1))
        try:
            meta = ast.literal_eval(header.decode("utf-8" if major == 3 else "latin-1"))
        except (ValueError, SyntaxError, MemoryError, RecursionError, UnicodeDecodeError):
            meta = None
        if length > MAX_NPY_HEADER or not isinstance(meta, dict) or "descr" not in meta:
            problem = "the header is not a dict literal with a descr within 64 KiB"
        elif _has_object(meta["descr"]):
            try:
                return _scan_pickles(stream, f"{where} (object array)")
            except NotAPickleError:
                problem = "an object-dtype array without its pickle"
    if problem is None:
        return []
    return [_finding(where, "malformed-npy", Severity.HIGH, f"NumPy file: {problem}; not "
                     "examined further", problem, kind="npy")]


def _scan_zip(stream: IO[bytes], where: str, depth: int) -> list[ArtefactFinding]:
    """Pickles inside a zip (PyTorch checkpoints, ``.npz``, any member that sniffs as one)."""
    findings: list[ArtefactFinding] = []
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                return [_finding(where, "zip-bomb", Severity.HIGH, f"{len(members)} members "
                                 f"exceed the limit of {MAX_ZIP_MEMBERS}", kind="zip")]
            for member in members:
                if member.is_dir() or _TORCH_STORAGE.search(member.filename):
                    continue  # tensor storages are raw bytes that torch never unpickles
                findings.extend(_scan_member(archive, member, f"{where}!{member.filename}",
                                             depth))
    except (zipfile.BadZipFile, OSError, NotImplementedError, ValueError, EOFError,
            RuntimeError, zlib.error, lzma.LZMAError) as exc:
        # An encrypted or corrupt member cannot be checked: as unsafe as an unknown import.
        findings.append(_finding(where, "malformed-archive", Severity.HIGH,
                                 f"cannot read the zip archive, so it was not fully scanned: "
                                 f"{exc}", kind="zip"))
    return findings


def _scan_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, where: str,
                 depth: int) -> list[ArtefactFinding]:
    expected = _member_is_model(member.filename)
    if not expected:
        with archive.open(member) as handle:
            head = handle.read(SNIFF_BYTES)
        if not (looks_like_pickle(head) or head.startswith(b"\x93NUMPY") or
                (_compression(head) and head[:1] != b"x")):
            return []
    ratio = member.file_size / max(member.compress_size, 1)
    if member.file_size > MAX_ZIP_PICKLE_BYTES or ratio > MAX_ZIP_RATIO:
        return [_finding(where, "zip-bomb", Severity.HIGH, f"member declares "
                         f"{member.file_size} bytes (ratio {ratio:.0f}); not expanded",
                         "size or compression ratio over the limit", kind="zip")]
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as copy:
        with archive.open(member) as handle:
            while chunk := handle.read(1024 * 1024):
                copy.write(chunk)
                if copy.tell() > MAX_ZIP_PICKLE_BYTES:
                    return [_finding(where, "zip-bomb", Severity.HIGH, "member larger than "
                                     "declared; not expanded", kind="zip")]
        size = copy.tell()
        copy.seek(0)
        return _scan_stream(_Capped(copy, size), where, depth + 1,
                            expected=expected)


def _scan_stream(stream: _Capped, where: str, depth: int, *,
                 expected: bool) -> list[ArtefactFinding]:
    """Whatever the bytes are: npy, zip, compressed data or a pickle (possibly a polyglot)."""
    start = stream.tell()
    head = stream.read(SNIFF_BYTES)
    stream.seek(start)
    if depth > MAX_NESTING:
        return [_finding(where, "scan-limit", Severity.HIGH, f"nested more than {MAX_NESTING} "
                         "archives or compressed streams deep; not examined")]
    if head.startswith(b"\x93NUMPY"):
        return _scan_npy(stream, where)
    if head.startswith(b"PK\x03\x04"):
        return _scan_zip(stream.stream, where, depth)
    kind = _compression(head)
    if kind and (kind != "zlib" or expected) and _worth_inflating(stream, kind, expected):
        return _scan_compressed(stream, where, kind, depth)
    if kind and expected:
        return [_finding(where, "not-a-pickle", Severity.INFO, f"{kind} data that does not "
                         "start like a pickle, NumPy file or zip, so not scanned", kind=kind)]
    if not expected and not looks_like_pickle(head):
        return []
    try:
        findings = _scan_pickles(stream, where)
    except NotAPickleError as exc:
        return [_finding(where, "not-a-pickle", Severity.INFO,
                         "not a pickle stream, so not scanned for imports",
                         f"first opcode unreadable: {exc}")] if expected else []
    stream.seek(start)
    if zipfile.is_zipfile(stream.stream):
        findings.append(_finding(where, "polyglot", Severity.HIGH, "file is both a pickle and "
                                 "a zip archive: loaders disagree on which part they read",
                                 "pickle at offset 0 with a zip archive appended"))
        findings.extend(_scan_zip(stream.stream, f"{where} (appended zip)", depth))
    return findings


def scan_pickle_bytes(stream: IO[bytes], where: str) -> list[ArtefactFinding]:
    """Scan pickle-bearing bytes (any of the recognised containers) from a seekable stream."""
    start = stream.tell()
    end = stream.seek(0, 2)
    stream.seek(start)
    return _scan_stream(_Capped(stream, end), where, 0, expected=True)


def scan_pickle_file(path: Path, *, expected: bool = True) -> list[ArtefactFinding]:
    """Scan a pickle, npy/npz, compressed pickle or PyTorch zip checkpoint, never loading it."""
    with path.open("rb") as stream:
        end = stream.seek(0, 2)
        stream.seek(0)
        return _scan_stream(_Capped(stream, end), str(path), 0, expected=expected)


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
    """Findings for one model file: safetensors and GGUF by suffix, everything else by content
    (a file with a pickle suffix that holds no pickle is reported as not scanned)."""
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        return list(read_safetensors_header(path).findings)
    if suffix == ".gguf":
        return list(read_gguf_header(path).findings)
    return scan_pickle_file(path, expected=suffix in PICKLE_SUFFIXES)
