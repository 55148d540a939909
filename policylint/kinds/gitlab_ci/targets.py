"""GitLab CI targets.

Settings a policy judges where they are written (every file of the pipeline, hidden templates
included): `document`, `include`, `variable`, `script` (each
script entry, with its shell commands on their own lines) and `image` (each `image:`/`services:`
entry that some job really runs with, or that sits in a template or `default:` nobody overrides).
Settings a policy judges as GitLab runs them: `job` (each visible job after includes, `extends:`,
`!reference` and `default:`; a finding on an inherited key lands where that key is written) and
`pipeline` (each root pipeline with its local includes).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from policylint.core.documents import Document
from policylint.core.images import parse_image
from policylint.core.kinds import target
from policylint.core.views import Anchor, View
from policylint.kinds.gitlab_ci.loader import (
    LINE_STEP,
    GitlabDocument,
    include_entries,
    iter_job_definitions,
    script_items,
    script_places,
)
from policylint.kinds.gitlab_ci.pipeline import Job, model

FILE_KIND = "gitlab-ci"
_SHA = re.compile(r"^[0-9a-fA-F]{40}$")
#: A tag-like ref: a version (`v1.2.3`, `1.2`, `2024.01.3`) rather than a branch name.
_VERSION_REF = re.compile(r"^v?\d+(\.\d+)*([-+.][0-9A-Za-z.-]+)?$")
_BRANCH_NAMES = frozenset({"main", "master", "head", "develop", "development", "dev", "trunk", "latest", "~latest"})


def _config_documents(doc: Document) -> bool:
    return isinstance(doc, GitlabDocument) and doc.role != "header" and doc.pipeline is not None


def _fields(doc: Document) -> dict[str, Any]:
    return {"name": doc.path, "file": doc.path}


@target(FILE_KIND, "document")
def document(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Each document of a GitLab CI file (a root, an included file, or a `spec:` header)."""
    role = doc.role if isinstance(doc, GitlabDocument) else "pipeline"
    instance = {"role": role, "document": doc.data}
    yield View(instance, {(): Anchor(doc, ()), ("document",): Anchor(doc, ())}, doc, label=doc.path, fields=_fields(doc))


def ref_kind(ref: str | None) -> str:
    """`missing`, `sha`, `version` or `branch` (any other name: it can move)."""
    if ref is None or not str(ref).strip():
        return "missing"
    text = str(ref).strip()
    if _SHA.match(text):
        return "sha"
    if "$" in text:
        return "variable"
    if text.lower() not in _BRANCH_NAMES and _VERSION_REF.match(text):
        return "version"
    return "branch"


def include_facts(kind: str, value: Any) -> dict[str, Any]:
    """What an `include:` entry pulls in and how it is pinned."""
    data = dict(value) if isinstance(value, Mapping) else {kind: value}
    facts: dict[str, Any] = {"kind": kind, "entry": data, "source": "", "refKind": "", "pinned": True}
    if kind == "project":
        facts["source"] = str(data.get("project", ""))
        facts["refKind"] = ref_kind(data.get("ref"))
        facts["pinned"] = facts["refKind"] in ("sha", "version", "variable")
    elif kind == "remote":
        facts["source"] = str(data.get("remote", ""))
        facts["pinned"] = bool(data.get("integrity"))
        facts["refKind"] = "integrity" if facts["pinned"] else "missing"
    elif kind == "component":
        text = str(data.get("component", ""))
        facts["source"] = text
        version = text.rsplit("@", 1)[1] if "@" in text else None
        facts["refKind"] = ref_kind(version)
        facts["pinned"] = facts["refKind"] in ("sha", "version", "variable")
    elif kind in ("local", "template"):
        facts["source"] = str(data.get(kind, ""))
    return facts


