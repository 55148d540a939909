"""A compiled evaluator for the JSON Schema subset policies use, without importing jsonschema.

Why: importing jsonschema costs about 100 ms, more than the rest of a pre-commit run, and its
generic validator is the hot loop of a large run. Policies use a small, stable part of Draft
2020-12, so `compile_schema` turns a condition into plain closures once per run. It reproduces
jsonschema's results exactly for what it accepts: the same verdict, the same errors in the same
order, with the same paths and messages (tests/test_fastschema.py compares both on every policy
example and on generated instances). Anything it does not implement (`unevaluated*`,
`$dynamicRef`, remote or `$id`-based references, custom keywords not declared fast) raises
`Unsupported`, and the caller falls back to jsonschema for that condition.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

Path = tuple[Any, ...]
Error = tuple[Path, str]
Valid = Callable[[Any], bool]
Errors = Callable[[Any], Iterator[Error]]
#: A custom keyword: (validator or None, keyword value, instance, schema) -> errors with .path/.message.
KeywordFunction = Callable[[Any, Any, Any, Any], Any]

#: Every keyword jsonschema's Draft202012Validator validates (a test keeps this list in sync).
DRAFT_2020_12_KEYWORDS = frozenset(
    {
        "$dynamicRef", "$ref", "additionalProperties", "allOf", "anyOf", "const", "contains",
        "dependentRequired", "dependentSchemas", "enum", "exclusiveMaximum", "exclusiveMinimum", "format", "if",
        "items", "maxItems", "maxLength", "maxProperties", "maximum", "minItems", "minLength", "minProperties",
        "minimum", "multipleOf", "not", "oneOf", "pattern", "patternProperties", "prefixItems", "properties",
        "propertyNames", "required", "type", "unevaluatedItems", "unevaluatedProperties", "uniqueItems",
    }
)
_NOT_IMPLEMENTED = frozenset({"$dynamicRef", "unevaluatedItems", "unevaluatedProperties", "multipleOf"})
#: Keywords that change how references resolve: not supported (fall back).
_SCOPE_KEYWORDS = frozenset({"$id", "$anchor", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor", "$vocabulary"})
_SCHEMA_2020_12 = ("https://json-schema.org/draft/2020-12/schema", "https://json-schema.org/draft/2020-12/schema#")


class Unsupported(Exception):
    """The schema uses something this evaluator does not reproduce exactly."""


# -- jsonschema's type and equality semantics ---------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: dict[str, Callable[[Any], bool]] = {
    "array": lambda value: isinstance(value, list),
    "boolean": lambda value: isinstance(value, bool),
    "integer": lambda value: (isinstance(value, int) and not isinstance(value, bool))
    or (isinstance(value, float) and value.is_integer()),
    "null": lambda value: value is None,
    "number": _is_number,
    "object": lambda value: isinstance(value, dict),
    "string": lambda value: isinstance(value, str),
}


def _unbool(value: Any, true: object = object(), false: object = object()) -> Any:
    if value is True:
        return true
    if value is False:
        return false
    return value


def equal(one: Any, two: Any) -> bool:
    """JSON equality: `True` is not `1`, containers compare element-wise by the same rule."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two, strict=False))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(key in two and equal(value, two[key]) for key, value in one.items())
    return bool(_unbool(one) == _unbool(two))


def _unique(items: list[Any]) -> bool:
    seen: list[Any] = []
    for item in items:
        item = _unbool(item)
        if any(equal(previous, item) for previous in seen):
            return False
        seen.append(item)
    return True


def _prefixed(key: Any, errors: Iterator[Error]) -> Iterator[Error]:
    for path, message in errors:
        yield (key, *path), message


def _descend(child: _Node, key: Any, instance: Any) -> Iterator[Error]:
    """Errors of a subschema at `key`; like jsonschema, a `false` subschema's error keeps the parent path."""
    if child.false:
        return child.errors(instance)
    return _prefixed(key, child.errors(instance))


def _none(instance: Any) -> Iterator[Error]:
    return iter(())


def _always(instance: Any) -> bool:
    return True


class _Node:
    """A compiled (sub)schema: `valid(instance)` and `errors(instance)` in jsonschema's order."""

    __slots__ = ("errors", "false", "valid")

    def __init__(self, valid: Valid, errors: Errors, false: bool = False) -> None:
        self.valid = valid
        self.errors = errors
        self.false = false


