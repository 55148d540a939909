"""Dockerfile targets: the file, each stage (or just the final one), each instruction.

A stage view carries the facts the final-stage rules need, already resolved: the effective `USER`
and `HEALTHCHECK` (inherited through `FROM <stage>`), the CMD/ENTRYPOINT instructions beyond the
first, and the base image reached through earlier stages. An instruction view is the instruction
plus `stage: {index, name, role}`, where `role` is `final`, `base` (a stage the final one is built
FROM, directly or through others: part of the final image), `build` or `global` (ARGs before the
first FROM), so a policy picks the stages it judges in `when`: the final image is `[final, base]`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policylint.core.documents import Document
from policylint.core.kinds import target
from policylint.core.shell import SHELLS
from policylint.core.views import Anchor, View
from policylint.kinds.dockerfile.loader import substitute

ROOT_USERS = frozenset({"root", "0"})


@target("dockerfile", "file")
def file(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """The whole Dockerfile (directives, global ARGs, stages, syntax errors)."""
    yield View(doc.data, {(): Anchor(doc, ())}, doc, label=doc.path, fields={"file": doc.path})


@target("dockerfile", "stage")
def stage(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Every stage, with its resolved facts."""
    yield from _stage_views(doc)


@target("dockerfile", "final-stage")
def final_stage(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """The last stage: what the image runs as; `githubDockerAction` when a GitHub docker action runs it."""
    views = _stage_views(doc)
    if views:
        view = views[-1]
        if github_docker_action(doc.path):
            view = View({**view.instance, "githubDockerAction": True}, dict(view.anchors), view.subject, view.label,
                        dict(view.fields))
        yield view


ACTION_FILES = ("action.yml", "action.yaml")


def github_docker_action(path: str) -> bool:
    """Whether an `action.yml` beside this Dockerfile (or up to two folders above) runs it
    (`runs: {using: docker, image: Dockerfile}`).

    GitHub runs a docker action's container as root (the runner's workspace is mounted writable and
    owned by it), so its Dockerfile cannot meaningfully drop to another USER. The file is read as data.
    """
    import os

    folder = os.path.dirname(os.path.normpath(path))
    for _ in range(3):
        if any(_runs_dockerfile(os.path.join(folder or ".", name), os.path.normpath(path)) for name in ACTION_FILES):
            return True
        if not folder:
            break
        folder = os.path.dirname(folder)
    return False


def _runs_dockerfile(action: str, dockerfile: str) -> bool:
    import os

    from policylint.core.yamlnodes import YamlDocument, parse_yaml_stream

    try:
        with open(action, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return False
    parsed = next(iter(parse_yaml_stream(text)), None)
    data = parsed.data if isinstance(parsed, YamlDocument) else None
    runs = data.get("runs") if isinstance(data, Mapping) else None
    if not isinstance(runs, Mapping) or runs.get("using") != "docker" or not isinstance(runs.get("image"), str):
        return False
    image = runs["image"].strip()
    if image.startswith("docker://"):
        return False
    return os.path.normpath(os.path.join(os.path.dirname(action), image)) == dockerfile


@target("dockerfile", "instruction")
def instruction(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Every instruction (global ARGs first), with the stage it belongs to.

    An ONBUILD also yields the instruction it wraps (`onbuild: true`), judged like that instruction
    and reported at the ONBUILD line. A CMD or ENTRYPOINT that a later one of the final image
    replaces carries `superseded: true`.
    """
    data = doc.data
    global_environment: dict[str, str | None] = {}
    for number, item in enumerate(data.get("args", [])):
        context = {"shell": list(DEFAULT_SHELL), "environment": dict(global_environment)}
        yield _instruction_view(doc, item, ("args", number), {"index": None, "name": None, "role": "global"}, None, context)
        global_environment.update((entry["name"], entry["value"]) for entry in item.get("env", []))
    stages = data.get("stages", [])
    roles = stage_roles(stages)
    superseded = _superseded(stages, roles)
    ends: list[dict[str, Any]] = []  # each stage's SHELL and environment at its end (a FROM <stage> starts there)
    for index, current in enumerate(stages):
        summary = {"index": index, "name": current.get("name"), "role": roles[index]}
        parent = ends[_stage_index(stages, current["from_stage"])] if current.get("base_kind") == "stage" else None
        shell = list(parent["shell"]) if parent else list(DEFAULT_SHELL)
        environment = dict(parent["environment"]) if parent else {}
        earlier = [stage.get("name") for stage in stages[:index] if stage.get("name")]
        later = [stage.get("name") for stage in stages[index + 1 :] if stage.get("name")]
        for number, item in enumerate(current.get("instructions", [])):
            pointer = ("stages", index, "instructions", number)
            extra: dict[str, Any] = {"shell": shell, "environment": dict(environment)}
            if item["instruction"] in ("CMD", "ENTRYPOINT"):
                extra["superseded"] = (index, number) in superseded
            if item["instruction"] == "COPY" and item.get("from") is not None:
                extra["from_kind"] = copy_source_kind(item["from"], index, current.get("name"), earlier, later)
            yield _instruction_view(doc, item, pointer, summary, index, extra)
            wrapped = item.get("wrapped")
            if item["instruction"] == "ONBUILD" and isinstance(wrapped, Mapping):
                extra = {"onbuild": True, "superseded": False, "shell": list(DEFAULT_SHELL), "environment": {}}
                yield _instruction_view(doc, wrapped, (*pointer, "wrapped"), summary, index, extra)
            kind = item["instruction"]
            if kind == "SHELL" and item.get("exec"):
                shell = list(item["exec"])
            elif kind == "ENV":
                environment.update((entry["name"], entry["value"]) for entry in item.get("env", []))
            elif kind == "ARG":
                for entry in item.get("env", []):
                    value = entry["value"] if entry["value"] is not None else global_environment.get(entry["name"])
                    environment[entry["name"]] = value
        ends.append({"shell": shell, "environment": environment})


#: The shell of a RUN in shell form when no SHELL instruction says otherwise (Linux images).
DEFAULT_SHELL = ("/bin/sh", "-c")


def copy_source_kind(source: str, index: int, name: str | None, earlier: list[str], later: list[str]) -> str:
    """What `COPY --from=<source>` names, as BuildKit resolves it.

    `stage` (an earlier stage, by name or index), `current` (the stage itself, or its index),
    `unknown` (an index past this stage, a later stage's name, or a bare name one edit or so away
    from a stage's: a misspelt stage), `context` (a bare name like no stage: a named build context,
    `--build-context name=...`, or an image on Docker Hub such as `busybox`), `variable` (a build
    argument decides) or `image` (a reference with `/`, `:` or `@`).
    """
    if "$" in source:
        return "variable"
    lowered = source.lower()
    if source.isdigit():
        number = int(source)
        return "stage" if number < index else "current" if number == index else "unknown"
    if name is not None and lowered == name:
        return "current"
    if lowered in earlier:
        return "stage"
    if any(char in source for char in "/:@"):
        return "image"
    if lowered in later or _close_to_any(lowered, [*earlier, *later, *([name] if name else [])]):
        return "unknown"
    return "context"


def _close_to_any(word: str, names: list[str]) -> bool:
    """A likely misspelling of one of `names` (difflib's ratio: `buidler` for `builder`)."""
    from difflib import SequenceMatcher

    return any(SequenceMatcher(None, word, other).ratio() >= MISSPELT_RATIO for other in names)


#: How alike a name must be to a stage's to be taken for a misspelling of it.
MISSPELT_RATIO = 0.75


def stage_roles(stages: list[Mapping[str, Any]]) -> list[str]:
    """Each stage's role: `final` (the last), `base` (a stage the final one is built FROM, directly
    or through other stages: its layers and settings are part of the final image) or `build`."""
    roles = ["build"] * len(stages)
    if not stages:
        return roles
    roles[-1] = "final"
    index, seen = len(stages) - 1, {len(stages) - 1}
    while stages[index].get("base_kind") == "stage":
        index = _stage_index(stages, stages[index].get("from_stage"))
        if index in seen:
            break
        seen.add(index)
        roles[index] = "base"
    return roles


def _superseded(stages: list[Mapping[str, Any]], roles: list[str]) -> set[tuple[int, int]]:
    """(stage, instruction) of each CMD/ENTRYPOINT of a base stage that a later stage replaces.

    A later CMD replaces a CMD, a later ENTRYPOINT replaces an ENTRYPOINT and also resets the CMD
    inherited from an earlier stage (Docker's rule for base images). Repeats within one stage stay
    unmarked: docker-multiple-cmd reports them.
    """
    chain = [index for index, role in enumerate(roles) if role != "build"]  # a stage is built FROM an earlier one
    found: set[tuple[int, int]] = set()
    later = {"CMD": False, "ENTRYPOINT": False}
    for index in reversed(chain):
        kinds = {item["instruction"] for item in stages[index].get("instructions", [])}
        for number, item in enumerate(stages[index].get("instructions", [])):
            kind = item["instruction"]
            if kind in later and (later[kind] or (kind == "CMD" and later["ENTRYPOINT"])):
                found.add((index, number))
        later = {kind: later[kind] or kind in kinds for kind in later}
    return found


def _instruction_view(
    doc: Document,
    item: Mapping[str, Any],
    pointer: tuple[Any, ...],
    summary: Mapping[str, Any],
    index: int | None,
    extra: Mapping[str, Any] | None = None,
) -> View:
    instance = dict(item)
    instance.update(extra or {})
    instance["stage"] = dict(summary)
    anchors = {(): Anchor(doc, pointer)}
    if item.get("commands"):
        _command_facts(doc, instance, anchors, pointer)
    if index is not None:
        anchors[("stage",)] = Anchor(doc, ("stages", index))
    stage_name = "global" if summary["role"] == "global" else summary.get("name") or summary.get("index")
    place = f"ONBUILD@{pointer[-2]}/" if pointer[-1] == "wrapped" else ""
    label = f"{doc.path}#{stage_name}/{place}{item['instruction']}@{pointer[-2] if place else pointer[-1]}"
    fields = {"instruction": item["instruction"], "stage": stage_name, "arguments": item.get("arguments", "")}
    if "from_kind" in instance:
        fields["from"] = instance["from"]
    return View(instance, anchors, doc, label=label, fields=fields)


def _command_facts(doc: Document, instance: dict[str, Any], anchors: dict[Any, Anchor], pointer: tuple[Any, ...]) -> None:
    """Facts of a RUN's commands, each anchored at the command it is about.

    `pipelines`: each pipe (`a | b`), with whether `pipefail` holds there (the SHELL sets it, or a
    `set -o pipefail` earlier in the same RUN); `packages`: what install commands install
    (policylint.kinds.dockerfile.packages), and `installs`: per install command, the packages it
    leaves unpinned (one finding per command names them all); `posix_shell`: the RUN's shell is sh-like (not pwsh/cmd).
    """
    from policylint.kinds.dockerfile.packages import installed_packages

    shell = instance.get("shell") or list(DEFAULT_SHELL)
    instance["posix_shell"] = shell[0].replace("\\", "/").rsplit("/", 1)[-1] in SHELLS
    pipefail = "pipefail" in shell
    pipelines: list[dict[str, Any]] = []
    packages: list[dict[str, Any]] = []
    installs: list[dict[str, Any]] = []  # one per install command: its unpinned packages together
    for number, command in enumerate(instance["commands"]):
        place = (*pointer, "commands", number)
        if command["program"] == "set" and "pipefail" in command.get("args", ()):
            pipefail = True
        if command["piped_from"] and command.get("op") not in ("|", "|&"):
            anchors[("pipelines", len(pipelines))] = Anchor(doc, place)
            pipelines.append({"programs": [*command["piped_from"], command["program"]], "pipefail": pipefail})
        found = installed_packages(command)
        for package in found:
            anchors[("packages", len(packages))] = Anchor(doc, place)
            packages.append(package)
        if found:
            unpinned = [package["package"] for package in found if not package["pinned"]]
            anchors[("installs", len(installs))] = Anchor(doc, place)
            installs.append({"manager": found[0]["manager"], "unpinned": unpinned, "names": ", ".join(unpinned)})
    instance["pipelines"] = pipelines
    instance["packages"] = packages
    instance["installs"] = installs


def _stage_views(doc: Document) -> list[View]:
    data = doc.data
    stages = data.get("stages", [])
    global_args = {entry["name"]: entry["value"] for item in data.get("args", []) for entry in item.get("env", [])}
    facts: list[dict[str, Any]] = []
    views: list[View] = []
    roles = stage_roles(stages)
    for index, current in enumerate(stages):
        parent = facts[_stage_index(stages, current["from_stage"])] if current.get("base_kind") == "stage" else None
        state: dict[str, Any] = {
            "user": parent["user"] if parent else None,
            "healthcheck": parent["healthcheck"] if parent else None,
            "variables": dict(parent["variables"]) if parent else {},
            "base_image": parent["base_image"] if parent else current.get("image"),
        }
        cmds: list[int] = []
        entrypoints: list[int] = []
        healthchecks: list[int] = []
        for number, item in enumerate(current.get("instructions", [])):
            kind = item["instruction"]
            pointer = ("stages", index, "instructions", number)
            if kind in ("ARG", "ENV"):
                for entry in item.get("env", []):
                    value = entry["value"]
                    if kind == "ARG" and value is None:
                        value = global_args.get(entry["name"])
                    state["variables"][entry["name"]] = value
            elif kind == "USER":
                state["user"] = (_user_fact(item.get("user", ""), state["variables"]), pointer)
            elif kind == "HEALTHCHECK":
                state["healthcheck"] = ({"disabled": bool(item.get("disabled"))}, pointer)
                healthchecks.append(number)
            elif kind == "CMD":
                cmds.append(number)
            elif kind == "ENTRYPOINT":
                entrypoints.append(number)
        facts.append(state)
        instance: dict[str, Any] = {
            "stage": current,
            "index": index,
            "name": current.get("name"),
            "role": roles[index],
            "base_kind": current.get("base_kind"),
            "image": current.get("image"),
            "base_image": state["base_image"],
            "extra_cmds": [current["instructions"][n] for n in cmds[1:]],
            "extra_entrypoints": [current["instructions"][n] for n in entrypoints[1:]],
            "extra_healthchecks": [current["instructions"][n] for n in healthchecks[1:]],
        }
        stage_pointer = ("stages", index)
        anchors = {
            (): Anchor(doc, stage_pointer),
            ("stage",): Anchor(doc, stage_pointer),
            ("image",): Anchor(doc, (*stage_pointer, "instructions", 0)),
        }
        for key, numbers in (("extra_cmds", cmds[1:]), ("extra_entrypoints", entrypoints[1:]), ("extra_healthchecks", healthchecks[1:])):
            for position, number in enumerate(numbers):
                anchors[(key, position)] = Anchor(doc, (*stage_pointer, "instructions", number))
        for key in ("user", "healthcheck"):
            if state[key] is not None:
                value, pointer = state[key]
                instance[key] = value
                anchors[(key,)] = Anchor(doc, pointer)
        name = current.get("name") or str(index)
        views.append(View(instance, anchors, doc, label=f"{doc.path}#stage[{name}]", fields={"stage": name, "image": current.get("base")}))
    return views


def _stage_index(stages: list[Mapping[str, Any]], name: str | None) -> int:
    for index, current in enumerate(stages):
        if current.get("name") == name:
            return index
    return 0  # pragma: no cover - the loader only sets from_stage for an earlier stage


def _user_fact(raw: str, variables: Mapping[str, str | None]) -> dict[str, Any]:
    """The USER value resolved from ARG/ENV defaults, and whether it is root (name or UID 0)."""
    resolved, missing = substitute(raw, dict(variables))
    user, _, group = resolved.partition(":")
    return {"value": raw, "user": user, "group": group, "resolved": not missing, "root": not missing and user in ROOT_USERS}
