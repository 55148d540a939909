"""The configuration GitLab builds from a pipeline's files, with where each setting comes from.

GitLab merges a pipeline in this order (lib/gitlab/ci/config.rb): included files first, in order,
each after its own includes, then the including file, hashes merged deeply and arrays or scalars
replaced; then `extends:` (a reverse deep merge over the listed templates, up to 11 levels); then
`!reference [name, key, ...]` tags, replaced by the referenced part of that (extended) entry, up to
10 levels; a job also inherits the `default:` keywords (and the deprecated global ones) it does not
set, unless `inherit: default:` says otherwise.

Every value keeps its origin: a `Located` is the merged data plus a map from paths inside it to
the document node that wrote them (only where the origin changes; deeper paths extend their
prefix's pointer), so a finding on an inherited setting points at the line that sets it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from policylint.core.views import Anchor
from policylint.core.yamlnodes import Pointer
from policylint.kinds.gitlab_ci.loader import GLOBAL_KEYS, GitlabDocument, Pipeline

#: Keywords a job inherits from `default:` (https://docs.gitlab.com/ci/yaml/#default).
DEFAULT_KEYS = (
    "after_script", "artifacts", "before_script", "cache", "hooks", "id_tokens", "image", "interruptible",
    "retry", "services", "tags", "timeout",
)
#: Deprecated top-level keywords that still act as defaults.
GLOBAL_DEFAULT_KEYS = ("image", "services", "cache", "before_script", "after_script")
SCRIPT_KEYS = ("before_script", "script", "after_script")
MAX_EXTENDS_DEPTH = 11
MAX_REFERENCE_DEPTH = 10


#: Nodes one job may copy while resolving `!reference` tags (a hostile file cannot make it explode).
MAX_RESOLVED_NODES = 20_000


@dataclass(slots=True)
class Located:
    """A value and the origins of its parts: path inside the value -> the node that wrote it."""

    value: Any
    origins: dict[Pointer, Anchor]
    _children: dict[Any, dict[Pointer, Anchor]] | None = field(default=None, repr=False)

    def origin(self, path: Pointer) -> Anchor:
        """The document node a path inside the value comes from."""
        for size in range(len(path), -1, -1):
            anchor = self.origins.get(path[:size])
            if anchor is not None:
                return Anchor(anchor.document, (*anchor.pointer, *path[size:]))
        raise LookupError("a Located value always has a root origin")  # pragma: no cover

    def child(self, key: str | int) -> Located:
        """The part under one key or index, with its origins (indexed once: merges stay linear)."""
        if self._children is None:
            index: dict[Any, dict[Pointer, Anchor]] = {}
            for path, anchor in self.origins.items():
                if path:
                    index.setdefault(path[0], {})[path[1:]] = anchor
            self._children = index
        origins = dict(self._children.get(key, ()))
        origins.setdefault((), self.origin((key,)))
        return Located(self.value[key], origins)


def located(document: GitlabDocument, pointer: Pointer, value: Any) -> Located:
    """A value written at one place."""
    return Located(value, {(): Anchor(document, pointer)})


def _mount(origins: dict[Pointer, Anchor], key: str | int, child: Located) -> None:
    for path, anchor in child.origins.items():
        origins[(key, *path)] = anchor


def merge(base: Located, over: Located) -> Located:
    """GitLab's deep merge: mappings merge key by key, `over` wins; anything else is replaced."""
    if not (isinstance(base.value, Mapping) and isinstance(over.value, Mapping)):
        return over
    result: dict[str, Any] = {}
    origins: dict[Pointer, Anchor] = {(): over.origins[()]}
    for key in base.value:
        if key not in over.value:
            child = base.child(key)
            result[key] = child.value
            _mount(origins, key, child)
    for key, value in over.value.items():
        if value is None and key in base.value:
            result.pop(key, None)  # `key: null` removes what the base set (GitLab's way to unset)
            continue
        mine = over.child(key)
        if key in base.value and isinstance(base.value[key], Mapping) and isinstance(value, Mapping):
            mine = merge(base.child(key), mine)
        result[key] = mine.value
        _mount(origins, key, mine)
    return Located(result, origins)


def is_reference(loc: Located, path: Pointer = ()) -> bool:
    """True when the node at `path` was written as `!reference [...]`."""
    anchor = loc.origin(path)
    document = anchor.document
    return isinstance(document, GitlabDocument) and anchor.pointer in document.references


