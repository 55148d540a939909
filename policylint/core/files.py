"""A file to check, as every stage names it: the path shown to the user, the path on disk, its kind."""

from __future__ import annotations

import os
from pathlib import Path

from policylint.core.records import record

STDIN = "-"
STDIN_NAME = "<stdin>"


class DiscoveryError(Exception):
    """A path given on the command line cannot be read (exit 2)."""


@record(frozen=True, slots=True)
class Candidate:
    """A file to load: the path as shown to the user, the path on disk, and its kind by name."""

    display: str
    disk: Path | None
    file_kind: str


def display_path(path: Path) -> str:
    """The path relative to the current directory when below it, with forward slashes."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        relative = str(path)
    if relative.startswith(".."):
        relative = str(path)
    return relative.replace(os.sep, "/")
