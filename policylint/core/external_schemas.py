"""Validate documents against the public JSON Schemas that `check-jsonschema` vendors.

The GitHub workflow, GitHub action, GitLab CI and compose-spec schemas are maintained upstream
(SchemaStore, compose-spec) and shipped, offline, as data files inside the `check-jsonschema`
package. We only read those JSON files: the package's code is never imported (its `__init__`
pulls in its CLI), `importlib.util.find_spec` just tells us where it is installed. Each schema is
read and compiled once per process, on first use, and each error becomes a pointer into the
document (the offending key for an unexpected property, the parent object for a missing one).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

#: Our name for a schema -> its file under check_jsonschema/builtin_schemas/vendor/.
VENDORED_SCHEMAS: dict[str, str] = {
    "github-workflow": "github-workflows.json",
    "github-action": "github-actions.json",
    "compose-spec": "compose-spec.json",
    "gitlab-ci": "gitlab-ci.json",
}

#: One broken file should not drown a report: at most this many schema errors per document.
MAX_ERRORS = 20
#: Instance values are cut to this many characters in messages.
MAX_VALUE_TEXT = 60


class SchemaUnavailable(LookupError):
    """The vendored schema cannot be found (check-jsonschema is not installed)."""


@dataclass(frozen=True, slots=True)
class SchemaError:
    """One schema violation: where in the document (a pointer) and why (a short message)."""

    pointer: tuple[str | int, ...]
    message: str


def vendored_schema_path(name: str) -> Path:
    """The path of a vendored schema file, found without importing check_jsonschema."""
    from importlib.util import find_spec

    file_name = VENDORED_SCHEMAS.get(name)
    if file_name is None:
        raise SchemaUnavailable(f"unknown external schema {name!r}")
    spec = find_spec("check_jsonschema")
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    for location in locations:
        candidate = Path(location) / "builtin_schemas" / "vendor" / file_name
        if candidate.is_file():
            return candidate
    raise SchemaUnavailable(f"schema {name!r} not found: install check-jsonschema (it vendors {file_name})")


@cache
def _schema(name: str) -> Any:
    """The vendored schema with the relaxations of policylint.core.schema_relaxations applied."""
    from policylint.core.schema_relaxations import relax

    return relax(name, json.loads(vendored_schema_path(name).read_text(encoding="utf-8")))


@cache
def _validator(name: str) -> Any:
    from jsonschema.validators import validator_for

    schema = _schema(name)
    cls = validator_for(schema)
    return cls(schema)  # no format checker: formats are annotations here, and checking them is slow


@cache
def _fast_check(name: str) -> Callable[[Any], bool] | None:
    """A compiled validity check of the named schema (policylint.core.fastschema), or None when the
    schema has something the compiler does not reproduce (then every document goes to jsonschema)."""
    from policylint.core.fastschema import Unsupported, compile_schema

    schema = _schema(name)
    try:
        return compile_schema(for_fast_check(schema, schema)).is_valid
    except (Unsupported, RecursionError):
        return None


def validate(name: str, instance: Any, limit: int = MAX_ERRORS) -> list[SchemaError]:
    """Every error of `instance` against the named schema, one per pointer, in document order.

    A valid document (the usual case) is recognised by the compiled check alone: jsonschema is
    imported and run only for a document that check rejects, for its exact errors and keys.
    """
    check = _fast_check(name)
    if check is not None:
        try:
            if check(instance):
                return []
        except RecursionError:
            pass
    found: dict[tuple[str | int, ...], SchemaError] = {}
    validator = _validator(name)
    for error in validator.iter_errors(instance):
        for leaf in _leaves(error):
            for pointer, message in _describe(leaf, validator.schema):
                if pointer not in found:
                    found[pointer] = SchemaError(pointer, message)
    ordered = sorted(found.values(), key=lambda item: [str(step) for step in item.pointer])
    return ordered[:limit]


def _leaves(error: Any, depth: int = 0) -> list[Any]:
    """The errors that explain a oneOf/anyOf failure: those of the branch that came closest.

    The closest branch is the one with the fewest errors, then the deepest ones (a job with one
    misspelt key is a normal job with one error, not a reusable-workflow call missing `uses`).
    """
    if not error.context or depth > 20:
        return [error]
    branches: dict[Any, list[Any]] = {}
    for child in error.context:
        branches.setdefault(child.schema_path[0] if child.schema_path else 0, []).append(child)

    def closeness(children: list[Any]) -> tuple[int, bool, int]:
        weight = sum(
            len(_unexpected_keys(child.instance, child.schema))
            if child.validator == "additionalProperties" and isinstance(child.instance, Mapping)
            else 1
            for child in children
        )
        # on a tie, a branch of the value's own type (a long-syntax port with one unexpected key)
        # is closer than one whose type does not even match (the short-syntax string branch)
        wrong_type = all(child.validator == "type" and child.absolute_path == error.absolute_path for child in children)
        return weight, wrong_type, -max(len(child.absolute_path) for child in children)

    best = min(branches.values(), key=closeness)
    shallow = all(len(child.absolute_path) <= len(error.absolute_path) for child in best)
    if shallow and all(child.validator in ("type", "enum", "const") for child in best):
        return [error]  # no branch got further than the value itself: report the value
    return [leaf for child in best for leaf in _leaves(child, depth + 1)]


def _describe(error: Any, root: Mapping[str, Any] | None = None) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Pointer(s) and message for one jsonschema error (unexpected keys point at each key)."""
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        for key in _unexpected_keys(error.instance, error.schema):
            yield (*path, key), f"unexpected key {key!r}"
        return
    if error.validator == "unevaluatedProperties" and isinstance(error.instance, Mapping):
        # jsonschema also lists keys whose own subschema failed (their annotations are dropped);
        # only keys that no `properties`/`patternProperties` reachable through allOf/$ref declares
        # are unexpected. The others already have their own, more precise error.
        for key in _unexpected_keys(error.instance, _declared(error.schema, root or {})):
            yield (*path, key), f"unexpected key {key!r}"
        return
    where = "/".join(str(step) for step in path) or "(top level)"
    if error.validator == "required":
        yield path, f"{where}: {error.message}"
        return
    if error.validator in ("type", "enum", "const", "pattern", "oneOf", "anyOf"):
        yield path, f"{where}: {_short(error.instance)} {_reason(error)}"
        return
    yield path, f"{where}: {error.message[:200]}"


