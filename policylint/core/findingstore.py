"""A run's findings, in order, without holding them all in memory (issue 24: bounded memory).

A run over many repositories makes hundreds of thousands of findings, about 1 KB each as objects.
The store keeps up to `spill_at` of them in memory; beyond that it sorts what it holds and writes
it to an anonymous temporary file as one sorted run (pickled batches). Reading merges the runs
(`heapq.merge`, stable: findings with equal keys keep the order they were added in), so memory
stays at about one batch per run however many findings there are. A small run (the pre-commit
hook) never touches the disk.

The store is a read-only `Sequence`: reporters iterate it (once or a few times); indexing and
`len` work as on a list (indexing reads the whole store, for tests and small runs).
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any, overload

#: Findings held in memory before a sorted run is written out (about 10 MiB of findings).
SPILL_AT = 10_000
#: Findings per pickled batch: what one run costs in memory while the runs are merged.
BATCH = 500


def _order(finding: Any) -> Any:
    return finding.sort_key


class _ReadOnDemand(Sequence[Any]):
    """A sequence read by iterating it: indexing and comparison read it whole (tests, small runs)."""

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class FindingStore(_ReadOnDemand):
    """Findings added in any order, read back sorted by `key` (default: `Finding.sort_key`)."""

    def __init__(self, findings: Iterable[Any] = (), key: Callable[[Any], Any] = _order,
                 spill_at: int | None = None) -> None:
        self._key = key
        self._spill_at = max(1, SPILL_AT if spill_at is None else spill_at)
        self._held: list[Any] = []
        self._runs: list[list[tuple[int, int]]] = []  # each run: its batches as (offset, length)
        self._file: IO[bytes] | None = None
        self._size = 0
        self.extend(findings)

    def extend(self, findings: Iterable[Any]) -> None:
        """Add findings (any order); past `spill_at` held, they go to disk as a sorted run."""
        for finding in findings:
            self._held.append(finding)
            self._size += 1
            if len(self._held) >= self._spill_at:
                self._spill()

    def _spill(self) -> None:
        import pickle  # only a large run spills: the pre-commit hook imports neither
        import tempfile

        self._held.sort(key=self._key)
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="policylint-findings-")  # noqa: SIM115 - lives as long as the store
        file = self._file
        file.seek(0, os.SEEK_END)
        batches = []
        for start in range(0, len(self._held), BATCH):
            blob = pickle.dumps(self._held[start:start + BATCH], protocol=pickle.HIGHEST_PROTOCOL)
            batches.append((file.tell(), len(blob)))
            file.write(blob)
        file.flush()
        self._runs.append(batches)
        self._held = []

    def _read(self, batches: list[tuple[int, int]]) -> Iterator[Any]:
        import pickle

        assert self._file is not None
        descriptor = self._file.fileno()
        for offset, length in batches:
            yield from pickle.loads(os.pread(descriptor, length, offset))

    @property
    def spilled(self) -> bool:
        """True when some findings live on disk (the run was large)."""
        return bool(self._runs)

    def __iter__(self) -> Iterator[Any]:
        self._held.sort(key=self._key)  # stable: equal keys keep the order they came in
        if not self._runs:
            return iter(list(self._held))
        held = list(self._held)
        return heapq.merge(*(self._read(run) for run in self._runs), held, key=self._key)

    def __len__(self) -> int:
        return self._size

    def __bool__(self) -> bool:
        return self._size > 0

    def __repr__(self) -> str:
        return f"FindingStore({self._size} findings{', spilled' if self._runs else ''})"

    def mapped(self, change: Callable[[Any], Any]) -> FindingStore:
        """A new store of `change(finding)` for each finding (same order; one pass)."""
        return FindingStore((change(finding) for finding in self), self._key, self._spill_at)

    def close(self) -> None:
        """Remove the temporary file now (it is removed anyway when the store is collected)."""
        if self._file is not None:
            self._file.close()
            self._file = None
            self._runs = []


class Selection(_ReadOnDemand):
    """Part of a store, read on demand; its length is counted once."""

    def __init__(self, source: Sequence[Any], test: Callable[[Any], bool]) -> None:
        self._source = source
        self._test = test
        self._length: int | None = None

    def __iter__(self) -> Iterator[Any]:
        return (finding for finding in self._source if self._test(finding))

    def __len__(self) -> int:
        if self._length is None:
            self._length = sum(1 for _ in self)
        return self._length

    def __bool__(self) -> bool:
        return any(True for _ in self)
