"""Strict validation of Kubernetes objects against the JSON schemas kubernetes-validate ships.

kubernetes_validate.validate() re-reads and re-parses its large definition file on every call;
here each version's definitions are read once, each kind's validator is compiled once, and both
are kept for the life of the process. Errors come back as (pointer, message) pairs, one per
problem, with unknown fields reported at their own key rather than at the parent object.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policylint.k8s.versions import KubeVersion, schema_root
from policylint.yamlnodes import Pointer

_GROUP_DOMAIN = re.compile(r"^([^./]*)(?:\.[^/]*)?/")


@dataclass(frozen=True, slots=True)
class SchemaError:
    """One way an object departs from its schema: where, and why."""

    pointer: Pointer
    message: str


def schema_file_name(api_version: str, kind: str) -> str:
    """kubernetes-validate's file naming: `deployment-apps-v1.json`, `service-v1.json`."""
    group_version = _GROUP_DOMAIN.sub(r"\1-", api_version)
    return f"{kind.lower()}-{group_version}.json"


def _group_of(api_version: str) -> str:
    return api_version.split("/", 1)[0] if "/" in api_version else ""


@dataclass
class SchemaSet:
    """The strict schemas of one Kubernetes version, loaded lazily and compiled once per kind."""

    directory: Path
    _registry: Any = None
    _validators: dict[tuple[str, str], Any] = field(default_factory=dict)

    def _registry_with_definitions(self) -> Any:
        if self._registry is None:
            from referencing import Registry, Resource

            definitions = json.loads((self.directory / "_definitions.json").read_text(encoding="utf-8"))
            self._registry = Registry().with_resource(definitions["$id"], Resource.from_contents(definitions))
        return self._registry

    def validator_for(self, api_version: str, kind: str) -> Any:
        """The compiled validator of an apiVersion/kind, or None when no built-in schema exists.

        A custom resource whose name collides with a built-in file (`networking.example.com/v1`
        NetworkPolicy) is told apart by the group the schema declares.
        """
        key = (api_version, kind)
        if key in self._validators:
            return self._validators[key]
        validator = None
        path = self.directory / schema_file_name(api_version, kind)
        if path.is_file():
            schema = json.loads(path.read_text(encoding="utf-8"))
            declared = schema.get("x-kubernetes-group-version-kind") or [{}]
            groups = {item.get("group", "") for item in declared if isinstance(item, Mapping)}
            if _group_of(api_version) in groups:
                from jsonschema import Draft202012Validator

                validator = Draft202012Validator(schema, registry=self._registry_with_definitions())
        self._validators[key] = validator
        return validator

    def errors(self, data: Mapping[str, Any]) -> list[SchemaError] | None:
        """Every schema error of an object; None when no schema covers its kind (skipped)."""
        api_version, kind = data.get("apiVersion"), data.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return None
        validator = self.validator_for(api_version, kind)
        if validator is None:
            return None
        found: list[SchemaError] = []
        for error in validator.iter_errors(data):
            found.extend(_explain(error))
        return found


def _explain(error: Any) -> Iterator[SchemaError]:
    """Turn one jsonschema error into errors at the offending keys."""
    pointer: Pointer = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        patterns = [re.compile(p) for p in (error.schema.get("patternProperties") or {})]
        for key in error.instance:
            if key in known or any(pattern.search(str(key)) for pattern in patterns):
                continue
            hint = _close_match(str(key), known)
            yield SchemaError((*pointer, key), f"unknown field {key!r}{hint}")
        return
    where = "/".join(str(step) for step in pointer) or "(object)"
    message = error.message
    if error.validator in ("oneOf", "anyOf") and error.context:
        message = f"{_short(error.instance)} is not a valid value"
    yield SchemaError(pointer, f"{where}: {message}")


def _close_match(key: str, known: Mapping[str, Any]) -> str:
    lowered = {name.lower(): name for name in known}
    if key.lower() in lowered:
        return f" (did you mean {lowered[key.lower()]!r}?)"
    from difflib import get_close_matches

    close = get_close_matches(key, list(known), n=1, cutoff=0.8)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


_SETS: dict[KubeVersion, SchemaSet] = {}


def schema_set(version: KubeVersion) -> SchemaSet | None:
    """The process-wide schema set of a bundled version (None when it is not bundled)."""
    found = _SETS.get(version)
    if found is None:
        root = schema_root()
        if root is None:
            return None
        directory = root / f"v{version[0]}.{version[1]}.0-local-strict"
        if not directory.is_dir():
            return None
        found = _SETS[version] = SchemaSet(directory)
    return found
