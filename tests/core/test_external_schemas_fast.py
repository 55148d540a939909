"""The compiled validity check of the vendored schemas agrees with jsonschema.

external_schemas.validate() trusts the compiled check (policylint.core.fastschema on a rewritten copy
of the schema) to say a document is valid; only a rejected document goes to jsonschema. So the
check must never accept what jsonschema rejects. These tests compare both on every compose and
workflow document of the policy examples and fixtures, and on mutations of each (a renamed key,
a value of the wrong type, a removed key), and check that validate() gives the same errors.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import ROOT

from policylint.catalog import load_policies
from policylint.core import external_schemas
from policylint.core.yamlnodes import YamlDocument, parse_yaml_stream
from policylint.examples import MARKER


def _texts() -> dict[str, list[str]]:
    """Every compose file, workflow and action of the policy examples and the fixtures."""
    texts: dict[str, list[str]] = {"compose-spec": [], "github-workflow": [], "github-action": []}

    def add(path: str, content: str) -> None:
        content = "\n".join(MARKER.sub("", line) for line in content.splitlines())
        if "compose" in Path(path).name:
            texts["compose-spec"].append(content)
        elif "workflows/" in path:
            texts["github-workflow"].append(content)
        elif Path(path).name in ("action.yml", "action.yaml"):
            texts["github-action"].append(content)

    for policy in load_policies():
        if policy.file_kind not in ("compose", "github-actions"):
            continue
        default = "docker-compose.yml" if policy.file_kind == "compose" else ".github/workflows/example.yml"
        for example in (*policy.examples.get("fail", []), *policy.examples.get("pass", [])):
            files = example["files"] if isinstance(example, dict) and "files" in example else {default: example}
            for path, content in files.items():
                if isinstance(content, str):
                    add(path, content)
    for path in sorted((ROOT / "fixtures").rglob("*.y*ml")):
        add(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8", errors="replace"))
    return texts


def _mutations(data: Any) -> Iterator[Any]:
    """The document, then for the first keys of each mapping: renamed, retyped, removed."""
    yield data
    mappings: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, dict):
            mappings.append((path, node))
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, (*path, index))

    walk(data, ())
    for path, node in mappings:
        for key in list(node)[:3]:
            for change in ("rename", "retype", "remove"):
                mutated = copy.deepcopy(data)
                target = mutated
                for step in path:
                    target = target[step]
                if change == "rename":
                    target[f"{key}x"] = target.pop(key)
                elif change == "retype":
                    target[key] = "text" if isinstance(target[key], int) else 12345
                else:
                    del target[key]
                yield mutated


TEXTS = _texts()


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_compiled_check_never_accepts_what_jsonschema_rejects(name: str) -> None:
    check = external_schemas._fast_check(name)
    assert check is not None, f"{name}: the compiled check should cover this schema"
    validator = external_schemas._validator(name)
    instances = [
        mutated
        for text in TEXTS[name]
        for document in parse_yaml_stream(text)
        if isinstance(document, YamlDocument)
        for mutated in _mutations(document.data)
    ]
    assert len(instances) > 50
    accepted_invalid = [instance for instance in instances if check(instance) and not validator.is_valid(instance)]
    assert accepted_invalid == []
    # The check is also precise on these: a valid document does not pay for jsonschema.
    assert sum(check(instance) == validator.is_valid(instance) for instance in instances) == len(instances)


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_validate_gives_jsonschema_errors_with_or_without_the_compiled_check(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = [
        mutated
        for text in TEXTS[name][:15]
        for document in parse_yaml_stream(text)
        if isinstance(document, YamlDocument)
        for mutated in _mutations(document.data)
    ]
    fast = [external_schemas.validate(name, document) for document in documents]
    monkeypatch.setattr(external_schemas, "_fast_check", lambda schema_name: None)
    slow = [external_schemas.validate(name, document) for document in documents]
    assert fast == slow
    assert any(fast) and not all(fast)


def test_draft7_rewrite_keeps_what_jsonschema_validates() -> None:
    root = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": {"name": {"type": "string"}},
        "properties": {
            "ref": {"$ref": "#/definitions/name", "type": "integer"},  # draft-07: the sibling is ignored
            "pair": {"items": [{"type": "string"}], "additionalItems": False},
        },
        "dependencies": {"a": ["b"], "c": {"required": ["d"]}},
    }
    rewritten = external_schemas.for_fast_check(root, root)
    assert rewritten["properties"]["ref"] == {"$ref": "#/definitions/name"}
    assert rewritten["properties"]["pair"] == {"prefixItems": [{"type": "string"}], "items": False}
    assert rewritten["dependentRequired"] == {"a": ["b"]}
    assert rewritten["dependentSchemas"] == {"c": {"required": ["d"]}}
    assert "dependencies" not in rewritten


def test_unevaluated_properties_become_the_declared_names() -> None:
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"base": {"properties": {"image": {}}, "patternProperties": {"^x-": {}}}},
        "allOf": [{"$ref": "#/$defs/base"}],
        "properties": {"name": {}},
        "unevaluatedProperties": False,
    }
    rewritten = external_schemas.for_fast_check(root, root)
    assert "unevaluatedProperties" not in rewritten
    assert rewritten["propertyNames"] == {"anyOf": [{"enum": ["image", "name"]}, {"pattern": "^x-"}]}
    open_part = {**root, "$defs": {"base": {"additionalProperties": True}}}
    assert "propertyNames" not in external_schemas.for_fast_check(open_part, open_part)


def test_pattern_errors_read_on_one_line():
    """The workflow schema's expression pattern holds a raw CR/LF: the message says what it wants instead."""
    from policylint.core.external_schemas import _pattern_reason

    expression = "^\\$\\{\\{(.|[\r\n])*\\}\\}$"
    assert _pattern_reason(expression) == "is not a ${{ }} expression"
    other = _pattern_reason("^[a-z]+\r\n$")
    assert "\n" not in other and "\r" not in other and other == "does not match the pattern ^[a-z]+\\r\\n$"
