"""GitLab CI: `.gitlab-ci.yml`, `*.gitlab-ci.yml` and the local files they include.

A pipeline is one root file plus the files its `include:` entries name with `local:` (or a bare
path), read from the same repository (the nearest folder above the root holding `.git`, else the
root's own folder) and loaded with their positions. Each file becomes its own document, so a
finding lands in the file that holds the key; they share one `Pipeline`, which `gitlab_pipeline`
turns into the configuration GitLab would build (included files merged first, `extends:`,
`!reference`, `default:`). Remote, project, template and component includes are recorded, never
fetched. A local include that cannot be found is a notice, not a failure: GitLab itself rejects
that pipeline, and jobs that extend its templates are then not judged on what they lack. A local
include that leads outside the repository (`..`, or a symlink out) is refused and never read; the
`include` target reports it (`gitlab-include-outside-repository`).

`!reference [job, key]` tags are kept as the plain list they are written as; the loader records
where they are (`GitlabDocument.references`), found from the tag's text. Lines of multi-line
script entries get synthetic positions `(*pointer, LINE_STEP, j)` so findings land on their line.

Examples and tests load files that are not on disk: `VIRTUAL_FILES` (a context variable) maps
paths to texts, and includes are then read from it only.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from policylint.core.documents import Document, LoadResult, ParseFailure, Skipped
from policylint.core.records import record
from policylint.core.yamlnodes import Pointer, Position, YamlError, parse_yaml_stream

FILE_KIND = "gitlab-ci"
#: Synthetic pointer step: `(*scalar, LINE_STEP, j)` is where line j of a multi-line value starts.
LINE_STEP = "\n"
#: GitLab's own limit on the files one pipeline may include.
MAX_INCLUDES = 150
#: Top-level keys that are not jobs.
GLOBAL_KEYS = frozenset(
    {"default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script",
     "after_script", "types", "spec"}
)
#: Paths -> texts that includes are read from instead of the disk (policy examples, tests).
VIRTUAL_FILES: ContextVar[Mapping[str, str] | None] = ContextVar("gitlab_virtual_files", default=None)

_REFERENCE_TAG = re.compile(r"!reference\b")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_SCRIPT_KEYS = ("script", "before_script", "after_script")


@dataclass(eq=False)
class IncludeEntry:
    """One `include:` entry as written: where, what kind, and its fields."""

    document: GitlabDocument
    pointer: Pointer
    kind: str  # local | remote | project | template | component | unknown
    value: Any

    @property
    def data(self) -> dict[str, Any]:
        """The entry as a mapping (a bare string becomes `{local: ...}` or `{remote: ...}`)."""
        if isinstance(self.value, Mapping):
            return dict(self.value)
        return {self.kind: self.value}


@dataclass(eq=False)
class Pipeline:
    """A root file and the local files it includes, in GitLab's merge order (root last)."""

    root: GitlabDocument
    repo_root: str
    files: list[GitlabDocument] = field(default_factory=list)
    includes: list[IncludeEntry] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    #: Local includes that lead outside the repository (by `..`, or through a symlink): refused, never read.
    outside: list[IncludeEntry] = field(default_factory=list)
    #: Set by the pipeline model on first use (policylint.kinds.gitlab_ci.pipeline.model).
    model: Any = None

    @property
    def included_paths(self) -> set[str]:
        """Paths of the included files (not the root)."""
        return {doc.path for doc in self.files if doc is not self.root}

    @property
    def unfetched(self) -> list[IncludeEntry]:
        """Include entries that are not local files (never fetched)."""
        return [entry for entry in self.includes if entry.kind != "local"]


@record(slots=True, eq=False)
class GitlabDocument(Document):
    """A GitLab CI document: `role` is `pipeline` (a root), `include` or `header` (a `spec:` header)."""

    role: str = "pipeline"
    pipeline: Pipeline | None = None
    #: Pointers of nodes written as `!reference [...]`.
    references: frozenset[Pointer] = frozenset()
    #: Set when another document of the run already judges this file (see `covered_documents`).
    covered: bool = False


def load(path: str, text: str) -> LoadResult:
    """The root file and its local includes, each as documents sharing one Pipeline."""
    result = LoadResult()
    root_docs = _parse_file(path, text, "pipeline", result)
    config = _config_document(root_docs)
    if config is None:
        return result
    repo_root = _repository_root(path)
    pipeline = Pipeline(root=config, repo_root=repo_root)
    for doc in root_docs:
        doc.pipeline = pipeline
    seen = {_normal(path)}
    ordered: list[GitlabDocument] = []
    _expand(config, pipeline, ordered, seen, result, depth=0)
    ordered.append(config)
    pipeline.files = ordered
    return result


