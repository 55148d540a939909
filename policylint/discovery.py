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
from policylint.core.kinds import NAME_PARTS, detect_by_name, kind_by_parts
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

                self.groups.append((os.path.abspath(base), _IgnoreFile(pathspec.GitIgnoreSpec.from_lines(lines))))
        #: (working folder, each group's base relative to it as a prefix, or None when it is not above it)
        self._prefixes: tuple[str, list[str | None]] | None = None

    def __bool__(self) -> bool:
        return bool(self.groups)

    def match(self, path: str | Path) -> bool:
        """True when a file (as shown, or on disk) is excluded by some group."""
        if not self.groups:
            return False
        prefixes = self._relative_prefixes(path)
        absolute: str | None = None
        for index, (base, spec) in enumerate(self.groups):
            prefix = prefixes[index] if prefixes is not None else None
            if prefix is not None:  # the path as its base sees it: the working folder's, and the path
                relative = prefix + str(path)
            else:
                absolute = absolute or os.path.abspath(path)
                relative = os.path.relpath(absolute, base).replace(os.sep, "/")
            if not relative.startswith("../") and relative != ".." and spec.include(relative):
                return True
        return False

    def _relative_prefixes(self, path: str | Path) -> list[str | None] | None:
        """For a plain relative path below the working folder (a display: no "", "." or ".." part,
        "/" between parts), what each group's base puts before it (os.path.relpath of the working
        folder, a prefix); None for any other path (then it is worked out as it is given)."""
        if not isinstance(path, str) or os.sep != "/" or not path or path.startswith("/"):
            return None
        if any(part in ("", ".", "..") for part in path.split("/")):
            return None
        cwd = os.getcwd()
        if self._prefixes is None or self._prefixes[0] != cwd:
            prefixes: list[str | None] = []
            for base, _ in self.groups:
                relative = os.path.relpath(cwd, base).replace(os.sep, "/")
                prefixes.append(None if relative.startswith("..") else "" if relative == "." else relative + "/")
            self._prefixes = (cwd, prefixes)
        return self._prefixes[1]


def _excluded(display: str, excludes: Excludes | Iterable[str]) -> bool:
    if isinstance(excludes, Excludes):
        return excludes.match(display)
    return any(  # plain globs relative to the working folder (callers that build no Excludes)
        fnmatchcase(display, pattern) or fnmatchcase(display, pattern.rstrip("/") + "/*")
        or (pattern.endswith("/**") and display.startswith(pattern[:-3] + "/"))
        for pattern in excludes
    )


class _Folder:
    """A folder being walked, with what its entries share: their display prefix, whether they are
    test data, and the folder's last parts (what `detect_by_name` reads of a path).

    Worked out once per folder, from its parent's, so a file costs string joins, not an
    `os.path.relpath` and a `Path`.
    """

    __slots__ = ("display", "name", "path", "tail", "test_data")

    def __init__(self, path: str, name: str, tail: tuple[str, ...] | None, display: str | None = None,
                 test_data: bool | None = None) -> None:
        self.path = path
        #: Its name; "" for the walked root (policylint.testdata reads parts below the root only).
        self.name = name
        #: Whether a folder on the way from the walked root is test data (policylint.testdata.is_test_data:
        #: its folders' test, made once per folder); None until asked.
        self.test_data = test_data
        #: The folder's last NAME_PARTS - 1 parts (pathlib's); None when its path holds a "\\"
        #: (detect_by_name reads it as a separator): then detect_by_name is asked itself.
        self.tail = tail
        if display is None:
            relative = os.path.relpath(path).replace(os.sep, "/")
            display = "" if relative == "." else relative + "/"
        #: What display_path gives its entries starts with this ("" for the working folder), and
        #: the entry's name follows; None when the folder is not below the working folder.
        self.display = None if display.startswith("..") else display

    def _shown(self, name: str) -> str | None:
        """display_path of the entry `name`, when the folder's display and the name make it: an
        entry below the working folder (not a "..x" in it, which display_path spells as given)."""
        if self.display is None or (not self.display and name.startswith("..")):
            return None
        return self.display + name

    def display_of(self, name: str) -> str:
        """display_path of the entry `name`."""
        shown = self._shown(name)
        return shown if shown is not None else display_path(Path(os.path.join(self.path, name)))

    def kind_of(self, name: str) -> str | None:
        """detect_by_name of the entry `name`."""
        if self.tail is None or "\\" in name:
            return detect_by_name(os.path.join(self.path, name))
        return kind_by_parts((*self.tail, name))

    def child(self, path: str, name: str) -> _Folder:
        """The folder `name` in this one (at `path`)."""
        tail = None if self.tail is None or "\\" in name else _tail((*self.tail, name))
        shown = self._shown(name)
        test_data = None
        if self.test_data is not None:
            from policylint.testdata import is_test_data_dir

            test_data = self.test_data or is_test_data_dir(name, self.name)
        return _Folder(path, name, tail, shown + "/" if shown is not None else None, test_data)

    def holds_test_data(self, name: str) -> bool:
        """policylint.testdata.is_test_data of the file `name` here: a folder on the way, or its name."""
        from policylint.testdata import is_test_data_file

        return bool(self.test_data) or is_test_data_file(name)