def _reason(error: Any) -> str:
    if error.validator == "type":
        return f"is not of type {error.validator_value}"
    if error.validator == "enum":
        return f"is not one of {', '.join(map(str, error.validator_value))}"[:200]
    if error.validator == "pattern":
        return _pattern_reason(str(error.validator_value))
    return "is not valid here"


def _pattern_reason(pattern: str) -> str:
    """What a failed `pattern` asks for, in words where the pattern is the workflow schema's
    expression pattern (`^\\$\\{\\{(.|[\\r\\n])*\\}\\}$`), else the pattern on one line (escaped)."""
    if pattern.startswith("^\\$\\{\\{") and pattern.endswith("\\}\\}$"):
        return "is not a ${{ }} expression"
    one_line = pattern.encode("unicode_escape").decode("ascii")
    return f"does not match the pattern {one_line[:120]}"


def _short(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_VALUE_TEXT else text[: MAX_VALUE_TEXT - 3] + "..."


def _unexpected_keys(instance: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    import re

    known = schema.get("properties") or {}
    patterns = [re.compile(pattern) for pattern in schema.get("patternProperties") or {}]
    return [key for key in instance if key not in known and not any(p.search(key) for p in patterns)]


def _declared(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    """`properties` and `patternProperties` of a schema merged with those of its allOf/$ref parts."""
    merged: dict[str, Any] = {
        "properties": dict(schema.get("properties") or {}),
        "patternProperties": dict(schema.get("patternProperties") or {}),
    }
    if depth > 10:
        return merged
    parts = list(schema.get("allOf") or ())
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: Any = root
        for step in ref[2:].split("/"):
            node = node.get(step) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping):
            parts.append(node)
    for part in parts:
        if isinstance(part, Mapping):
            inner = _declared(part, root, depth + 1)
            merged["properties"].update(inner["properties"])
            merged["patternProperties"].update(inner["patternProperties"])
    return merged


#: Keywords whose value is one subschema, a list of subschemas, or a map of names to subschemas.
_ONE_SCHEMA = frozenset(
    {"additionalProperties", "additionalItems", "contains", "else", "if", "items", "not", "propertyNames", "then",
     "unevaluatedItems", "unevaluatedProperties"}
)
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_MAPS = frozenset({"$defs", "definitions", "dependentSchemas", "patternProperties", "properties"})
_DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def for_fast_check(schema: Any, root: Any, draft7: bool | None = None) -> Any:
    """The schema rewritten for policylint.core.fastschema's Draft 2020-12 evaluator, for a validity check.

    Draft-07 schemas (the GitHub ones) become their 2020-12 equivalent: a `$ref` hides its
    siblings, `items: [...]` is `prefixItems`, `additionalItems` is `items`, `dependencies` splits
    into `dependentRequired`/`dependentSchemas`. `unevaluatedProperties: false` (compose-spec)
    becomes a `propertyNames` check against the names the schema and its allOf/$ref parts declare:
    a subset of what jsonschema counts as evaluated, so the check may reject a valid document (it
    then goes to jsonschema) but never accepts an invalid one.
    """
    if draft7 is None:
        draft7 = isinstance(root, Mapping) and "draft-07" in str(root.get("$schema", ""))
    if not isinstance(schema, Mapping):
        return schema
    if draft7 and "$ref" in schema:
        return {"$ref": schema["$ref"]}  # draft-07: a reference's siblings are ignored
    result: dict[str, Any] = {}
    for keyword, value in schema.items():
        if keyword == "$schema":
            result[keyword] = _DRAFT_2020_12
        elif draft7 and keyword == "items" and isinstance(value, list):
            result["prefixItems"] = [for_fast_check(item, root, draft7) for item in value]
            if "additionalItems" in schema:
                result["items"] = for_fast_check(schema["additionalItems"], root, draft7)
        elif draft7 and keyword == "additionalItems":
            continue  # handled with `items` (alone it has no effect)
        elif draft7 and keyword == "dependencies" and isinstance(value, Mapping):
            for name, dependency in value.items():
                if isinstance(dependency, list):
                    result.setdefault("dependentRequired", {})[name] = dependency
                else:
                    result.setdefault("dependentSchemas", {})[name] = for_fast_check(dependency, root, draft7)
        elif keyword == "unevaluatedProperties" and value is False and not draft7:
            names = _evaluated_names(schema, root)
            if names is not None:
                restriction = {"anyOf": [{"enum": sorted(names[0])}, *({"pattern": p} for p in sorted(names[1]))]}
                if "propertyNames" in schema:
                    restriction = {"allOf": [for_fast_check(schema["propertyNames"], root, draft7), restriction]}
                result["propertyNames"] = restriction
        elif keyword == "propertyNames" and schema.get("unevaluatedProperties") is False and not draft7:
            continue  # joined with the unevaluatedProperties restriction above
        elif keyword in _ONE_SCHEMA:
            result[keyword] = for_fast_check(value, root, draft7)
        elif keyword in _SCHEMA_LISTS and isinstance(value, list):
            result[keyword] = [for_fast_check(item, root, draft7) for item in value]
        elif keyword in _SCHEMA_MAPS and isinstance(value, Mapping):
            result[keyword] = {name: for_fast_check(item, root, draft7) for name, item in value.items()}
        else:
            result[keyword] = value
    return result


def _evaluated_names(
    schema: Mapping[str, Any], root: Any, depth: int = 0
) -> tuple[set[str], set[str]] | None:
    """Property names and patterns a schema surely evaluates (its own and its allOf/$ref parts'),
    or None when every key is evaluated (an `additionalProperties` that is not `false`)."""
    if depth > 20:
        return set(), set()
    additional = schema.get("additionalProperties", False)
    if additional is not False:
        return None
    names = {str(name) for name in schema.get("properties") or {}}
    patterns = {str(pattern) for pattern in schema.get("patternProperties") or {}}
    parts = [part for part in schema.get("allOf") or () if isinstance(part, Mapping)]
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: Any = root
        for step in ref[2:].split("/"):
            node = node.get(step.replace("~1", "/").replace("~0", "~")) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping):
            parts.append(node)
    for part in parts:
        inner = _evaluated_names(part, root, depth + 1)
        if inner is None:
            return None
        names |= inner[0]
        patterns |= inner[1]
    return names, patterns
