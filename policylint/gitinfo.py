"""The git commit a scan covered, read from `.git` files (never by running git: no subprocess while checking)."""

from __future__ import annotations

import re
from pathlib import Path

from policylint.core.records import record

_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


@record(frozen=True)
class GitState:
    """Where HEAD pointed when the report was made. `ref` is empty for a detached HEAD."""

    commit: str
    ref: str = ""
    root: str = ""


def _git_dir(start: Path) -> Path | None:
    """The `.git` folder for `start`, following a worktree's `.git` file (`gitdir: ...`)."""
    for folder in (start, *start.parents):
        marker = folder / ".git"
        if marker.is_dir():
            return marker
        if marker.is_file():
            text = marker.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                target = Path(text[len("gitdir:"):].strip())
                return target if target.is_absolute() else (folder / target).resolve()
            return None
    return None


def _read_ref(git_dir: Path, common: Path, ref: str) -> str | None:
    for base in (git_dir, common):
        loose = base / ref
        if loose.is_file():
            value = loose.read_text(encoding="utf-8", errors="replace").strip()
            if _SHA.match(value):
                return value
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1] == ref and _SHA.match(parts[0]):
                return parts[0]
    return None


def git_state(paths: list[str]) -> GitState | None:
    """HEAD's commit for the repository holding the first scanned path, or None outside git.

    Only files are read (HEAD, the ref it names, packed-refs). Whether the working tree has
    uncommitted changes cannot be told without git itself, so the report says so instead.
    """
    real = [Path(path) for path in paths if path != "-"]
    if not real:
        return None
    start = real[0].resolve()
    if not start.is_dir():
        start = start.parent
    try:
        git_dir = _git_dir(start)
        if git_dir is None or not (git_dir / "HEAD").is_file():
            return None
        common = git_dir
        commondir = git_dir / "commondir"
        if commondir.is_file():
            common = (git_dir / commondir.read_text(encoding="utf-8").strip()).resolve()
        head = (git_dir / "HEAD").read_text(encoding="utf-8", errors="replace").strip()
        root = str(git_dir.parent) if git_dir.name == ".git" else ""
        if head.startswith("ref:"):
            ref = head[4:].strip()
            commit = _read_ref(git_dir, common, ref)
            return GitState(commit or "", ref, root) if commit or ref else None
        return GitState(head, "", root) if _SHA.match(head) else None
    except OSError:
        return None


def anchored_path(path: str, anchor: str) -> str:
    """`path` (as shown, relative to the working folder) relative to `anchor`, with forward slashes.

    Fingerprints and baseline entries use it, so a baseline written at the repository root still
    matches when `check` runs from a subfolder or from the parent. Paths that are not files on
    disk (`<stdin>`, rendered outputs named by their chart) and paths outside the anchor stay as they are.
    """
    import os

    if not anchor or path.startswith("<"):
        return path
    relative = os.path.relpath(os.path.abspath(path), anchor)
    return path if relative.startswith("..") else relative.replace(os.sep, "/")
_REMOTE = re.compile(r'^\s*\[\s*remote\s+"(?P<name>[^"]*)"\s*\]\s*$')
_URL = re.compile(r"^\s*url\s*=\s*(?P<url>.*?)\s*$", re.IGNORECASE)


def remote_url(paths: list[str]) -> str:
    """The fetch URL of the `origin` remote (else the first remote) of the repository holding the
    first path, with any user name, password or token removed; empty when there is none.

    Read from the repository's `config` file (never by running git)."""
    real = [Path(path) for path in paths if path != "-"]
    if not real:
        return ""
    start = real[0].resolve()
    try:
        git_dir = _git_dir(start if start.is_dir() else start.parent)
        if git_dir is None:
            return ""
        common = git_dir
        if (git_dir / "commondir").is_file():
            common = (git_dir / (git_dir / "commondir").read_text(encoding="utf-8").strip()).resolve()
        config = (common / "config").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    remotes: dict[str, str] = {}
    section = None
    for line in config.splitlines():
        header = _REMOTE.match(line)
        if header is not None:
            section = header.group("name")
            continue
        if line.lstrip().startswith("["):
            section = None
            continue
        url = _URL.match(line)
        if section is not None and url is not None and section not in remotes:
            remotes[section] = url.group("url").strip('"')
    url = remotes.get("origin") or next(iter(remotes.values()), "")
    return without_credentials(url)


def without_credentials(url: str) -> str:
    """`https://user:token@host/x` → `https://host/x`; scp-like `git@host:x` keeps its user (no secret in it)."""
    from urllib.parse import urlsplit, urlunsplit

    if "://" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
