"""Units of work: the independent parts of a run (issue 24, "scope-sharded pipeline").

A unit is loaded, evaluated and dropped on its own (in a worker process with `-j`), and its
findings are the ones the whole run would make. The grouping is conservative: when unsure, units
are merged, never split.

- Plain files are one unit, whatever their kind. Relations between plain Kubernetes files are
  scoped by folder and kustomization, but absence claims are checked over the whole run
  (`Index.whole_run`: an HPA's target, a selector that matches something elsewhere), and GitHub
  Actions, GitLab CI and compose have repository-level facts (dependabot/Renovate, includes,
  compose projects). Kustomize builds join them: one that cannot render falls back to plain files.
- A Helm chart's rendering relates only with itself (`Document.origin`), so each chart is a unit;
  a chart inside another's folder (a vendored subchart) or taken in with `file://` joins it.
- `--context`, `relation-scope: run`, stdin: the run stays one unit (policylint.runner).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_FILE_DEPENDENCY = re.compile(r"""file://([^\s"'#]+)""")


class _Joined:
    """Union-find over string keys."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        parent = self.parent.setdefault(key, key)
        while parent != key:
            grand = self.parent[parent]
            self.parent[key] = grand
            key, parent = parent, grand
        return key

    def join(self, first: str, second: str) -> None:
        one, other = self.find(first), self.find(second)
        if one != other:
            self.parent[max(one, other)] = min(one, other)


def _norm(path: Any) -> str:
    return os.path.abspath(str(path)).replace(os.sep, "/")  # abspath is normalised already


def _normaliser() -> Any:
    """`_norm` for many paths: on POSIX, os.path.abspath is the working folder joined and
    normalised, so the folder is asked once, not once per path."""
    if os.name != "posix":
        return _norm
    cwd = os.getcwd()
    join, normpath = os.path.join, os.path.normpath
    return lambda path: normpath(join(cwd, str(path)))


def group(discovered: Sequence[Any], candidates: Sequence[Any], charts: Sequence[Any], roots: Sequence[Any],
          fallback: dict[Any, list[Any]], pack: int | None = None) -> list[tuple[set[str], set[int], set[int]]] | None:
    """The units of a planned run: (member displays, chart indexes, kustomize root indexes) each,
    the plain files' units first (in path order); None when the run is one unit."""
    if any(candidate.disk is None for candidate in discovered):
        return None
    joined = _Joined()
    chart_roots = {_norm(chart.root): index for index, chart in enumerate(charts)}
    for index, chart in enumerate(charts):
        root = _norm(chart.root)
        joined.join(f"c:{index}", f"c:{index}")
        above = os.path.dirname(root)  # a chart inside another's folder (a vendored subchart) joins it
        while above and above != root:
            if above in chart_roots:
                joined.join(f"c:{index}", f"c:{chart_roots[above]}")
                break
            root, above = above, os.path.dirname(above)
        for dependency in _file_dependencies(_norm(chart.root)):
            for other, number in chart_roots.items():  # the chart it takes in renders the same templates
                if other == dependency or other.startswith(dependency + "/") or dependency.startswith(other + "/"):
                    joined.join(f"c:{index}", f"c:{number}")
    try:
        plain = _plain_components(discovered, candidates, roots, fallback)
    except _NotAFile:  # a pipe named on the command line (`check <(kustomize build)`): read once, by loading
        return None
    if pack is None:  # POLICYLINT_UNIT_FILES: the packing size, for tests and measurements
        pack = int(os.environ.get("POLICYLINT_UNIT_FILES") or PACK_FILES)
    units: list[tuple[set[str], set[int], set[int]]] = _packed(plain, pack)
    by_chart: dict[str, tuple[set[str], set[int], set[int]]] = {}
    for index in range(len(charts)):
        by_chart.setdefault(joined.find(f"c:{index}"), (set(), set(), set()))[1].add(index)
    units.extend(by_chart.values())
    if len(units) < 2:
        return None
    return units


#: Plain files per unit, about: components are packed up to this many files. Fewer units cost less
#: set-up; smaller ones hold fewer findings at once (measured: 100,000 generated documents take the
#: same time at 250 as at 1,000, and peak 173 against 206 MiB; 4,000 denser ones 102 against 158 MiB).
PACK_FILES = 250
#: File kinds by name whose files may hold Kubernetes objects (a compose name that its content
#: contradicts): they go with their folder. Compose projects are one folder's files, so they follow.
_BY_FOLDER_KINDS = ("yaml", "compose")


