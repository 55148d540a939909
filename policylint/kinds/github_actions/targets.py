"""GitHub Actions targets: the workflow, each job, each step, each `uses:`, each `${{ }}` in a
script, and each `env` entry. Views carry the few facts their policies need (the triggers, whether
a job calls a reusable workflow, the parsed `uses:`, the references an expression lets through),
anchored so findings land on the exact line, including lines inside a multi-line `run:`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from policylint.core.documents import Document
from policylint.core.kinds import target
from policylint.core.views import Anchor, View
from policylint.kinds.github_actions.expressions import analyse
from policylint.kinds.github_actions.loader import (
    EXPRESSION_STEP,
    FACT_ROLES,
    LINE_STEP,
    iter_expressions,
    iter_jobs,
    iter_steps,
    role,
    script_pointers,
    uses_pointers,
)

FILE_KIND = "github-actions"
_SHA = re.compile(r"^[0-9a-fA-F]{40}$")
_DOCKER_DIGEST = re.compile(r"@sha256:[0-9a-fA-F]{64}$")
_VERSION = re.compile(r"^(?:[A-Za-z_-]*[=@:]\s*)?v?(\d+)(?:\.\d+)*(?:[-+][\w.]+)?$")
#: Dispatch input types whose value cannot carry shell syntax.
_TYPED_INPUTS = ("boolean", "number", "choice", "environment")

#: Files of the kind that are repository facts, judged by no workflow target.
NOT_WORKFLOWS = ("dependabot", *FACT_ROLES)


def triggers(data: Mapping[str, Any]) -> list[str]:
    """The event names of `on:` in any of its forms: a string, a list, or a mapping."""
    on = data.get("on")
    if isinstance(on, str):
        return [on]
    if isinstance(on, list):
        return [str(item) for item in on if isinstance(item, str)]
    if isinstance(on, Mapping):
        return [str(key) for key in on]
    return []


def typed_dispatch_inputs(data: Mapping[str, Any]) -> list[str]:
    """Names of `workflow_dispatch`/`workflow_call` inputs typed boolean/number/choice/environment
    (not free text). A name declared by both triggers counts only when both type it so."""
    on = data.get("on")
    typed: set[str] = set()
    free: set[str] = set()
    for trigger in ("workflow_dispatch", "workflow_call"):
        spec = on.get(trigger) if isinstance(on, Mapping) else None
        inputs = spec.get("inputs") if isinstance(spec, Mapping) else None
        if not isinstance(inputs, Mapping):
            continue
        for name, declared in inputs.items():
            is_typed = isinstance(declared, Mapping) and declared.get("type") in _TYPED_INPUTS
            (typed if is_typed else free).add(str(name).lower())
    return sorted(typed - free)


def major_of(version: str) -> int | None:
    """The major of a version text (`v4.2.2` → 4), None when it names none."""
    match = _VERSION.match(version)
    return int(match.group(1)) if match else None


def parse_uses(value: str, comment: str | None = None) -> dict[str, Any]:
    """Split a `uses:` value into its parts; `version` is the comment's for a SHA-pinned ref."""
    parsed: dict[str, Any] = {
        "raw": value,
        "kind": "action",
        "owner": "",
        "repo": "",
        "action": "",
        "path": "",
        "ref": "",
        "pinned": False,
        "shaPinned": False,
        "comment": comment or "",
        "version": "",
        "major": None,
    }
    text = value.strip()
    if text.startswith("./") or text.startswith("../"):
        parsed.update(kind="local", pinned=True, path=text)
        return parsed
    if text.startswith("docker://"):
        parsed.update(kind="docker", pinned=bool(_DOCKER_DIGEST.search(text)), path=text[len("docker://") :])
        return parsed
    name, _, ref = text.partition("@")
    parts = name.split("/")
    owner, repo = parts[0], parts[1] if len(parts) > 1 else ""
    path = "/".join(parts[2:])
    sha = bool(_SHA.match(ref))
    version = ref
    if sha and comment:
        version = comment.split()[0] if comment.split() else ""
    major_match = _VERSION.match(version)
    parsed.update(
        kind="reusable" if ".github/workflows/" in f"{path}/" or path.endswith((".yml", ".yaml")) else "action",
        owner=owner.lower(),
        repo=repo.lower(),
        action=f"{owner}/{repo}".lower(),
        path=path,
        ref=ref,
        pinned=sha,
        shaPinned=sha,
        version=version,
        major=int(major_match.group(1)) if major_match else None,
    )
    return parsed


def _base(doc: Document) -> dict[str, Any]:
    data = doc.data
    return {"role": role(doc.path), "triggers": triggers(data), "name": str(data.get("name") or doc.path)}


