"""Dockerfile targets: the file, each stage (or just the final one), each instruction.

A stage view carries the facts the final-stage rules need, already resolved: the effective `USER`
and `HEALTHCHECK` (inherited through `FROM <stage>`), the CMD/ENTRYPOINT instructions beyond the
first, and the base image reached through earlier stages. An instruction view is the instruction
plus `stage: {index, name, role}`, where `role` is `final`, `build` or `global` (ARGs before the
first FROM), so a policy picks the stages it judges in `when` (the catalog's "final stage unless
the row says any stage").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policylint.documents import Document
from policylint.loaders.dockerfile import substitute
from policylint.targets import target
from policylint.views import Anchor, View

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
    """The last stage: what the image runs as."""
    views = _stage_views(doc)
    if views:
        yield views[-1]


@target("dockerfile", "instruction")
def instruction(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Every instruction (global ARGs first), with the stage it belongs to."""
    data = doc.data
    for number, item in enumerate(data.get("args", [])):
        yield _instruction_view(doc, item, ("args", number), {"index": None, "name": None, "role": "global"}, None)
    stages = data.get("stages", [])
    for index, current in enumerate(stages):
        summary = {
            "index": index,
            "name": current.get("name"),
            "role": "final" if index == len(stages) - 1 else "build",
        }
        for number, item in enumerate(current.get("instructions", [])):
            yield _instruction_view(doc, item, ("stages", index, "instructions", number), summary, index)


def _instruction_view(
    doc: Document, item: Mapping[str, Any], pointer: tuple[Any, ...], summary: Mapping[str, Any], index: int | None
) -> View:
    instance = dict(item)
    instance["stage"] = dict(summary)
    anchors = {(): Anchor(doc, pointer)}
    if index is not None:
        anchors[("stage",)] = Anchor(doc, ("stages", index))
    stage_name = "global" if summary["role"] == "global" else summary.get("name") or summary.get("index")
    label = f"{doc.path}#{stage_name}/{item['instruction']}@{pointer[-1]}"
    fields = {"instruction": item["instruction"], "stage": stage_name, "arguments": item.get("arguments", "")}
    return View(instance, anchors, doc, label=label, fields=fields)


def _stage_views(doc: Document) -> list[View]:
    data = doc.data
    stages = data.get("stages", [])
    global_args = {entry["name"]: entry["value"] for item in data.get("args", []) for entry in item.get("env", [])}
    facts: list[dict[str, Any]] = []
    views: list[View] = []
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
            elif kind == "CMD":
                cmds.append(number)
            elif kind == "ENTRYPOINT":
                entrypoints.append(number)
        facts.append(state)
        final = index == len(stages) - 1
        instance: dict[str, Any] = {
            "stage": current,
            "index": index,
            "name": current.get("name"),
            "role": "final" if final else "build",
            "base_kind": current.get("base_kind"),
            "image": current.get("image"),
            "base_image": state["base_image"],
            "extra_cmds": [current["instructions"][n] for n in cmds[1:]],
            "extra_entrypoints": [current["instructions"][n] for n in entrypoints[1:]],
        }
        stage_pointer = ("stages", index)
        anchors = {
            (): Anchor(doc, stage_pointer),
            ("stage",): Anchor(doc, stage_pointer),
            ("image",): Anchor(doc, (*stage_pointer, "instructions", 0)),
        }
        for key, numbers in (("extra_cmds", cmds[1:]), ("extra_entrypoints", entrypoints[1:])):
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