class _Compiler:
    def __init__(
        self,
        root: Any,
        keywords: Mapping[str, KeywordFunction],
        formats: Mapping[str, Callable[[Any], bool]],
        resources: Mapping[str, Any],
    ) -> None:
        self.root = root
        self.keywords = keywords
        self.formats = formats
        self.base = _document_uri(root)
        self.documents: dict[str, Any] = {**resources, self.base: root}
        self.document_ids = {id(document) for document in self.documents.values()}
        self.refs: dict[str, _Node] = {}
        self.cache: dict[int, tuple[Any, _Node]] = {}

    def node(self, schema: Any) -> _Node:
        if schema is True:
            return _Node(_always, _none)
        if schema is False:
            return _Node(
                lambda instance: False, lambda instance: iter((((), f"False schema does not allow {instance!r}"),)), True
            )
        if not isinstance(schema, dict):
            raise Unsupported(f"schema must be an object or a boolean, not {type(schema).__name__}")
        parts: list[tuple[Valid, Errors]] = []
        for keyword, value in schema.items():
            if keyword == "$id" and id(schema) in self.document_ids:
                continue  # a document's own base URI (references resolve against it)
            if keyword in _SCOPE_KEYWORDS or keyword in _NOT_IMPLEMENTED:
                raise Unsupported(keyword)
            if keyword == "$schema":
                if value not in _SCHEMA_2020_12:
                    raise Unsupported(f"$schema {value!r}")
                continue
            if keyword in self.keywords:
                parts.append(self._custom(keyword, value, schema))
            elif keyword in DRAFT_2020_12_KEYWORDS:
                parts.append(getattr(self, "_k_" + keyword.lstrip("$"))(value, schema))
            # anything else is an annotation or unknown: ignored, as jsonschema does
        if not parts:
            return _Node(_always, _none)
        if len(parts) == 1:
            return _Node(*parts[0])
        valids = tuple(valid for valid, _ in parts)
        errors = tuple(errs for _, errs in parts)

        def valid(instance: Any) -> bool:
            for check in valids:  # noqa: SIM110 - a plain loop is faster than all() on this hot path
                if not check(instance):
                    return False
            return True

        def all_errors(instance: Any) -> Iterator[Error]:
            for errs in errors:
                yield from errs(instance)

        return _Node(valid, all_errors)

    # -- keywords, each returning (valid, errors) --------------------------------------------

    def _custom(self, keyword: str, value: Any, schema: dict[str, Any]) -> tuple[Valid, Errors]:
        function = self.keywords[keyword]
        shim = _ValidatorShim(self)

        def errors(instance: Any) -> Iterator[Error]:
            for error in function(shim, value, instance, schema) or ():
                yield tuple(error.path), error.message

        return (lambda instance: next(errors(instance), None) is None), errors

    def cached(self, schema: Any) -> _Node:
        """A subschema compiled once (custom keywords descend into their own subschemas)."""
        key = id(schema)
        found = self.cache.get(key)
        if found is None or found[0] is not schema:
            found = (schema, self.node(schema))
            self.cache[key] = found
        return found[1]

    def _k_type(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(name, str) and name in _TYPES for name in names):
            raise Unsupported(f"type {value!r}")
        checks = tuple(_TYPES[name] for name in names)
        reprs = ", ".join(repr(name) for name in names)
        if len(checks) == 1:  # the usual case: the check itself, without a generator per call
            valid = checks[0]
        else:

            def valid(instance: Any) -> bool:
                return any(check(instance) for check in checks)

        def errors(instance: Any) -> Iterator[Error]:
            if not valid(instance):
                yield (), f"{instance!r} is not of type {reprs}"

        return valid, errors

    def _k_properties(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        if not isinstance(value, dict):
            raise Unsupported("properties")
        children = tuple((name, self.node(sub)) for name, sub in value.items())

        def valid(instance: Any) -> bool:
            if not isinstance(instance, dict):
                return True
            for name, child in children:  # noqa: SIM110 - hot path
                if name in instance and not child.valid(instance[name]):
                    return False
            return True

        def errors(instance: Any) -> Iterator[Error]:
            if isinstance(instance, dict):
                for name, child in children:
                    if name in instance:
                        yield from _descend(child, name, instance[name])

        return valid, errors

    def _k_required(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
            raise Unsupported("required")
        names = tuple(value)

        def valid(instance: Any) -> bool:
            return not isinstance(instance, dict) or all(name in instance for name in names)

        def errors(instance: Any) -> Iterator[Error]:
            if isinstance(instance, dict):
                for name in names:
                    if name not in instance:
                        yield (), f"{name!r} is a required property"

        return valid, errors

    def _simple(self, check: Callable[[Any], bool], message: Callable[[Any], str]) -> tuple[Valid, Errors]:
        def errors(instance: Any) -> Iterator[Error]:
            if not check(instance):
                yield (), message(instance)

        return check, errors

    def _k_const(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        text = f"{value!r} was expected"
        return self._simple(lambda instance: equal(instance, value), lambda instance: text)

    def _k_enum(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        if not isinstance(value, list):
            raise Unsupported("enum")
        return self._simple(
            lambda instance: any(equal(each, instance) for each in value),
            lambda instance: f"{instance!r} is not one of {value!r}",
        )

    def _k_not(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        child = self.node(value)
        return self._simple(
            lambda instance: not child.valid(instance),
            lambda instance: f"{instance!r} should not be valid under {value!r}",
        )

    def _k_allOf(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        if not isinstance(value, list):
            raise Unsupported("allOf")
        children = tuple(self.node(sub) for sub in value)

        def valid(instance: Any) -> bool:
            return all(child.valid(instance) for child in children)

        def errors(instance: Any) -> Iterator[Error]:
            for child in children:
                yield from child.errors(instance)

        return valid, errors

    def _k_anyOf(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        if not isinstance(value, list):
            raise Unsupported("anyOf")
        children = tuple(self.node(sub) for sub in value)
        return self._simple(
            lambda instance: any(child.valid(instance) for child in children),
            lambda instance: f"{instance!r} is not valid under any of the given schemas",
        )

    def _k_oneOf(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        if not isinstance(value, list):
            raise Unsupported("oneOf")
        children = tuple(self.node(sub) for sub in value)

        def valid(instance: Any) -> bool:
            return sum(1 for child in children if child.valid(instance)) == 1

        def errors(instance: Any) -> Iterator[Error]:
            matching = [index for index, child in enumerate(children) if child.valid(instance)]
            if not matching:
                yield (), f"{instance!r} is not valid under any of the given schemas"
            elif len(matching) > 1:
                order = [*matching[1:], matching[0]]
                reprs = ", ".join(repr(value[index]) for index in order)
                yield (), f"{instance!r} is valid under each of {reprs}"

        return valid, errors

    def _k_if(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        condition = self.node(value)
        then = self.node(schema["then"]) if "then" in schema else None
        otherwise = self.node(schema["else"]) if "else" in schema else None

        def valid(instance: Any) -> bool:
            branch = then if condition.valid(instance) else otherwise
            return branch is None or branch.valid(instance)

        def errors(instance: Any) -> Iterator[Error]:
            branch = then if condition.valid(instance) else otherwise
            if branch is not None:
                yield from branch.errors(instance)

        return valid, errors

    def _k_items(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        prefix = schema.get("prefixItems", [])
        if not isinstance(prefix, list):
            raise Unsupported("prefixItems")
        start = len(prefix)
        if value is False:

            def errors_false(instance: Any) -> Iterator[Error]:
                if isinstance(instance, list) and len(instance) > start:
                    extra = len(instance) - start
                    rest = instance[start:] if extra != 1 else instance[start]
                    item = "items" if start != 1 else "item"
                    yield (), f"Expected at most {start} {item} but found {extra} extra: {rest!r}"

            return (lambda instance: not isinstance(instance, list) or len(instance) <= start), errors_false
        child = self.node(value)

        def valid(instance: Any) -> bool:
            return not isinstance(instance, list) or all(child.valid(item) for item in instance[start:])

        def errors(instance: Any) -> Iterator[Error]:
            if isinstance(instance, list):
                for index in range(start, len(instance)):
                    yield from _descend(child, index, instance[index])

        return valid, errors

    def _k_prefixItems(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        if not isinstance(value, list):
            raise Unsupported("prefixItems")
        children = tuple(self.node(sub) for sub in value)

        def valid(instance: Any) -> bool:
            return not isinstance(instance, list) or all(
                child.valid(item) for item, child in zip(instance, children, strict=False)
            )

        def errors(instance: Any) -> Iterator[Error]:
            if isinstance(instance, list):
                for index, (item, child) in enumerate(zip(instance, children, strict=False)):
                    yield from _descend(child, index, item)

        return valid, errors

    def _k_contains(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        child = self.node(value)
        minimum = schema.get("minContains", 1)
        maximum_given = schema.get("maxContains")
        for bound in (minimum, maximum_given):
            if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)):
                raise Unsupported("minContains/maxContains")

        def errors(instance: Any) -> Iterator[Error]:
            if not isinstance(instance, list):
                return
            maximum = len(instance) if maximum_given is None else maximum_given
            matches = 0
            for item in instance:
                if child.valid(item):
                    matches += 1
                    if matches > maximum:
                        yield (), f"Too many items match the given schema (expected at most {maximum})"
                        return
            if matches < minimum:
                if not matches:
                    yield (), f"{instance!r} does not contain items matching the given schema"
                else:
                    yield (), (
                        f"Too few items match the given schema (expected at least {minimum} but only {matches} matched)"
                    )

        return (lambda instance: next(errors(instance), None) is None), errors

    def _bound(self, value: Any, applies: Callable[[Any], bool], fails: Callable[[Any], bool],
               message: Callable[[Any], str]) -> tuple[Valid, Errors]:
        if not _is_number(value):
            raise Unsupported("numeric bound")
        return self._simple(lambda instance: not applies(instance) or not fails(instance), message)

    def _k_minimum(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        return self._bound(value, _is_number, lambda i: i < value, lambda i: f"{i!r} is less than the minimum of {value!r}")

    def _k_maximum(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        return self._bound(
            value, _is_number, lambda i: i > value, lambda i: f"{i!r} is greater than the maximum of {value!r}"
        )

    def _k_exclusiveMinimum(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        return self._bound(
            value, _is_number, lambda i: i <= value,
            lambda i: f"{i!r} is less than or equal to the minimum of {value!r}",
        )

    def _k_exclusiveMaximum(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        return self._bound(
            value, _is_number, lambda i: i >= value,
            lambda i: f"{i!r} is greater than or equal to the maximum of {value!r}",
        )

    def _size(self, value: Any, kind: type, too_small: bool, one: str, other: str) -> tuple[Valid, Errors]:
        if not isinstance(value, int) or isinstance(value, bool):
            raise Unsupported("size bound")
        special = 1 if too_small else 0
        words = one if value == special else other
        if too_small:
            return self._simple(
                lambda i: not isinstance(i, kind) or len(i) >= value, lambda i: f"{i!r} {words}"
            )
        return self._simple(lambda i: not isinstance(i, kind) or len(i) <= value, lambda i: f"{i!r} {words}")

    def _k_minItems(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        return self._size(value, list, True, "should be non-empty", "is too short")

    def _k_maxItems(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        return self._size(value, list, False, "is expected to be empty", "is too long")

    def _k_minLength(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        return self._size(value, str, True, "should be non-empty", "is too short")

    def _k_maxLength(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        return self._size(value, str, False, "is expected to be empty", "is too long")

    def _k_minProperties(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        return self._size(value, dict, True, "should be non-empty", "does not have enough properties")

    def _k_maxProperties(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        return self._size(value, dict, False, "is expected to be empty", "has too many properties")

    def _k_uniqueItems(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        return self._simple(
            lambda i: not value or not isinstance(i, list) or _unique(i), lambda i: f"{i!r} has non-unique elements"
        )

    def _k_pattern(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        if not isinstance(value, str):
            raise Unsupported("pattern")
        search = re.compile(value).search
        return self._simple(
            lambda i: not isinstance(i, str) or search(i) is not None, lambda i: f"{i!r} does not match {value!r}"
        )

    def _k_format(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        check = self.formats.get(value) if isinstance(value, str) else None
        if check is None:
            return _always, _none  # unknown formats are annotations, as in jsonschema
        return self._simple(lambda i: bool(check(i)), lambda i: f"{i!r} is not a {value!r}")

    def _k_patternProperties(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        if not isinstance(value, dict):
            raise Unsupported("patternProperties")
        children = tuple((re.compile(pattern).search, self.node(sub)) for pattern, sub in value.items())

        def errors(instance: Any) -> Iterator[Error]:
            if isinstance(instance, dict):
                for search, child in children:
                    for key, item in instance.items():
                        if search(key):
                            yield from _descend(child, key, item)

        def valid(instance: Any) -> bool:
            if not isinstance(instance, dict):
                return True
            return all(child.valid(item) for search, child in children for key, item in instance.items() if search(key))

        return valid, errors

    def _k_additionalProperties(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        known = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        if not isinstance(known, dict) or not isinstance(patterns, dict):
            raise Unsupported("additionalProperties")
        joined = "|".join(patterns)
        search = re.compile(joined).search if joined else None

        def extras(instance: dict[str, Any]) -> list[str]:
            return [key for key in instance if key not in known and not (search and search(key))]

        if isinstance(value, dict):
            child = self.node(value)

            def errors(instance: Any) -> Iterator[Error]:
                if isinstance(instance, dict):
                    for key in extras(instance):
                        yield from _descend(child, key, instance[key])

            def valid(instance: Any) -> bool:
                return not isinstance(instance, dict) or all(child.valid(instance[key]) for key in extras(instance))

            return valid, errors
        if value is not False and value is not True:
            raise Unsupported("additionalProperties")
        if value is True:
            return _always, _none

        def errors_false(instance: Any) -> Iterator[Error]:
            if not isinstance(instance, dict):
                return
            found = extras(instance)
            if not found:
                return
            if "patternProperties" in schema:
                verb = "does" if len(found) == 1 else "do"
                names = ", ".join(repr(each) for each in sorted(found))
                regexes = ", ".join(repr(each) for each in sorted(patterns))
                yield (), f"{names} {verb} not match any of the regexes: {regexes}"
            else:
                verb = "was" if len(found) == 1 else "were"
                names = ", ".join(repr(each) for each in sorted(found, key=str))
                yield (), f"Additional properties are not allowed ({names} {verb} unexpected)"

        return (lambda instance: not isinstance(instance, dict) or not extras(instance)), errors_false

    def _k_propertyNames(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        child = self.node(value)

        def valid(instance: Any) -> bool:
            return not isinstance(instance, dict) or all(child.valid(key) for key in instance)

        def errors(instance: Any) -> Iterator[Error]:
            if isinstance(instance, dict):
                for key in instance:
                    yield from child.errors(key)

        return valid, errors

    def _k_dependentRequired(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        if not isinstance(value, dict) or not all(isinstance(names, list) for names in value.values()):
            raise Unsupported("dependentRequired")

        def errors(instance: Any) -> Iterator[Error]:
            if isinstance(instance, dict):
                for name, needed in value.items():
                    if name in instance:
                        for each in needed:
                            if each not in instance:
                                yield (), f"{each!r} is a dependency of {name!r}"

        return (lambda instance: next(errors(instance), None) is None), errors

    def _k_dependentSchemas(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        if not isinstance(value, dict):
            raise Unsupported("dependentSchemas")
        children = tuple((name, self.node(sub)) for name, sub in value.items())

        def valid(instance: Any) -> bool:
            return not isinstance(instance, dict) or all(
                child.valid(instance) for name, child in children if name in instance
            )

        def errors(instance: Any) -> Iterator[Error]:
            if isinstance(instance, dict):
                for name, child in children:
                    if name in instance:
                        yield from child.errors(instance)

        return valid, errors

    def _k_ref(self, value: Any, schema: Any) -> tuple[Valid, Errors]:
        if not isinstance(value, str):
            raise Unsupported(f"$ref {value!r}")
        from urllib.parse import urljoin  # text only: nothing is ever fetched

        uri, _, fragment = (urljoin(self.base, value) if self.base else value).partition("#")
        document = self.documents.get(uri)
        if document is None:
            raise Unsupported(f"$ref {value!r}: not a document given to the compiler")
        key = f"{uri}#{fragment}"
        if key not in self.refs:
            self.refs[key] = self._lazy(document, uri, fragment, value)
        node = self.refs[key]
        return (lambda instance: node.valid(instance)), (lambda instance: node.errors(instance))

    def _lazy(self, document: Any, uri: str, fragment: str, ref: str) -> _Node:
        """A node compiled on first use: a large schema graph (Kubernetes' definitions) costs only
        what the documents in hand reach, and references may be recursive."""
        node = _Node(_always, _none)

        def compile_now() -> None:
            target = self._resolve(document, fragment, ref)
            outer, self.base = self.base, uri
            try:
                compiled = self.node(target)
            finally:
                self.base = outer
            node.valid, node.errors, node.false = compiled.valid, compiled.errors, compiled.false

        def first_valid(instance: Any) -> bool:
            compile_now()
            return node.valid(instance)

        def first_errors(instance: Any) -> Iterator[Error]:
            compile_now()
            return node.errors(instance)

        node.valid, node.errors = first_valid, first_errors
        if ref.startswith("#") and uri == self.base and document is self.root:
            self._resolve(document, fragment, ref)  # a local reference that does not resolve fails now
        return node

    def _resolve(self, document: Any, pointer: str, ref: str) -> Any:
        if pointer and not pointer.startswith("/"):
            raise Unsupported(f"$ref {ref!r}")
        node = document
        for raw in pointer.split("/")[1:]:
            step = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and step in node:
                node = node[step]
            elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
                node = node[int(step)]
            else:
                raise Unsupported(f"$ref {ref!r} does not resolve")
        return node


class KeywordError:
    """An error a custom keyword reports under the compiled evaluator (jsonschema's shape, light)."""

    __slots__ = ("message", "path")

    def __init__(self, message: str, path: Sequence[Any] = ()) -> None:
        self.message = message
        self.path = tuple(path)


class _Evolved:
    __slots__ = ("_node",)

    def __init__(self, node: _Node) -> None:
        self._node = node

    def is_valid(self, instance: Any) -> bool:
        return self._node.valid(instance)

    def iter_errors(self, instance: Any) -> Iterator[KeywordError]:
        for path, message in self._node.errors(instance):
            yield KeywordError(message, path)


class _ValidatorShim:
    """The part of jsonschema's validator API custom keywords use: evolve, descend, is_type.

    Anything else raises `Unsupported`, so the condition falls back to jsonschema.
    """

    __slots__ = ("_compiler",)

    def __init__(self, compiler: _Compiler) -> None:
        self._compiler = compiler

    def policylint_error(self, message: str, path: Sequence[Any] = ()) -> KeywordError:
        """An error object for a custom keyword, without importing jsonschema."""
        return KeywordError(message, path)

    def evolve(self, schema: Any = None, **changes: Any) -> _Evolved:
        if changes:
            raise Unsupported(f"evolve({', '.join(changes)})")
        return _Evolved(self._compiler.cached(schema))

    def is_type(self, instance: Any, name: str) -> bool:
        check = _TYPES.get(name)
        if check is None:
            raise Unsupported(f"type {name!r}")
        return check(instance)

    def descend(self, instance: Any, schema: Any, path: Any = None, schema_path: Any = None) -> Iterator[KeywordError]:
        node = self._compiler.cached(schema)
        prefix = () if path is None or node.false else (path,)
        for found, message in node.errors(instance):
            yield KeywordError(message, (*prefix, *found))

    def __getattr__(self, name: str) -> Any:
        raise Unsupported(f"validator.{name} inside a keyword")


class CompiledSchema:
    """A condition compiled by `compile_schema`."""

    __slots__ = ("_root",)

    def __init__(self, root: _Node) -> None:
        self._root = root

    def is_valid(self, instance: Any) -> bool:
        """True when jsonschema would report no error."""
        return self._root.valid(instance)

    def iter_errors(self, instance: Any) -> Iterator[Error]:
        """(absolute path, message) of each error, in jsonschema's `iter_errors` order."""
        return self._root.errors(instance)


def _document_uri(document: Any) -> str:
    """A document's `$id` without its fragment ("" when it has none)."""
    identifier = document.get("$id") if isinstance(document, dict) else None
    return identifier.partition("#")[0] if isinstance(identifier, str) else ""


def compile_schema(
    schema: Any,
    keywords: Mapping[str, KeywordFunction] | None = None,
    formats: Mapping[str, Callable[[Any], bool]] | None = None,
    resources: Sequence[Any] = (),
) -> CompiledSchema:
    """Compile `schema`, or raise `Unsupported` when jsonschema must evaluate it instead.

    `keywords` are custom keywords that accept `validator=None`; `formats` map a format name to
    a checker returning a bool (unknown formats are ignored, as jsonschema's FormatChecker does,
    and all of them when no checker is given). `resources` are other schema documents, each with
    an `$id`, that `$ref` may point into (jsonschema's registry); nothing is ever fetched.
    """
    documents = {_document_uri(document): document for document in resources if _document_uri(document)}
    try:
        return CompiledSchema(_Compiler(schema, keywords or {}, formats or {}, documents).node(schema))
    except re.error as exc:
        raise Unsupported(f"pattern: {exc}") from exc
    except RecursionError as exc:
        raise Unsupported("schema nested too deeply") from exc
