"""Relation scope: which documents of a run belong together (see the catalog's Conventions).

Two plain files relate when one's folder is the other's or contains it, or when one
kustomization lists both (directly or through the folders it lists); documents rendered from one
overlay or chart (the same `Document.origin`) relate only with each other. `run` widens plain
files to the whole run. A reference by name resolves to the nearest candidate in the folder tree;
two candidates at the same distance make it ambiguous.

This module knows paths only; `policylint.kinds.kubernetes.relations` builds its index on it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from policylint.core.records import field, record
from policylint.kinds.kubernetes.renderplan import KUSTOMIZATION_FILES as KUSTOMIZATION_NAMES
from policylint.kinds.kubernetes.renderplan import RESOURCE_FIELDS

SCOPE_MODES = ("folder", "run")
DEFAULT_MODE = "folder"
#: The policy parameter through which a run's relation scope reaches the relations.
SCOPE_PARAM = "relation_scope"

Folder = tuple[str, ...]
T = TypeVar("T")


def folder_of(path: str) -> Folder:
    """The folder of a display path, as its parts (`app/api/deploy.yaml` → ("app", "api"))."""
    normal = posixpath.normpath(path.replace("\\", "/"))
    return tuple(part for part in normal.split("/")[:-1] if part != ".")


def ancestors(folder: Folder) -> list[Folder]:
    """Every folder strictly containing `folder`, nearest first."""
    return [folder[:end] for end in range(len(folder) - 1, -1, -1)]


def distance(first: Folder, second: Folder) -> int:
    """Steps between two folders in the tree (0: the same folder)."""
    common = 0
    for left, right in zip(first, second, strict=False):
        if left != right:
            break
        common += 1
    return len(first) + len(second) - 2 * common


def nearest(origin: Folder, candidates: Sequence[T], folder: Any) -> tuple[T | None, list[T]]:
    """The candidate nearest to `origin` (by `folder(candidate)`), and every candidate tied with it.

    (None, tied) when two or more are equally near: the reference is ambiguous.
    """
    if not candidates:
        return None, []
    if len(candidates) == 1:
        return candidates[0], [candidates[0]]
    measured = [(distance(origin, folder(item)), item) for item in candidates]
    best = min(step for step, _ in measured)
    tied = [item for step, item in measured if step == best]
    return (tied[0] if len(tied) == 1 else None), tied


# --- kustomization groups --------------------------------------------------------------------


@record
class KustomizationListing:
    """What one kustomization file lists, as normalised posix paths."""

    file: str
    files: set[str] = field(default_factory=set)
    folders: set[str] = field(default_factory=set)
    #: Its build adds labels to selectors (`commonLabels`, or `labels` with `includeSelectors: true`),
    #: creating `spec.selector` where a workload lacks one.
    adds_selectors: bool = False

    @property
    def folder(self) -> str:
        """The folder holding the kustomization file."""
        return posixpath.dirname(self.file)


#: Fields of a kustomization that name files or folders of the build (kustomization.py reads the same).


def listing_from_data(file: str, data: Any, is_folder: Any) -> KustomizationListing:
    """A listing from a kustomization's parsed data; `is_folder(path)` tells folders from files.

    Remote entries (URLs, `github.com/...`) are not local files and are left out.
    """
    from policylint.kinds.kubernetes.kustomization import adds_selector_labels  # only where kustomizations are

    listing = KustomizationListing(posixpath.normpath(file), adds_selectors=adds_selector_labels(data))
    if not isinstance(data, Mapping):
        return listing
    for name in RESOURCE_FIELDS:
        entries = data.get(name)
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, str) or "://" in entry or entry.startswith(("git@", "git::")):
                continue
            target = posixpath.normpath(posixpath.join(listing.folder, entry))
            (listing.folders if is_folder(target) else listing.files).add(target)
    return listing


def kustomize_groups(listings: Iterable[KustomizationListing], paths: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """For each path of `paths`: the kustomization files whose build lists it (sorted).

    A listed folder contributes what its own kustomization lists (recursively); a listed folder
    without one contributes every path below it.
    """
    by_folder = {listing.folder: listing for listing in listings}
    wanted = sorted(set(paths))
    members: dict[str, set[str]] = {}
    for listing in by_folder.values():
        found: set[str] = set()
        seen: set[str] = set()
        pending = [listing]
        while pending:
            item = pending.pop()
            if item.folder in seen:
                continue
            seen.add(item.folder)
            found.update(item.files)
            for folder in item.folders:
                inner = by_folder.get(folder)
                if inner is not None:
                    pending.append(inner)
                else:
                    prefix = folder.rstrip("/") + "/"
                    found.update(path for path in wanted if path.startswith(prefix))
        members[listing.file] = found
    groups: dict[str, list[str]] = {}
    for file, found in sorted(members.items()):
        for path in found:
            groups.setdefault(path, []).append(file)
    return {path: tuple(files) for path, files in groups.items()}


def tag_groups(documents: Iterable[Any], listings: Sequence[KustomizationListing], key: Any = None) -> None:
    """Set `Document.groups` from the listings; `key(doc)` gives the path the listings use."""
    docs = list(documents)
    if not listings or not docs:
        return
    keyed = [(key(doc) if key else posixpath.normpath(doc.path), doc) for doc in docs]
    groups = kustomize_groups(listings, (path for path, _ in keyed))
    labelling = {listing.file for listing in listings if listing.adds_selectors}
    for path, doc in keyed:
        found = groups.get(path)
        if found:
            doc.groups = found
            doc.selector_labels = any(file in labelling for file in found)


def tag_from_candidates(documents: Iterable[Any], candidates: Iterable[Any]) -> None:
    """Set `Document.groups` of plain files from the kustomization files among a run's candidates.

    Used with and without --kustomize: a kustomization ties the plain files it lists even when
    nothing is rendered. Only files are read (parsed as data); nothing is fetched or run.
    """
    import os

    from policylint.kinds.kubernetes.renderplan import is_kustomization

    disk: dict[str, str] = {}
    kustomizations: list[Any] = []
    for candidate in candidates:
        if candidate.disk is None:
            continue
        absolute = os.path.normpath(os.path.abspath(candidate.disk)).replace(os.sep, "/")
        disk[candidate.display] = absolute
        if is_kustomization(candidate.disk):
            kustomizations.append(candidate.disk)
    plain = [doc for doc in documents if not doc.origin and doc.path in disk]
    if plain and not kustomizations:  # files named alone (a pre-commit run): their folders' kustomizations
        kustomizations = _enclosing_kustomizations({disk[doc.path] for doc in plain})
    listings: list[KustomizationListing] = []
    for file in kustomizations:
        from pathlib import Path

        from policylint.kinds.kubernetes.kustomization import read_kustomization  # only where kustomizations are

        found = read_kustomization(Path(file))
        if found is not None:
            listings.append(KustomizationListing(
                found.file.as_posix(), {path.as_posix() for path in found.files},
                {path.as_posix() for path in found.folders}, found.adds_selectors,
            ))
    tag_groups(plain, listings, key=lambda doc: disk[doc.path])


#: How far up from a file named alone to look for the kustomizations that may list it.
ENCLOSING_LEVELS = 4


def _enclosing_kustomizations(files: Iterable[str]) -> list[str]:
    """Kustomization files in the folders of `files` and a few levels above, inside the working folder.

    A pre-commit run names the changed files only; the kustomization listing one of them still
    decides what its build adds (a selector from `commonLabels`). Only names are tested (a stat each).
    """
    import os

    top = os.path.normpath(os.getcwd()).replace(os.sep, "/")
    found: list[str] = []
    seen: set[str] = set()
    for file in sorted(files):
        folder = posixpath.dirname(file)
        for _ in range(ENCLOSING_LEVELS + 1):
            if folder in seen or not (folder == top or folder.startswith(top.rstrip("/") + "/")):
                break
            seen.add(folder)
            found.extend(
                candidate for candidate in (posixpath.join(folder, name) for name in KUSTOMIZATION_NAMES)
                if os.path.isfile(candidate)
            )
            folder = posixpath.dirname(folder)
    return found


def with_relation_scope(policies: Sequence[Any], mode: str) -> list[Any]:
    """The policies with the run's relation scope handed to Kubernetes relations (as a param)."""
    if mode == DEFAULT_MODE:
        return list(policies)
    return [
        policy.with_params({SCOPE_PARAM: mode}) if policy.relation and policy.file_kind == "kubernetes" else policy
        for policy in policies
    ]