@target(FILE_KIND, "include")
def include(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Each `include:` entry as written, with `kind`, `source`, `refKind`, `pinned` and
    `insideRepository` (false for a local include the loader refused: it leads outside the repository)."""
    if not _config_documents(doc):
        return
    pipeline = getattr(doc, "pipeline", None)
    outside = {entry.pointer for entry in pipeline.outside if entry.document is doc} if pipeline is not None else set()
    for pointer, kind, value in include_entries(doc):
        facts = include_facts(kind, value)
        facts["insideRepository"] = pointer not in outside
        fields = {**_fields(doc), "include": facts["source"] or kind, "kind": kind, "ref_kind": facts["refKind"]}
        anchors = {(): Anchor(doc, pointer), ("entry",): Anchor(doc, pointer)}
        if isinstance(value, Mapping) and "local" in value:
            anchors[("insideRepository",)] = Anchor(doc, (*pointer, "local"))
        yield View(facts, anchors, doc, label=f"{doc.path}#include/{facts['source']}", fields=fields)


def _variable_maps(doc: Document) -> Iterator[tuple[str, Any, tuple[Any, ...]]]:
    data = doc.data if isinstance(doc.data, Mapping) else {}
    yield "global variables", data.get("variables"), ("variables",)
    workflow = data.get("workflow")
    if isinstance(workflow, Mapping) and isinstance(workflow.get("rules"), list):
        for index, rule in enumerate(workflow["rules"]):
            if isinstance(rule, Mapping):
                yield "workflow rule variables", rule.get("variables"), ("workflow", "rules", index, "variables")
    for name, job in iter_job_definitions(doc):
        yield f"job {name} variables", job.get("variables"), (name, "variables")
        rules = job.get("rules")
        if isinstance(rules, list):
            for index, rule in enumerate(rules):
                if isinstance(rule, Mapping):
                    yield f"job {name} rule variables", rule.get("variables"), (name, "rules", index, "variables")
        services = job.get("services")
        if isinstance(services, list):
            for index, service in enumerate(services):
                if isinstance(service, Mapping):
                    where = f"job {name} service {service.get('name', index)} variables"
                    yield where, service.get("variables"), (name, "services", index, "variables")


@target(FILE_KIND, "variable")
def variable(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Each `variables:` entry as written: global, workflow rules, jobs, job rules, services."""
    if not _config_documents(doc):
        return
    references = doc.references if isinstance(doc, GitlabDocument) else frozenset()
    for place, mapping, pointer in _variable_maps(doc):
        if not isinstance(mapping, Mapping) or pointer in references:
            continue
        for name, raw in mapping.items():
            value = raw.get("value") if isinstance(raw, Mapping) else raw
            instance = {"name": str(name), "value": value, "place": place}
            entry = (*pointer, name)
            anchors = {(): Anchor(doc, entry)}
            if isinstance(raw, Mapping) and "value" in raw:
                anchors[("value",)] = Anchor(doc, (*entry, "value"))
            fields = {**_fields(doc), "variable": str(name), "place": place}
            yield View(instance, anchors, doc, label=f"{doc.path}#{'/'.join(map(str, entry))}", fields=fields)


@target(FILE_KIND, "script")
def script(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Each script entry as written, with its simple commands (`program`, `words`, `pipedFrom`,
    `substituted`), each anchored to its own line."""
    from policylint.core.shell import command_facts, split_commands

    if not _config_documents(doc):
        return
    references = doc.references if isinstance(doc, GitlabDocument) else frozenset()
    for owner, key, pointer, value in script_places(doc):
        if pointer in references:
            continue
        for item_pointer, text in script_items(value, pointer):
            if item_pointer[:-1] in references:
                continue
            commands = []
            anchors = {(): Anchor(doc, item_pointer), ("text",): Anchor(doc, item_pointer)}
            for number, command in enumerate(split_commands(text)):
                commands.append(command_facts(command))
                line = text.count("\n", 0, max(command["offset"], 0))
                anchors[("commands", number)] = Anchor(doc, (*item_pointer, LINE_STEP, line))
            instance = {"job": owner, "key": key, "text": text, "commands": commands}
            fields = {**_fields(doc), "job": owner, "section": key}
            label = f"{doc.path}#{'/'.join(map(str, item_pointer))}"
            yield View(instance, anchors, doc, label=label, fields=fields)


def image_facts(value: Any) -> dict[str, Any]:
    """An image or service entry: its reference, whether it can be judged (no variable in the
    name or tag), and whether it floats (no tag, or `latest`, and no digest)."""
    name = value.get("name") if isinstance(value, Mapping) else value
    reference = str(name).strip() if isinstance(name, str) else ""
    last = reference.rsplit("/", 1)[-1]
    judged = bool(reference) and "$" not in last and "$[[" not in reference
    parsed = parse_image(reference) if judged else None
    return {
        "reference": reference,
        "judged": judged,
        "mutable": bool(parsed and parsed.mutable),
        "repository": parsed.repository.rsplit("/", 1)[-1] if parsed else "",
        "tag": parsed.tag if parsed else "",
    }


def _image_places(doc: Document) -> Iterator[tuple[str, tuple[Any, ...], Any]]:
    data = doc.data if isinstance(doc.data, Mapping) else {}
    owners: list[tuple[str, tuple[Any, ...], Any]] = [("(global)", (), data)]
    if isinstance(data.get("default"), Mapping):
        owners.append(("default", ("default",), data["default"]))
    owners.extend((name, (name,), job) for name, job in iter_job_definitions(doc))
    for owner, base, mapping in owners:
        if "image" in mapping:
            yield owner, (*base, "image"), mapping["image"]
        services = mapping.get("services")
        if isinstance(services, list):
            for index, service in enumerate(services):
                yield owner, (*base, "services", index), service


@target(FILE_KIND, "image")
def image(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Each `image:` and `services:` entry some job runs with (or that nobody overrides)."""
    if not _config_documents(doc):
        return
    assert isinstance(doc, GitlabDocument) and doc.pipeline is not None
    pipeline_model = model(doc.pipeline)
    used = pipeline_model.used_origins()
    has_jobs = any(not job.hidden for job in pipeline_model.jobs())
    references = doc.references
    for owner, pointer, value in _image_places(doc):
        if pointer in references or (isinstance(pointer[-1], int) and pointer[:-1] in references):
            continue  # a `!reference` is judged where the node it names is written
        users = (
            owner in pipeline_model.used_templates if owner.startswith(".")
            else has_jobs if owner in ("default", "(global)") else True
        )
        if users and (id(doc), pointer) not in used:
            continue  # every job that could use it sets its own
        kind = "service" if "services" in pointer else "image"
        facts = image_facts(value)
        instance = {**facts, "kind": kind, "owner": owner}
        fields = {**_fields(doc), "job": owner, "image": facts["reference"], "kind": kind}
        yield View(instance, {(): Anchor(doc, pointer)}, doc, label=f"{doc.path}#{'/'.join(map(str, pointer))}",
                   fields=fields)


def _script_text(job: Job) -> str:
    """The job's own `script:` (not before/after_script: shared setup there often only defines
    helper functions, such as Auto DevOps' `helm upgrade` wrapper, that the job never calls)."""
    value = job.config.value
    lines: list[str] = []
    for key in ("script",):
        items = value.get(key)
        if isinstance(items, str):
            lines.append(items)
        elif isinstance(items, list):
            lines.extend(item for item in items if isinstance(item, str))
    return "\n".join(lines)


@target(FILE_KIND, "job")
def job(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Each visible job of a root pipeline as GitLab runs it (`job`: the merged settings;
    `complete`: no template, reference or unfetched include could add what it lacks)."""
    if not isinstance(doc, GitlabDocument) or doc.role != "pipeline" or doc.pipeline is None:
        return
    if doc.pipeline.root is not doc:
        return
    for item in model(doc.pipeline).jobs():
        if item.hidden or item.defined_in.covered:
            continue
        config = item.config
        stage = config.value.get("stage")
        instance = {
            "name": item.name,
            "stage": stage if isinstance(stage, str) else "test",
            "job": config.value,
            "complete": item.complete,
            "templates": item.templates,
            "scriptText": _script_text(item),
        }
        anchors = {(): item.anchor}
        for path, origin in config.origins.items():
            anchors[("job", *path)] = origin
        anchors[("job",)] = item.anchor
        fields = {**_fields(item.defined_in), "job": item.name}
        yield View(instance, anchors, item.defined_in, label=f"{item.defined_in.path}#{item.name}", fields=fields)


@target(FILE_KIND, "pipeline")
def pipeline(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Each root pipeline: its includes (every file) and its script text (every file)."""
    if not isinstance(doc, GitlabDocument) or doc.role != "pipeline" or doc.pipeline is None:
        return
    if doc.pipeline.root is not doc:
        return
    files = doc.pipeline.files
    includes = [include_facts(entry.kind, entry.value) for entry in doc.pipeline.includes]
    scripts = [
        text
        for file in files
        for _, _, pointer, value in script_places(file)
        for _, text in script_items(value, pointer)
    ]
    instance = {"includes": includes, "scriptText": "\n".join(scripts), "files": [file.path for file in files]}
    data = doc.data if isinstance(doc.data, Mapping) else {}
    # reported at `include:` (where scanning templates go), else `stages:`, else the first key
    first = next((key for key in ("include", "stages") if key in data), next(iter(data), None))
    anchor = Anchor(doc, (first,) if first is not None else ())
    yield View(instance, {(): anchor}, doc, label=f"{doc.path}#pipeline", fields=_fields(doc))
