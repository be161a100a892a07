"""A corpus of hand-made malicious and benign model files, written into a folder.

Every malicious payload tries to create ``SENTINEL`` (a shell ``touch`` or a Python ``open``),
so a test can prove that scanning never ran it. Benign files carry exactly the imports a real
``torch.save``, ``numpy.save``, pickled scikit-learn estimator or ``joblib.dump`` writes; they
are built without torch, scikit-learn or joblib installed (NumPy is used when present).

Used by ``tests/bom/test_pickle_corpus.py`` and ``benchmarks/compare_pickle_scanners.py``.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import pickle
import struct
import sys
import types
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Variant:
    name: str  # also the file name
    kind: str  # the class of evasion or benign format
    build: Callable[[str], bytes]  # sentinel path -> file content


# -- opcode helpers -------------------------------------------------------------------------------

def u(text: str) -> bytes:
    """BINUNICODE."""
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def g(module: str, name: str) -> bytes:
    """GLOBAL."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def sg(module: str, name: str) -> bytes:
    """STACK_GLOBAL with literal operands."""
    return u(module) + u(name) + b"\x93"


def call(func: bytes, *args: bytes) -> bytes:
    return func + b"(" + b"".join(args) + b"tR"


P2, P4 = b"\x80\x02", b"\x80\x04"


def touch(sentinel: str) -> str:
    return f"touch {sentinel}"


def py(sentinel: str) -> str:
    return f"open({sentinel!r}, 'w').close()"


def system_pickle(sentinel: str, module: str = "os") -> bytes:
    return P2 + call(g(module, "system"), u(touch(sentinel))) + b"."


def rot13(text: str) -> str:
    import codecs

    return codecs.encode(text, "rot13")


# -- malicious ------------------------------------------------------------------------------------

def _load_time_names(s: str) -> list[Variant]:
    built = (P4 + call(sg("_codecs", "encode"), u(rot13("os")), u("rot13")) +
             call(sg("_codecs", "encode"), u(rot13("system")), u("rot13")) + b"\x93" +
             b"(" + u(touch(s)) + b"tR.")
    concat = (P4 + call(sg("operator", "add"), u("o"), u("s")) + u("system") + b"\x93" +
              b"(" + u(touch(s)) + b"tR.")
    return [Variant("load-time-rot13-name.pkl", "load-time name", lambda _: built),
            Variant("load-time-concat-name.pkl", "load-time name", lambda _: concat)]


def _decoys(s: str) -> list[Variant]:
    cmd = u(touch(s))
    popped = P4 + u("posix") + u("system") + u("collections") + u("OrderedDict") + b"00" + \
        b"\x93(" + cmd + b"tR."
    marked = P4 + u("posix") + u("system") + b"(" + u("collections") + u("OrderedDict") + \
        b"1\x93(" + cmd + b"tR."
    in_dict = P4 + u("os") + u("system") + b"}(" + u("torch._utils") + \
        u("_rebuild_tensor_v2") + b"u0\x93(" + cmd + b"tR."
    return [Variant("decoy-pushed-and-popped.pth", "decoy", lambda _: popped),
            Variant("decoy-pop-mark.pth", "decoy", lambda _: marked),
            Variant("decoy-in-discarded-dict.pth", "decoy", lambda _: in_dict)]


def _memo_tricks(s: str) -> list[Variant]:
    cmd = u(touch(s))
    # Stored early under large keys, decoys in between, fetched back just before STACK_GLOBAL.
    long_keys = P4 + u("subprocess") + b"r\x00\x00\x01\x00" + u("check_call") + \
        b"r\x01\x00\x01\x00" + b"00" + u("collections") + u("OrderedDict") + b"00" + \
        b"j\x00\x00\x01\x00j\x01\x00\x01\x00\x93(" + b"(" + u("touch") + u(s) + b"l" + b"tR."
    text_memo = (b"(Vos\np1\n0Vsystem\np2\n0" + b"1" + b"\x80\x04" + b"g1\ng2\n\x93(" + cmd +
                 b"tR.")
    # MEMOIZE numbers entries by memo size: names stored in reverse order, fetched swapped.
    swapped = P4 + u("system") + b"\x94" + u("os") + b"\x94" + b"00" + b"h\x01h\x00\x93(" + \
        cmd + b"tR."
    return [Variant("memo-long-binput.pkl", "memo trick", lambda _: long_keys),
            Variant("memo-text-put-get.pkl", "memo trick", lambda _: text_memo),
            Variant("memo-memoize-swapped.pkl", "memo trick", lambda _: swapped)]


