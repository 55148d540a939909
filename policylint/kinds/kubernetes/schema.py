"""Strict validation of Kubernetes objects against the JSON schemas kubernetes-validate ships.

kubernetes_validate.validate() re-reads and re-parses its large definition file on every call;
here each version's definitions are read once and each kind's schema is compiled once, for the
life of the process. A valid object (the usual case) is checked by the compiled evaluator of
policylint.core.fastschema (about 0.1 ms for a Deployment); only an invalid one goes through jsonschema,
whose structured errors say exactly which keys are wrong. Errors come back as (pointer, message)
pairs, one per problem, with unknown fields reported at their own key rather than at the parent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from policylint.core.records import field, record
from policylint.core.yamlnodes import Pointer
from policylint.kinds.kubernetes.versions import KubeVersion, schema_root

_GROUP_DOMAIN = re.compile(r"^([^./]*)(?:\.[^/]*)?/")


@record(frozen=True, slots=True)
class SchemaError:
    """One way an object departs from its schema: where, and why."""

    pointer: Pointer
    message: str
    #: True when the offending value is an unrendered envsubst placeholder where a number or boolean belongs.
    placeholder: bool = False
    #: For a missing required field: its name (the error's pointer is the object that lacks it).
    missing: str = ""


#: A whole value that envsubst (`${VAR}`, `$VAR`) or a token-replacement step (`##VAR##`,
#: `#{VAR}#`, `__VAR__`) fills in at deploy time.
ENVSUBST_PLACEHOLDER = re.compile(
    r"^(?:\$\{[A-Za-z_][A-Za-z0-9_]*(?:[:?+=-][^}]*)?\}|\$[A-Za-z_][A-Za-z0-9_]*|##[A-Za-z_][A-Za-z0-9_.-]*##"
    r"|#\{[A-Za-z_][A-Za-z0-9_.-]*\}#|__[A-Za-z][A-Za-z0-9_]*__)$"
)
_SCALAR_TYPES = frozenset({"integer", "number", "boolean"})


def without_nulls(data: Any) -> Any:
    """`data` with every null mapping value removed, recursively (list items are kept)."""
    if isinstance(data, Mapping):
        return {key: without_nulls(value) for key, value in data.items() if value is not None}
    if isinstance(data, list):
        return [without_nulls(item) for item in data]
    return data


def _at_null_key(error: SchemaError, original: Any) -> SchemaError:
    """A required field written as `null` is reported at its own key, not at its parent."""
    if not error.missing:
        return error
    node = original
    for step in error.pointer:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return error
    if isinstance(node, Mapping) and error.missing in node and node[error.missing] is None:
        return SchemaError((*error.pointer, error.missing), f"{error.message} (null means unset)", missing=error.missing)
    return error


def _is_placeholder_type_error(error: Any) -> bool:
    """A `type` error whose value is an envsubst placeholder where a number or boolean belongs."""
    if error.validator != "type" or not isinstance(error.instance, str):
        return False
    wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
    return bool(_SCALAR_TYPES.intersection(wanted)) and bool(ENVSUBST_PLACEHOLDER.match(error.instance.strip()))


def schema_file_name(api_version: str, kind: str) -> str:
    """kubernetes-validate's file naming: `deployment-apps-v1.json`, `service-v1.json`."""
    group_version = _GROUP_DOMAIN.sub(r"\1-", api_version)
    return f"{kind.lower()}-{group_version}.json"


def _group_of(api_version: str) -> str:
    return api_version.split("/", 1)[0] if "/" in api_version else ""


_LOCAL_DEFS = "#/$defs/"
#: Bump when `self_contained` changes what it produces (cached copies then miss).
SELF_CONTAINED_FORMAT = 1
_SKIPPED_KEYS = frozenset({"$id", "$schema", "description"})


def self_contained(schema: Mapping[str, Any], definitions: Mapping[str, Any]) -> dict[str, Any]:
    """The kind's schema with only the definitions it reaches, as local `#/$defs/...` references.

    This is what the compiled evaluator (policylint.core.fastschema) accepts: no `$id`, no remote refs.
    Descriptions are dropped (they are most of the bytes and never affect validation).
    """
    needed: list[str] = []

    def rewrite(node: Any, in_properties: bool = False) -> Any:
        if isinstance(node, dict):
            result: dict[str, Any] = {}
            for key, value in node.items():
                if not in_properties and key in _SKIPPED_KEYS:
                    continue
                if not in_properties and key == "$ref" and isinstance(value, str) and _LOCAL_DEFS in value:
                    name = value.split(_LOCAL_DEFS, 1)[1]
                    needed.append(name)
                    result[key] = _LOCAL_DEFS + name.replace("~", "~0").replace("/", "~1")
                else:
                    result[key] = rewrite(value, not in_properties and key in ("properties", "patternProperties"))
            return result
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    top = rewrite(schema)
    defs: dict[str, Any] = {}
    while needed:
        name = needed.pop()
        if name not in defs and name in definitions:
            defs[name] = {}
            defs[name] = rewrite(definitions[name])
    top["$defs"] = defs
    return top


