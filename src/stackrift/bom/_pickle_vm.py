"""A symbolic pickle machine: the unpickler's stack, mark stack and memo, emulated without
executing anything.

``pickletools.genops`` decodes the instruction stream; this module replays every opcode on
symbolic values the way ``pickle._Unpickler`` does, so an import (``GLOBAL``, ``INST``,
``STACK_GLOBAL``) is resolved from what would really be on the stack at that moment — strings
fetched from the memo, decoys pushed and popped, names built by calls at load time (which stay
*unresolved* rather than guessed). Nothing is imported, called or unpickled.

The machine stops where the real unpickler would raise (stack underflow, unknown memo key, bad
opcode, end of data) and records that as a problem, so a truncated or corrupt pickle is never
mistaken for a clean one; every limit reached is recorded too.
"""

from __future__ import annotations

import pickletools
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, Protocol, cast

MAX_OPCODES = 5_000_000  # over all pickles of one file
MAX_STACK = 1_000_000
MAX_KEPT_STRING = 4096  # longer strings are kept as "long string" (no importable name is)
MAX_KEPT_ITEMS = 64  # tuples and dicts keep their items up to this size (enough for metadata)


class Stream(Protocol):
    """What ``genops`` needs: a bounded, seekable byte reader."""

    def read(self, size: int = -1, /) -> bytes: ...
    def readline(self, size: int = -1, /) -> bytes: ...
    def tell(self) -> int: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...


class NotPickleError(Exception):
    """The first byte is not a pickle opcode."""


class LimitError(Exception):
    """A resource limit was reached; the rest of the stream was not examined."""


class CorruptError(Exception):
    """The real unpickler would raise here, so nothing after this point would run."""


class TruncatedError(CorruptError):
    """The data ends inside a pickle."""


# -- symbolic values ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Const:
    """A literal: str (bounded), bytes, int, float, bool or None; ``None`` value when too long."""

    value: object


@dataclass(frozen=True, slots=True)
class Ref:
    """A callable or class the pickle imported; module/name ``None`` when not resolvable."""

    module: str | None
    name: str | None


@dataclass(frozen=True, slots=True)
class Made:
    """The result of calling ``maker`` (REDUCE, NEWOBJ, OBJ, INST) — unknown at scan time."""

    maker: object
    args: tuple[object, ...] | None


@dataclass(frozen=True, slots=True)
class Built:
    """A made object after BUILD with a known state dict (joblib's array wrappers need it)."""

    maker: object
    args: tuple[object, ...] | None
    state: Dict


@dataclass(frozen=True, slots=True)
class Tuple:
    items: tuple[object, ...] | None  # None when longer than MAX_KEPT_ITEMS


@dataclass(slots=True)
class Dict:
    items: dict[str, object] = field(default_factory=dict)  # string keys only, bounded


@dataclass(frozen=True, slots=True)
class Opaque:
    """A list, set, buffer or persistent id: contents not needed for the analysis."""

    what: str


@dataclass(frozen=True)
class Import:
    module: str
    name: str
    offset: int


@dataclass(frozen=True)
class Issue:
    """Something the policy must see: ``unresolved-import``, ``computed-call``, ``extension``."""

    rule: str
    offset: int
    detail: str


@dataclass
class Trace:
    """What one pickle stream (possibly several pickles in a row) would do when loaded."""

    imports: list[Import] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    pickles: int = 0
    opcodes: int = 0
    first_result: object = None


ArrayHook = Callable[[Stream, "Built", Dict, "Trace"], None]


def _describe(value: object) -> str:
    if isinstance(value, Const):
        return "a literal" if value.value is None else f"literal {value.value!r}"[:80]
    if isinstance(value, Made):
        maker = value.maker
        if isinstance(maker, Ref) and maker.module is not None:
            return f"the result of calling {maker.module}.{maker.name}"
        return "the result of a call"
    return f"a {type(value).__name__.lower()}"


