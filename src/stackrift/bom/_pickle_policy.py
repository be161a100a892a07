"""Which imports a model pickle may perform: an allow-list of exact ``module.name`` pairs.

Anything not on the list is at least **high** — a scanner cannot prove an unknown callable safe,
and whole packages (``torch.*``, ``numpy.*``) contain functions that load files, compile code or
reach other modules. Known code-running modules and callables are **critical**.

Python 2 names are mapped the way the unpickler maps them (``__builtin__`` → ``builtins``,
``commands`` → ``subprocess``) before they are checked.
"""

from __future__ import annotations

import _compat_pickle

from stackrift.findings import Severity

# Imports made by torch.save state dicts, numpy arrays (pickled or saved with an object dtype),
# joblib and pickled scikit-learn estimators. Each only rebuilds data: no file, process or
# import access, and no arbitrary callable taken as an argument.
_TORCH = {
    "torch._utils": ("_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3",
                     "_rebuild_parameter", "_rebuild_parameter_with_state",
                     "_rebuild_qtensor", "_rebuild_sparse_tensor", "_rebuild_nested_tensor",
                     "_rebuild_device_tensor_from_numpy", "_rebuild_meta_tensor_no_storage"),
    "torch": ("FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage",
              "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage",
              "BoolStorage", "ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage",
              "QUInt8Storage", "QInt32Storage", "Size", "device", "float32", "float16",
              "bfloat16", "float64", "int64", "int32", "int16", "int8", "uint8", "bool",
              "complex64", "complex128", "per_tensor_affine", "per_channel_affine"),
    "torch.storage": ("UntypedStorage", "TypedStorage"),
    "torch.nn.parameter": ("Parameter",),
    "torch._tensor": ("_rebuild_from_type_v2",),
    "torch.serialization": ("_get_layout",),
}
_NUMPY: dict[str, tuple[str, ...]] = {
    module: names for core in ("numpy.core", "numpy._core") for module, names in (
        (f"{core}.multiarray", ("_reconstruct", "scalar")),
        (f"{core}.numeric", ("_frombuffer",)))
}
_NUMPY["numpy"] = ("dtype", "ndarray")
# Random generators (in rng_state checkpoints): constructors that look a bit generator up by
# name, or instantiate a BitGenerator class imported (and checked) separately.
_NUMPY["numpy.random._pickle"] = ("__randomstate_ctor", "__bit_generator_ctor",
                                  "__generator_ctor")
_NUMPY["numpy.random.bit_generator"] = ("SeedSequence", "__pyx_unpickle_SeedSequence")
_NUMPY["numpy.random._mt19937"] = ("MT19937",)
_NUMPY["numpy.random._pcg64"] = ("PCG64", "PCG64DXSM")
_NUMPY["numpy.random._philox"] = ("Philox",)
_NUMPY["numpy.random._sfc64"] = ("SFC64",)
# scikit-learn estimators whose state is plain attributes and arrays (no user callables held).
_SKLEARN = {
    "sklearn.linear_model._logistic": ("LogisticRegression",),
    "sklearn.linear_model._base": ("LinearRegression",),
    "sklearn.linear_model._ridge": ("Ridge",),
    "sklearn.tree._classes": ("DecisionTreeClassifier", "DecisionTreeRegressor"),
    "sklearn.tree._tree": ("Tree",),
    "sklearn.ensemble._forest": ("RandomForestClassifier", "RandomForestRegressor"),
    "sklearn.preprocessing._data": ("StandardScaler", "MinMaxScaler"),
    "sklearn.preprocessing._label": ("LabelEncoder",),
    "sklearn.pipeline": ("Pipeline",),
}
_OTHER = {
    "collections": ("OrderedDict", "defaultdict", "Counter", "deque"),
    "builtins": ("set", "frozenset", "slice", "complex", "bytearray", "range", "object"),
    "copyreg": ("_reconstructor",),
    "_codecs": ("encode",),  # bytes in protocol-2 pickles; yields only str/bytes
    "joblib.numpy_pickle": ("NumpyArrayWrapper",),
}
SAFE_IMPORTS = frozenset(f"{module}.{name}" for table in (_TORCH, _NUMPY, _SKLEARN, _OTHER)
                         for module, names in table.items() for name in names)

