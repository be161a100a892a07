"""One generic registry for plug-ins found by module: analyses, renderers, BOM readers, feeds.

A plug-in is a class in a module of its package, decorated with the registry's
:meth:`Registry.register`. Modules are imported only when someone asks for the plug-ins (never
at ``import stackrift``), so start-up and commands that need none of them stay fast.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")
C = TypeVar("C")


class Registry(Generic[T]):
    """Plug-ins of one kind, keyed by a name each class carries (``key``).

    ``modules`` fixes which modules hold them, in order (the order detection tries them);
    without it, every module of ``package`` except ``skip`` and private ones, by name.
    """

    def __init__(self, kind: str, package: str, key: Callable[[Any], str], *,
                 modules: Sequence[str] | None = None,
                 skip: frozenset[str] = frozenset({"base"})) -> None:
        self.kind = kind
        self.package = package
        self._key = key
        self._modules = tuple(f"{package}.{m}" for m in modules) if modules is not None else None
        self._skip = skip
        self._items: dict[str, T] = {}

    def register(self, item: C) -> C:
        """Class decorator adding a plug-in under its name; two plug-ins of one name are a bug."""
        name = self._key(item)
        known = self._items.get(name)
        if known is not None and known is not item and _origin(known) != _origin(item):
            raise RuntimeError(f"two {self.kind}s are named {name!r}")
        self._items[name] = cast(T, item)
        return item

    def modules(self) -> tuple[str, ...]:
        """The modules that hold the plug-ins, in detection order."""
        if self._modules is not None:
            return self._modules
        package = importlib.import_module(self.package)
        return tuple(sorted(f"{self.package}.{m.name}"
                            for m in pkgutil.iter_modules(package.__path__)
                            if not m.name.startswith("_") and m.name not in self._skip))

    def discover(self) -> dict[str, T]:
        """Every plug-in by name (in name order), importing their modules first."""
        for module in self.modules():
            importlib.import_module(module)
        return dict(sorted(self._items.items()))

    def by_module(self) -> Iterator[T]:
        """Plug-ins module by module, in detection order, importing each module only when the
        previous ones' plug-ins have been looked at."""
        for module in self.modules():
            importlib.import_module(module)
            for _name, item in sorted(self._items.items()):
                if getattr(item, "__module__", None) == module:
                    yield item

    def get(self, name: str) -> T:
        """The plug-in of that name; ``KeyError`` when there is none."""
        return self.discover()[name]

    def names(self) -> list[str]:
        return list(self.discover())

    @property
    def registered(self) -> dict[str, T]:
        """The plug-ins registered so far, without importing anything (tests add to this)."""
        return self._items


def _origin(item: object) -> tuple[str | None, str | None]:
    """Where a class was defined: a module imported twice registers its class again."""
    return getattr(item, "__module__", None), getattr(item, "__qualname__", None)