def _concatenated(s: str) -> list[Variant]:
    benign = pickle.dumps(OrderedDict(w=[1.0]), protocol=2)
    return [Variant("concat-second-pickle.pt", "concatenated", lambda _: benign +
                    system_pickle(s)),
            Variant("concat-after-twenty.pt", "concatenated", lambda _: benign * 20 +
                    system_pickle(s))]


def _families(s: str) -> list[Variant]:
    cmd, code = u(touch(s)), u(py(s))
    nested = system_pickle(s)
    nested_op = b"C" + bytes([len(nested)]) + nested if len(nested) < 256 else b""
    table: list[tuple[str, bytes]] = [
        ("os-system", system_pickle(s)),
        ("posix-system", system_pickle(s, "posix")),
        ("nt-system", system_pickle(s, "nt")),
        ("subprocess-popen", P4 + call(sg("subprocess", "Popen"), u("touch"), u(s)) + b"."),
        ("builtins-eval", P2 + call(g("builtins", "eval"), code) + b"."),
        ("builtins-exec", P2 + call(g("builtins", "exec"), code) + b"."),
        ("py2-builtin-eval", b"c__builtin__\neval\n(" + u(py(s)) + b"tR."),
        ("builtins-getattr-import", P2 + call(call(g("builtins", "getattr"),
                                                   call(g("builtins", "__import__"), u("os")),
                                                   u("system")), cmd) + b"."),
        ("builtins-open", P2 + call(g("builtins", "open"), u(s), u("w")) + b"."),
        ("timeit", P2 + call(g("timeit", "timeit"), code, u("pass"), u("pass"), b"K\x01") +
         b"."),
        ("profile-run", P2 + call(g("profile", "run"), code) + b"."),
        ("cprofile-run", P2 + call(g("cProfile", "run"), code) + b"."),
        ("pickle-loads", P2 + call(g("pickle", "loads"), nested_op) + b"."),
        ("cpickle-loads", P2 + call(g("cPickle", "loads"), nested_op) + b"."),
        ("code-interact", P2 + call(g("code", "InteractiveInterpreter")) + b"."),
        ("pdb-run", P2 + call(g("pdb", "run"), code) + b"."),
        ("runpy-run-path", P2 + call(g("runpy", "run_path"), u(s)) + b"."),
        ("importlib-import", P2 + call(g("importlib", "import_module"), u("os")) + b"."),
        ("ctypes-cdll", P2 + call(g("ctypes", "CDLL"), u(s)) + b"."),
        ("webbrowser-open", P2 + call(g("webbrowser", "open"), u("file://" + s)) + b"."),
        ("numpy-runstring", P2 + call(g("numpy.testing._private.utils", "runstring"), code,
                                      b"}") + b"."),
        ("dunder-traversal", P4 + sg("numpy", "dtype.__init__.__globals__") + b"."),
        ("unknown-callable", P2 + call(g("evilpkg.tools", "run"), cmd) + b"."),
        ("inst-opcode", b"(" + b"S'" + touch(s).encode() + b"'\nios\nsystem\n."),
        ("obj-opcode", P2 + b"(" + g("subprocess", "check_call") + b"(" + u("touch") + u(s) +
         b"lo."),
        ("newobj-unknown-class", P2 + g("evilpkg", "Exploit") + b")\x81."),
        ("ext-registry", P2 + b"\x82\x01(" + cmd + b"tR."),
    ]
    return [Variant(f"family-{name}.pkl", "dangerous family", lambda _, d=data: d)
            for name, data in table]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _containers(s: str) -> list[Variant]:
    evil = system_pickle(s)
    benign_zip = _zip({"archive/data.pkl": pickle.dumps(OrderedDict(), protocol=2)})
    return [
        Variant("polyglot-pickle-then-zip.pt", "polyglot", lambda _: evil + benign_zip),
        Variant("zip-with-pickle-member.pt", "polyglot", lambda _: _zip(
            {"archive/data.pkl": pickle.dumps(OrderedDict(), protocol=2),
             "archive/extra/blob.bin": evil})),
        Variant("torch-zip-malicious-data-pkl.pt", "zip", lambda _: _zip(
            {"archive/data.pkl": evil, "archive/data/0": b"\0" * 16, "archive/version": b"3\n"})),
    ]