@record
class KindSchema:
    """One kind's schema: a compiled fast check, and jsonschema (only for invalid objects) to explain."""

    schema: dict[str, Any]
    fast: Any
    owner: SchemaSet

    def errors(self, data: Mapping[str, Any]) -> list[SchemaError]:
        """Every error of an object (none when the fast check passes).

        `null` is how YAML writes "unset", and the API server reads it so: a null mapping value
        (`minAvailable: null`) is dropped before validation. An envsubst placeholder (`${REPLICAS}`)
        where the schema wants a number or boolean is no error either: the file is not rendered
        (see placeholder_type_errors; the loader tells the user once per file).
        """
        if self.fast is not None and self.fast.is_valid(data):
            return []
        stripped = without_nulls(data)
        if self.fast is not None and self.fast.is_valid(stripped):
            return []
        return [_at_null_key(error, data) for error in self._explained(stripped) if not error.placeholder]

    def placeholder_errors(self, data: Mapping[str, Any]) -> list[SchemaError]:
        """The errors that only an unrendered envsubst placeholder causes."""
        if self.fast is not None and self.fast.is_valid(data):
            return []
        return [error for error in self._explained(without_nulls(data)) if error.placeholder]

    def _explained(self, data: Any) -> list[SchemaError]:
        validator = self.owner.explainer(self)
        found: list[SchemaError] = []
        for error in validator.iter_errors(data):
            found.extend(_explain(error))
        return found


@record
class SchemaSet:
    """The strict schemas of one Kubernetes version, loaded lazily and compiled once per kind."""

    directory: Path
    _definitions: dict[str, Any] | None = None
    _registry: Any = None
    _kinds: dict[tuple[str, str], KindSchema | None] = field(default_factory=dict)
    _explainers: dict[int, Any] = field(default_factory=dict)

    def _read(self, name: str) -> Any:
        return json.loads((self.directory / name).read_text(encoding="utf-8"))

    def definitions(self) -> dict[str, Any]:
        """The version's shared definitions file, read once."""
        if self._definitions is None:
            self._definitions = self._read("_definitions.json")
        return self._definitions

    def explainer(self, kind: KindSchema) -> Any:
        """jsonschema's validator for a kind (compiled on the first invalid object of that kind)."""
        found = self._explainers.get(id(kind))
        if found is None:
            from jsonschema import Draft202012Validator
            from referencing import Registry, Resource

            if self._registry is None:
                definitions = self.definitions()
                self._registry = Registry().with_resource(definitions["$id"], Resource.from_contents(definitions))
            found = self._explainers[id(kind)] = Draft202012Validator(kind.schema, registry=self._registry)
        return found

    def validator_for(self, api_version: str, kind: str) -> KindSchema | None:
        """The compiled schema of an apiVersion/kind, or None when no built-in schema exists.

        A custom resource whose name collides with a built-in file (`networking.example.com/v1`
        NetworkPolicy) is told apart by the group the schema declares.
        """
        key = (api_version, kind)
        if key in self._kinds:
            return self._kinds[key]
        found = None
        path = self.directory / schema_file_name(api_version, kind)
        if path.is_file():
            schema = json.loads(path.read_text(encoding="utf-8"))
            declared = schema.get("x-kubernetes-group-version-kind") or [{}]
            groups = {item.get("group", "") for item in declared if isinstance(item, Mapping)}
            if _group_of(api_version) in groups:
                found = KindSchema(schema, _compile_fast(self._self_contained(path, schema)), self)
        self._kinds[key] = found
        return found

    def _self_contained(self, path: Path, schema: Mapping[str, Any]) -> dict[str, Any]:
        """The kind's self-contained schema, from the user cache when the bundled files are unchanged.

        A hit spares reading the 1.4 MB definitions file, most of a one-file pre-commit run's cost.
        """
        from policylint.core import cache

        definitions_file = self.directory / "_definitions.json"
        key = f"{cache.stamp()}/{SELF_CONTAINED_FORMAT}|{path}|{_file_stamp(path)}|{_file_stamp(definitions_file)}"
        name = f"k8s-schema-{self.directory.name}-{path.stem}"
        found = cache.read(name, key)
        if not isinstance(found, dict):
            found = self_contained(schema, self.definitions().get("$defs", {}))
            cache.write(name, key, found)
        return found

    def errors(self, data: Mapping[str, Any]) -> list[SchemaError] | None:
        """Every schema error of an object; None when no schema covers its kind (skipped)."""
        api_version, kind = data.get("apiVersion"), data.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return None
        schema = self.validator_for(api_version, kind)
        return None if schema is None else schema.errors(data)


def _file_stamp(path: Path) -> str:
    try:
        info = path.stat()
    except OSError:
        return "missing"
    return f"{info.st_size}-{info.st_mtime_ns}"


def _compile_fast(schema: dict[str, Any]) -> Any:
    """The fast evaluator for a self-contained schema, or None when it cannot match jsonschema exactly."""
    from policylint.core.fastschema import Unsupported, compile_schema

    try:
        return compile_schema(schema)
    except Unsupported:
        return None


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
    yield SchemaError(pointer, f"{where}: {message}", _is_placeholder_type_error(error), _missing_field(error))


def _missing_field(error: Any) -> str:
    """The name a `required` error is about (jsonschema reports one error per missing name)."""
    if error.validator != "required" or not isinstance(error.instance, Mapping):
        return ""
    for name in error.validator_value or ():
        if name not in error.instance and error.message == f"{name!r} is a required property":
            return str(name)
    return ""


def _close_match(key: str, known: Mapping[str, Any]) -> str:
    lowered = {name.lower(): name for name in known}
    if key.lower() in lowered:
        return f" (did you mean {lowered[key.lower()]!r}?)"
    from policylint.core.suggest import did_you_mean

    return did_you_mean(key, known, cutoff=0.8)


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
