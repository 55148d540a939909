"""`check --diff-base REF`: fail only on what a change introduced.

The same check (same options, same policies) runs a second time on the merge-base of REF and
HEAD; findings of the work tree whose fingerprint also appears, unsuppressed, among the base
run's findings are marked as baseline matches (`Suppression(kind="baseline")`), so they stay in
JSON and SARIF but no longer fail the run nor show in the text output.

Why dulwich and not the `git` program: policylint runs no program while checking (SECURITY.md,
"What policylint runs"; tests/test_guards.py). dulwich reads the object database as files, in
process: no hooks, no fsmonitor, no clean/smudge filters or textconv, no credential helpers, no
network, whatever the repository's configuration says. Running git with hardened options
(`-c core.hooksPath=/dev/null`, `GIT_CONFIG_NOSYSTEM`, `GIT_ALLOW_PROTOCOL=file`...) would have
to stay ahead of every new configuration key that starts a program. dulwich is an optional
extra (`policylint[diffbase]`), imported only with --diff-base.

The base tree is written from git objects into a temporary folder that is removed afterwards;
the work tree and the repository are never written. Findings of the base run carry temporary
paths: they are re-homed to the work tree's spelling (`display_path` of the same file in the
work tree) and their fingerprints recomputed, so the two runs' fingerprints compare.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policylint.core.findings import Finding
from policylint.core.records import replace
from policylint.options import UsageError

if TYPE_CHECKING:
    from policylint.core.policies import PolicySet
    from policylint.options import RunOptions

_S_IFGITLINK = 0o160000
_ANCESTRY = re.compile(r"(?:~(\d*)|\^(\d*))$")


@dataclass(frozen=True)
class Base:
    """The merge-base a run was compared with."""

    ref: str
    commit: str
    root: Path  # the work tree's top level


def _open_repository(paths: Iterable[str]) -> Any:
    try:
        from dulwich.errors import NotGitRepository
        from dulwich.repo import Repo
    except ImportError as exc:
        raise UsageError("--diff-base needs the dulwich library: pip install 'policylint[diffbase]'") from exc
    real = [path for path in paths if path != "-"]
    if len(real) != len(list(paths)):
        raise UsageError("--diff-base cannot compare standard input (-): name files or folders of a git repository")
    start = os.path.abspath(real[0] if real else ".")
    try:
        return Repo.discover(start if os.path.isdir(start) else os.path.dirname(start))
    except NotGitRepository as exc:
        raise UsageError(f"--diff-base: {real[0] if real else '.'} is not inside a git repository") from exc


def _resolve(repo: Any, ref: str) -> bytes:
    """The commit `ref` names: a branch, remote branch, tag or (abbreviated) hash, with ~N/^N suffixes."""
    from dulwich.objectspec import parse_commit

    steps: list[tuple[str, int]] = []
    name = ref
    while True:
        match = _ANCESTRY.search(name)
        if match is None or match.start() == 0:
            break
        steps.insert(0, ("~", int(match.group(1) or 1)) if match.group(1) is not None else ("^", int(match.group(2) or 1)))
        name = name[: match.start()]
    try:
        commit = parse_commit(repo, name.encode("utf-8", "surrogateescape"))
        for kind, count in steps:
            if kind == "~":
                for _ in range(count):
                    commit = repo[commit.parents[0]]
            elif count:
                commit = repo[commit.parents[count - 1]]
    except (KeyError, IndexError, ValueError) as exc:
        raise UsageError(f"--diff-base: unknown revision {ref!r} (fetch it first, e.g. git fetch origin main)") from exc
    return bytes(commit.id)


def merge_base(repo: Any, ref: str) -> bytes:
    """The merge-base of `ref` and HEAD; a clear error in a shallow clone or without a common ancestor."""
    from dulwich.graph import find_merge_base

    if repo.get_shallow():
        raise UsageError("--diff-base: the repository is a shallow clone, so the merge-base may be missing; fetch "
                         "the whole history (actions/checkout: fetch-depth: 0; GitLab: GIT_DEPTH: \"0\")")
    target = _resolve(repo, ref)
    try:
        head = repo.head()
        bases = find_merge_base(repo, [head, target])
    except KeyError as exc:
        raise UsageError(f"--diff-base: the history between HEAD and {ref!r} is incomplete ({exc}); "
                         "fetch the whole history") from exc
    if not bases:
        raise UsageError(f"--diff-base: {ref!r} and HEAD have no common ancestor")
    return bytes(sorted(bases)[0])


def _inside(root: str, target: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def write_tree(repo: Any, commit_id: bytes, destination: Path) -> int:
    """Write the commit's tree into `destination` from git objects; returns the number of files.

    Regular files and executables are written; submodules are skipped, and so are symbolic links
    that would lead outside `destination` (a link inside it is made as a link). Entry names that
    are not plain names (`..`, separators, `.git`) are never written.
    """
    root = str(destination.resolve())
    written = 0
    links: list[tuple[str, str]] = []
    stack: list[tuple[bytes, str]] = [(repo[commit_id].tree, root)]
    while stack:
        tree_id, folder = stack.pop()
        for entry in repo[tree_id].items():
            name = os.fsdecode(entry.path)
            if name in ("", ".", "..", ".git") or "/" in name or os.sep in name or "\x00" in name:
                continue
            target = os.path.join(folder, name)
            if stat.S_ISDIR(entry.mode):
                os.mkdir(target)
                stack.append((entry.sha, target))
            elif entry.mode == _S_IFGITLINK:
                continue
            elif stat.S_ISLNK(entry.mode):
                links.append((target, os.fsdecode(repo[entry.sha].data)))
            else:
                with open(target, "wb") as handle:
                    handle.write(repo[entry.sha].data)
                written += 1
    for link, pointee in sorted(links):
        resolved = os.path.realpath(os.path.join(os.path.dirname(link), pointee))
        if _inside(root, resolved) and not os.path.isabs(pointee):
            os.symlink(pointee, link)
    return written


@contextmanager
def base_tree(paths: Iterable[str], ref: str) -> Iterator[tuple[Base, Path]]:
    """The merge-base of `ref` and HEAD written into a temporary folder (removed afterwards)."""
    paths = list(paths)
    repo = _open_repository(paths)
    folder = Path(tempfile.mkdtemp(prefix="policylint-base-")).resolve()
    try:
        commit = merge_base(repo, ref)
        if repo.path is None or repo.bare:
            raise UsageError("--diff-base needs a work tree")
        write_tree(repo, commit, folder)
        (folder / ".git").mkdir()  # the top level of a repository: its boundary, as in the work tree
        yield Base(ref, commit.decode(), Path(repo.path).resolve()), folder
    finally:
        repo.close()
        shutil.rmtree(folder, ignore_errors=True)


def _mapped(paths: Iterable[str], root: Path, folder: Path) -> list[tuple[str, str]]:
    """Each work-tree path's counterpart in the base tree, with the path as the user wrote it;
    paths the base does not have are left out."""
    mapped = []
    for path in paths:
        absolute = Path(os.path.abspath(path))
        try:
            relative = absolute.resolve().relative_to(root)
        except ValueError as exc:
            raise UsageError(f"--diff-base: {path} lies outside the repository {root}") from exc
        counterpart = folder / relative
        if counterpart.exists() or counterpart.is_symlink():
            mapped.append((str(counterpart), path))
    return mapped


def _rehome_path(path: str, folder: str, root: Path, spellings: Sequence[tuple[str, str]]) -> str:
    """The work tree's display of a base-tree path: below a scanned argument, spelled from the
    argument as the user wrote it (as discovery does); elsewhere, from the repository's top level."""
    from policylint.core.files import display_path

    absolute = os.path.abspath(path)
    if not _inside(folder, absolute):
        return path
    for mapped, spelling in spellings:
        if _inside(mapped, absolute):
            return display_path(Path(spelling) / os.path.relpath(absolute, mapped))
    return display_path(root / os.path.relpath(absolute, folder))