def _tail(parts: tuple[str, ...]) -> tuple[str, ...]:
    """A folder's last parts: with a file's name, what detect_by_name reads (NAME_PARTS parts)."""
    return parts[max(0, len(parts) - (NAME_PARTS - 1)):]


def _walk(folder: _Folder, seen: set[tuple[int, int]], ignores: GitIgnores | None, limits: reading.Boundary,
          refused: list[Skipped]) -> Iterator[tuple[str, str, str, _Folder]]:
    """(path, kind by name, display, folder) of each file of a known kind found."""
    root = folder.path
    try:
        stat = os.stat(root)
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
        name = entry.name
        try:
            is_dir = entry.is_dir()
            is_link = entry.is_symlink()
        except OSError:
            continue
        if is_dir:
            if name in SKIPPED_DIRS or (rules is not None and rules.ignored(name, True)):
                continue
            if is_link and not limits.admits(entry.path):
                refused.append(Skipped(folder.display_of(name), reading.OUTSIDE))
                continue
            yield from _walk(folder.child(entry.path, name), seen, ignores, limits, refused)
            continue
        kind = folder.kind_of(name)
        if kind is None:
            continue  # no file policylint reads, whatever it is, ignored or not: nothing to tell
        if rules is not None and rules.ignored(name, False):
            continue
        if is_link:
            if not os.path.exists(entry.path):
                continue  # a dangling link found while walking is not the user's request
            if not limits.admits(entry.path):
                refused.append(Skipped(folder.display_of(name), reading.OUTSIDE))
                continue
        try:
            regular = entry.is_file()  # follows a link; False for a FIFO, socket or device
        except OSError:
            continue
        if regular:
            yield entry.path, kind, folder.display_of(name), folder
        elif is_link:
            refused.append(Skipped(folder.display_of(name), reading.NOT_REGULAR))


def _root_folder(path: Path, test_data: bool) -> _Folder:
    """The walk's first folder: a path named on the command line (as pathlib spells it); with
    `test_data`, its folders tell whether they are test data."""
    spelled = str(path)
    return _Folder(spelled, "", None if "\\" in spelled else _tail(path.parts), test_data=False if test_data else None)


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
            walk = _walk(_root_folder(path, test_data is not None), seen, ignores, limits, refused)
            for file, kind, display, folder in walk:
                if _excluded(display, excludes):
                    continue
                if test_data is not None and folder.holds_test_data(os.path.basename(file)):
                    test_data.append(display)
                    continue
                found[display] = Candidate(display, Path(file), kind)
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