@dataclass(eq=False)
class Job:
    """One job (or hidden template) as GitLab would run it."""

    name: str
    hidden: bool
    config: Located
    #: The document whose definition of the job comes last in merge order (the job's own key).
    defined_in: GitlabDocument
    #: False when a template, reference or an unfetched include may supply settings we cannot see.
    complete: bool
    templates: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> Anchor:
        """The job's key in the file that defines it last."""
        return Anchor(self.defined_in, (self.name,))


class PipelineModel:
    """The merged configuration of one pipeline, computed once (see the module docstring)."""

    def __init__(self, pipeline: Pipeline) -> None:
        """Merge the pipeline's files in GitLab's order."""
        self.pipeline = pipeline
        top = located(pipeline.root, (), {})
        self.defined_in: dict[str, GitlabDocument] = {}
        for document in pipeline.files:
            data = document.data if isinstance(document.data, Mapping) else {}
            top = merge(top, located(document, (), {key: value for key, value in data.items() if key != "include"}))
            for key in data:
                self.defined_in[str(key)] = document
        self.top = top
        self._extended: dict[str, tuple[Located | None, bool, list[str]]] = {}
        self._jobs: dict[str, Job] = {}
        self._in_progress: set[str] = set()
        self._default: Located | None = None
        self._used_origins: set[tuple[int, Pointer]] | None = None
        self._budget = MAX_RESOLVED_NODES
        #: Names some visible job extends or references (directly or through others).
        self.used_templates: set[str] = set()

    @property
    def job_names(self) -> list[str]:
        """Every top-level key that is a job or a hidden template, in merge order."""
        value = self.top.value
        return [str(name) for name, job in value.items() if name not in GLOBAL_KEYS and isinstance(job, Mapping)]

    def extended(self, name: str, depth: int = 0, stack: tuple[str, ...] = ()) -> tuple[Located | None, bool, list[str]]:
        """A top-level entry with its `extends:` applied: (config, all templates found, template names)."""
        memo = self._extended.get(name)
        if memo is not None:
            return memo
        if name not in self.top.value or name in self._in_progress:
            return None, False, []
        own = self.top.child(name)
        if not isinstance(own.value, Mapping):
            return own, True, []
        parents = own.value.get("extends")
        names = [parents] if isinstance(parents, str) else [p for p in parents if isinstance(p, str)] if isinstance(
            parents, list) else []
        base: Located | None = None
        complete = True
        templates: list[str] = []
        self._in_progress.add(name)
        try:
            for parent in names:
                if parent in stack or parent == name or depth >= MAX_EXTENDS_DEPTH:
                    complete = False
                    continue
                found, found_complete, found_templates = self.extended(parent, depth + 1, (*stack, name))
                if found is None or not isinstance(found.value, Mapping):
                    complete = False
                    continue
                templates.extend(item for item in [parent, *found_templates] if item not in templates)
                base = found if base is None else merge(base, found)
                complete = complete and found_complete
        finally:
            self._in_progress.discard(name)
        result = merge(base, own) if base is not None else own
        self._extended[name] = (result, complete, templates)
        return result, complete, templates

    def lookup(self, reference: list[Any]) -> Located | None:
        """The node a `!reference [name, key, ...]` names, after `extends:`; None when absent."""
        if not reference or not all(isinstance(step, str) for step in reference):
            return None
        found, _, _ = self.extended(reference[0])
        for step in reference[1:]:
            if found is None or not isinstance(found.value, Mapping) or step not in found.value:
                return None
            found = found.child(step)
        return found

    def resolve(self, loc: Located, used: set[str], depth: int = 0) -> tuple[Located, bool]:
        """`loc` with every `!reference` replaced by what it names: (result, all found)."""
        self._budget -= 1
        if self._budget < 0:
            return loc, False
        value = loc.value
        if isinstance(value, list) and is_reference(loc):
            target = self.lookup(value) if depth < MAX_REFERENCE_DEPTH else None
            if target is None:
                return loc, False
            used.add(str(value[0]))
            resolved, complete = self.resolve(target, used, depth + 1)
            return resolved, complete
        if isinstance(value, Mapping):
            result: dict[str, Any] = {}
            origins: dict[Pointer, Anchor] = {(): loc.origins[()]}
            complete = True
            for key in value:
                child, ok = self.resolve(loc.child(key), used, depth)
                complete = complete and ok
                result[key] = child.value
                _mount(origins, key, child)
            return Located(result, origins), complete
        if isinstance(value, list):
            items: list[Any] = []
            origins = {(): loc.origins[()]}
            complete = True
            for index in range(len(value)):
                child, ok = self.resolve(loc.child(index), used, depth)
                complete = complete and ok
                items.append(child.value)
                _mount(origins, index, child)
            return Located(items, origins), complete
        return loc, True

    def default(self) -> Located:
        """`default:` with the deprecated global keywords it does not set, references resolved."""
        if self._default is not None:
            return self._default
        top = self.top
        base: dict[str, Any] = {}
        origins: dict[Pointer, Anchor] = {(): top.origins[()]}
        for key in GLOBAL_DEFAULT_KEYS:
            if key in top.value:
                child = top.child(key)
                base[key] = child.value
                _mount(origins, key, child)
        merged = Located(base, origins)
        if isinstance(top.value.get("default"), Mapping):
            merged = merge(merged, top.child("default"))
        self._budget = MAX_RESOLVED_NODES
        resolved, _ = self.resolve(merged, set())
        self._default = resolved
        return resolved

    def job(self, name: str) -> Job | None:
        """The effective job (or hidden template) of a name."""
        cached = self._jobs.get(name)
        if cached is not None:
            return cached
        extended, complete, templates = self.extended(name)
        if extended is None or not isinstance(extended.value, Mapping):
            return None
        used: set[str] = set()
        self._budget = MAX_RESOLVED_NODES
        config, references_found = self.resolve(extended, used)
        hidden = name.startswith(".")
        if not hidden:
            config = self._with_defaults(config)
            self.used_templates.update(templates)
            self.used_templates.update(used)
        config = _flatten_scripts(config)
        value = config.value
        runnable = any(key in value for key in ("script", "trigger", "run"))
        job = Job(
            name=name,
            hidden=hidden,
            config=config,
            defined_in=self.defined_in.get(name, self.pipeline.root),
            complete=complete and references_found and (runnable or hidden),
            templates=templates,
        )
        self._jobs[name] = job
        return job

    def _with_defaults(self, config: Located) -> Located:
        inherit = config.value.get("inherit")
        allowed: Any = True
        if isinstance(inherit, Mapping) and "default" in inherit:
            allowed = inherit["default"]
        if allowed is False:
            return config
        default = self.default()
        value = dict(config.value)
        origins = dict(config.origins)
        for key in DEFAULT_KEYS:
            if key in value or key not in default.value:
                continue
            if isinstance(allowed, list) and key not in allowed:
                continue
            child = default.child(key)
            value[key] = child.value
            _mount(origins, key, child)
        return Located(value, origins)

    def jobs(self) -> list[Job]:
        """Every visible job, then every hidden template, in merge order."""
        found = [self.job(name) for name in self.job_names if not name.startswith(".")]
        found += [self.job(name) for name in self.job_names if name.startswith(".")]
        return [job for job in found if job is not None]

    def used_origins(self) -> set[tuple[int, Pointer]]:
        """(document id, pointer) of each image and service entry some visible job runs with."""
        if self._used_origins is not None:
            return self._used_origins
        used: set[tuple[int, Pointer]] = set()
        for job in self.jobs():
            if job.hidden:
                continue
            value = job.config.value
            for key in ("image", "services"):
                if key not in value:
                    continue
                anchor = job.config.origin((key,))
                used.add((id(anchor.document), anchor.pointer))
                if isinstance(value[key], list):
                    for index in range(len(value[key])):
                        item = job.config.origin((key, index))
                        used.add((id(item.document), item.pointer))
        self._used_origins = used
        return used


