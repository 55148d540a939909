"""The file kinds, as the core sees them: one `Kind` record each, registered in one place.

Each kind lives in its own package (`policylint/kinds/<kind>/`: loader, targets, relations and
helpers) and describes itself with a `Kind`. `policylint.kinds` registers them all, with the order in
which they claim a file; from then on the core asks this registry for a file kind's loader, targets,
relations, condition vocabulary and object model, and never names a kind itself.

Modules are named as strings and imported the first time a run needs them, so start-up pays only
for what it reads. Targets and relations register themselves with the `target` and `relation`
decorators when their module is imported.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any

#: Names of YAML and JSON files: a kind that claims none of them by name is chosen by their content.
YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)
#: What `detect_by_name` returns for YAML or JSON that no kind claims by name: the content decides.
BY_CONTENT = "yaml"

#: target(document, match) -> views; relation(view, document set, params) -> views.
TargetFunction = Callable[[Any, Mapping[str, Any]], Iterator[Any]]
RelationFunction = Callable[[Any, Any, Mapping[str, Any]], Iterable[Any]]


class Kind:
    """What the core needs to know of one file kind; module names are relative to `package`.

    A plain class with its `__init__` written out: the record is built at every start-up, and a
    compiled `__init__` (dataclasses, policylint.core.records) costs more than the rest of this module.
    """

    __slots__ = (
        "claims_content", "claims_name", "cluster_scoped", "confirms", "domains", "file_kinds", "fixes", "kind_aliases",
        "loader", "name", "name_folders", "objects", "package", "relations", "settle", "targets", "vocabulary",
    )

    def __init__(
        self,
        *,
        name: str,
        package: str,
        domains: Mapping[str, str],
        file_kinds: tuple[str, ...] = (),
        loader: str | None = "loader",
        targets: str | tuple[str, ...] | None = "targets",
        relations: str | tuple[str, ...] | None = None,
        vocabulary: str | None = None,
        claims_name: Callable[[tuple[str, ...]], bool] | None = None,
        name_folders: Iterable[str] = (),
        claims_content: Callable[[str], bool] | None = None,
        confirms: Callable[[str, str], bool] | None = None,
        objects: bool = False,
        cluster_scoped: frozenset[str] = frozenset(),
        kind_aliases: Mapping[str, tuple[str, ...]] | None = None,
        settle: str | None = None,
        fixes: str | None = "fixes",
    ) -> None:
        #: The file kind of its documents (`match.file`, `file_kind` in every report).
        self.name = name
        self.package = package
        #: Policy id prefixes and the file kind each selects (`k8s-` → kubernetes, `helm-` → helm).
        self.domains = dict(domains)
        #: Every file kind this package's targets and relations serve: its own, and documents it makes
        #: itself (Kubernetes makes `helm` documents, one per chart rendering).
        self.file_kinds = file_kinds or (name,)
        self.loader = loader
        #: The module (or modules) registering targets and relations, imported on first use.
        self.targets = targets
        self.relations = relations
        #: A module with `FORMATS` and `KEYWORDS` that conditions may use (`k8s-quantity`, ...).
        self.vocabulary = vocabulary
        #: Given a path's last NAME_PARTS parts (pathlib's, the name last; all when it has fewer):
        #: True when a file so named is of this kind, whatever it holds. It reads the name, how many
        #: parts there are, and of the folders only whether each is named one of `name_folders`
        #: (`.github`, `workflows`): detect_by_name caches its answers by these.
        self.claims_name = claims_name
        self.name_folders = frozenset(name_folders)
        #: True when YAML of no telling name is of this kind by its content (None: always, the fallback).
        self.claims_content = claims_content
        #: For a name this kind claims loosely: False when the content says otherwise (then it decides).
        self.confirms = confirms
        #: Its documents are API objects named by `kind`, namespace and name (relations index them so).
        self.objects = objects
        #: Object kinds that take no namespace.
        self.cluster_scoped = cluster_scoped
        #: Aliases usable in `match.kinds` (`workload`: every kind that runs pods).
        self.kind_aliases = dict(kind_aliases or {})
        #: "module:function" given every document of a set: returns those the set should judge (a
        #: pipeline's included files are judged once, inside the pipeline that includes them).
        self.settle = settle
        #: The module whose code fixes (`fix: {code: name}` in a policy) register with `fixer`.
        self.fixes = fixes

    def __repr__(self) -> str:
        return f"Kind(name={self.name!r}, package={self.package!r})"


#: Policy id prefixes and the file kind each selects (`k8s` → kubernetes), from every kind.
DOMAINS: dict[str, str] = {}
#: The aliases usable in `match.kinds` (`workload`), from every kind.
KIND_ALIASES: dict[str, tuple[str, ...]] = {}
#: File kinds whose documents are API objects, each with its object kinds that take no namespace
#: (filled in place by `register`, so a module may hold it from import time).
OBJECT_KINDS: dict[str, frozenset[str]] = {}


class _Registry:
    """The registered kinds, and the functions their modules register on import."""

    def __init__(self) -> None:
        self.kinds: dict[str, Kind] = {}
        #: File kind -> the kind whose package serves it.
        self.serving: dict[str, Kind] = {}
        self.by_name: tuple[Kind, ...] = ()
        self.by_content: tuple[Kind, ...] = ()
        #: Every kind's `name_folders`.
        self.name_folders: frozenset[str] = frozenset()
        self.functions: dict[tuple[str, str, str], Callable[..., Any]] = {}
        self.imported: set[tuple[str, str]] = set()
        #: The kinds' condition formats and keywords, merged on first use.
        self.vocabulary: tuple[dict[str, Any], dict[str, Any]] | None = None

    def module(self, part: str, file_kind: str) -> None:
        """Import the module of `part` ("targets", "relations") for a file kind, once."""
        if (part, file_kind) in self.imported:
            return
        self.imported.add((part, file_kind))
        kind = self.serving.get(file_kind)
        name = getattr(kind, part) if kind is not None else None
        if name is None:
            return
        for module in (name,) if isinstance(name, str) else name:
            importlib.import_module(f"{kind.package}.{module}")  # type: ignore[union-attr]


_REGISTRY = _Registry()


def register(kinds: Iterable[Kind], by_name: Iterable[str], by_content: Iterable[str]) -> None:
    """Register every kind, with the order in which they claim a file by name and by content.

    The last kind of `by_content` is the one YAML falls back to when no other claims it.
    """
    for kind in kinds:
        _REGISTRY.kinds[kind.name] = kind
        for file_kind in kind.file_kinds:
            _REGISTRY.serving[file_kind] = kind
        if kind.objects:
            OBJECT_KINDS[kind.name] = kind.cluster_scoped
        DOMAINS.update(kind.domains)
        KIND_ALIASES.update(kind.kind_aliases)
    _REGISTRY.by_name = tuple(_REGISTRY.kinds[name] for name in by_name)
    _REGISTRY.by_content = tuple(_REGISTRY.kinds[name] for name in by_content)
    _REGISTRY.name_folders = frozenset().union(*(kind.name_folders for kind in _REGISTRY.kinds.values()))
    _BY_NAME.clear()
    _REGISTRY.vocabulary = None


def registered() -> list[Kind]:
    """Every registered kind, in registration order."""
    return list(_REGISTRY.kinds.values())


def vocabulary() -> tuple[dict[str, Any], dict[str, Any]]:
    """The condition formats and keywords every kind's `vocabulary` module adds, merged once."""
    if _REGISTRY.vocabulary is None:
        formats: dict[str, Any] = {}
        keywords: dict[str, Any] = {}
        for kind in _REGISTRY.kinds.values():
            if kind.vocabulary is not None:
                module = importlib.import_module(f"{kind.package}.{kind.vocabulary}")
                formats.update(module.FORMATS)
                keywords.update(module.KEYWORDS)
        _REGISTRY.vocabulary = formats, keywords
    return _REGISTRY.vocabulary


