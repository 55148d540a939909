"""Evaluate policies over a large document set in worker processes (`check --jobs N`).

Why this shape: evaluating conditions and relations is CPU-bound and independent per document
once every document is loaded, but a parsed document (data plus a position for every node) costs
about as much to send between processes as to parse (measured on the benchmark corpus: pickling
10,000 documents back and forth took 7 s, parsing them 8.6 s). So the parent loads the set once,
then forks workers that inherit it copy-on-write; each worker evaluates every policy on its own
share of the files, with relations joined over the whole inherited set through the set's shared
indexes, and sends back only findings. Shares are contiguous slices of the files in set order,
joined in that order, so the output is byte-identical whatever `--jobs` is
(tests/test_determinism.py).

Workers are forks of policylint itself: no other program runs. Without `fork` (Windows, and
where the platform forbids it) or for a small set, everything stays in one process.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from policylint.core.documents import Document, DocumentSet
from policylint.core.findings import Finding

#: Below this many documents per worker a pool costs more than it saves: measured with
#: benchmarks/run.py on 2 CPUs, 1,000 documents took 1.3 s in one process and 1.9 s with two
#: workers (fork, warm-up and shipping findings back), 10,000 took 15.7 s and 11.6 s.
MIN_DOCUMENTS_PER_WORKER = 1000
#: Slices per worker: more balance uneven files, fewer cost less in round trips.
SLICES_PER_WORKER = 4

_state: dict[str, Any] = {}


def cpu_count() -> int:
    """CPUs this process may run on (container and affinity limits included)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def worker_count(jobs: int, documents: int) -> int:
    """Processes to use for `documents` documents when `--jobs` is `jobs` (0: one per CPU)."""
    wanted = jobs if jobs > 0 else cpu_count()
    return max(1, min(wanted, documents // MIN_DOCUMENTS_PER_WORKER))


def _evaluate_share(paths: tuple[str, ...]) -> list[Finding]:
    """In a worker: every finding of the policies on the documents of `paths`."""
    from policylint.core.engine import evaluate

    return evaluate(_state["set"], _state["policies"], _state["options"], set(paths))


def evaluate_in_workers(
    documents: Sequence[Document],
    policies: Sequence[Any],
    engine_options: Any,
    report_paths: set[str] | None,
    jobs: int,
) -> list[Finding] | None:
    """The findings of `policies` over `documents`, computed by forked workers.

    Returns None when the set is too small for `jobs` to pay, or the platform cannot fork; the
    caller then evaluates in this process.
    """
    workers = worker_count(jobs, len(documents))
    if workers <= 1 or not policies:
        return None
    import multiprocessing  # only now: importing it costs start-up time

    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    paths = list(dict.fromkeys(doc.path for doc in documents if report_paths is None or doc.path in report_paths))
    if len(paths) < 2:
        return None
    import gc
    from concurrent.futures import ProcessPoolExecutor

    size = max(1, -(-len(paths) // (workers * SLICES_PER_WORKER)))
    shares = [tuple(paths[start : start + size]) for start in range(0, len(paths), size)]
    from policylint.core.engine import evaluate

    _state.clear()
    shared = DocumentSet(documents)
    _state.update(set=shared, policies=list(policies), options=engine_options)
    # Warm up here, once, what every worker would otherwise build for itself: compiled conditions,
    # the set's indexes, schema validators and other lazy tables (about 0.6 s for all policies).
    samples = {(doc.file_kind, doc.kind): doc.path for doc in reversed(documents)}
    evaluate(shared, _state["policies"], engine_options, set(samples.values()))
    gc.collect()
    gc.freeze()  # keep the inherited set out of the workers' collections: fewer copied pages
    from concurrent.futures.process import BrokenProcessPool

    findings: list[Finding] = []
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for found in pool.map(_evaluate_share, shares):
                findings.extend(found)
    except (OSError, BrokenProcessPool):  # cannot fork (limits), or a worker was killed: do it here
        return None
    finally:
        gc.unfreeze()
        _state.clear()
    return findings