# Any import from these modules can run commands, load or compile code, unpickle more data,
# profile/trace (which executes a string), open files or sockets.
CRITICAL_MODULES = frozenset({
    "os", "posix", "nt", "subprocess", "_posixsubprocess", "sys", "socket", "_socket", "shutil",
    "runpy", "pty", "commands", "webbrowser", "ctypes", "_ctypes", "importlib", "imp",
    "zipimport", "marshal", "code", "codeop", "pdb", "bdb", "timeit", "profile", "cProfile",
    "trace", "pydoc", "asyncio", "multiprocessing", "concurrent", "http", "urllib", "urllib2",
    "httplib", "requests", "ftplib", "smtplib", "telnetlib", "xmlrpc", "tempfile", "pathlib",
    "glob", "io", "_io", "pickle", "_pickle", "cPickle", "pickletools", "dill", "cloudpickle",
    "joblib", "shelve", "dbm", "types", "signal", "threading", "_thread", "pip", "ensurepip",
    "setuptools", "distutils", "venv", "platform", "ctypes.util", "sqlite3", "tkinter",
    "inspect", "gc", "weakref", "fileinput", "linecache", "tarfile", "zipfile",
})
CRITICAL_NAMES = {
    "builtins": frozenset({"eval", "exec", "compile", "__import__", "getattr", "setattr",
                           "delattr", "open", "globals", "locals", "vars", "breakpoint",
                           "input", "help", "exit", "quit", "memoryview", "type", "super",
                           "classmethod", "staticmethod", "property", "print", "dir"}),
    "operator": frozenset({"attrgetter", "methodcaller", "itemgetter", "getitem", "call"}),
    "functools": frozenset({"partial", "reduce", "partialmethod", "cached_property"}),
    "codecs": frozenset({"open", "EncodedFile"}),
    "numpy": frozenset({"load", "loads", "fromfile", "save", "savez", "memmap", "loadtxt",
                        "genfromtxt"}),
    "numpy.testing._private.utils": frozenset({"runstring"}),
    "torch": frozenset({"load", "hub", "jit", "ops", "compile", "save"}),
    "torch.serialization": frozenset({"load", "save"}),
    "torch.hub": frozenset({"load", "load_state_dict_from_url", "download_url_to_file"}),
}


def _python3_forms(module: str, name: str) -> list[tuple[str, str]]:
    """The pair as written and as Python 3's unpickler maps Python 2 names (fix_imports)."""
    forms = [(module, name)]
    if (module, name) in _compat_pickle.NAME_MAPPING:
        forms.append(_compat_pickle.NAME_MAPPING[(module, name)])
    elif module in _compat_pickle.IMPORT_MAPPING:
        forms.append((_compat_pickle.IMPORT_MAPPING[module], name))
    return forms


def _critical(module: str, name: str) -> str | None:
    parts = module.split(".")
    if any(".".join(parts[:i]) in CRITICAL_MODULES for i in range(1, len(parts) + 1)):
        return f"{module} can run commands, load code or reach files and the network"
    first = name.split(".", 1)[0]
    if first in CRITICAL_NAMES.get(module, frozenset()):
        return f"{module}.{first} can run or load code"
    if any(p.startswith("__") and p.endswith("__") for p in name.split(".")):
        return f"{name} reaches interpreter internals through a dunder attribute"
    return None


def classify_import(module: str, name: str) -> tuple[Severity, str] | None:
    """Severity and reason for a pickle importing ``module.name``; ``None`` when allowed."""
    if f"{module}.{name}" in SAFE_IMPORTS:
        return None
    for form_module, form_name in _python3_forms(module, name):
        if f"{form_module}.{form_name}" in SAFE_IMPORTS and form_module != module:
            return None
        reason = _critical(form_module, form_name)
        if reason:
            return Severity.CRITICAL, reason
    return Severity.HIGH, "not on the allow-list of imports known to be safe in model files"
