"""GitLab CI relations: what a policy needs beyond the one entry it judges.

- `tainted-commands`: which commands of a script entry pass a user-controllable predefined
  variable to something the shell runs as code (`eval`, `sh -c`, `source <(...)`, the command
  word itself, a pipe into a shell).
- `dependency-scanning`: whether the repository's pipelines scan dependencies (a Dependency
  Scanning template or component, or a scanner run by a script); one view per repository, on its
  first pipeline.
- `external-schema`: one view per error of a file against GitLab's CI schema, as vendored by
  check-jsonschema, with `!reference` nodes left out (GitLab replaces them before it validates).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from typing import Any

from policylint.core.documents import DocumentSet
from policylint.core.kinds import params_key, relation
from policylint.core.views import Anchor, View
from policylint.core.yamlnodes import Pointer
from policylint.kinds.gitlab_ci.loader import GitlabDocument

FILE_KIND = "gitlab-ci"
SCHEMA = "gitlab-ci"
#: The file a project's own pipeline starts from (other roots are child pipelines or templates).
MAIN_PIPELINE_FILES = (".gitlab-ci.yml", ".gitlab-ci.yaml")


def mentions(word: str, variables: list[str]) -> list[str]:
    """The variables of the list a shell word expands (`$X`, `${X}`, `${X:-y}`, `$env:X`, `%X%`)."""
    found = []
    for name in variables:
        if re.search(rf"\$\{{?{re.escape(name)}\b|\$env:{re.escape(name)}\b|%{re.escape(name)}%", word):
            found.append(name)
    return found


def _code_words(command: Mapping[str, Any], params: Mapping[str, Any]) -> list[str]:
    """The words of a command that the shell (or the program) runs as code."""
    words = [str(word) for word in command.get("words") or ()]
    program = str(command.get("program") or "")
    if not words:
        return []
    code = [program] if program else []
    evaluators = set(params.get("evaluators") or ())
    shells = set(params.get("shells") or ())
    position = words.index(program) if program in words else 0
    arguments = words[position + 1 :]
    if program in evaluators:
        code.extend(arguments)
    elif program in shells:
        for index, word in enumerate(arguments):
            if re.fullmatch(r"-[a-zA-Z]*c[a-zA-Z]*", word) and index + 1 < len(arguments):
                code.append(arguments[index + 1])
                break
    return code


@relation(FILE_KIND, "tainted-commands")
def tainted_commands(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """Adds `tainted` to each command: the user-controllable variables it runs as code."""
    variables = [str(name) for name in params.get("variables") or ()]
    shells = set(params.get("shells") or ())
    commands = view.instance.get("commands") or []
    names: list[str] = []
    for index, command in enumerate(commands):
        tainted: list[str] = []
        for word in _code_words(command, params):
            tainted.extend(mentions(word, variables))
        piped = command.get("pipedFrom") or []
        if command.get("program") in shells and piped and not any(
            re.fullmatch(r"-[a-zA-Z]*c[a-zA-Z]*", str(word)) for word in command.get("words") or ()
        ):
            for earlier in commands[max(0, index - len(piped)) : index]:
                for word in earlier.get("words") or ():
                    tainted.extend(mentions(str(word), variables))
        command["tainted"] = sorted(set(tainted))
        names.extend(command["tainted"])
    view.fields["variables"] = ", ".join(sorted(set(names)))
    yield view


def _scanning_facts(documents: DocumentSet, params: Mapping[str, Any]) -> dict[str, Any]:
    return documents.memo(("gitlab-dependency-scanning", params_key(params)), lambda: _gather_scanning_facts(documents, params))


def _gather_scanning_facts(documents: DocumentSet, params: Mapping[str, Any]) -> dict[str, Any]:
    commands = re.compile(str(params.get("scanner_commands") or r"(?!)"))
    includes = re.compile(str(params.get("scanner_includes") or r"(?!)"), re.IGNORECASE)
    first: dict[str, GitlabDocument] = {}
    scanners: dict[str, list[str]] = {}
    for doc in documents.of_file_kind(FILE_KIND):
        if not isinstance(doc, GitlabDocument) or doc.pipeline is None or doc.pipeline.root is not doc:
            continue
        repository = doc.pipeline.repo_root
        if repository not in first or doc.path < first[repository].path:
            first[repository] = doc
        found = scanners.setdefault(repository, [])
        for entry in doc.pipeline.includes:
            data = entry.data
            names = [data.get(entry.kind), data.get("file")]
            texts = [item for name in names for item in (name if isinstance(name, list) else [name]) if isinstance(item, str)]
            found.extend(f"include {text}" for text in texts if includes.search(text))
        for file in doc.pipeline.files:
            from policylint.kinds.gitlab_ci.loader import script_items, script_places

            for _, _, pointer, value in script_places(file):
                for _, text in script_items(value, pointer):
                    match = commands.search(text)
                    if match:
                        found.append(f"{file.path}: {match.group(0)}")
    return {"first": {id(doc) for doc in first.values()}, "scanners": scanners}


@relation(FILE_KIND, "dependency-scanning")
def dependency_scanning(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """One view per repository, on its first pipeline: `scanners` found in any of its pipelines."""
    doc = view.subject
    if not isinstance(doc, GitlabDocument) or doc.pipeline is None:
        return
    facts = _scanning_facts(documents, params)
    if id(doc) not in facts["first"]:
        return
    view.instance["scanners"] = list(facts["scanners"].get(doc.pipeline.repo_root, ()))
    yield view


def _without_references(node: Any, pointer: Pointer, references: frozenset[Pointer],
                        index_maps: dict[Pointer, list[int]]) -> Any:
    """A copy of the data without `!reference` nodes; `index_maps` keeps where list items were."""
    if isinstance(node, Mapping):  # `key: null` unsets an inherited key: GitLab accepts it
        return {key: _without_references(value, (*pointer, key), references, index_maps)
                for key, value in node.items() if (*pointer, key) not in references and value is not None}
    if isinstance(node, list):
        kept = [index for index in range(len(node)) if (*pointer, index) not in references]
        if len(kept) != len(node):
            index_maps[pointer] = kept
        return [_without_references(node[index], (*pointer, index), references, index_maps) for index in kept]
    return node


def _original(pointer: Pointer, index_maps: dict[Pointer, list[int]]) -> Pointer:
    result: list[str | int] = []
    for step in pointer:
        kept = index_maps.get(tuple(result))
        if kept is not None and isinstance(step, int) and step < len(kept):
            step = kept[step]
        result.append(step)
    return tuple(result)


def _completed_elsewhere(doc: Any) -> set[Any]:
    """Jobs of this file whose missing keys GitLab may fill: they extend a template, or another
    file of the pipeline defines the same job (the definitions are merged)."""
    data = doc.data if isinstance(doc.data, Mapping) else {}
    names = {name for name, job in data.items() if isinstance(job, Mapping) and "extends" in job}
    pipeline = doc.pipeline if isinstance(doc, GitlabDocument) else None
    if pipeline is not None:
        for other in pipeline.files:
            if other is not doc and isinstance(other.data, Mapping):
                names.update(name for name in other.data if name in data)
    return names


@relation(FILE_KIND, "external-schema")
def external_schema(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """One view per schema error, anchored at the offending key (or the object missing a key)."""
    from policylint.core.external_schemas import validate

    doc = view.subject
    references = doc.references if isinstance(doc, GitlabDocument) else frozenset()
    index_maps: dict[Pointer, list[int]] = {}
    data = _without_references(doc.data, (), references, index_maps)
    completed = _completed_elsewhere(doc)
    for error in validate(SCHEMA, data):
        pointer = _original(error.pointer, index_maps)
        if pointer and pointer[0] in completed and "is a required property" in error.message:
            continue  # the template it extends, or another file's definition of the job, may set it
        fields = {**view.fields, "schema": SCHEMA, "error": error.message}
        yield View({"valid": False, "error": error.message}, {(): Anchor(doc, pointer)}, doc,
                   label=f"{view.label}#{'/'.join(map(str, pointer))}", fields=fields)


@relation(FILE_KIND, "exfiltration")
def exfiltration(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """Adds `sends` to each command of a script entry: the CI credentials or environment it sends
    to a network peer (policylint.kinds.gitlab_ci.exfiltration), or an empty string."""
    from policylint.kinds.gitlab_ci.exfiltration import exfiltration as sends

    commands = view.instance.get("commands") or []
    for index, command in enumerate(commands):
        piped = command.get("pipedFrom") or []
        earlier = commands[max(0, index - len(piped)) : index] if piped else []
        command["sends"] = sends(command, earlier)
    yield view


@relation(FILE_KIND, "duplicate-pipelines")
def duplicate_pipelines(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """A job with `duplicatesPipelines`: its rules run it in both branch and merge request pipelines
    while no `workflow: rules:` of its pipeline decides between them (anchored at the rule that
    adds the second kind). Judged only in a project's main pipeline (`.gitlab-ci.yml`), and not
    when an include the run does not fetch may set workflow rules.
    """
    from policylint.kinds.gitlab_ci.duplicates import duplicate_pipelines as duplicate_at
    from policylint.kinds.gitlab_ci.duplicates import workflow_rules

    doc = view.subject
    pipeline = doc.pipeline if isinstance(doc, GitlabDocument) else None
    if pipeline is None or pipeline.unfetched or pipeline.missing:
        return
    if posixpath.basename(pipeline.root.path) not in MAIN_PIPELINE_FILES:
        return  # a child pipeline (trigger: include:) or a template: its source is never push or merge request
    if any(workflow_rules(file.data) for file in pipeline.files):
        return
    job = view.instance.get("job")
    position = duplicate_at(job.get("rules") if isinstance(job, Mapping) else None)
    instance = {**view.instance, "duplicatesPipelines": position is not None}
    anchors = dict(view.anchors)
    if position is not None:
        anchors[("duplicatesPipelines",)] = anchors.get(("job", "rules", position)) or anchors.get(("job", "rules")) or view.anchors[()]
    yield View(instance, anchors, doc, view.label, dict(view.fields), list(view.related))