@target(FILE_KIND, "document")
def document(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """A workflow or action file as a whole (not the dependabot file)."""
    if role(doc.path) in NOT_WORKFLOWS:
        return
    instance = {**_base(doc), "document": doc.data}
    yield View(instance, {(): Anchor(doc, ()), ("document",): Anchor(doc, ())}, doc, label=doc.path, fields=_fields(doc))


def _fields(doc: Document) -> dict[str, Any]:
    return {"name": str(doc.data.get("name") or doc.path), "kind": role(doc.path)}


@target(FILE_KIND, "workflow")
def workflow(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """A workflow, with the ids of its jobs that set no `permissions` of their own."""
    if role(doc.path) != "workflow":
        return
    inheriting = [job_id for job_id, job, _ in iter_jobs(doc) if "permissions" not in job]
    instance = {**_base(doc), "workflow": doc.data, "inheritingJobs": inheriting}
    anchors = {(): Anchor(doc, ()), ("workflow",): Anchor(doc, ())}
    yield View(instance, anchors, doc, label=doc.path, fields=_fields(doc))


@target(FILE_KIND, "job")
def job(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Each job: whether it calls a reusable workflow, its scripts, the `owner/repo` of the actions
    its steps use, the workflow's permissions."""
    if role(doc.path) != "workflow":
        return
    base = _base(doc)
    for job_id, item, pointer in iter_jobs(doc):
        steps = item.get("steps") if isinstance(item.get("steps"), list) else []
        scripts = [step["run"] for step in steps if isinstance(step, Mapping) and isinstance(step.get("run"), str)]
        instance = {
            **base,
            "id": job_id,
            "job": item,
            "reusable": "uses" in item,
            "workflowHasPermissions": "permissions" in doc.data,
            "forkPullRequestOnly": fork_pull_request_only(base["triggers"], item.get("if")),
            "runText": "\n".join(scripts),
            "usesActions": sorted(
                {
                    parse_uses(step["uses"])["action"]
                    for step in steps
                    if isinstance(step, Mapping) and isinstance(step.get("uses"), str)
                }
                - {""}
            ),
        }
        anchors = {(): Anchor(doc, pointer), ("job",): Anchor(doc, pointer)}
        fields = {**_fields(doc), "job": job_id, "calls": str(item.get("uses") or "")}
        yield View(instance, anchors, doc, label=f"{doc.path}#jobs.{job_id}", fields=fields)


#: A job condition that holds only for a pull request from a fork.
_FORK_ONLY = re.compile(
    r"(?<![!\w.])github\.event\.pull_request\.head\.repo\.fork(?:\s*==\s*true)?(?!\s*[=!]=)"
    r"|github\.event\.pull_request\.head\.repo\.full_name\s*!=\s*github\.repository\b"
    r"|\bgithub\.repository\s*!=\s*github\.event\.pull_request\.head\.repo\.full_name\b"
)


def fork_pull_request_only(triggers: list[str], condition: Any) -> bool:
    """Whether a job runs only for pull requests from forks: GitHub then gives it a read-only token.

    The workflow must run on `pull_request` alone (not `pull_request_target`, whose token can
    write), and the job's `if:` must require a fork with nothing joined by `||`.
    """
    if triggers != ["pull_request"] or not isinstance(condition, str) or "||" in condition:
        return False
    return bool(_FORK_ONLY.search(condition))


def logical_lines(script: str) -> list[str]:
    """The script's lines with `\\`-continued lines joined onto the first (indexes stay aligned)."""
    lines = script.split("\n")
    joined: list[str] = [""] * len(lines)
    parts: list[str] = []
    head = 0
    for number, line in enumerate(lines):
        continued = line.rstrip().endswith("\\")
        parts.append(line.rstrip()[:-1] if continued else line if number == head else line.strip())
        if not continued or number == len(lines) - 1:
            joined[head] = " ".join(part if index == 0 else part.strip() for index, part in enumerate(parts))
            parts, head = [], number + 1
    return joined


@target(FILE_KIND, "step")
def step(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Each step of a workflow job or composite action, with its `uses:` parsed and its script lines."""
    base = _base(doc)
    for job_id, index, item, pointer in iter_steps(doc):
        uses = item.get("uses")
        uses_pointer = (*pointer, "uses")
        run = item.get("run")
        instance = {
            **base,
            "jobId": job_id,
            "index": index,
            "step": item,
            "uses": parse_uses(uses, doc.comments.get(uses_pointer)) if isinstance(uses, str) else None,
            "runLines": logical_lines(run) if isinstance(run, str) else [],
        }
        anchors = {
            (): Anchor(doc, pointer),
            ("step",): Anchor(doc, pointer),
            ("uses",): Anchor(doc, uses_pointer),
            ("runLines",): Anchor(doc, (*pointer, "run", LINE_STEP)),
        }
        label = item.get("name") or item.get("id") or (uses if isinstance(uses, str) else f"step {index + 1}")
        fields = {**_fields(doc), "job": job_id, "step": str(label)}
        yield View(instance, anchors, doc, label=f"{doc.path}#{job_id}.steps[{index}]", fields=fields)


@target(FILE_KIND, "uses")
def uses(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Every `uses:` (job-level reusable-workflow calls and step actions), parsed."""
    for level, pointer, value in uses_pointers(doc):
        parsed = parse_uses(value, doc.comments.get(pointer))
        instance = {**_base(doc), "level": level, **parsed}
        shown = f"{value}  # {parsed['comment']}" if parsed["shaPinned"] and parsed["comment"] else value
        fields = {**_fields(doc), "uses": shown, "action": parsed["action"] or value, "ref": parsed["ref"]}
        yield View(instance, {(): Anchor(doc, pointer)}, doc, label=f"{doc.path}#{'/'.join(map(str, pointer))}", fields=fields)


def _flows_in(value: Any) -> list[str]:
    """The references that can flow out of every `${{ }}` inside a value (strings, lists, maps)."""
    found: list[str] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            found.extend(flow for match in iter_expressions(node) for flow in analyse(match.inner.strip()).flows)
        elif isinstance(node, Mapping):
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return list(dict.fromkeys(found))


def _env_sources(name: str, scopes: list[Any]) -> tuple[list[str], str]:
    """What `env.<name>` can hold: the expressions of the nearest `env:` (step, job, workflow)
    that sets it; `*` (`toJSON(env)`) takes every entry. An `env:` that is one expression may set
    any name. Also the name as the `env:` spells it (contexts are case-insensitive)."""
    found: list[str] = []
    for scope in scopes:
        if isinstance(scope, str):
            found += _flows_in(scope)
            continue
        if not isinstance(scope, Mapping):
            continue
        if name == "*":
            found += _flows_in(scope)
            continue
        for key, value in scope.items():
            if str(key).lower() == name:
                return list(dict.fromkeys(found + _flows_in(value))), str(key)
    return list(dict.fromkeys(found)), name


def _matrix_sources(key: str, matrix: Any) -> tuple[list[str], str]:
    """What `matrix.<key>` can hold: its values' expressions, those of `include` entries that set
    it, and any expression that builds the whole matrix or its `include` (`${{ fromJSON(...) }}`)."""
    if isinstance(matrix, str) or key == "*":
        return _flows_in(matrix), key
    if not isinstance(matrix, Mapping):
        return [], key
    found: list[str] = []
    shown = key
    for name, value in matrix.items():
        lowered = str(name).lower()
        if lowered == key:
            found += _flows_in(value)
            shown = str(name)
        elif lowered == "include":
            entries = value if isinstance(value, list) else [value]
            for entry in entries:
                if isinstance(entry, Mapping):
                    found += [flow for entry_key, entry_value in entry.items() if str(entry_key).lower() == key
                              for flow in _flows_in(entry_value)]
                else:
                    found += _flows_in(entry)
    return list(dict.fromkeys(found)), shown


def indirect_references(references: list[str], scopes: list[Any], matrix: Any) -> list[dict[str, Any]]:
    """One hop back from `env.X` and `matrix.k`: for each such reference, the references of the
    expressions that set it (`[{reference, sources}]`, only those with sources; `reference` spells
    the name as the workflow does)."""
    found: list[dict[str, Any]] = []
    for reference in references:
        head, _, rest = reference.partition(".")
        name = rest.split(".", 1)[0] or "*"
        if head == "env":
            sources, shown = _env_sources(name, scopes)
        elif head == "matrix":
            sources, shown = _matrix_sources(name, matrix)
        else:
            continue
        if sources:
            found.append({"reference": f"{head}.{shown}", "sources": sources})
    return found


def _script_scopes(doc: Document, pointer: tuple[Any, ...]) -> tuple[list[Any], Any]:
    """The `env:` scopes a script sees (step, job, workflow; nearest first) and its job's matrix."""
    step_pointer = pointer[:-1] if pointer[-1] == "run" else pointer[:-2]
    node: Any = doc.data
    for part in step_pointer:
        node = node[part] if isinstance(node, (Mapping, list)) else None
    step = node if isinstance(node, Mapping) else {}
    scopes: list[Any] = [step.get("env")]
    matrix: Any = None
    if step_pointer[:1] == ("jobs",):
        jobs = doc.data.get("jobs")
        job = jobs.get(step_pointer[1]) if isinstance(jobs, Mapping) else None
        if isinstance(job, Mapping):
            scopes.append(job.get("env"))
            strategy = job.get("strategy")
            matrix = strategy.get("matrix") if isinstance(strategy, Mapping) else strategy
        scopes.append(doc.data.get("env"))
    return [scope for scope in scopes if scope is not None], matrix


@target(FILE_KIND, "expression")
def expression(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Every `${{ }}` inside a `run:` script or an actions/github-script `script:`, at its own line,
    with `indirect`: what its `env.X`/`matrix.k` references were set from (one hop)."""
    base = _base(doc)
    typed_inputs = typed_dispatch_inputs(doc.data)
    for context, pointer, text in script_pointers(doc):
        scopes: tuple[list[Any], Any] | None = None
        for number, found in enumerate(iter_expressions(text)):
            inner = found.inner.strip()
            analysis = analyse(inner)
            indirect: list[dict[str, Any]] = []
            if any(flow.split(".", 1)[0] in ("env", "matrix") for flow in analysis.flows):
                scopes = scopes or _script_scopes(doc, pointer)
                indirect = indirect_references(list(analysis.flows), *scopes)
            instance = {
                **base,
                "context": context,
                "expression": inner,
                "references": list(analysis.flows),
                "mentions": list(analysis.mentions),
                "indirect": indirect,
                "typedInputs": typed_inputs,
                "jobId": pointer[1] if pointer[0] == "jobs" else "",
            }
            anchor = Anchor(doc, (*pointer, EXPRESSION_STEP, number))
            fields = {**_fields(doc), "expression": inner, "context": context}
            yield View(instance, {(): anchor}, doc, label=f"{doc.path}#{'/'.join(map(str, pointer))}[{number}]", fields=fields)


def _env_maps(doc: Document) -> Iterator[tuple[str, Any, tuple[Any, ...]]]:
    data = doc.data
    if role(doc.path) == "workflow":
        yield "workflow env", data.get("env"), ("env",)
        for job_id, item, pointer in iter_jobs(doc):
            yield f"job {job_id} env", item.get("env"), (*pointer, "env")
        for where, container, pointer in _job_containers(doc):
            yield f"{where} env", container.get("env"), (*pointer, "env")
    for job_id, index, item, pointer in iter_steps(doc):
        yield f"step {index + 1} of {f'job {job_id}' if job_id else 'the action'} env", item.get("env"), (*pointer, "env")


def _credential_maps(doc: Document) -> Iterator[tuple[str, Any, tuple[Any, ...]]]:
    """The registry `credentials` of the job container and of each service container."""
    if role(doc.path) != "workflow":
        return
    for where, container, pointer in _job_containers(doc):
        yield f"{where} credentials", container.get("credentials"), (*pointer, "credentials")


def _job_containers(doc: Document) -> Iterator[tuple[str, Mapping[str, Any], tuple[Any, ...]]]:
    """Each job's container and service containers, named as messages name them, job by job."""
    for job_id, item, pointer in iter_jobs(doc):
        container = item.get("container")
        if isinstance(container, Mapping):
            yield f"job {job_id} container", container, (*pointer, "container")
        services = item.get("services")
        if isinstance(services, Mapping):
            for service_name, service in services.items():
                if isinstance(service, Mapping):
                    yield f"service {service_name}", service, (*pointer, "services", service_name)


@target(FILE_KIND, "env")
def env(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Every environment entry (workflow, job, job container, service containers, steps) and the
    `password` of each container's registry `credentials`, which is judged like a variable."""
    if role(doc.path) in NOT_WORKFLOWS:
        return
    for place, mapping, pointer in _credential_maps(doc):
        if isinstance(mapping, Mapping) and "password" in mapping:
            entry = (*pointer, "password")
            instance = {"name": "password", "value": mapping["password"], "place": place}
            fields = {**_fields(doc), "variable": "password", "place": place}
            yield View(instance, {(): Anchor(doc, entry)}, doc, label=f"{doc.path}#{'/'.join(map(str, entry))}", fields=fields)
    for place, mapping, pointer in _env_maps(doc):
        if not isinstance(mapping, Mapping):
            continue
        for name, value in mapping.items():
            instance = {"name": str(name), "value": value, "place": place}
            entry = (*pointer, name)
            fields = {**_fields(doc), "variable": str(name), "place": place}
            yield View(instance, {(): Anchor(doc, entry)}, doc, label=f"{doc.path}#{'/'.join(map(str, entry))}", fields=fields)


__all__ = ["logical_lines", "parse_uses", "triggers"]