_CONSTANT_OPS = frozenset({
    "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "STRING", "BINSTRING",
    "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8", "UNICODE",
    "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "FLOAT", "BINFLOAT", "NONE", "NEWTRUE",
    "NEWFALSE"})
_NO_EFFECT = frozenset({"PROTO", "FRAME", "READONLY_BUFFER"})


class Machine:
    """Replays one pickle (up to its STOP) on symbolic values, recording into ``trace``."""

    def __init__(self, trace: Trace, array_hook: ArrayHook | None = None) -> None:
        self.trace = trace
        self.array_hook = array_hook
        self.stack: list[object] = []
        self.marks: list[list[object]] = []
        self.memo: dict[int, object] = {}
        self.offset = 0
        self.decoded = 0
        handlers: dict[str, Callable[[Any], object]] = {
            "MARK": self._mark, "POP": self._pop, "POP_MARK": lambda _: self._pop_mark(),
            "DUP": lambda _: self._push(self._top()), "GLOBAL": self._global,
            "STACK_GLOBAL": self._stack_global, "INST": self._inst, "OBJ": self._obj,
            "REDUCE": self._reduce, "NEWOBJ": self._newobj, "NEWOBJ_EX": self._newobj_ex,
            "BUILD": self._build, "PUT": self._put, "BINPUT": self._put,
            "LONG_BINPUT": self._put, "MEMOIZE": self._memoize, "GET": self._get,
            "BINGET": self._get, "LONG_BINGET": self._get, "EXT1": self._ext,
            "EXT2": self._ext, "EXT4": self._ext, "PERSID": self._persid,
            "BINPERSID": self._binpersid, "EMPTY_LIST": lambda _: self._push(Opaque("list")),
            "EMPTY_DICT": lambda _: self._push(Dict()),
            "EMPTY_TUPLE": lambda _: self._push(Tuple(())),
            "EMPTY_SET": lambda _: self._push(Opaque("set")),
            "LIST": lambda _: self._collect("list"), "TUPLE": lambda _: self._collect("tuple"),
            "DICT": lambda _: self._collect("dict"),
            "FROZENSET": lambda _: self._collect("frozenset"),
            "TUPLE1": lambda _: self._tuple_n(1), "TUPLE2": lambda _: self._tuple_n(2),
            "TUPLE3": lambda _: self._tuple_n(3), "APPEND": self._append,
            "APPENDS": lambda _: self._into_top(self._pop_mark(), "list"),
            "SETITEM": self._setitem, "SETITEMS": self._setitems,
            "ADDITEMS": lambda _: self._into_top(self._pop_mark(), "set"),
            "NEXT_BUFFER": lambda _: self._push(Opaque("buffer")),
        }
        self.handlers = handlers

    # -- the loop ---------------------------------------------------------------------------------

    def run(self, stream: Stream) -> bool:
        """Replay up to STOP."""
        trace = self.trace
        for opcode, arg, pos in pickletools.genops(cast(IO[bytes], stream)):
            self.decoded += 1
            trace.opcodes += 1
            if trace.opcodes > MAX_OPCODES:
                raise LimitError(f"more than {MAX_OPCODES:,} opcodes")
            self.offset = pos or 0
            name = opcode.name
            if name in _CONSTANT_OPS:
                self.stack.append(Const(arg) if arg is None or isinstance(arg, int | float)
                                  else self._constant(arg))
            elif name == "STOP":
                result = self._pop(None)
                if trace.pickles == 0:
                    trace.first_result = result
                trace.pickles += 1
                return True
            elif name not in _NO_EFFECT:
                handler = self.handlers.get(name)
                if handler is None:
                    raise CorruptError(f"opcode {name} is not understood")
                handler(arg)
                if name == "BUILD" and self.array_hook is not None:
                    self._after_build(stream)
            if len(self.stack) > MAX_STACK:
                raise LimitError(f"stack deeper than {MAX_STACK:,} items")
        raise CorruptError("the data ends without a STOP opcode")

    def _after_build(self, stream: Stream) -> None:
        """joblib writes array bytes right after a NumpyArrayWrapper is built: let the hook
        skip (or scan) them before decoding continues."""
        built = self.stack[-1] if self.stack else None
        if isinstance(built, Built) and self.array_hook is not None:
            self.array_hook(stream, built, built.state, self.trace)

    # -- stack primitives -------------------------------------------------------------------------

    def _push(self, value: object) -> None:
        self.stack.append(value)

    def _top(self) -> object:
        if not self.stack:
            raise CorruptError("an opcode needs a value but the stack is empty")
        return self.stack[-1]

    def _pop(self, _arg: object) -> object:
        if self.stack:
            return self.stack.pop()
        if self.marks:  # the unpickler's POP discards an empty mark frame
            self._pop_mark()
            return None
        raise CorruptError("POP on an empty stack")

    def _mark(self, _arg: object) -> None:
        self.marks.append(self.stack)
        self.stack = []

    def _pop_mark(self) -> list[object]:
        if not self.marks:
            raise CorruptError("no MARK to pop to")
        items = self.stack
        self.stack = self.marks.pop()
        return items

    def _constant(self, arg: object) -> Const:
        if isinstance(arg, str):
            return Const(arg if len(arg) <= MAX_KEPT_STRING else None)
        if isinstance(arg, bytes | bytearray):
            return Const(bytes(arg) if len(arg) <= MAX_KEPT_STRING else None)
        return Const(arg)

    # -- imports and calls ------------------------------------------------------------------------

    def _import(self, module: str, name: str) -> Ref:
        self.trace.imports.append(Import(module, name, self.offset))
        return Ref(module, name)

    def _global(self, arg: object) -> None:
        module, _, name = str(arg).partition(" ")
        self._push(self._import(module, name))

    def _inst(self, arg: object) -> None:
        module, _, name = str(arg).partition(" ")
        args = self._pop_mark()
        self._push(Made(self._import(module, name), tuple(args[:MAX_KEPT_ITEMS])))

    def _stack_global(self, _arg: object) -> None:
        name, module = self._pop(None), self._pop(None)
        if (isinstance(module, Const) and isinstance(module.value, str) and
                isinstance(name, Const) and isinstance(name.value, str)):
            self._push(self._import(module.value, name.value))
            return
        self.trace.issues.append(Issue(
            "unresolved-import", self.offset,
            f"STACK_GLOBAL module is {_describe(module)}, name is {_describe(name)}"))
        self._push(Ref(None, None))

    def _call(self, maker: object, args: tuple[object, ...] | None, how: str) -> None:
        if not isinstance(maker, Ref):
            self.trace.issues.append(Issue(
                "computed-call", self.offset,
                f"{how} calls {_describe(maker)}, a value built at load time"))
        self._push(Made(maker, args))

    def _reduce(self, _arg: object) -> None:
        args, maker = self._pop(None), self._pop(None)
        self._call(maker, args.items if isinstance(args, Tuple) else None, "REDUCE")

    def _newobj(self, _arg: object) -> None:
        args, cls = self._pop(None), self._pop(None)
        self._call(cls, args.items if isinstance(args, Tuple) else None, "NEWOBJ")

    def _newobj_ex(self, _arg: object) -> None:
        _kwargs, args, cls = self._pop(None), self._pop(None), self._pop(None)
        self._call(cls, args.items if isinstance(args, Tuple) else None, "NEWOBJ_EX")

    def _obj(self, _arg: object) -> None:
        items = self._pop_mark()
        if not items:
            raise CorruptError("OBJ without a class")
        self._call(items[0], tuple(items[1:MAX_KEPT_ITEMS]), "OBJ")

    def _build(self, _arg: object) -> None:
        state = self._pop(None)
        target = self._top()
        if isinstance(target, Made) and isinstance(state, Dict):
            self.stack[-1] = Built(target.maker, target.args, state)

    def _ext(self, arg: object) -> None:
        # The extension registry is empty unless code registered entries at load time.
        self.trace.issues.append(Issue("extension", self.offset,
                                       f"extension code {arg} names a registered callable"))
        self._push(Ref(None, None))

    def _persid(self, _arg: object) -> None:
        self._push(Opaque("persistent id"))

    def _binpersid(self, _arg: object) -> None:
        self._pop(None)
        self._push(Opaque("persistent id"))

    # -- memo -------------------------------------------------------------------------------------

    def _put(self, arg: object) -> None:
        if not isinstance(arg, int) or arg < 0:
            raise CorruptError(f"memo key {arg!r} is not a non-negative integer")
        self.memo[arg] = self._top()

    def _memoize(self, _arg: object) -> None:
        self.memo[len(self.memo)] = self._top()

    def _get(self, arg: object) -> None:
        if not isinstance(arg, int) or arg not in self.memo:
            raise CorruptError(f"memo key {arg!r} was never stored")
        self._push(self.memo[arg])

    # -- containers -------------------------------------------------------------------------------

    def _collect(self, kind: str) -> None:
        items = self._pop_mark()
        if kind == "tuple":
            self._push(Tuple(tuple(items) if len(items) <= MAX_KEPT_ITEMS else None))
        elif kind == "dict":
            if len(items) % 2:
                raise CorruptError("DICT with an odd number of items")
            built = Dict()
            self._store_pairs(built, items)
            self._push(built)
        else:
            self._push(Opaque(kind))

    def _tuple_n(self, count: int) -> None:
        if len(self.stack) < count:
            raise CorruptError(f"TUPLE{count} needs {count} values")
        items = tuple(self.stack[-count:])
        del self.stack[-count:]
        self._push(Tuple(items))

    def _append(self, _arg: object) -> None:
        self._pop(None)
        self._top()

    def _into_top(self, _items: list[object], _kind: str) -> None:
        self._top()

    def _setitem(self, _arg: object) -> None:
        value, key = self._pop(None), self._pop(None)
        target = self._top()
        if isinstance(target, Dict):
            self._store_pairs(target, [key, value])

    def _setitems(self, _arg: object) -> None:
        items = self._pop_mark()
        if len(items) % 2:
            raise CorruptError("SETITEMS with an odd number of items")
        target = self._top()
        if isinstance(target, Dict):
            self._store_pairs(target, items)

    @staticmethod
    def _store_pairs(target: Dict, items: list[object]) -> None:
        for key, value in zip(items[::2], items[1::2], strict=True):
            if len(target.items) >= MAX_KEPT_ITEMS:
                return
            if isinstance(key, Const) and isinstance(key.value, str):
                target.items[key.value] = value


