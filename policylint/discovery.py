"""Turn command-line paths into the sorted list of files to check, with their kind."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import policylint.kinds  # noqa: F401  (registers every file kind: a file's name tells its kind)
from policylint.core import boundary as reading
from policylint.core.documents import Skipped
from policylint.core.files import STDIN, STDIN_NAME, Candidate, DiscoveryError, display_path
from policylint.core.kinds import detect_by_name
from policylint.kinds.kubernetes.renderplan import is_chart_helper

#: Folders never walked: version-control data, dependencies and tool caches (the list ruff and
#: ripgrep users expect). Every other folder is walked, hidden or not (.github, .devcontainer, .k8s),
#: unless a .gitignore says otherwise. A path named on the command line is always checked.
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", "_darcs", ".jj", ".sl",
    "node_modules", "bower_components", "vendor", ".venv", "venv", ".tox", ".nox", ".direnv",
    ".terraform", ".terragrunt-cache", ".serverless", ".pulumi",
    "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", ".cache",
    ".idea", ".vscode", ".eggs", ".gradle", ".m2", ".npm", ".yarn", ".pnpm-store", ".next", ".nuxt",
})
class Excludes:
    """`--exclude` and `exclude:` patterns with gitignore's meaning (pathspec's GitIgnoreSpec):
    `testdata` matches at any depth, `/build` only at the base, `legacy/*.yaml` below the base, `!x`
    re-includes. Each group of patterns is relative to its base folder: the command line's to the
    repository root, the configuration's to the configuration file's folder.
    """

    def __init__(self, groups: Iterable[tuple[str, Iterable[str]]] = ()) -> None:
        self.groups: list[tuple[str, Any]] = []
        for base, patterns in groups:
            lines = [pattern.strip() for pattern in patterns if pattern.strip()]
            if lines:
                import pathspec  # only when there are patterns: plain runs never pay for it

                self.groups.append((os.path.abspath(base), pathspec.GitIgnoreSpec.from_lines(lines)))

    def __bool__(self) -> bool:
        return bool(self.groups)

    def match(self, path: str | Path) -> bool:
        """True when a file (as shown, or on disk) is excluded by some group."""
        if not self.groups:
            return False
        absolute = os.path.abspath(path)
        for base, spec in self.groups:
            relative = os.path.relpath(absolute, base).replace(os.sep, "/")
            if not relative.startswith("../") and relative != ".." and spec.match_file(relative):
                return True
        return False


def _excluded(display: str, excludes: Excludes | Iterable[str]) -> bool:
    if isinstance(excludes, Excludes):
        return excludes.match(display)
    return any(  # plain globs relative to the working folder (callers that build no Excludes)
        fnmatchcase(display, pattern) or fnmatchcase(display, pattern.rstrip("/") + "/*")
        or (pattern.endswith("/**") and display.startswith(pattern[:-3] + "/"))
        for pattern in excludes
    )


def _walk(root: Path, seen: set[tuple[int, int]], ignores: GitIgnores | None, limits: reading.Boundary,
          refused: list[Skipped]) -> Iterator[Path]:
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
    rules = ignores.enter(root, entries) if ignores is not None else None
    for entry in entries:
        try:
            is_dir = entry.is_dir()
            is_link = entry.is_symlink()
        except OSError:
            continue
        if is_dir:
            if entry.name in SKIPPED_DIRS or (rules is not None and rules.ignored(entry.path, True)):
                continue
            if is_link and not limits.admits(entry.path):
                refused.append(Skipped(display_path(Path(entry.path)), reading.OUTSIDE))
                continue
            yield from _walk(Path(entry.path), seen, ignores, limits, refused)
            continue
        if rules is not None and rules.ignored(entry.path, False):
            continue
        if is_link:
            if not os.path.exists(entry.path):
                continue  # a dangling link found while walking is not the user's request
            if detect_by_name(entry.path) is None:
                continue  # a link of no known kind is never looked at, wherever it leads
            if not limits.admits(entry.path):
                refused.append(Skipped(display_path(Path(entry.path)), reading.OUTSIDE))
                continue
        try:
            regular = entry.is_file()  # follows a link; False for a FIFO, socket or device
        except OSError:
            continue
        if regular:
            yield Path(entry.path)
        elif is_link and detect_by_name(entry.path) is not None:
            refused.append(Skipped(display_path(Path(entry.path)), reading.NOT_REGULAR))


def _named_refusal(path: Path) -> str | None:
    """Why a path named on the command line is not read: a link out of its repository, or (inside
    a repository) not a regular file. Outside a repository the user's own path is trusted as it is
    (`policylint check <(kustomize build)` reads a pipe)."""
    repository = reading.repository_root(path)
    if repository is None:
        return None
    if not reading.Boundary([str(repository)]).admits(path):
        return reading.OUTSIDE
    if path.exists() and not path.is_dir() and not reading.is_regular_file(path):
        return reading.NOT_REGULAR
    return None


#: The notice for a file named on the command line that is of no kind policylint reads.
UNKNOWN_KIND_NOTICE = "not a file kind policylint checks (by its name): skipped"


def discover(paths: Iterable[str], excludes: Excludes | Iterable[str] = (), respect_gitignore: bool = True,
             refused: list[Skipped] | None = None, test_data: list[str] | None = None) -> list[Candidate]:
    """Expand directories, keep files of a known kind, and sort by path for deterministic runs.

    Files named on the command line are checked when their name marks a known kind; any other
    (README.md, a script) is skipped with a notice in `refused`, so `git diff --name-only | xargs
    policylint check` works (a pipe is still read as YAML). Files found under a directory are
    checked only when their name marks a known kind and no .gitignore (with `respect_gitignore`)
    ignores them. Nothing is read whose real path lies outside the run's boundary
    (`policylint.core.boundary`): such links, and links to FIFOs or devices, are left out and
    appended to `refused` as notices naming the link. Given a `test_data` list, files that are test
    data below a walked folder (policylint.testdata) are left out and their paths added to it.
    """
    paths = list(paths)
    if not isinstance(excludes, Excludes):
        excludes = tuple(excludes)
    refused = refused if refused is not None else []
    limits = reading.current() or reading.boundary_for(path for path in paths if path != STDIN)
    found: dict[str, Candidate] = {}
    seen: set[tuple[int, int]] = set()
    for raw in paths:
        if raw == STDIN:
            found[STDIN_NAME] = Candidate(STDIN_NAME, None, "yaml")
            continue
        path = Path(raw)
        if not (path.exists() or path.is_symlink()):
            raise DiscoveryError(f"{raw}: no such file or directory")
        why = _named_refusal(path)
        if why is not None:
            refused.append(Skipped(display_path(path), why))
            continue
        if path.is_dir():
            ignores = GitIgnores.for_root(path) if respect_gitignore else None
            for file in _walk(path, seen, ignores, limits, refused):
                kind = detect_by_name(str(file))
                display = display_path(file)
                if kind is None or _excluded(display, excludes):
                    continue
                if test_data is not None and _is_test_data_below(path, file):
                    test_data.append(display)
                    continue
                found[display] = Candidate(display, file, kind)
        else:
            display = display_path(path)
            kind = detect_by_name(str(path)) or ("yaml" if is_chart_helper(display) else None)
            if kind is None and not path.is_file():
                kind = "yaml"  # a pipe (`policylint check <(kustomize build)`): its name says nothing, its content decides
            if _excluded(display, excludes):
                continue
            if kind is None:
                refused.append(Skipped(display, UNKNOWN_KIND_NOTICE))
                continue
            found[display] = Candidate(display, path, kind)
    _add_dependabot_files(found, excludes, limits)
    return [found[key] for key in sorted(found)]


def _is_test_data_below(root: Path, file: Path) -> bool:
    """Whether `file`, found walking `root`, is test data by the path parts below `root`."""
    from policylint.testdata import is_test_data

    return is_test_data(file.relative_to(root).parts)


class _Rules:
    """The ignore files in force inside one folder: (folder, spec) pairs, outermost first."""

    def __init__(self, specs: tuple[tuple[str, Any], ...]) -> None:
        self.specs = specs

    def ignored(self, path: str, is_dir: bool) -> bool:
        """Git's answer: the last matching pattern of the deepest file that has one decides."""
        verdict = False
        for folder, spec in self.specs:
            relative = os.path.relpath(path, folder).replace(os.sep, "/")
            if relative.startswith(".."):
                continue
            result = spec.check_file(relative + "/" if is_dir else relative)
            if result.include is not None:
                verdict = result.include
        return verdict


