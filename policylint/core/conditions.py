"""Evaluate a policy's condition (JSON Schema of the compliant shape) on a view.

Draft 2020-12 through `jsonschema`, plus a small vocabulary for what plain JSON Schema cannot say
about these files: formats (`secret-like-name`, `placeholder`, `base64-placeholder`,
`credential-url`, `image-not-latest`, `image-pinned-by-digest`) and keywords (`propertiesDiffer`,
`namedProperties`), and what each kind adds through its `Kind.vocabulary` (Kubernetes:
`k8s-quantity`, `requestsWithinLimits`, `probePortsDeclared`). Each is documented in the README.

- `base64-placeholder`: a placeholder as such, or base64 text that decodes to one (Secret `data`
  holds base64, and `Y2hhbmdlbWU=` is just `changeme`).
- `namedProperties: {name: <schema>, value: <schema>}`: every property whose *key* is valid
  under `name` must have a value valid under `value`; errors point at that key. JSON Schema alone
  cannot tie a key's name to its value (a ConfigMap key `DB_PASSWORD` with a literal value).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policylint.core import kinds
from policylint.core.images import parse_image
from policylint.core.records import record
from policylint.core.sensitive import has_private_key, is_credential_url, is_not_a_secret, is_placeholder, is_secret_like_name

Path = tuple[str | int, ...]


@record(frozen=True, slots=True)
class Violation:
    """One way the view departs from the compliant shape: where, and jsonschema's own words."""

    path: Path
    reason: str


_validator_class: Any = None
_format_checker: Any = None


def format_checks() -> dict[str, Any]:
    """Custom formats by name: value -> bool (shared by jsonschema and policylint.core.fastschema)."""

    def strings_only(check: Any) -> Any:
        return lambda value: not isinstance(value, str) or check(value)

    return {
        "secret-like-name": strings_only(is_secret_like_name),
        "placeholder": lambda value: is_placeholder(value) if isinstance(value, str | type(None)) else False,
        "base64-placeholder": _is_base64_placeholder,
        "credential-url": strings_only(is_credential_url),
        # A value that is no secret under any name: placeholder, boolean or file path.
        "not-a-secret": is_not_a_secret,
        # A PEM private key with a real body, a secret under any name.
        "private-key": strings_only(has_private_key),
        # `ko://import/path`: ko builds the Go program and tags the image by digest at deploy time.
        "image-not-latest": strings_only(lambda value: value.startswith("ko://") or not parse_image(value).mutable),
        "image-pinned-by-digest": strings_only(lambda value: parse_image(value).pinned_by_digest),
        **kinds.vocabulary()[0],
    }


def _formats() -> Any:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name, check in format_checks().items():
        checker.checks(name)(check)
    return checker


def _is_base64_placeholder(value: Any) -> bool:
    """A placeholder, or strict base64 of UTF-8 text that is a placeholder (Secret `data`)."""
    import base64
    import binascii

    if value is None:
        return True
    if not isinstance(value, str):
        return False
    if is_placeholder(value):
        return True
    try:
        decoded = base64.b64decode("".join(value.split()), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    return is_placeholder(decoded)


def _named_properties(validator: Any, spec: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """Apply `value` to the properties whose key is valid under `name` (errors at that key)."""
    if not isinstance(instance, Mapping) or not isinstance(spec, Mapping):
        return
    name_schema, value_schema = spec.get("name", True), spec.get("value", True)
    for key in instance:
        if validator.evolve(schema=name_schema).is_valid(key):
            yield from validator.descend(instance[key], value_schema, path=key)


def keyword_error(validator: Any, message: str, path: list[Any]) -> Any:
    """A keyword's error: light under policylint.core.fastschema (no jsonschema import), else jsonschema's."""
    light = getattr(validator, "policylint_error", None)
    if light is not None:
        return light(message, path)
    from jsonschema import ValidationError

    return ValidationError(message, path=path)


def _properties_differ(validator: Any, names: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not isinstance(instance, Mapping) or not all(name in instance for name in names):
        return
    first = instance[names[0]]
    if all(instance[name] == first for name in names[1:]):
        yield keyword_error(validator, f"{', '.join(names)} are identical", [names[-1]])


#: The core's own keywords: name -> function(validator, keyword value, instance, schema) yielding errors.
KEYWORDS = {
    "propertiesDiffer": _properties_differ,
    "namedProperties": _named_properties,
}


def keywords() -> dict[str, Any]:
    """Every keyword conditions may use: the core's own and those of each registered kind."""
    return {**KEYWORDS, **kinds.vocabulary()[1]}


def _setup() -> tuple[Any, Any]:
    global _validator_class, _format_checker
    if _validator_class is None:
        from jsonschema import Draft202012Validator, validators

        _validator_class = validators.extend(Draft202012Validator, keywords())
        _format_checker = _formats()
    return _validator_class, _format_checker


#: Set to False to evaluate every condition with jsonschema (tests compare both evaluators).
USE_FAST_EVALUATOR = True


class Condition:
    """A compiled condition: `violations(instance)` lists where the instance is not compliant.

    Conditions run through `policylint.core.fastschema` (same results, no jsonschema import, several
    times faster); a schema it does not reproduce exactly is evaluated by jsonschema instead.
    """

    __slots__ = ("_fast", "_schema", "_validator")

    def __init__(self, schema: Any) -> None:
        """Compile `schema` once; it is reused for every view of the run."""
        from policylint.core.fastschema import Unsupported, compile_schema

        self._schema = schema
        self._validator: Any = None
        self._fast: Any = None
        if USE_FAST_EVALUATOR:
            try:
                self._fast = compile_schema(schema, keywords(), format_checks())
            except Unsupported:
                self._fast = None
        if self._fast is None:
            self._use_jsonschema()

    def _use_jsonschema(self) -> None:
        cls, checker = _setup()
        self._validator = cls(self._schema, format_checker=checker)
        self._fast = None

    def is_valid(self, instance: Any) -> bool:
        """True when the instance has the compliant shape."""
        if self._fast is not None:
            from policylint.core.fastschema import Unsupported

            try:
                return self._fast.is_valid(instance)
            except Unsupported:  # a custom keyword needed more than the evaluator offers
                self._use_jsonschema()
        return bool(self._validator.is_valid(instance))

    def violations(self, instance: Any) -> list[Violation]:
        """Every departure, in schema order; a `required` failure points at the parent object."""
        if self._fast is not None:
            from policylint.core.fastschema import Unsupported

            try:
                if self._fast.is_valid(instance):
                    return []
                return [Violation(path, message) for path, message in self._fast.iter_errors(instance)]
            except Unsupported:
                self._use_jsonschema()
        found: list[Violation] = []
        for error in self._validator.iter_errors(instance):
            found.append(Violation(tuple(error.absolute_path), error.message))
        return found


def check_schema(schema: Any) -> str | None:
    """None when `schema` is a valid Draft 2020-12 schema, else the reason."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return f"{'/'.join(map(str, exc.absolute_path)) or '(root)'}: {exc.message}"
    return None