def _parse_file(path: str, text: str, role: str, result: LoadResult) -> list[GitlabDocument]:
    docs: list[GitlabDocument] = []
    references = _reference_positions(text)
    lines = text.split("\n")
    items = list(parse_yaml_stream(text))
    for index, item in enumerate(items):
        if isinstance(item, YamlError):
            result.failures.append(ParseFailure(path, FILE_KIND, item.line, item.column, item.reason))
            continue
        if item.data is None:
            continue
        if not isinstance(item.data, Mapping):
            reason = f"a GitLab CI file must be a mapping, found {type(item.data).__name__}"
            result.failures.append(ParseFailure(path, FILE_KIND, item.start_line, 1, reason))
            continue
        doc = GitlabDocument.from_yaml(path, FILE_KIND, index, item)
        is_header = set(item.data) == {"spec"} and index < len(items) - 1
        doc.role = "header" if is_header else role
        doc.references = frozenset(_reference_pointers(doc, references))
        _index_script_lines(doc, lines)
        docs.append(doc)
        result.documents.append(doc)
    return docs


def _config_document(docs: list[GitlabDocument]) -> GitlabDocument | None:
    configs = [doc for doc in docs if doc.role != "header"]
    return configs[-1] if configs else None


def include_entries(doc: Document) -> Iterator[tuple[Pointer, str, Any]]:
    """(pointer, kind, value) of each `include:` entry of a document, as written."""
    data = doc.data if isinstance(doc.data, Mapping) else {}
    include = data.get("include")
    if include is None:
        return
    entries = list(enumerate(include)) if isinstance(include, list) else [(None, include)]
    for index, entry in entries:
        pointer: Pointer = ("include",) if index is None else ("include", index)
        yield pointer, include_kind(entry), entry


def include_kind(entry: Any) -> str:
    """`local`, `remote`, `project`, `template`, `component`, or `unknown`."""
    if isinstance(entry, str):
        return "remote" if _URL.match(entry.strip()) else "local"
    if isinstance(entry, Mapping):
        for kind in ("local", "remote", "project", "template", "component"):
            if kind in entry:
                return kind
    return "unknown"


def _expand(
    doc: GitlabDocument, pipeline: Pipeline, ordered: list[GitlabDocument], seen: set[str], result: LoadResult,
    depth: int,
) -> None:
    """Load the local includes of `doc` (depth first), appending each file after its own includes."""
    for pointer, kind, value in include_entries(doc):
        entry = IncludeEntry(doc, pointer, kind, value)
        pipeline.includes.append(entry)
        if kind != "local":
            continue
        target = value.get("local") if isinstance(value, Mapping) else value
        if not isinstance(target, str) or not target.strip():
            continue
        where = f"{doc.path}:{doc.position(pointer)[0].line}"
        if "$" in target:
            result.skipped.append(Skipped(doc.path, f"local include {target!r} ({where}) uses a variable: not read"))
            continue
        if _escapes(pipeline.repo_root, target.strip()):
            pipeline.outside.append(entry)
            continue
        found = _find_local(pipeline.repo_root, target.strip())
        refused = [path for path in found if _refused(pipeline.repo_root, path)]
        if refused:
            pipeline.outside.append(entry)
            found = [path for path in found if path not in refused]
            if not found:
                continue
        if not found:
            pipeline.missing.append(target)
            result.skipped.append(Skipped(doc.path, f"local include {target!r} ({where}) not found: not checked"))
            continue
        for include_path in found:
            key = _normal(include_path)
            if key in seen or len(seen) > MAX_INCLUDES or depth > 100:
                continue
            seen.add(key)
            text = _read(include_path, result)
            if text is None:
                continue
            result.sources[include_path] = text
            docs = _parse_file(include_path, text, "include", result)
            for included in docs:
                included.pipeline = pipeline
            config = _config_document(docs)
            if config is None:
                continue
            _expand(config, pipeline, ordered, seen, result, depth + 1)
            ordered.append(config)


def _normal(path: str) -> str:
    return posixpath.normpath(path.replace("\\", "/"))


def _repository_root(path: str) -> str:
    """The folder local includes are relative to, in the same form as `path` (display form).

    A file named `.gitlab-ci.yml` is at its repository's root (GitLab's default CI path); another
    `*.gitlab-ci.yml` belongs to the nearest folder above it holding `.git` or `.gitlab-ci.yml`.
    """
    if VIRTUAL_FILES.get() is not None or path.startswith("<"):
        return ""
    start = Path(os.path.abspath(path)).parent
    if PurePosixPath(path.replace("\\", "/")).name.lower() in (".gitlab-ci.yml", ".gitlab-ci.yaml"):
        return _display(start)
    for folder in (start, *start.parents):
        if (folder / ".git").exists() or (folder / ".gitlab-ci.yml").is_file():
            return _display(folder)
    return _display(start)