def _plain_components(discovered: Sequence[Any], candidates: Sequence[Any], roots: Sequence[Any],
                      fallback: dict[Any, list[Any]]) -> list[tuple[list[str], set[int]]]:
    """The connected parts of the plain files' relation scope (policylint.kinds.kubernetes.scope),
    each (member displays in run order, kustomize root indexes), in run order.

    Two plain files relate when one's folder is the other's or contains it, so a folder with files
    of its own holds everything below it: each file's part is keyed by its topmost folder (itself
    included) holding files. A kustomization joins what it lists; a kustomize build joins the files
    it falls back to. Files whose kind is told by name alone (Dockerfiles, workflows, pipelines)
    are one part: GitHub Actions and GitLab CI read repository-level facts across their files.
    """
    from policylint.kinds.kubernetes.renderplan import is_kustomization
    from policylint.kinds.kubernetes.scope import folder_of

    position = {candidate.display: index for index, candidate in enumerate(discovered)}
    for candidate in candidates:
        position.setdefault(candidate.display, len(position))
    loaded = {candidate.display: candidate for candidate in candidates}
    for files in fallback.values():
        for candidate in files:
            loaded.setdefault(candidate.display, candidate)
    # what a unit loads, and the kustomization files that tag its documents (policylint.runner)
    every = {candidate.display: candidate for candidate in discovered
             if candidate.disk is not None and is_kustomization(candidate.disk)}
    every.update(loaded)
    folders: dict[str, tuple[str, ...]] = {}

    def folder(display: str) -> tuple[str, ...]:
        """folder_of a display, once per folder: it depends on the text before the name only."""
        spelled = display.replace("\\", "/") if "\\" in display else display
        before = spelled[: spelled.rfind("/") + 1]
        found = folders.get(before)
        if found is None:
            found = folders[before] = folder_of(spelled)
        return found

    owning = {folder(display) for display, candidate in loaded.items() if candidate.file_kind in _BY_FOLDER_KINDS}
    joined = _Joined()
    tops: dict[tuple[str, ...], str] = {}

    def key(display: str) -> str:
        candidate = every[display]
        if candidate.file_kind not in _BY_FOLDER_KINDS or _content_kind(candidate) in _RUN_WIDE_KINDS:
            return "named"
        folder_parts = folder(display)
        top = tops.get(folder_parts)
        if top is None:
            found = folder_parts
            for end in range(len(folder_parts)):  # the topmost folder above (or at) it with files of its own
                if folder_parts[:end] in owning:
                    found = folder_parts[:end]
                    break
            top = tops[folder_parts] = "f:" + "/".join(found)
        return top

    for display in every:
        joined.join(display, key(display))
    norm = _normaliser()
    by_disk = {norm(candidate.disk): display for display, candidate in every.items() if candidate.disk is not None}
    ordered_disk = sorted(by_disk)
    kustomizations = [candidate.disk for candidate in every.values()
                      if candidate.disk is not None and is_kustomization(candidate.disk)]
    if not kustomizations:  # files named alone: the kustomizations enclosing them tie them (scope.tag_from_candidates)
        from policylint.kinds.kubernetes.scope import _enclosing_kustomizations

        # one file per folder (its first by name) finds the same kustomizations, in the same order
        firsts: dict[str, str] = {}
        for by, display in by_disk.items():
            if every[display].file_kind in _BY_FOLDER_KINDS:
                folder_path = by[: by.rfind("/")]
                first = firsts.get(folder_path)
                if first is None or by < first:
                    firsts[folder_path] = by
        kustomizations = [Path(file) for file in _enclosing_kustomizations(set(firsts.values()))]
    if kustomizations:
        from policylint.kinds.kubernetes.kustomization import read_kustomization

        for file in kustomizations:
            anchor = f"k:{_norm(file)}"
            if _norm(file) in by_disk:
                joined.join(anchor, by_disk[_norm(file)])
            else:  # not a candidate: it ties the files of its folder and below that it encloses
                folder = _norm(os.path.dirname(file))
                for display in _below(ordered_disk, folder, by_disk):
                    joined.join(anchor, display)
            found = read_kustomization(Path(file))
            if found is None:
                continue
            for listed in found.files:
                if _norm(listed) in by_disk:
                    joined.join(anchor, by_disk[_norm(listed)])
            for folder in found.folders:
                for display in _below(ordered_disk, _norm(folder), by_disk):
                    joined.join(anchor, display)
    for index, root in enumerate(roots):
        anchor = f"r:{index}"
        joined.join(anchor, anchor)
        if _norm(root.file) in by_disk:
            joined.join(anchor, by_disk[_norm(root.file)])
        for candidate in fallback.get(root.root, []):
            joined.join(anchor, candidate.display)
    parts: dict[str, tuple[list[str], set[int]]] = {}
    for display in sorted(every, key=lambda item: position.get(item, len(position))):
        parts.setdefault(joined.find(display), ([], set()))[0].append(display)
    for index in range(len(roots)):
        parts.setdefault(joined.find(f"r:{index}"), ([], set()))[1].add(index)
    return list(parts.values())


#: Kinds whose relations read repository-level facts across their files (GitHub Actions: Dependabot,
#: local actions, every workflow; GitLab CI: included files judged once, in the pipeline that includes them).
_RUN_WIDE_KINDS = ("github-actions", "gitlab-ci")