OPCODE_BYTES = frozenset(ord(op.code) for op in pickletools.opcodes)


def replay(stream: Stream, trace: Trace, array_hook: ArrayHook | None = None) -> bool:
    """Replay one pickle from ``stream``'s position; ``False`` if the stream is at its end.

    Raises :class:`NotPickleError` when the first byte is no opcode, :class:`TruncatedError`,
    :class:`CorruptError` or :class:`LimitError` where the real unpickler would fail or a limit
    is hit.
    """
    start = stream.tell()
    first = stream.read(1)
    if not first:
        return False
    if first[0] not in OPCODE_BYTES:
        raise NotPickleError(f"byte {first[0]:#04x} at {start} is not a pickle opcode")
    stream.seek(start)
    machine = Machine(trace, array_hook)
    try:
        return machine.run(stream)
    except (ValueError, struct.error, UnicodeDecodeError, OverflowError) as exc:
        message = str(exc)[:200] or type(exc).__name__
        if machine.decoded == 0 and "exhausted" in message:
            return False
        if any(t in message for t in ("exhausted", "remain", "no newline", "not enough data")):
            raise TruncatedError(f"{message} (after byte {machine.offset})") from None
        raise CorruptError(f"{message} (after byte {machine.offset})") from None
    except (CorruptError, LimitError) as exc:
        exc.args = (f"{exc.args[0]} (at byte {machine.offset})",)
        raise