class GitIgnores:
    """`.gitignore` files (every folder's, and the repository's `.git/info/exclude`), read as walked.

    pathspec's GitIgnoreSpec implements git's own matching (negation, anchoring, `**`, folder-only
    patterns), so no globbing is written here; it is imported only when an ignore file exists.
    """

    def __init__(self, base: tuple[tuple[str, Any], ...]) -> None:
        self.by_folder: dict[str, _Rules] = {}
        self.base = base

    @classmethod
    def for_root(cls, root: Path) -> GitIgnores:
        """Rules for a walk starting at `root`: the repository's exclude file and the ignore files above `root`."""
        absolute = Path(os.path.abspath(root))
        chain = [absolute, *absolute.parents]
        repository = reading.repository_root(absolute)
        specs: list[tuple[str, Any]] = []
        if repository is not None:
            exclude = _spec(repository / ".git" / "info" / "exclude")
            if exclude is not None:
                specs.append((str(repository), exclude))
            for folder in reversed(chain[1 : chain.index(repository) + 1]):
                spec = _spec(folder / ".gitignore")
                if spec is not None:
                    specs.append((str(folder), spec))
        return cls(tuple(specs))

    def enter(self, folder: Path, entries: list[os.DirEntry[str]]) -> _Rules:
        """The rules in force inside `folder` (its own .gitignore added to its parent's)."""
        key = os.path.abspath(folder)
        parent = self.by_folder.get(os.path.dirname(key))
        inherited = parent.specs if parent is not None else self.base
        own = _spec(Path(key) / ".gitignore") if any(entry.name == ".gitignore" for entry in entries) else None
        rules = _Rules((*inherited, (key, own)) if own is not None else inherited)
        self.by_folder[key] = rules
        return rules