def rehome(finding: Finding, folder: str, root: Path, spellings: Sequence[tuple[str, str]] = (),
           base_anchor: str = "", work_anchor: str = "") -> Finding:
    """The base run's finding as if found in the work tree: paths, logical place and fingerprint recomputed.

    Some kinds name the file in the logical place (`<path>#jobs.build#job`), so the temporary
    paths are replaced there too. The fingerprint hashes the path with an occurrence number fixed
    by the base run; that number is found again by recomputing the base fingerprint (almost always 0).
    """
    spellings = sorted(spellings, key=lambda pair: len(pair[0]), reverse=True)
    renames = {item.path: _rehome_path(item.path, folder, root, spellings) for item in (finding, *finding.related)}
    logical = finding.logical
    for old in sorted(renames, key=len, reverse=True):
        logical = logical.replace(old, renames[old])
    if folder in logical:  # another file of the base tree (a kustomization, a chart)
        from policylint.core.files import display_path

        prefix = display_path(root)
        logical = logical.replace(folder + os.sep, "" if prefix == "." else prefix.rstrip("/") + "/").replace(folder, prefix)
    related = tuple(replace(item, path=renames[item.path]) for item in finding.related)
    moved = replace(finding, path=renames[finding.path], logical=logical, related=related)
    if not finding.fingerprint:
        return moved
    from policylint.gitinfo import anchored_path  # fingerprints name paths from each run's anchor (runner.fingerprint_anchor)

    base_path, work_path = anchored_path(finding.path, base_anchor), anchored_path(moved.path, work_anchor)
    for occurrence in range(10_000):
        if finding.with_fingerprint(occurrence, base_path).fingerprint == finding.fingerprint:
            return moved.with_fingerprint(occurrence, work_path)
    return moved


