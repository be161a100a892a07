"""Pausing Python's cyclic garbage collector around bulk work.

Imports, scans and SBOM reads allocate 10^4–10^6 small acyclic objects (records, tuples,
components). Each allocation burst triggers collector passes that walk every live object, which
costs more than the work itself; reference counting still frees everything, and the collector
runs again as soon as the pause ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector for the block (nesting-safe: restores the previous state)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
