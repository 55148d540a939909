"""The compiled evaluator (policylint.core.fastschema) must agree with jsonschema exactly.

Same verdict, same errors in the same order, same paths and messages: checked on every policy
example (all policies over every example's files), on the fixtures, and on generated schemas and
instances (hypothesis).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import ROOT

from policylint.catalog import load_policies
from policylint.core import conditions
from policylint.core.conditions import Condition, format_checks, keywords
from policylint.core.documents import LoadResult
from policylint.core.engine import run
from policylint.core.fastschema import DRAFT_2020_12_KEYWORDS, Unsupported, compile_schema
from policylint.core.kinds import detect_by_name
from policylint.core.loading import load_bytes
from policylint.examples import example_files, iter_examples, strip_markers
from policylint.options import RunOptions
from policylint.runner import load_paths

POLICIES = list(load_policies())


@pytest.fixture(autouse=True)
def _ordered_additional_properties(monkeypatch: pytest.MonkeyPatch) -> None:
    """jsonschema walks `additionalProperties` extras as a set: an order that changes with the hash
    seed (so its findings could differ between two runs). The compiled evaluator walks them in
    document order; make the reference do the same so the comparison is exact."""
    import jsonschema._keywords

    monkeypatch.setattr(jsonschema._keywords, "set", lambda items=(): list(dict.fromkeys(items)), raising=False)


def _jsonschema_errors(schema: Any, instance: Any) -> list[tuple[tuple[Any, ...], str]]:
    cls, checker = conditions._setup()
    return [(tuple(error.absolute_path), error.message) for error in cls(schema, format_checker=checker).iter_errors(instance)]


def _findings(load: LoadResult, fast: bool, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    monkeypatch.setattr(conditions, "USE_FAST_EVALUATOR", fast)
    fresh = [policy.with_params({}) for policy in POLICIES]  # no condition compiled by the other mode
    return run(load, fresh)


def test_keyword_list_matches_jsonschema() -> None:
    from jsonschema import Draft202012Validator

    assert set(Draft202012Validator.VALIDATORS) == DRAFT_2020_12_KEYWORDS


def test_every_policy_condition_compiles() -> None:
    """Every shipped condition runs on the compiled evaluator (none silently needs jsonschema)."""
    for policy in POLICIES:
        for schema in (policy.condition, policy.when):
            if schema is not None:
                compile_schema(schema, keywords(), format_checks())


def _example_loads() -> list[tuple[str, LoadResult]]:
    loads = []
    for policy in POLICIES:
        for name, example, _ in iter_examples(policy):
            load = LoadResult()
            for path, text in example_files(policy, example).items():
                clean, _marks = strip_markers(text)
                load.extend(load_bytes(path, clean.encode(), detect_by_name(path) or "yaml"))
            loads.append((f"{policy.id} {name}", load))
    return loads


@pytest.mark.parametrize(("name", "load"), _example_loads(), ids=lambda value: value if isinstance(value, str) else "")
def test_examples_give_identical_findings(name: str, load: LoadResult, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _findings(load, True, monkeypatch) == _findings(load, False, monkeypatch)


def test_fixtures_give_identical_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    load, _ = load_paths([str(ROOT / "fixtures")], RunOptions())
    fast = _findings(load, True, monkeypatch)
    assert fast == _findings(load, False, monkeypatch)
    assert fast  # the fixtures do break policies


def test_unsupported_keywords_fall_back_to_jsonschema() -> None:
    schema = {"properties": {"a": {"unevaluatedProperties": False, "properties": {"b": True}}}}
    with pytest.raises(Unsupported):
        compile_schema(schema)
    condition = Condition(schema)
    assert [v.reason for v in condition.violations({"a": {"b": 1, "c": 2}})] == [
        "Unevaluated properties are not allowed ('c' was unexpected)"
    ]


def test_custom_keyword_runs_without_jsonschema_validator() -> None:
    schema = {"requestsWithinLimits": True}
    instance = {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}
    fast = compile_schema(schema, keywords(), format_checks())
    assert list(fast.iter_errors(instance)) == _jsonschema_errors(schema, instance)
    assert list(fast.iter_errors(instance)) == [(("requests", "cpu"), "request 2 for cpu exceeds its limit 1")]


# -- generated schemas and instances -----------------------------------------------------------

KEYS = st.sampled_from(["a", "b", "c", "name", "x-1"])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, 1.0, 2.5, -1.5]),
    st.sampled_from(["", "a", "latest", "nginx:latest", "nginx@sha256:" + "a" * 64, "100m", "x-1", "B", "abc"]),
)
INSTANCES = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=4)),
    max_leaves=12,
)
TYPES = st.sampled_from(["array", "boolean", "integer", "null", "number", "object", "string"])


def _schemas(children: st.SearchStrategy[Any], with_ref: bool) -> st.SearchStrategy[Any]:
    keyword = st.one_of(
        st.just({"$ref": "#/$defs/d"} if with_ref else {}),
        st.builds(lambda t: {"type": t}, st.one_of(TYPES, st.lists(TYPES, min_size=1, max_size=3))),
        st.builds(lambda v: {"const": v}, INSTANCES),
        st.builds(lambda v: {"enum": v}, st.lists(INSTANCES, min_size=1, max_size=3)),
        st.builds(lambda p: {"properties": p}, st.dictionaries(KEYS, children, max_size=3)),
        st.builds(lambda r: {"required": r}, st.lists(KEYS, max_size=3, unique=True)),
        st.builds(lambda s: {"not": s}, children),
        st.builds(lambda s: {"anyOf": s}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda s: {"allOf": s}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda s: {"oneOf": s}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda i, t, e: {"if": i, "then": t, "else": e}, children, children, children),
        st.builds(lambda s: {"items": s}, st.one_of(children, st.just(False))),
        st.builds(lambda p, s: {"prefixItems": p, "items": s}, st.lists(children, max_size=2), children),
        st.builds(lambda s, n: {"contains": s, "minContains": n}, children, st.integers(0, 2)),
        st.builds(lambda s, n: {"contains": s, "maxContains": n}, children, st.integers(0, 2)),
        st.builds(lambda n: {"minimum": n}, st.integers(-2, 2)),
        st.builds(lambda n: {"exclusiveMaximum": n}, st.integers(-2, 2)),
        st.builds(lambda n: {"minLength": n}, st.integers(0, 2)),
        st.builds(lambda n: {"maxItems": n}, st.integers(0, 2)),
        st.builds(lambda n: {"minProperties": n}, st.integers(0, 2)),
        st.builds(lambda n: {"maxProperties": n}, st.integers(0, 2)),
        st.just({"uniqueItems": True}),
        st.builds(lambda p: {"pattern": p}, st.sampled_from(["^a", "[0-9]", "latest$", "^$"])),
        st.builds(lambda f: {"format": f}, st.sampled_from([*sorted(format_checks()), "unknown-format"])),
        st.builds(lambda p, a: {"properties": p, "additionalProperties": a},
                  st.dictionaries(KEYS, children, max_size=2), st.one_of(st.booleans(), children)),
        st.builds(lambda p, a: {"patternProperties": p, "additionalProperties": a},
                  st.dictionaries(st.sampled_from(["^a", "^x-", "e$"]), children, max_size=2), st.booleans()),
        st.builds(lambda s: {"propertyNames": s}, children),
        st.builds(lambda d: {"dependentRequired": d}, st.dictionaries(KEYS, st.lists(KEYS, max_size=2), max_size=2)),
        st.builds(lambda d: {"dependentSchemas": d}, st.dictionaries(KEYS, children, max_size=2)),
        st.builds(lambda n, v: {"namedProperties": {"name": n, "value": v}}, children, children),
        st.just({"propertiesDiffer": ["a", "b"]}),
    )
    return st.lists(keyword, min_size=1, max_size=3).map(lambda parts: {k: v for part in parts for k, v in part.items()})


LEAVES = st.one_of(st.booleans(), st.just({}))
SCHEMAS = st.recursive(LEAVES, lambda children: _schemas(children, True), max_leaves=6)
DEFINITIONS = st.recursive(LEAVES, lambda children: _schemas(children, False), max_leaves=4)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=SCHEMAS, definition=DEFINITIONS, instance=INSTANCES)
def test_generated_schemas_agree_with_jsonschema(body: Any, definition: Any, instance: Any) -> None:
    schema = {"$defs": {"d": definition}, **body} if isinstance(body, dict) else body
    fast = compile_schema(schema, keywords(), format_checks())
    expected = _jsonschema_errors(schema, instance)
    assert fast.is_valid(instance) == (not expected)
    assert list(fast.iter_errors(instance)) == expected