def _broken(s: str, long_opcodes: int) -> list[Variant]:
    evil = system_pickle(s)
    benign = pickle.dumps(OrderedDict(w=[1.0, 2.0]), protocol=2)
    return [
        Variant("truncated-after-reduce.pkl", "truncated", lambda _: evil[:-1]),
        Variant("truncated-benign-prefix.pkl", "truncated", lambda _: benign[:-6]),
        Variant("corrupt-opcode-mid-stream.pkl", "corrupt", lambda _: benign[:-1] + b"\xff" +
                evil),
        Variant("corrupt-memo-miss.pkl", "corrupt", lambda _: P2 + b"h\x07" + evil[2:]),
        Variant("over-long.pkl", "over-long", lambda _: P2 + b"N0" * (long_opcodes // 2) +
                evil[2:]),
    ]


def npy_header(descr: str, shape: tuple[int, ...]) -> bytes:
    text = f"{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}"
    text += " " * (-(len(text) + 11) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin-1")


def _numpy_family(s: str) -> list[Variant]:
    evil = P2 + call(g("os", "system"), u(touch(s))) + b"."
    npy = npy_header("'|O'", (1,)) + evil
    structured = npy_header("[('a', '<f8'), ('b', '|O')]", (1,)) + evil
    return [
        Variant("object-array.npy", "npy object dtype", lambda _: npy),
        Variant("object-field.npy", "npy object dtype", lambda _: structured),
        Variant("object-array.npz", "npz object dtype", lambda _: _zip({"arr_0.npy": npy})),
    ]


def _joblib_family(s: str) -> list[Variant]:
    evil_tail = g("os", "system") + b"(" + u(touch(s)) + b"tR"
    raw = joblib_bytes(b"", tail_opcodes=evil_tail)
    objects = joblib_object_array(system_pickle(s))
    return [
        Variant("after-array-data.joblib", "joblib", lambda _: raw),
        Variant("object-array.joblib", "joblib", lambda _: objects),
        Variant("zlib-compressed.joblib", "compressed", lambda _: zlib.compress(raw)),
    ]


def _compressed_and_named(s: str) -> list[Variant]:
    evil = system_pickle(s)
    text_pickle = b"cos\nsystem\n(S'" + touch(s).encode() + b"'\ntR."
    return [
        Variant("model.pkl.gz", "compressed", lambda _: gzip.compress(evil, mtime=0)),
        Variant("model.pkl.bz2", "compressed", lambda _: bz2.compress(evil)),
        Variant("model.pkl.xz", "compressed", lambda _: lzma.compress(evil)),
        Variant("legacy-sidecar.dat", "odd extension", lambda _: evil),
        Variant("weights.model", "odd extension", lambda _: evil),
        Variant("checkpoint-no-extension", "content-sniffed", lambda _: evil),
        Variant("notes.txt", "content-sniffed", lambda _: evil),
        Variant("settings.cfg", "content-sniffed", lambda _: text_pickle),
        Variant("compressed-no-extension", "content-sniffed",
                lambda _: gzip.compress(evil, mtime=0)),
    ]


def malicious(sentinel: str, long_opcodes: int = 5_200_000) -> list[Variant]:
    return [*_load_time_names(sentinel), *_decoys(sentinel), *_memo_tricks(sentinel),
            *_concatenated(sentinel), *_families(sentinel), *_containers(sentinel),
            *_broken(sentinel, long_opcodes), *_numpy_family(sentinel),
            *_joblib_family(sentinel), *_compressed_and_named(sentinel)]


# -- benign ---------------------------------------------------------------------------------------

@contextmanager
def fake_classes(*qualified: str) -> Iterator[dict[str, Any]]:
    """Classes under real library names, so ``pickle`` writes exactly the GLOBALs the library
    would. An existing class (NumPy installed) is used as it is; what was added is removed."""
    made: dict[str, Any] = {}
    added_modules: list[str] = []
    added_attributes: list[tuple[types.ModuleType, str]] = []
    for name in qualified:
        module_name, _, class_name = name.rpartition(".")
        parts = module_name.split(".")
        for depth in range(1, len(parts) + 1):  # parents first: pickle imports the module
            prefix = ".".join(parts[:depth])
            if prefix not in sys.modules:
                sys.modules[prefix] = types.ModuleType(prefix)
                added_modules.append(prefix)
        module = sys.modules[module_name]
        if not hasattr(module, class_name):
            setattr(module, class_name, type(class_name, (), {"__module__": module_name}))
            added_attributes.append((module, class_name))
        made[name] = getattr(module, class_name)
    try:
        yield made
    finally:
        for module, attribute in added_attributes:
            delattr(module, attribute)
        for module_name in added_modules:
            sys.modules.pop(module_name, None)


class _Storage:
    """Stands for a torch storage: pickled as a persistent id, as torch.save does."""

    def __init__(self, key: str, numel: int) -> None:
        self.key, self.numel = key, numel


def _torch_state_dict_pickle(protocol: int = 2) -> bytes:
    with fake_classes("torch.FloatStorage", "torch._utils._rebuild_tensor_v2") as made:
        storage_type = made["torch.FloatStorage"]
        rebuild = made["torch._utils._rebuild_tensor_v2"]

        class Tensor:
            def __init__(self, key: str, shape: tuple[int, ...]) -> None:
                self.key, self.shape = key, shape

            def __reduce__(self) -> tuple[Any, ...]:
                numel = 1
                for dim in self.shape:
                    numel *= dim
                return (rebuild, (_Storage(self.key, numel), 0, self.shape,
                                  (self.shape[-1], 1)[: len(self.shape)], False, OrderedDict()))

        class TorchPickler(pickle.Pickler):
            def persistent_id(self, obj: object) -> object:
                if isinstance(obj, _Storage):
                    return ("storage", storage_type, obj.key, "cpu", obj.numel)
                return None

        state = OrderedDict([("linear.weight", Tensor("0", (2, 2))),
                             ("linear.bias", Tensor("1", (2,)))])
        buffer = io.BytesIO()
        TorchPickler(buffer, protocol=protocol).dump(state)
        return buffer.getvalue()


def torch_zip() -> bytes:
    return _zip({"archive/data.pkl": _torch_state_dict_pickle(), "archive/byteorder": b"little",
                 "archive/data/0": b"\x80\x02" + b"\0" * 14, "archive/data/1": b"\0" * 8,
                 "archive/version": b"3\n", "archive/.data/serialization_id": b"1234567890\n"})


def torch_legacy() -> bytes:
    parts = [0x1950A86A20F9469CFC6C, 1001,
             {"protocol_version": 1001, "little_endian": True,
              "type_sizes": {"short": 2, "int": 4, "long": 4}}]
    data = b"".join(pickle.dumps(p, protocol=2) for p in parts)
    data += _torch_state_dict_pickle() + pickle.dumps(["0", "1"], protocol=2)
    return data + struct.pack("<q", 4) + b"\x80\x05\x00\x00" * 4 + struct.pack("<q", 2) + b"\0" * 8


def _float_array_npy() -> bytes:
    try:
        import numpy as np
    except ImportError:
        return npy_header("'<f8'", (3,)) + struct.pack("<3d", 0.0, 1.0, 2.0)
    buffer = io.BytesIO()
    np.save(buffer, np.arange(3.0))
    return buffer.getvalue()


def _pickled_array(protocol: int) -> bytes:
    try:
        import numpy as np
    except ImportError:
        return b""
    return pickle.dumps(np.arange(6.0).reshape(2, 3), protocol=protocol)


def _sklearn_model() -> bytes:
    """A pickled LogisticRegression with the attributes scikit-learn keeps after fit."""
    with fake_classes("sklearn.linear_model._logistic.LogisticRegression") as made:
        model = made["sklearn.linear_model._logistic.LogisticRegression"]()
        model.__dict__.update({"C": 1.0, "penalty": "l2", "max_iter": 100, "n_features_in_": 2,
                               "classes_": [0, 1], "coef_": [[0.5, -0.25]],
                               "intercept_": [0.1], "_sklearn_version": "1.5.2"})
        try:
            import numpy as np

            model.coef_ = np.array([[0.5, -0.25]])
            model.classes_ = np.array([0, 1])
        except ImportError:
            pass
        return pickle.dumps(model, protocol=4)


class _DType:
    """Pickles as ``numpy.dtype(descr, False, True)`` with numpy's state tuple."""

    def __init__(self, ref: Any, descr: str) -> None:
        self.ref, self.descr = ref, descr

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.ref, (self.descr, False, True), (3, "<", None, None, None, -1, -1, 0))


class _FakeArray:
    def __init__(self, meta: dict[str, Any], payload: bytes) -> None:
        self.meta, self.payload = meta, payload


class _JoblibPickler(pickle._Pickler):  # type: ignore[name-defined,misc]
    """joblib's NumpyPickler format: an array is replaced by a NumpyArrayWrapper and its bytes
    are written to the file right after the wrapper (alignment byte and padding first)."""

    def __init__(self, buffer: io.BytesIO, wrapper: type) -> None:
        super().__init__(buffer, protocol=4)
        self.buffer, self.wrapper = buffer, wrapper

    def save(self, obj: Any, save_persistent_id: bool = True) -> None:
        if not isinstance(obj, _FakeArray):
            super().save(obj, save_persistent_id)
            return
        wrapper = self.wrapper.__new__(self.wrapper)
        wrapper.__dict__.update(obj.meta)
        super().save(wrapper)
        self.framer.commit_frame(force=True)
        if obj.meta["dtype"].descr.startswith("O"):
            self.buffer.write(obj.payload)
            return
        padding = 16 - (self.buffer.tell() + 1) % 16
        self.buffer.write(bytes([padding]) + b"\xff" * padding + obj.payload)


def _joblib(obj_factory: Callable[[dict[str, Any]], Any], tail_opcodes: bytes = b"") -> bytes:
    names = ("joblib.numpy_pickle.NumpyArrayWrapper", "numpy.ndarray", "numpy.dtype",
             "sklearn.linear_model._logistic.LogisticRegression")
    with fake_classes(*names) as made:
        buffer = io.BytesIO()
        _JoblibPickler(buffer, made["joblib.numpy_pickle.NumpyArrayWrapper"]).dump(
            obj_factory(made))
    data = buffer.getvalue()
    if tail_opcodes:  # spliced in before the final STOP
        data = data[:-1] + b"0" + tail_opcodes + b"."
    return data


def _fake_array(made: dict[str, Any], descr: str, shape: tuple[int, ...],
                payload: bytes) -> _FakeArray:
    return _FakeArray({"subclass": made["numpy.ndarray"], "shape": shape, "order": "C",
                       "dtype": _DType(made["numpy.dtype"], descr), "allow_mmap": True,
                       "numpy_array_alignment_bytes": 16}, payload)


def joblib_bytes(_unused: bytes, tail_opcodes: bytes = b"") -> bytes:
    def model(made: dict[str, Any]) -> Any:
        estimator = made["sklearn.linear_model._logistic.LogisticRegression"]()
        estimator.__dict__.update({
            "C": 1.0, "n_features_in_": 2, "_sklearn_version": "1.5.2",
            "coef_": _fake_array(made, "f8", (1, 2), struct.pack("<2d", 0.5, -0.25)),
            "classes_": _fake_array(made, "i8", (2,), struct.pack("<2q", 0, 1))})
        return estimator

    return _joblib(model, tail_opcodes)


def joblib_object_array(nested: bytes) -> bytes:
    return _joblib(lambda made: {"labels": _fake_array(made, "O8", (1,), nested)})


def benign() -> list[Variant]:
    items = [
        Variant("torch-state-dict.pt", "PyTorch zip", lambda _: torch_zip()),
        Variant("torch-legacy.bin", "PyTorch legacy", lambda _: torch_legacy()),
        Variant("state-dict-protocol4.pth", "PyTorch pickle",
                lambda _: _torch_state_dict_pickle(4)),
        Variant("float-array.npy", "NumPy npy", lambda _: _float_array_npy()),
        Variant("arrays.npz", "NumPy npz", lambda _: _zip({"a.npy": _float_array_npy(),
                                                           "b.npy": _float_array_npy()})),
        Variant("sklearn-logistic.pkl", "scikit-learn pickle", lambda _: _sklearn_model()),
        Variant("sklearn-logistic.joblib", "scikit-learn joblib",
                lambda _: joblib_bytes(b"")),
        Variant("sklearn-logistic-zlib.joblib", "scikit-learn joblib (zlib)",
                lambda _: zlib.compress(joblib_bytes(b""))),
        Variant("state-dict.pkl.gz", "compressed pickle",
                lambda _: gzip.compress(_torch_state_dict_pickle(), mtime=0)),
        Variant("optimizer.pkl", "plain pickle", lambda _: pickle.dumps(
            OrderedDict(lr=0.01, betas=(0.9, 0.999), steps=[1, 2, 3], name="adam"), protocol=2)),
    ]
    if _pickled_array(2):
        items += [Variant("numpy-array-protocol2.pkl", "NumPy pickle",
                          lambda _: _pickled_array(2)),
                  Variant("numpy-array-protocol5.pkl", "NumPy pickle",
                          lambda _: _pickled_array(5))]
    return items


def write(folder: Path, variants: list[Variant], sentinel: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for variant in variants:
        path = folder / variant.name
        path.write_bytes(variant.build(str(sentinel)))
        paths.append(path)
    return paths
