"""Pausing Python's cyclic garbage collector around bulk work.

Imports, scans and SBOM reads allocate 10^4–10^6 small acyclic objects (records, tuples,
components). Each allocation burst triggers collector passes that walk every live object, which
costs more than the work itself; reference counting still frees everything.

When the pause ends, what survived it would all sit in the youngest generation and be walked by
the very next collection. Instead it is moved to the oldest generation (``gc.freeze`` then
``gc.unfreeze``, which only splice lists), as if it had survived the young collections: it is
examined by the next full collection, like any long-lived data.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

FIRST_GENERATION_THRESHOLD = 10_000
"""Allocations (net of frees) between young-generation collections in a command's process.
CPython's default, 700, was set for much smaller heaps: loading an estate, a rule set or a
catalogue allocates 10^5–10^6 small objects, and at 700 the collector's passes cost about a
fifth of ``stackrift transfers`` on 2,000 flows. Cyclic garbage is rare in this program, so a
larger step holds at most a few thousand extra objects."""


def raise_collection_threshold() -> None:
    """Collect the young generation less often (never more often than already configured)."""
    first, second, third = gc.get_threshold()
    if 0 < first < FIRST_GENERATION_THRESHOLD:  # 0: the collector was turned off on purpose
        gc.set_threshold(FIRST_GENERATION_THRESHOLD, second, third)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector for the block (nesting-safe: the outermost pause resumes)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:  # never thaw objects someone else froze on purpose
            gc.freeze()
            gc.unfreeze()
        gc.enable()