def settle(documents: list[Any]) -> list[Any]:
    """The documents a set should judge: each kind with a `settle` hook decides for its own
    (a pipeline's included files are judged once, inside the pipeline that includes them)."""
    for kind in _REGISTRY.kinds.values():
        if kind.settle is not None and any(doc.file_kind == kind.name for doc in documents):
            module, function = kind.settle.split(":")
            documents = getattr(importlib.import_module(f"{kind.package}.{module}"), function)(documents)
    return documents


# -- telling a file's kind ---------------------------------------------------------------------


#: How many of a path's last parts a kind's `claims_name` may read (a workflow is `.github/workflows/<name>`).
NAME_PARTS = 3
#: detect_by_name's answers, by the name and the folder parts that can change them (`Kind.name_folders`).
_BY_NAME: dict[tuple[str | None, ...], str | None] = {}


def detect_by_name(path: str) -> str | None:
    """The file kind implied by a path alone, or None when it is no file policylint reads.

    Returns "yaml" for YAML/JSON files whose kind the content decides.
    """
    return kind_by_parts(PurePosixPath(path.replace("\\", "/")).parts[-NAME_PARTS:])


def kind_by_parts(parts: tuple[str, ...]) -> str | None:
    """`detect_by_name` of a path given as its last NAME_PARTS parts (all of them when it has fewer;
    pathlib's parts, a root "/" included). A walk asks it of every file: the answer is cached by
    the name and, of the folders, only the names some kind's claim looks for."""
    if not parts:
        return None
    folders = _REGISTRY.name_folders
    key = (parts[-1], *(part if part in folders else None for part in parts[:-1]))
    kind = _BY_NAME.get(key, "")
    if kind == "":
        kind = _BY_NAME[key] = _kind_by_name(parts)
    return kind