class _Rules:
    """The ignore files in force inside one folder: (folder, spec) pairs, outermost first."""

    def __init__(self, specs: tuple[tuple[str, Any], ...], folder: str, parent: _Rules | None = None) -> None:
        self.specs = specs
        self.folder = folder
        #: Each spec with this folder's path relative to the spec's folder ("" when the same, else
        #: ending in "/"): an entry's path relative to it is that and the entry's name. Worked out
        #: from the parent folder's when there is one (its specs come first, in its order).
        self.prefixes: list[tuple[str, str, Any]] = []
        name = os.path.basename(folder)
        for index, (base, spec) in enumerate(specs):
            if parent is not None and index < len(parent.prefixes) and not parent.prefixes[index][0].startswith(".."):
                relative = parent.prefixes[index][0] + name
            else:
                relative = os.path.relpath(folder, base).replace(os.sep, "/")
            self.prefixes.append(("" if relative == "." else relative + "/", base, spec))

    def ignored(self, name: str, is_dir: bool) -> bool:
        """Git's answer for the entry `name` of this folder: the last matching pattern of the
        deepest file that has one decides."""
        verdict = False
        for prefix, base, spec in self.prefixes:
            if prefix.startswith(".."):  # not below the spec's folder (or a folder named "..x"): asked as it always was
                relative = os.path.relpath(os.path.join(self.folder, name), base).replace(os.sep, "/")
            else:
                relative = prefix + name
            if relative.startswith(".."):
                continue
            include = spec.include(relative + "/" if is_dir else relative)
            if include is not None:
                verdict = include
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

    def enter(self, folder: str, entries: list[os.DirEntry[str]]) -> _Rules:
        """The rules in force inside `folder` (its own .gitignore added to its parent's)."""
        key = os.path.abspath(folder)
        parent = self.by_folder.get(os.path.dirname(key))
        inherited = parent.specs if parent is not None else self.base
        own = _spec(Path(key) / ".gitignore") if any(entry.name == ".gitignore" for entry in entries) else None
        rules = _Rules((*inherited, (key, own)) if own is not None else inherited, key, parent)
        self.by_folder[key] = rules
        return rules


class _IgnoreFile:
    """One ignore file: pathspec's GitIgnoreSpec decides, and one regular expression made of all its
    patterns' tells first, in one search, that none of them matches (most paths, most folders)."""

    def __init__(self, spec: Any) -> None:
        from pathspec.util import normalize_file  # the path as check_file reads it

        self.spec = spec
        self.any = _any_pattern(spec)
        self.normalize = normalize_file

    def include(self, relative: str) -> bool | None:
        """The spec's answer for a path relative to the file's folder: None when no pattern matches."""
        if self.any is not None and self.any.search(self.normalize(relative)) is None:
            return None
        return self.spec.check_file(relative).include  # type: ignore[no-any-return]


def _any_pattern(spec: Any) -> Any:
    """A regular expression that matches a path exactly when one of the spec's patterns does, or
    None when it cannot be made. GitIgnoreSpec gives a path no answer (include None) unless the
    regular expression of a pattern that includes or excludes finds it (`regex.search`); the
    alternatives of one expression find what any of them finds. The folder mark group each
    pattern names is left unnamed: a name may not repeat, and only matching matters here."""
    import re

    expressions: list[str] = []
    flags: set[int] = set()
    for pattern in spec.patterns:
        if getattr(pattern, "include", None) is None:
            continue  # a comment or blank line: never decides
        regex = getattr(pattern, "regex", None)
        if not isinstance(regex, re.Pattern) or not isinstance(regex.pattern, str):
            return None
        expressions.append("(?:" + regex.pattern.replace("(?P<ps_d>", "(?:") + ")")
        flags.add(regex.flags)
    if len(flags) > 1:
        return None
    try:
        return re.compile("|".join(expressions) or "(?!)", flags.pop() if flags else 0)
    except (re.error, RecursionError, OverflowError):
        return None


def _spec(file: Path) -> _IgnoreFile | None:
    """One ignore file's patterns, or None when it is absent, unreadable or empty."""
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    lines = text.splitlines()
    if not any(line.strip() and not line.lstrip().startswith("#") for line in lines):
        return None
    import pathspec  # only when an ignore file exists: plain runs never pay for it

    return _IgnoreFile(pathspec.GitIgnoreSpec.from_lines(lines))


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
    folders: set[Path] = set()
    for candidate in list(found.values()):
        disk = candidate.disk
        if disk is None or candidate.file_kind != "github-actions" or disk.parent.name != "workflows":
            continue
        github = disk.parent.parent
        if github.name != ".github" or github in folders:
            continue  # not a workflow, or one of a folder whose facts are looked up already
        folders.add(github)
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
