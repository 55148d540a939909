"""Turn command-line paths into the sorted list of files to check, with their kind."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from policylint.loaders import detect_by_name

SKIPPED_DIRS = frozenset({".git", "node_modules", "vendor", "__pycache__", ".venv", "venv", ".tox"})
ALLOWED_HIDDEN_DIRS = frozenset({".github"})
STDIN = "-"
STDIN_NAME = "<stdin>"


class DiscoveryError(Exception):
    """A path given on the command line cannot be read (exit 2)."""


@dataclass(frozen=True, slots=True)
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


def _excluded(display: str, excludes: Iterable[str]) -> bool:
    return any(
        fnmatchcase(display, pattern) or fnmatchcase(display, pattern.rstrip("/") + "/*")
        or (pattern.endswith("/**") and display.startswith(pattern[:-3] + "/"))
        for pattern in excludes
    )


def _walk(root: Path, seen: set[tuple[int, int]]) -> Iterator[Path]:
    try:
        stat = root.stat()
    except OSError:
        return
    key = (stat.st_dev, stat.st_ino)
    if key in seen:  # a symlink loop or a second link to a directory already walked
        return
    seen.add(key)
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        if is_dir:
            name = entry.name
            if name in SKIPPED_DIRS or (name.startswith(".") and name not in ALLOWED_HIDDEN_DIRS):
                continue
            yield from _walk(Path(entry.path), seen)
        elif entry.is_file() or entry.is_symlink():
            yield Path(entry.path)


def discover(paths: Iterable[str], excludes: Iterable[str] = ()) -> list[Candidate]:
    """Expand directories, keep files of a known kind, and sort by path for deterministic runs.

    Files named on the command line are always checked (as YAML when the name says nothing);
    files found under a directory are checked only when their name marks a known kind.
    """
    excludes = tuple(excludes)
    found: dict[str, Candidate] = {}
    seen: set[tuple[int, int]] = set()
    for raw in paths:
        if raw == STDIN:
            found[STDIN_NAME] = Candidate(STDIN_NAME, None, "yaml")
            continue
        path = Path(raw)
        if path.is_dir():
            for file in _walk(path, seen):
                kind = detect_by_name(str(file))
                display = display_path(file)
                if kind is None or _excluded(display, excludes):
                    continue
                if file.is_symlink() and not file.exists():
                    continue  # a dangling link found while walking is not the user's request
                found[display] = Candidate(display, file, kind)
        elif path.exists() or path.is_symlink():
            display = display_path(path)
            if not _excluded(display, excludes):
                found[display] = Candidate(display, path, detect_by_name(str(path)) or "yaml")
        else:
            raise DiscoveryError(f"{raw}: no such file or directory")
    _add_dependabot_files(found, excludes)
    return [found[key] for key in sorted(found)]


DEPENDABOT_NAMES = ("dependabot.yml", "dependabot.yaml")


def _add_dependabot_files(found: dict[str, Candidate], excludes: tuple[str, ...]) -> None:
    """Add `.github/dependabot.y*ml` next to each workflow found: a repository fact
    (gha-dependency-audit-missing) that must be seen even when only a workflow was named
    (pre-commit passes just the changed files). It yields no findings of its own."""
    for candidate in list(found.values()):
        disk = candidate.disk
        if disk is None or candidate.file_kind != "github-actions" or disk.parent.name != "workflows":
            continue
        github = disk.parent.parent
        if github.name != ".github":
            continue
        for name in DEPENDABOT_NAMES:
            file = github / name
            display = display_path(file)
            if display not in found and file.is_file() and not _excluded(display, excludes):
                found[display] = Candidate(display, file, "github-actions")
