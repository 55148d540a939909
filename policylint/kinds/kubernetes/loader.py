"""Kubernetes manifests: every document of a YAML/JSON stream, `kind: List` flattened."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from policylint.core.documents import Document, LoadResult, ParseFailure, Skipped
from policylint.core.yamlnodes import Pointer, Position, YamlDocument, YamlError, parse_yaml_stream

_ACTION = re.compile(r"\{\{-?\s*[^}]*\}\}")
#: What only Helm's template language reads: its built-in objects and its own functions. Other
#: tools keep Go-template text inside YAML strings (Prometheus and Alertmanager rules with
#: `{{ $labels.pod }}`, Argo Workflows' `{{inputs.parameters.x}}`): those files are plain manifests.
_HELM_ONLY = re.compile(
    r"(?:\$?\.(?:Values|Release|Chart|Capabilities|Files|Template|Subcharts)\b)"
    r"|\b(?:include|tpl|toYaml|fromYaml|required|lookup|toJson|fromJson)\b"
)
#: A Jinja block tag on a line of its own (`{% raw %}`, `{% if x %}`): documentation snippets, Ansible templates.
_JINJA_BLOCK = re.compile(r"(?m)^[ \t]*\{%-?\s*\w")
_JINJA_NOTICE = "Jinja template ({% ... %}) that is not YAML as written: render it first (... | policylint check -)"
_HELM_NOTICE = "Helm template ({{ ... }}): render it first (helm template ... | policylint check -)"
#: A top-level field Helm does not have (`{{ .TagName }}`: krew's release bot, goreleaser).
_OTHER_TOOL_FIELD = re.compile(r"(?<![\w$\])])\.(?!(?:Values|Release|Chart|Capabilities|Files|Template|Subcharts)\b)[A-Z]\w*")
_OTHER_TEMPLATE_NOTICE = "Go template of another tool ({{ ... }} that is not Helm's): not checked"
#: `apiVersion:` or `kind:` as a top-level key: what a manifest template writes, and Renovate
#: presets, helm-unittest suites or krew plugin manifests (Go or Handlebars templates too) do not.
_TOP_LEVEL_OBJECT_KEY = re.compile(r"^(?:apiVersion|kind)\s*:", re.MULTILINE)


def is_kubernetes_object(data: Any) -> bool:
    """A mapping with string `apiVersion` and `kind`: what the API server would accept as an object."""
    return (
        isinstance(data, Mapping)
        and isinstance(data.get("apiVersion"), str)
        and isinstance(data.get("kind"), str)
        and bool(data["kind"])
    )


def template_actions(text: str) -> list[str]:
    """The Go-template actions (`{{ ... }}`, not GitHub's `${{ ... }}`) outside comment lines."""
    if "{{" not in text:
        return []
    found: list[str] = []
    for line in text.splitlines():
        stripped = line.lstrip()
        if not stripped.startswith("#"):
            found.extend(_ACTION.findall(stripped.replace("${{", "")))
    return found


def _may_be_manifest_template(path: str, text: str) -> bool:
    """Whether a file with template actions may render Kubernetes objects: it writes `apiVersion:`
    or `kind:` as a top-level key, or it sits in a chart's `templates/` folder (`{{ include ... }}` alone)."""
    return bool(_TOP_LEVEL_OBJECT_KEY.search(text)) or "templates" in path.replace("\\", "/").split("/")[:-1]


def load(path: str, text: str) -> LoadResult:
    """Parse every document; non-Kubernetes YAML is skipped quietly, Helm templates with a notice.

    A file with template actions that writes no top-level `apiVersion:`/`kind:` and is in no
    `templates/` folder is another tool's file (Renovate, helm-unittest): skipped quietly. Otherwise
    it is a Helm template when an action reads Helm's objects or functions (`.Values`, `include`);
    when an action is not text inside a YAML string (it breaks the YAML or becomes a mapping), it is
    a template to render first (another tool's when, outside a `templates/` folder, it reads a field
    Helm does not have: krew's `{{ .TagName }}`); otherwise the actions belong to another tool (alerting rules, workflow
    parameters) and the manifest is checked as written.
    """
    result = LoadResult()
    actions = template_actions(text)
    if actions and not _may_be_manifest_template(path, text):
        return result  # templated YAML of another tool (renovate.json, helm-unittest, krew): not Kubernetes
    if any(_HELM_ONLY.search(action) for action in actions):
        result.skipped.append(Skipped(path, _HELM_NOTICE))
        return result
    if path.endswith(".json") and '"apiVersion"' not in text and "apiVersion:" not in text:
        return result  # JSON that names no apiVersion is some other tool's file (devcontainer.json, data), never a manifest
    items: Iterable[YamlDocument | YamlError] = parse_yaml_stream(text)
    if _JINJA_BLOCK.search(text):
        items = list(items)
        if any(isinstance(item, YamlError) for item in items):
            result.skipped.append(Skipped(path, _JINJA_NOTICE))
            return result
    if actions:  # all documents first: one action outside a string makes the whole file a template
        items = list(items)
        if not _actions_inside_strings(actions, items):
            other = "templates" not in path.split("/")[:-1] and any(_OTHER_TOOL_FIELD.search(a) for a in actions)
            result.skipped.append(Skipped(path, _OTHER_TEMPLATE_NOTICE if other else _HELM_NOTICE))
            return result
    index = 0
    for item in items:
        if isinstance(item, YamlError):
            result.failures.append(ParseFailure(path, "kubernetes", item.line, item.column, item.reason))
            index += 1
            continue
        for doc in _objects(path, item, index):
            result.documents.append(doc)
        index += 1
    from policylint.kinds.kubernetes.placeholders import placeholder_notice

    notice = placeholder_notice(path, text, result.documents)
    if notice is not None:
        result.skipped.append(notice)
    return result


def _actions_inside_strings(actions: list[str], items: list[YamlDocument | YamlError]) -> bool:
    """True when the YAML parses and every action is text inside a string: an action in a key or
    value position (`replicas: {{ $n }}`) breaks the YAML or turns into a mapping instead."""
    strings: list[str] = []
    for item in items:
        if isinstance(item, YamlError):
            return False
        _collect_strings(item.data, strings)
    counts = Counter(actions)  # each occurrence must be inside a string, not just the same text once
    return all(
        max(sum(string.count(form) for string in strings) for form in _as_parsed(action)) >= count
        for action, count in counts.items()
    )


def _as_parsed(action: str) -> set[str]:
    """An action as the file writes it, and as it reads once parsed from a double-quoted (`\\"` is `"`)
    or single-quoted (`''` is `'`) YAML string: Kyverno's JMESPath quotes label keys that way."""
    return {action, action.replace('\\\\', '\\').replace('\\"', '"'), action.replace("''", "'")}


def _collect_strings(value: Any, into: list[str]) -> None:
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            if "{{" in current:
                into.append(current)
        elif isinstance(current, dict):
            stack.extend(current.keys())
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _objects(path: str, parsed: YamlDocument, index: int) -> list[Document]:
    data = parsed.data
    if not is_kubernetes_object(data):
        return []
    items = data.get("items")
    if data["kind"].endswith("List") and isinstance(items, list):
        documents = []
        positions, value_positions = _by_item(parsed.positions), _by_item(parsed.value_positions)
        for position, item in enumerate(items):
            if is_kubernetes_object(item):
                prefix: Pointer = ("items", position)
                documents.append(
                    Document(
                        path=path,
                        file_kind="kubernetes",
                        index=index * 10_000 + position,
                        data=item,
                        positions=positions.get(position, {}),
                        value_positions=value_positions.get(position, {}),
                        start_line=parsed.positions.get(prefix, Position(parsed.start_line, 1)).line,
                        end_line=parsed.end_line,
                        pointer_prefix=prefix,
                    )
                )
        return documents
    return [Document.from_yaml(path, "kubernetes", index, parsed)]


def _by_item(positions: dict[Pointer, Any]) -> dict[int, dict[Pointer, Any]]:
    """The positions under `items[n]`, rebased to each item, in one pass (not one pass per item)."""
    grouped: dict[int, dict[Pointer, Any]] = {}
    for pointer, pos in positions.items():
        if len(pointer) >= 2 and pointer[0] == "items":
            grouped.setdefault(pointer[1], {})[pointer[2:]] = pos
    return grouped
