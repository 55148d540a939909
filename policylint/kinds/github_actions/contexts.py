"""Where expressions appear in a workflow and which contexts and functions each place may use.

`AVAILABILITY` is GitHub's "context availability" table
(docs.github.com/en/actions/reference/workflows-and-actions/contexts#context-availability), one
row per workflow key. `sites(doc)` walks a workflow (or an action file) and yields every string
that GitHub evaluates, with its row, its job and what the job declares (`needs`, a matrix, the
ids of the steps before it), so a check can say "`secrets` is not available in a job `if:`" or
"`needs.build` is not a job this one needs".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from policylint.core.documents import Document
from policylint.kinds.github_actions.loader import iter_jobs, role

_STEP = "github needs strategy matrix job runner env vars secrets steps inputs"
_JOB = "github needs strategy matrix vars inputs"
_STATUS = "always cancelled success failure"

#: Workflow key -> (contexts available there, special functions available there).
AVAILABILITY: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    key: (frozenset(contexts.split()), frozenset(functions.split()))
    for key, contexts, functions in (
        ("run-name", "github inputs vars", ""),
        ("concurrency", "github inputs vars", ""),
        ("env", "github secrets inputs vars", ""),
        ("defaults.run", "github inputs vars", ""),
        ("on.workflow_call.inputs.<inputs_id>.default", "github inputs vars", ""),
        ("on.workflow_call.outputs.<output_id>.value", "github jobs vars inputs", ""),
        ("jobs.<job_id>.concurrency", _JOB, ""),
        ("jobs.<job_id>.container", _JOB, ""),
        ("jobs.<job_id>.container.credentials", f"{_JOB} env secrets", ""),
        ("jobs.<job_id>.container.env.<env_id>", f"{_JOB} job runner env secrets", ""),
        ("jobs.<job_id>.container.image", _JOB, ""),
        ("jobs.<job_id>.continue-on-error", _JOB, ""),
        ("jobs.<job_id>.defaults.run", f"{_JOB} env", ""),
        ("jobs.<job_id>.env", f"{_JOB} secrets", ""),
        ("jobs.<job_id>.environment", _JOB, ""),
        ("jobs.<job_id>.environment.url", f"{_JOB} job runner env steps", ""),
        ("jobs.<job_id>.if", "github needs vars inputs", _STATUS),
        ("jobs.<job_id>.name", _JOB, ""),
        ("jobs.<job_id>.outputs.<output_id>", _STEP, ""),
        ("jobs.<job_id>.runs-on", _JOB, ""),
        ("jobs.<job_id>.secrets.<secrets_id>", f"{_JOB} secrets", ""),
        ("jobs.<job_id>.services", _JOB, ""),
        ("jobs.<job_id>.services.<service_id>.credentials", f"{_JOB} env secrets", ""),
        ("jobs.<job_id>.services.<service_id>.env.<env_id>", f"{_JOB} job runner env secrets", ""),
        ("jobs.<job_id>.steps.continue-on-error", _STEP, "hashFiles"),
        ("jobs.<job_id>.steps.env", _STEP, "hashFiles"),
        ("jobs.<job_id>.steps.if", "github needs strategy matrix job runner env vars steps inputs", f"{_STATUS} hashFiles"),
        ("jobs.<job_id>.steps.name", _STEP, "hashFiles"),
        ("jobs.<job_id>.steps.run", _STEP, "hashFiles"),
        ("jobs.<job_id>.steps.timeout-minutes", _STEP, "hashFiles"),
        ("jobs.<job_id>.steps.with", _STEP, "hashFiles"),
        ("jobs.<job_id>.steps.working-directory", _STEP, "hashFiles"),
        ("jobs.<job_id>.steps.shell", _STEP, "hashFiles"),
        ("jobs.<job_id>.strategy", "github needs vars inputs", ""),
        ("jobs.<job_id>.timeout-minutes", _JOB, ""),
        ("jobs.<job_id>.with.<with_id>", _JOB, ""),
        # Composite and Docker action files: GitHub documents no table; every context the runner
        # gives a step, and the status functions in `if:` (checked only for unknown names).
        ("action", _STEP, f"{_STATUS} hashFiles"),
    )
}
#: Step keys (besides `if`, `run`, `with`, `env`) whose strings are evaluated.
_STEP_KEYS = ("name", "continue-on-error", "timeout-minutes", "working-directory", "shell")
#: Job keys holding one value (or a structure) evaluated under the row of the same name.
_JOB_KEYS = ("name", "runs-on", "concurrency", "continue-on-error", "timeout-minutes", "strategy", "env")


@dataclass(slots=True)
class Site:
    """One evaluated string: where it is, its key's row, and what its job declares."""

    pointer: tuple[Any, ...]
    text: str
    key: str
    condition: bool = False
    job_id: str = ""
    needs: frozenset[str] | None = None
    has_matrix: bool = True
    step_ids: frozenset[str] | None = None
    inputs: frozenset[str] | None = None
    dispatch_inputs: frozenset[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def contexts(self) -> frozenset[str]:
        return AVAILABILITY[self.key][0]

    @property
    def functions(self) -> frozenset[str]:
        return AVAILABILITY[self.key][1]


def _strings(value: Any, pointer: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every string inside a value, with its pointer."""
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, (*pointer, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*pointer, index))


def _names(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value.lower()})
    if isinstance(value, list):
        return frozenset(str(item).lower() for item in value if isinstance(item, (str, int)))
    return frozenset()


def declared_inputs(data: Mapping[str, Any], triggers: tuple[str, ...] = ("workflow_dispatch", "workflow_call")) -> frozenset[str] | None:
    """Names of the inputs the workflow declares under `triggers`: empty when it has none of those
    triggers (the `inputs` context is then empty), None when they are built by an expression
    (then names are not checked)."""
    on = data.get("on")
    names = [on] if isinstance(on, str) else [str(item) for item in on] if isinstance(on, (list, Mapping)) else []
    found: set[str] = set()
    for trigger in triggers:
        if trigger not in names:
            continue
        spec = on.get(trigger) if isinstance(on, Mapping) else None
        inputs = spec.get("inputs") if isinstance(spec, Mapping) else None
        if isinstance(inputs, Mapping):
            found.update(str(name).lower() for name in inputs)
        elif inputs is not None:
            return None  # built by an expression, or not a mapping: unknown
    return frozenset(found)


def _has_trigger(data: Mapping[str, Any], trigger: str) -> bool:
    on = data.get("on")
    return on == trigger or (isinstance(on, (list, Mapping)) and trigger in on)


def _has_matrix(job: Mapping[str, Any]) -> bool:
    strategy = job.get("strategy")
    if isinstance(strategy, str):
        return True
    return isinstance(strategy, Mapping) and strategy.get("matrix") is not None


def _step_ids(steps: list[Any]) -> list[str]:
    return [str(step["id"]).lower() if isinstance(step, Mapping) and "id" in step else "" for step in steps]


def _step_sites(steps: Any, pointer: tuple[Any, ...], row: str, base: dict[str, Any]) -> Iterator[Site]:
    if not isinstance(steps, list):
        return
    ids = _step_ids(steps)
    for index, step in enumerate(steps):
        if not isinstance(step, Mapping):
            continue
        here = (*pointer, index)
        earlier = frozenset(step_id for step_id in ids[:index] if step_id)
        uses = step.get("uses")
        label = step.get("name") or step.get("id") or (uses.split("@", 1)[0] if isinstance(uses, str) else None)
        extra = {"step": index, "label": str(label) if isinstance(label, (str, int)) else ""}

        if isinstance(step.get("if"), str):
            yield Site((*here, "if"), step["if"], _step_row(row, "if"), True, step_ids=earlier, extra=extra, **base)
        for key in ("run", "with", "env", *_STEP_KEYS):
            for path, text in _strings(step.get(key), (*here, key)):
                yield Site(path, text, _step_row(row, key), step_ids=earlier, extra=extra, **base)


def _step_row(row: str, key: str) -> str:
    return row if row == "action" else f"jobs.<job_id>.steps.{key}"


def sites(doc: Document) -> Iterator[Site]:
    """Every string of a workflow or action file that GitHub evaluates, with its row of the table."""
    data = doc.data if isinstance(doc.data, Mapping) else {}
    file_role = role(doc.path)
    if file_role == "action":
        for key in ("outputs", "inputs"):
            for path, text in _strings(data.get(key), (key,)):
                yield Site(path, text, "action")
        runs = data.get("runs")
        if isinstance(runs, Mapping):
            steps = runs.get("steps")
            ids = frozenset(step_id for step_id in _step_ids(steps) if step_id) if isinstance(steps, list) else frozenset()
            yield from _step_sites(steps, ("runs", "steps"), "action", {})
            for key in ("args", "env", "pre-if", "post-if", "entrypoint", "image"):
                for path, text in _strings(runs.get(key), ("runs", key)):
                    yield Site(path, text, "action", condition=key.endswith("-if"), step_ids=ids)
        return
    if file_role != "workflow":
        return
    inputs = declared_inputs(data)
    dispatch = declared_inputs(data, ("workflow_dispatch",)) if _has_trigger(data, "workflow_dispatch") else None
    for key in ("run-name", "concurrency", "env"):
        for path, text in _strings(data.get(key), (key,)):
            yield Site(path, text, key, inputs=inputs, dispatch_inputs=dispatch)
    defaults = data.get("defaults")
    if isinstance(defaults, Mapping):
        for path, text in _strings(defaults.get("run"), ("defaults", "run")):
            yield Site(path, text, "defaults.run", inputs=inputs, dispatch_inputs=dispatch)
    on = data.get("on")
    call = on.get("workflow_call") if isinstance(on, Mapping) else None
    if isinstance(call, Mapping):
        for group, key, row in (("inputs", "default", "on.workflow_call.inputs.<inputs_id>.default"),
                                ("outputs", "value", "on.workflow_call.outputs.<output_id>.value")):
            entries = call.get(group)
            if isinstance(entries, Mapping):
                for name, entry in entries.items():
                    if isinstance(entry, Mapping) and isinstance(entry.get(key), str):
                        yield Site(("on", "workflow_call", group, name, key), entry[key], row, inputs=inputs, dispatch_inputs=dispatch)
    for job_id, job, pointer in iter_jobs(doc):
        base: dict[str, Any] = {
            "job_id": job_id,
            "needs": _names(job.get("needs")),
            "has_matrix": _has_matrix(job),
            "inputs": inputs,
            "dispatch_inputs": dispatch,
        }
        if isinstance(job.get("if"), str):
            yield Site((*pointer, "if"), job["if"], "jobs.<job_id>.if", condition=True, **base)
        for key in _JOB_KEYS:
            for path, text in _strings(job.get(key), (*pointer, key)):
                yield Site(path, text, f"jobs.<job_id>.{key}", **base)
        steps = job.get("steps")
        all_ids = frozenset(step_id for step_id in _step_ids(steps) if step_id) if isinstance(steps, list) else frozenset()
        environment = job.get("environment")
        if isinstance(environment, Mapping):
            for path, text in _strings(environment.get("name"), (*pointer, "environment", "name")):
                yield Site(path, text, "jobs.<job_id>.environment", **base)
            for path, text in _strings(environment.get("url"), (*pointer, "environment", "url")):
                yield Site(path, text, "jobs.<job_id>.environment.url", step_ids=all_ids, **base)
        else:
            for path, text in _strings(environment, (*pointer, "environment")):
                yield Site(path, text, "jobs.<job_id>.environment", **base)
        for path, text in _strings(job.get("outputs"), (*pointer, "outputs")):
            yield Site(path, text, "jobs.<job_id>.outputs.<output_id>", step_ids=all_ids, **base)
        for path, text in _strings(job.get("with"), (*pointer, "with")):
            yield Site(path, text, "jobs.<job_id>.with.<with_id>", **base)
        if isinstance(job.get("secrets"), Mapping):
            for path, text in _strings(job["secrets"], (*pointer, "secrets")):
                yield Site(path, text, "jobs.<job_id>.secrets.<secrets_id>", **base)
        job_defaults = job.get("defaults")
        if isinstance(job_defaults, Mapping):
            for path, text in _strings(job_defaults.get("run"), (*pointer, "defaults", "run")):
                yield Site(path, text, "jobs.<job_id>.defaults.run", **base)
        yield from _container_sites(job, pointer, base)
        yield from _step_sites(steps, (*pointer, "steps"), "workflow", base)


def _container_sites(job: Mapping[str, Any], pointer: tuple[Any, ...], base: dict[str, Any]) -> Iterator[Site]:
    containers: list[tuple[Any, tuple[Any, ...], str]] = [(job.get("container"), (*pointer, "container"), "jobs.<job_id>.container")]
    services = job.get("services")
    if isinstance(services, Mapping):
        containers += [(service, (*pointer, "services", name), "jobs.<job_id>.services") for name, service in services.items()]
    elif services is not None:
        containers.append((services, (*pointer, "services"), "jobs.<job_id>.services"))
    for container, here, row in containers:
        if not isinstance(container, Mapping):
            for path, text in _strings(container, here):
                yield Site(path, text, row if row.endswith("services") else "jobs.<job_id>.container.image", **base)
            continue
        service = row.endswith("services")
        for key, value in container.items():
            if key == "credentials":
                sub = "jobs.<job_id>.services.<service_id>.credentials" if service else "jobs.<job_id>.container.credentials"
            elif key == "env":
                sub = "jobs.<job_id>.services.<service_id>.env.<env_id>" if service else "jobs.<job_id>.container.env.<env_id>"
            elif key == "image" and not service:
                sub = "jobs.<job_id>.container.image"
            else:
                sub = row
            for path, text in _strings(value, (*here, key)):
                yield Site(path, text, sub, **base)