def _kind_by_name(parts: tuple[str, ...]) -> str | None:
    if parts[-1] in ("/", "//"):  # the root alone: no name
        return None
    for kind in _REGISTRY.by_name:
        if kind.claims_name is not None and kind.claims_name(parts):
            return kind.name
    if not parts[-1].lower().endswith(YAML_SUFFIXES + JSON_SUFFIXES):
        return None
    return BY_CONTENT


def detect_by_content(text: str) -> str:
    """The kind of YAML of unknown name, by the first kind whose content test holds."""
    for kind in _REGISTRY.by_content:
        if kind.claims_content is None or kind.claims_content(text):
            return kind.name
    return fallback_kind()


def fallback_kind() -> str:
    """The kind YAML falls back to when no other kind claims it."""
    return _REGISTRY.by_content[-1].name if _REGISTRY.by_content else BY_CONTENT


def settled_kind(path: str, text: str, file_kind: str) -> str:
    """The kind to load a file as: its kind by name, unless that name needs the content to agree."""
    if file_kind == BY_CONTENT:
        return detect_by_content(text)
    kind = _REGISTRY.kinds.get(file_kind)
    if kind is not None and kind.confirms is not None and not kind.confirms(path, text):
        return detect_by_content(text)
    return file_kind


def loader_for(file_kind: str) -> Callable[[str, str], Any] | None:
    """The `load(path, text)` function of a file kind, or None when that kind has no loader."""
    kind = _REGISTRY.kinds.get(file_kind)
    if kind is None or kind.loader is None:
        return None
    load: Callable[[str, str], Any] = importlib.import_module(f"{kind.package}.{kind.loader}").load
    return load


# -- targets and relations ---------------------------------------------------------------------


def _register(part: str, file_kind: str, name: str) -> Callable[[Any], Any]:
    def decorate(function: Any) -> Any:
        _REGISTRY.functions[(part, file_kind, name)] = function
        return function

    return decorate


def _get(part: str, file_kind: str, name: str) -> Any:
    _REGISTRY.module(part, file_kind)
    return _REGISTRY.functions.get((part, file_kind, name))


def _names(part: str, file_kind: str) -> list[str]:
    _REGISTRY.module(part, file_kind)
    return sorted(name for kind_part, kind, name in _REGISTRY.functions if kind_part == part and kind == file_kind)


def target(file_kind: str, name: str) -> Callable[[TargetFunction], TargetFunction]:
    """Register a target function for `match.target: name` on files of `file_kind`."""
    return _register("targets", file_kind, name)


def get_target(file_kind: str, name: str) -> TargetFunction | None:
    """The target function for a file kind and target name, or None when it does not exist."""
    return _get("targets", file_kind, name)  # type: ignore[no-any-return]


def target_names(file_kind: str) -> list[str]:
    """Every target name known for a file kind (for policy validation messages)."""
    return _names("targets", file_kind)


def relation(file_kind: str, name: str) -> Callable[[RelationFunction], RelationFunction]:
    """Register a relation under a name, for policies on files of `file_kind`."""
    return _register("relations", file_kind, name)


def get_relation(file_kind: str, name: str) -> RelationFunction | None:
    """The relation registered under `name` for a file kind, or None."""
    return _get("relations", file_kind, name)  # type: ignore[no-any-return]


def relation_names(file_kind: str) -> list[str]:
    """Every relation name known for a file kind."""
    return _names("relations", file_kind)


def fixer(file_kind: str, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a code fix (`fix: {code: name}`) for policies on files of `file_kind`
    (a function of a `policylint.core.fixes.FixContext` returning its edits)."""
    return _register("fixes", file_kind, name)


def get_fixer(file_kind: str, name: str) -> Callable[..., Any] | None:
    """The code fix registered under `name` for a file kind, or None."""
    return _get("fixes", file_kind, name)  # type: ignore[no-any-return]


def params_key(params: Mapping[str, Any]) -> str:
    """A policy's params as a memo key (`DocumentSet.memo`): the same params, the same shared join."""
    import json

    return json.dumps(params, sort_keys=True, default=str)