def _content_kind(candidate: Any) -> str:
    """The kind a YAML file (or a compose name) loads as, told from its content as loading tells it
    (policylint.core.loading); "" when it cannot be read (it loads as a parse error: no documents)."""
    from policylint.core.loading import MAX_FILE_BYTES

    try:
        raw = _head(candidate.disk, MAX_FILE_BYTES + 1)
    except OSError:
        return ""
    if len(raw) > MAX_FILE_BYTES or (b"jobs:" not in raw and b"stage" not in raw):
        return ""  # a workflow has `jobs:`, a GitLab pipeline `stages:` or `stage:`: neither kind by content
    from policylint.core import kinds
    from policylint.core.loading import decode

    text = decode(candidate.display, kinds.fallback_kind(), raw)
    return "" if not isinstance(text, str) else kinds.settled_kind(candidate.display, text, candidate.file_kind)


class _NotAFile(Exception):
    """A candidate that is no regular file (a pipe): reading it while planning would leave nothing to load."""


def _head(path: Any, limit: int) -> bytes:
    """The first `limit` bytes of a regular file (all of a smaller one), as `open(path, "rb").read(limit)`
    gives them, without the buffer of `limit` bytes that call allocates (64 MiB here, per file).
    Raises _NotAFile for anything else, unread (opened without waiting for a FIFO's writer)."""
    import stat

    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)  # O_BINARY: Windows, no newline translation
    handle = os.open(path, flags)
    try:
        status = os.fstat(handle)
        if stat.S_ISDIR(status.st_mode):
            raise IsADirectoryError(21, "Is a directory", str(path))  # as open() refuses it
        if not stat.S_ISREG(status.st_mode):
            raise _NotAFile(str(path))
        size = status.st_size
        step = min(size + 1, limit) if size > 0 else 65536  # a regular file: its size and EOF in two reads
        chunks: list[bytes] = []
        total = 0
        while total < limit:
            chunk = os.read(handle, min(step, limit - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(handle)


def _below(ordered: list[str], folder: str, by_disk: dict[str, str]) -> list[str]:
    """The displays of the files below `folder` (absolute, normalised), from the sorted disk paths."""
    import bisect

    prefix = folder.rstrip("/") + "/"
    start = bisect.bisect_left(ordered, prefix)
    found = []
    for path in ordered[start:]:
        if not path.startswith(prefix):
            break
        found.append(by_disk[path])
    return found


def _packed(parts: list[tuple[list[str], set[int]]], size: int) -> list[tuple[set[str], set[int], set[int]]]:
    """Consecutive parts packed into units of about `size` files (a kustomize build counts as ten)."""
    units: list[tuple[set[str], set[int], set[int]]] = []
    current: tuple[set[str], set[int], set[int]] = (set(), set(), set())
    weight = 0
    for displays, built in parts:
        if weight and weight + len(displays) + 10 * len(built) > size:
            units.append(current)
            current, weight = (set(), set(), set()), 0
        current[0].update(displays)
        current[2].update(built)
        weight += len(displays) + 10 * len(built)
    if weight or not units:
        units.append(current)
    return units


def _file_dependencies(root: str) -> list[str]:
    """Folders a chart takes `file://` dependencies from (Chart.yaml, requirements.yaml), resolved."""
    found = []
    for name in ("Chart.yaml", "requirements.yaml"):
        try:
            with open(os.path.join(root, name), encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue
        found.extend(_norm(os.path.join(root, match)) for match in _FILE_DEPENDENCY.findall(text))
    return found


def unit_facts(documents: Sequence[Any]) -> frozenset[Any]:
    """The run-wide facts a unit's documents make (policylint.kinds.kubernetes.runfacts)."""
    if not any(doc.file_kind == "kubernetes" and not doc.origin for doc in documents):
        return frozenset()
    from policylint.kinds.kubernetes.runfacts import facts

    return frozenset(facts(documents))


class Unsettled(Exception):
    """An absence claim the units' facts cannot settle: the run is redone as one unit."""


def as_one(units: Sequence[Any]) -> tuple[set[str], set[int], set[int]]:
    """Every unit's members as one unit."""
    return (set().union(*(unit.displays for unit in units)), set().union(*(unit.charts for unit in units)),
            set().union(*(unit.roots for unit in units)))


def held_back(findings: list[Any]) -> tuple[list[Any], list[Any]]:
    """(settled, held): what waits until every unit is done: each policy's findings in a file where
    one of them rests on an absence claim (their fingerprints may be numbered again), and every
    finding at the same place as one of those (a finding supersedes another of its place). The rest
    of the file goes on: a file of many findings does not wait whole for one claim."""
    groups = {(finding.policy_id, finding.path) for finding in findings if finding.assumes}
    if not groups:
        return findings, []
    places = {(f.path, f.line, f.column) for f in findings if (f.policy_id, f.path) in groups}

    def waits(finding: Any) -> bool:
        return (finding.policy_id, finding.path) in groups or (finding.path, finding.line, finding.column) in places

    return [f for f in findings if not waits(f)], [f for f in findings if waits(f)]


def retracted(findings: Sequence[list[Any]], facts: Sequence[frozenset[Any]], path_of: Any) -> list[list[Any]] | None:
    """The units' held findings (one list per unit) as one unit would give them: those resting on a
    fact assumed absent that another unit makes are dropped (policylint.core.assumptions); None
    when the facts cannot tell."""
    from policylint.core.assumptions import retract
    from policylint.kinds.kubernetes.runfacts import present

    return retract(findings, facts, present, path_of)
