"""The boundary of a run: what a scanned repository may make policylint read.

policylint runs in CI on pull requests, and what it reads can end up in public outputs
(annotations, SARIF, logs). So a repository must not be able to point the tool at files outside
itself: a symlink to `/etc/hostname`, a GitLab `include: local: ../secret.yml`, a chart file that
links to the runner's `~/.docker/config.json`. The boundary is the repository (git top level) of
each path given on the command line; outside a repository, the working folder when the path lies
in it, else the given path itself. Nothing
whose real path (symlinks resolved) lies outside it is read. Paths the user gives on the command
line (`--context`, `--config`, `--policies`, `--helm-values`, baselines) are trusted as they are.

Discovery and every loader that follows a reference ask `admits` before opening a file; the run
sets the boundary once (`within`) so loaders need no extra parameter. Without a boundary set
(library use, policy examples) everything is admitted. Only regular files are ever opened from a
reference, so a link to a FIFO or a device cannot block the run.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

#: Why a path is refused, as notices say it (they name the link, never what it points at).
OUTSIDE = "symbolic link leads outside the repository: not read"
NOT_REGULAR = "not a regular file (a FIFO, socket or device): not read"


class Boundary:
    """The real folders (and trusted files) a run may read from."""

    def __init__(self, roots: Iterable[str]) -> None:
        self.roots = tuple(sorted({os.path.realpath(root) for root in roots}))

    def admits(self, path: str | os.PathLike[str]) -> bool:
        """True when the real path of `path` is one of the roots or lies under one."""
        real = os.path.realpath(path)
        return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in self.roots)

    def __repr__(self) -> str:
        return f"Boundary({list(self.roots)!r})"


def repository_root(path: str | os.PathLike[str]) -> Path | None:
    """The nearest folder at or above `path` holding `.git` (a folder, or a file in worktrees and
    submodules), found without running git; None outside a repository."""
    absolute = os.path.abspath(path)
    found = _repository_of_folder(absolute if os.path.isdir(absolute) else os.path.dirname(absolute))
    return Path(found) if found is not None else None


@lru_cache(maxsize=4096)
def _repository_of_folder(folder: str) -> str | None:
    """Cached per folder: pre-commit names many files of few folders."""
    if os.path.exists(os.path.join(folder, ".git")):
        return folder
    parent = os.path.dirname(folder)
    return None if parent == folder else _repository_of_folder(parent)


def root_of(path: str | os.PathLike[str]) -> str:
    """The boundary root a given path brings: its repository; outside a repository the working
    folder when the path lies in it (`check overlays/prod` may read `../../base`), else the path itself."""
    repository = repository_root(path)
    if repository is not None:
        return str(repository)
    absolute, here = os.path.abspath(path), os.getcwd()
    return here if absolute == here or absolute.startswith(here.rstrip(os.sep) + os.sep) else absolute


def boundary_for(paths: Iterable[str], trusted: Iterable[str] = ()) -> Boundary:
    """The boundary of a run over `paths`; `trusted` paths (named by the user) are admitted as they are."""
    return Boundary([*(root_of(path) for path in paths), *trusted])


_CURRENT: ContextVar[Boundary | None] = ContextVar("policylint_boundary", default=None)


@contextmanager
def within(boundary: Boundary | None) -> Iterator[Boundary | None]:
    """Set the run's boundary while loading (loaders that follow references consult it)."""
    token = _CURRENT.set(boundary)
    try:
        yield boundary
    finally:
        _CURRENT.reset(token)


def current() -> Boundary | None:
    """The boundary of the run being loaded, if one is set."""
    return _CURRENT.get()


def admits(path: str | os.PathLike[str]) -> bool:
    """True when the current run may read `path` (always, when no boundary is set)."""
    boundary = _CURRENT.get()
    return boundary is None or boundary.admits(path)


def is_regular_file(path: str | os.PathLike[str]) -> bool:
    """True for a regular file (symlinks followed); never opens it, so a FIFO cannot block."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def refusal(path: str | os.PathLike[str]) -> str | None:
    """Why a referenced file may not be read (outside the boundary, not a regular file), or None."""
    if not admits(path):
        return OUTSIDE
    if os.path.exists(path) and not is_regular_file(path):
        return NOT_REGULAR
    return None