def _spec(file: Path) -> Any:
    """The GitIgnoreSpec of one ignore file, or None when it is absent, unreadable or empty."""
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    lines = text.splitlines()
    if not any(line.strip() and not line.lstrip().startswith("#") for line in lines):
        return None
    import pathspec  # only when an ignore file exists: plain runs never pay for it

    return pathspec.GitIgnoreSpec.from_lines(lines)


DEPENDABOT_NAMES = ("dependabot.yml", "dependabot.yaml")
RENOVATE_NAMES = ("renovate.json", "renovate.json5", ".renovaterc", ".renovaterc.json", ".renovaterc.json5")
#: Package manifests at the repository root (policylint.kinds.github_actions.loader.LANGUAGE_MANIFESTS).
MANIFEST_NAMES = ("go.mod", "Cargo.toml", "package.json", "pyproject.toml", "requirements.txt", "Pipfile",
                  "Gemfile", "pom.xml", "build.gradle", "build.gradle.kts", "composer.json", "mix.exs")


def _add_dependabot_files(found: dict[str, Candidate], excludes: Excludes | tuple[str, ...],
                          limits: reading.Boundary) -> None:
    """Add `.github/dependabot.y*ml`, Renovate's configuration and the root's package manifests next
    to each workflow found: repository facts (gha-dependency-audit-missing: is there an update bot,
    which languages) that must be seen even when only a workflow was named (pre-commit passes just
    the changed files). They yield no findings of their own and are never parsed."""
    for candidate in list(found.values()):
        disk = candidate.disk
        if disk is None or candidate.file_kind != "github-actions" or disk.parent.name != "workflows":
            continue
        github = disk.parent.parent
        if github.name != ".github":
            continue
        root = github.parent
        facts = [github / name for name in (*DEPENDABOT_NAMES, *RENOVATE_NAMES)]
        facts += [root / name for name in RENOVATE_NAMES] + [root / ".gitlab" / name for name in RENOVATE_NAMES]
        facts += [root / name for name in MANIFEST_NAMES]  # the languages, for the scanner it suggests
        for file in facts:
            display = display_path(file)
            known = found.get(display)
            if known is not None and known.file_kind != "yaml":
                continue  # already a fact (or a file of another kind)
            if file.is_file() and limits.admits(file) and not _excluded(display, excludes):
                found[display] = Candidate(display, file, "github-actions")  # a package.json: a fact, not YAML to read