def _display(path: Path) -> str:
    relative = os.path.relpath(path)
    return (str(path) if relative.startswith("..") else relative).replace(os.sep, "/")


def _join(root: str, relative: str) -> str:
    joined = posixpath.normpath(posixpath.join(root, relative.lstrip("/"))) if root else posixpath.normpath(
        relative.lstrip("/"))
    return joined


def _escapes(root: str, target: str) -> bool:
    """True when a local include's path, read as GitLab does (relative to the repository root, a
    leading `/` included), climbs out of the repository with `..` (its wildcards never undo that)."""
    literal = target.split("*", 1)[0]
    joined = _join(root, literal) if literal else (root or ".")
    relative = posixpath.relpath(joined, root or ".")
    return relative == ".." or relative.startswith("../")


def _refused(root: str, path: str) -> bool:
    """True when a found include file resolves (through a symlink) outside the repository, or
    outside the run's boundary, or is not a regular file: it is then never read."""
    if VIRTUAL_FILES.get() is not None:
        return False
    from policylint.core.boundary import Boundary, refusal

    return not Boundary([root or "."]).admits(path) or refusal(path) is not None


def _find_local(root: str, target: str) -> list[str]:
    """The files a `local:` include names (wildcards `*` and `**` as GitLab reads them), sorted."""
    virtual = VIRTUAL_FILES.get()
    pattern = _join(root, target)
    if "*" not in target:
        if virtual is not None:
            return [pattern] if pattern in {_normal(key) for key in virtual} else []
        return [pattern] if Path(pattern).is_file() else []
    if virtual is not None:
        return sorted(_normal(key) for key in virtual if _glob_match(_normal(key), pattern))
    base = Path(root or ".")
    relative = re.sub(r"\*\*(?=[^/])", "**/*", target.lstrip("/"))  # `configs/**.yml`: any depth
    return sorted(_display(found) if not root else _join(root, str(found.relative_to(base)).replace(os.sep, "/"))
                  for found in base.glob(relative) if found.is_file())[:MAX_INCLUDES]


def _glob_match(path: str, pattern: str) -> bool:
    """`*` stays within one folder, `**` crosses folders (GitLab's `local:` wildcards)."""
    regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
    return re.fullmatch(regex, path) is not None


def _read(path: str, result: LoadResult) -> str | None:
    virtual = VIRTUAL_FILES.get()
    if virtual is not None:
        for key, text in virtual.items():
            if _normal(key) == path:
                return text
        return None
    from policylint.core.loading import MAX_FILE_BYTES, decode

    try:
        file = Path(path)
        if file.stat().st_size > MAX_FILE_BYTES:
            result.failures.append(ParseFailure(path, FILE_KIND, 1, 1, "file too large"))
            return None
        raw = file.read_bytes()
    except OSError as exc:
        result.failures.append(ParseFailure(path, FILE_KIND, 1, 1, f"cannot read file: {exc.strerror or exc}"))
        return None
    decoded = decode(path, FILE_KIND, raw)
    if isinstance(decoded, ParseFailure):
        result.failures.append(decoded)
        return None
    return decoded


def _reference_positions(text: str) -> list[tuple[int, int]]:
    """1-based (line, column) of each `!reference` tag in the text.

    The YAML scanner tells a tag from the same word in a comment or a string; text it cannot scan
    (that document is a parse-error anyway) falls back to a plain search.
    """
    if "!reference" not in text:
        return []
    import yaml

    try:
        from yaml import CSafeLoader as Loader
    except ImportError:  # pragma: no cover
        from yaml import SafeLoader as Loader  # type: ignore[assignment]
    try:
        return [
            (token.start_mark.line + 1, token.start_mark.column + 1)
            for token in yaml.scan(text, Loader=Loader)
            if isinstance(token, yaml.TagToken) and token.value == ("!", "reference")
        ]
    except yaml.YAMLError:
        pass
    found = []
    line_starts = [0]
    line_starts.extend(match.end() for match in re.finditer("\n", text))
    from bisect import bisect_right

    for match in _REFERENCE_TAG.finditer(text):
        line = bisect_right(line_starts, match.start())
        found.append((line, match.start() - line_starts[line - 1] + 1))
    return found


