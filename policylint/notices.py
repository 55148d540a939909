"""What a run tells on stderr besides findings: grouped notices, and output of libraries captured.

A repository of seventy chart templates read without the Helm library would print the same notice
seventy times; one line per kind of notice with its count says the same and leaves room for the
findings. `--verbose` lists every file, `--quiet` prints none.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

#: Above this many files, a kind of notice is shown as one line with a count (unless --verbose).
GROUP_ABOVE = 1


def notice_lines(skipped: Iterable[Any], verbose: bool = False, escape: Callable[[str], str] = str) -> list[str]:
    """`policylint: notice: ...` lines for the skipped files, grouped by reason in first-seen order.

    `escape` makes a scanned path or reason printable (the CLI passes `policylint.reporters.inert`).
    """
    groups: dict[str, list[str]] = {}
    for item in skipped:
        paths = groups.setdefault(item.reason, [])
        if item.path not in paths:
            paths.append(item.path)
    lines = []
    for raw_reason, raw_paths in groups.items():
        reason, paths = escape(raw_reason), [escape(path) for path in raw_paths]
        if verbose or len(paths) <= GROUP_ABOVE:
            lines.extend(f"policylint: notice: {path}: {reason}" for path in paths)
        else:
            lines.append(f"policylint: notice: {len(paths)} files: {reason} (first: {paths[0]}; --verbose lists them)")
    return lines


@contextmanager
def captured_fd2(lines: list[str]) -> Iterator[None]:
    """Send what native code writes to file descriptor 2 (the Helm SDK's Go log) into `lines`.

    Go writes to the descriptor itself, below Python's `sys.stderr`, so its lines would land in the
    middle of the progress line; they are collected here and shown as notes instead. When the
    descriptor cannot be redirected (no fd 2, a sandbox) the block runs as it is.
    """
    import tempfile  # only when a chart is rendered

    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    with tempfile.TemporaryFile() as sink:
        try:
            os.dup2(sink.fileno(), 2)
            yield
        finally:
            with suppress(OSError, ValueError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read().decode("utf-8", "replace")
            lines.extend(line.rstrip() for line in text.splitlines() if line.strip())
