"""Reading one kustomization file: what its build pulls in, and whether it adds selector labels.

Rendering (`kustomize.py`) and relation scope (`scope.py`) both read kustomizations; this reads
them without running anything.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from policylint.core.records import field, record
from policylint.core.yamlnodes import YamlDocument, parse_yaml_stream
from policylint.kinds.kubernetes.renderplan import RESOURCE_FIELDS

_PATCH_FIELDS = ("patchesStrategicMerge",)
_PATCH_LIST_FIELDS = ("patches", "patchesJson6902")


def adds_selector_labels(data: Any) -> bool:
    """True when a kustomization's build writes labels into selectors (and creates missing ones).

    `commonLabels` does, for every resource of the build; the newer `labels` list does for entries
    with `includeSelectors: true` (kustomize's `commonLabels` and `labels` field specs).
    """
    if not isinstance(data, Mapping):
        return False
    common = data.get("commonLabels")
    if isinstance(common, Mapping) and common:
        return True
    entries = data.get("labels")
    return any(
        isinstance(entry, Mapping) and entry.get("includeSelectors") is True and isinstance(entry.get("pairs"), Mapping)
        and bool(entry["pairs"])
        for entry in (entries if isinstance(entries, list) else ())
    )


def is_remote(entry: str, local: Path) -> bool:
    """True when kustomize would fetch `entry` over the network (a URL, or a host path that is not a local file).

    kustomize treats an entry it cannot find on disk as a remote target: `https://…`, `git@…`,
    `ssh://…` and bare `github.com/org/repo//path?ref=v1` forms all download.
    """
    if "://" in entry or entry.startswith("git@") or entry.startswith("git::"):
        return True
    if local.exists():
        return False
    host = entry.split("/", 1)[0]
    return "/" in entry and "." in host.strip(".")


@record
class Kustomization:
    """What one kustomization file pulls into its build."""

    root: Path
    file: Path
    files: set[Path] = field(default_factory=set)
    patches: set[Path] = field(default_factory=set)
    folders: set[Path] = field(default_factory=set)
    #: Its build writes labels into selectors (`adds_selector_labels`).
    adds_selectors: bool = False
    #: Entries kustomize would download, as (line, column, entry): policylint does not render their builds.
    remote: list[tuple[int, int, str]] = field(default_factory=list)
    #: The first kustomization of this build (itself or one it includes) with a remote entry.
    remote_in: Kustomization | None = None
    #: `kind: Component`: built only as part of a kustomization that lists it in `components:`.
    component: bool = False
    #: Local entries whose real path lies outside the run's boundary (`policylint.core.boundary`), as
    #: (line, column, entry): policylint does not render their builds.
    outside: list[tuple[int, int, str]] = field(default_factory=list)
    #: The first kustomization of this build (itself or one it includes) with an entry outside.
    outside_in: Kustomization | None = None


def normal_path(path: Path) -> Path:
    """An absolute path with `..` resolved (symlinks are not)."""
    return Path(os.path.normpath(os.path.abspath(path)))


def read_kustomization(file: Path) -> Kustomization | None:
    """Parse a kustomization file (None when unreadable or not a mapping)."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    parsed = next(iter(parse_yaml_stream(text)), None)
    if not isinstance(parsed, YamlDocument) or not isinstance(parsed.data, Mapping):
        return None
    data = parsed.data
    root = normal_path(file.parent)
    found = Kustomization(root, normal_path(file))
    found.adds_selectors = adds_selector_labels(data)
    found.component = data.get("kind") == "Component"

    def entries(value: Any) -> Iterable[str]:
        return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []

    from policylint.core.boundary import admits

    for name in RESOURCE_FIELDS:
        for index, entry in enumerate(entries(data.get(name))):
            target = normal_path(root / entry)
            position = parsed.positions.get((name, index))
            where = (position.line, position.column, entry) if position else (1, 1, entry)
            if is_remote(entry, target):
                found.remote.append(where)
                continue
            if not admits(target):
                found.outside.append(where)
                continue
            (found.folders if target.is_dir() else found.files).add(target)
    for name in _PATCH_FIELDS:
        found.patches.update(normal_path(root / entry) for entry in entries(data.get(name)))
    for name in _PATCH_LIST_FIELDS:
        items = data.get(name)
        for item in items if isinstance(items, list) else []:
            path = item.get("path") if isinstance(item, Mapping) else item if isinstance(item, str) else None
            if isinstance(path, str):
                found.patches.add(normal_path(root / path))
    return found
