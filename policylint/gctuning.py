"""Cyclic garbage collection tuned for a run.

Why: CPython's cycle collector runs every 700 new container objects, and its older generations
traverse more and more of what a run keeps (every document's data and positions). A run makes
millions of dicts, lists and tuples that hold no cycles: on 8,000 real files the collector took
about half of the CPU time. During a run it now starts every 50,000 objects instead. Reference
counting still frees everything as before, and cycles (a recursive YAML alias, a traceback) are
still collected, only less often; the caller's thresholds come back when the run ends.

While files load, the collector does not run at all (`paused_while_loading`): everything loading
makes is either kept (documents, positions) or freed by reference counting, so each collection
only traversed the growing set of documents to find nothing (about 2 s of a 20 s run on 8,000 real
files). What loading leaves is then frozen out of later collections until the run ends. Cyclic
garbage from loading (a recursive YAML alias, an exception kept with its traceback) waits for the
next collection after the run; it is bounded by the size of the input.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

#: Thresholds during a run (generation 0 allocations, then generation 1 and 2 collection counts).
RUN_THRESHOLDS = (50_000, 20, 10)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the body with `RUN_THRESHOLDS`, restoring the previous thresholds afterwards (also usable
    as a decorator)."""
    previous = gc.get_threshold()
    gc.set_threshold(*RUN_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


@contextlib.contextmanager
def paused_while_loading() -> Iterator[None]:
    """No cyclic collection in the body; afterwards, what exists is frozen (see the module doc).

    The caller undoes the freeze with `gc.unfreeze()` when the run ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