def base_fingerprints(options: RunOptions, policy_set: PolicySet, ref: str) -> tuple[Base, set[str]]:
    """Run the same check on the merge-base of `ref` and HEAD; the fingerprints of its unsuppressed findings."""
    from policylint.runner import check

    with base_tree([*options.paths, *options.context], ref) as (base, folder):
        paths = _mapped(options.paths, base.root, folder)
        if not paths:
            return base, set()
        context = _mapped(options.context, base.root, folder)
        run_options = replace(options, paths=tuple(mapped for mapped, _ in paths),
                              context=tuple(mapped for mapped, _ in context), progress=None, verbose=False,
                              warn_unused_suppressions=False)
        report = check(run_options, policy_set)
        spellings = [*paths, *context]
        from policylint.runner import fingerprint_anchor

        work_anchor = options.anchor or fingerprint_anchor(options)
        return base, {rehome(finding, str(folder), base.root, spellings, run_options.anchor, work_anchor).fingerprint
                      for finding in report.active}


def mark_base_matches(findings: Sequence[Finding], fingerprints: set[str], base: Base) -> Sequence[Finding]:
    """Findings already present, unsuppressed, at the merge-base become baseline matches: kept
    (JSON, SARIF), never failing. Unlike a `--baseline` file this covers parse errors too: a file
    that did not parse at the merge-base either is not the change's doing (the base branch's own
    run still fails on it), while a file the change breaks is a new parse error."""
    from policylint.core.findings import Suppression
    from policylint.core.findingstore import FindingStore

    justification = f"present at the merge-base {base.commit[:12]} of {base.ref}"

    def marked(finding: Finding) -> Finding:
        if finding.suppression is None and finding.fingerprint in fingerprints:
            return replace(finding, suppression=Suppression("baseline", justification))
        return finding

    if isinstance(findings, FindingStore):  # a large run stays on disk
        return findings.mapped(marked)
    return [marked(finding) for finding in findings]
