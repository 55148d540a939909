"""Compliance frameworks as data: `policies/frameworks/<id>.yaml`, read only by `report` and `docs`.

A framework lists its controls with the linter's scope (can a file check see it at all?) and the
coverage the catalog gives (automated / partial / manual, with a note on what is left to manual
evidence). Which policies check a control is not stored here: it comes from each policy's
`frameworks:` block, so the mapping has one home. Nothing here is imported by `check`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policylint.core.policies import builtin_policy_dir
from policylint.core.yamlnodes import YamlError, parse_yaml_stream

SCOPES = ("static", "static — no rule yet", "manual")
COVERAGES = ("automated", "partial", "manual")

_CONTROL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "title", "scope", "coverage"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "title": {"type": "string", "minLength": 1},
        "scope": {"enum": list(SCOPES)},
        "coverage": {"enum": list(COVERAGES)},
        "note": {"type": "string"},
        "assessment": {"enum": ["automated", "manual"]},
        "kubescape": {"type": "string"},
        "replaces": {"type": "string"},
    },
}
FRAMEWORK_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "name", "version", "source", "controls"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9-]+$"},
        "name": {"type": "string"},
        "version": {"type": "string"},
        "source": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "notes": {"type": "string"},
        "includes": {"type": "array", "items": {"type": "string"}},
        "controls": {"type": "array", "items": _CONTROL_SCHEMA, "minItems": 1},
    },
}


class FrameworkError(Exception):
    """A framework file is missing or malformed (a usage error: exit 2)."""


@dataclass(frozen=True)
class Control:
    """One control of a framework. `framework` is where it is defined (differs for included controls)."""

    framework: str
    id: str
    title: str
    scope: str
    coverage: str
    note: str = ""
    assessment: str = ""
    replaces: str = ""

    @property
    def ref(self) -> str:
        """`framework:control`, the form frameworks.md and the report use."""
        return f"{self.framework}:{self.id}"


@dataclass(frozen=True)
class Framework:
    """A framework and its own controls; `all_controls()` adds the controls of included frameworks."""

    id: str
    name: str
    version: str
    source: tuple[str, ...]
    controls: tuple[Control, ...]
    notes: str = ""
    includes: tuple[str, ...] = ()
    path: Path | None = field(default=None, compare=False)

    def control(self, control_id: str) -> Control | None:
        """A control defined by this framework, by id."""
        return next((control for control in self.controls if control.id == control_id), None)


def framework_dir() -> Path:
    """The built-in framework files (next to the built-in policies)."""
    return builtin_policy_dir() / "frameworks"


def parse_framework(path: Path, text: str) -> Framework:
    """Read and validate one framework file."""
    from jsonschema import Draft202012Validator

    documents = list(parse_yaml_stream(text))
    if len(documents) != 1 or isinstance(documents[0], YamlError):
        raise FrameworkError(f"{path}: expected one valid YAML document")
    data = documents[0].data
    errors = sorted(Draft202012Validator(FRAMEWORK_SCHEMA).iter_errors(data), key=lambda e: list(map(str, e.path)))
    if errors:
        where = "/".join(str(step) for step in errors[0].absolute_path) or "(top level)"
        raise FrameworkError(f"{path}: {where}: {errors[0].message}")
    if data["id"] != path.stem:
        raise FrameworkError(f"{path}: id {data['id']!r} must equal the file name {path.stem!r}")
    controls = tuple(
        Control(
            framework=data["id"], id=str(item["id"]), title=item["title"], scope=item["scope"],
            coverage=item["coverage"], note=item.get("note", ""), assessment=item.get("assessment", ""),
            replaces=item.get("replaces", ""),
        )
        for item in data["controls"]
    )
    seen: set[str] = set()
    for control in controls:
        if control.id in seen:
            raise FrameworkError(f"{path}: duplicate control id {control.id!r}")
        seen.add(control.id)
    return Framework(
        id=data["id"], name=data["name"], version=data["version"], source=tuple(data["source"]),
        controls=controls, notes=data.get("notes", ""), includes=tuple(data.get("includes") or ()), path=path,
    )


def load_frameworks(directory: Path | None = None) -> dict[str, Framework]:
    """Every framework of a folder (default: the built-in ones), by id; `includes` must resolve."""
    folder = directory or framework_dir()
    if not folder.is_dir():
        raise FrameworkError(f"{folder}: framework folder not found")
    frameworks: dict[str, Framework] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise FrameworkError(f"{path}: cannot read framework: {exc}") from exc
        framework = parse_framework(path, text)
        frameworks[framework.id] = framework
    for framework in frameworks.values():
        for included in framework.includes:
            if included not in frameworks or included == framework.id:
                raise FrameworkError(f"{framework.path}: includes unknown framework {included!r}")
    return frameworks


def report_controls(framework: Framework, frameworks: Mapping[str, Framework]) -> list[Control]:
    """The controls a report on `framework` lists: included frameworks' controls first, then its own."""
    controls: list[Control] = []
    for included in framework.includes:
        controls.extend(report_controls(frameworks[included], frameworks))
    controls.extend(framework.controls)
    return controls


def control_index(policies: Iterable[Any]) -> dict[str, list[str]]:
    """`framework:control` → ids of the policies that list it under `frameworks:` (sorted)."""
    index: dict[str, list[str]] = {}
    for policy in policies:
        for framework_id, control_ids in policy.frameworks.items():
            for control_id in control_ids:
                index.setdefault(f"{framework_id}:{control_id}", []).append(policy.id)
    return {key: sorted(set(value)) for key, value in sorted(index.items())}


def unknown_references(policies: Iterable[Any], frameworks: Mapping[str, Framework]) -> list[str]:
    """Every `frameworks:` entry of a policy that names no existing framework or control."""
    problems = []
    for policy in policies:
        for framework_id, control_ids in sorted(policy.frameworks.items()):
            framework = frameworks.get(framework_id)
            if framework is None:
                problems.append(f"{policy.id}: unknown framework {framework_id!r}")
                continue
            problems.extend(
                f"{policy.id}: {framework_id} has no control {control_id!r}"
                for control_id in control_ids
                if framework.control(str(control_id)) is None
            )
    return problems