def _flatten_scripts(config: Located) -> Located:
    """Script lists as GitLab runs them: nested lists (from `!reference`) flattened in place."""
    value = config.value
    if not any(isinstance(value.get(key), list) for key in SCRIPT_KEYS):
        return config
    result = dict(value)
    origins = dict(config.origins)
    for key in SCRIPT_KEYS:
        items = value.get(key)
        if not isinstance(items, list):
            continue
        flat: list[tuple[Any, Anchor]] = []
        _flatten(config.child(key), flat, 0)
        result[key] = [item for item, _ in flat]
        for path in [path for path in origins if path[:1] == (key,) and len(path) > 1]:
            del origins[path]
        origins[(key,)] = config.origin((key,))
        for index, (_, anchor) in enumerate(flat):
            origins[(key, index)] = anchor
    return Located(result, origins)


def _flatten(loc: Located, into: list[tuple[Any, Anchor]], depth: int) -> None:
    if isinstance(loc.value, list) and depth <= MAX_REFERENCE_DEPTH:
        for index in range(len(loc.value)):
            _flatten(loc.child(index), into, depth + 1)
    else:
        into.append((loc.value, loc.origin(())))


def model(pipeline: Pipeline) -> PipelineModel:
    """The pipeline's model, built on first use and kept on the pipeline."""
    if pipeline.model is None:
        pipeline.model = PipelineModel(pipeline)
    built: PipelineModel = pipeline.model
    return built