def _reference_pointers(doc: Document, tags: list[tuple[int, int]]) -> Iterator[Pointer]:
    """The pointer of the node each tag applies to: a list of strings starting after the tag."""
    if not tags:
        return
    candidates: list[tuple[Position, Pointer]] = []
    for pointer, value in _walk_lists(doc.data, ()):
        first = doc.positions.get((*pointer, 0))
        if first is not None and all(isinstance(item, str) for item in value):
            candidates.append((first, pointer))
    candidates.sort(key=lambda item: (item[0].line, item[0].column))
    for line, column in tags:
        for position, pointer in candidates:
            if (position.line, position.column) > (line, column):
                if position.line - line <= 2:
                    yield pointer
                break


def _walk_lists(node: Any, pointer: Pointer) -> Iterator[tuple[Pointer, list[Any]]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _walk_lists(value, (*pointer, key))
    elif isinstance(node, list):
        if node:
            yield pointer, node
        for index, value in enumerate(node):
            yield from _walk_lists(value, (*pointer, index))


def script_items(node: Any, pointer: Pointer) -> Iterator[tuple[Pointer, str]]:
    """(pointer, text) of every string of a script value (nested lists included)."""
    if isinstance(node, str):
        yield pointer, node
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from script_items(item, (*pointer, index))


def script_places(doc: Document) -> Iterator[tuple[str, str, Pointer, Any]]:
    """(owner, key, pointer, value) of every script-like value written in a document.

    Owners are job names, `default`, or `(global)` for the deprecated top-level keys.
    """
    data = doc.data if isinstance(doc.data, Mapping) else {}
    for key in ("before_script", "after_script"):
        if key in data:
            yield "(global)", key, (key,), data[key]
    default = data.get("default")
    if isinstance(default, Mapping):
        for key in ("before_script", "after_script"):
            if key in default:
                yield "default", key, ("default", key), default[key]
    for name, job in iter_job_definitions(doc):
        for key in _SCRIPT_KEYS:
            if key in job:
                yield name, key, (name, key), job[key]


def iter_job_definitions(doc: Document) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(name, mapping) of each job written in a document, hidden (`.name`) ones included."""
    data = doc.data if isinstance(doc.data, Mapping) else {}
    for name, value in data.items():
        if name in GLOBAL_KEYS or not isinstance(value, Mapping):
            continue
        yield str(name), value


def _index_script_lines(doc: Document, lines: list[str]) -> None:
    """Positions of each line of multi-line script strings, found in the source text."""
    for _, _, pointer, value in script_places(doc):
        for item_pointer, text in script_items(value, pointer):
            if "\n" not in text.strip():
                continue
            start = doc.positions.get(item_pointer)
            block = doc.value_positions.get(item_pointer)
            if start is None:
                continue
            cursor = (block[0].line if block else start.line) - 1
            for number, line in enumerate(text.split("\n")):
                probe = line.strip()[:40]
                if not probe:
                    continue
                limit = min(len(lines), cursor + 50)
                for at in range(cursor, limit):
                    column = lines[at].find(probe)
                    if column >= 0:
                        doc.positions[(*item_pointer, LINE_STEP, number)] = Position(at + 1, column + 1)
                        cursor = at + 1
                        break


def settle(documents: list[Document]) -> list[Document]:
    """The documents of a run with each GitLab file judged once, as part of the pipeline including it.

    A root (`*.gitlab-ci.yml`) that another pipeline of the run includes is dropped with its own
    includes: that pipeline judges it, with the templates it really extends. A file several
    pipelines include is judged in the first of them (by path); the others still merge it.
    """
    pipelines: dict[int, Pipeline] = {}
    for doc in documents:
        if isinstance(doc, GitlabDocument) and doc.pipeline is not None:
            pipelines.setdefault(id(doc.pipeline), doc.pipeline)
    if not pipelines:
        return documents
    # Only a copy that is in the set counts (with --context, the changed files' own copies replace
    # the context's, and a pipeline of the context is not itself reported).
    present = {(id(doc.pipeline), doc.path) for doc in documents if isinstance(doc, GitlabDocument)}
    included_by: dict[str, list[Pipeline]] = {}
    for key, pipeline in pipelines.items():
        for path in pipeline.included_paths:
            if (key, path) in present:
                included_by.setdefault(path, []).append(pipeline)
    dropped = {
        key
        for key, pipeline in pipelines.items()
        if any(
            other is not pipeline and other.root.path != pipeline.root.path
            and other.root.path not in pipeline.included_paths
            for other in included_by.get(pipeline.root.path, ())
        )
    }
    claimed: set[tuple[str, int]] = set()
    kept: list[Document] = []
    for doc in documents:
        if isinstance(doc, GitlabDocument):
            if doc.pipeline is not None and id(doc.pipeline) in dropped:
                doc.covered = True
                continue
            if (doc.path, doc.index) in claimed:
                doc.covered = True
                continue
            claimed.add((doc.path, doc.index))
        kept.append(doc)
    return kept
