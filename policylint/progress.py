"""A progress line on stderr for runs that take more than a moment, on a terminal only.

It never touches stdout (machine-readable output stays clean) and stays off in CI logs (`CI` set)
or on a dumb terminal unless `--progress` asks for it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import TextIO

#: Nothing is shown for runs shorter than this (seconds).
DELAY = 0.5
#: The line is redrawn at most this often (seconds).
INTERVAL = 0.1


def wanted(flag: bool | None, stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether to show progress: the explicit flag, else only on an interactive, non-CI terminal."""
    if flag is not None:
        return flag
    environ = os.environ if environ is None else environ
    if environ.get("CI") or environ.get("GITHUB_ACTIONS") or environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """Callable as `progress(done, total, what)`; draws `policylint: 120/500 files` after DELAY."""

    def __init__(self, stream: TextIO, delay: float | None = None, clock: Callable[[], float] = time.monotonic,
                 interactive: bool = True) -> None:
        """`interactive` False prints whole lines (for `--progress` into a log) instead of redrawing."""
        self.stream = stream
        self.delay = DELAY if delay is None else delay
        self.clock = clock
        self.interactive = interactive
        self.started = clock()
        self.last = float("-inf")
        self.shown = False

    def __call__(self, done: int, total: int, what: str) -> None:
        """Report that `done` of `total` items are finished."""
        now = self.clock()
        if now - self.started < self.delay or (now - self.last < INTERVAL and done < total):
            return
        self.last = now
        text = f"policylint: {done}/{total} {what}"
        if self.interactive:
            self.stream.write(f"\r\033[K{text}")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        """Erase the line so the report starts on a clean line."""
        if self.shown and self.interactive:
            self.stream.write("\r\033[K")
            self.stream.flush()
