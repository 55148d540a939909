"""Kubernetes manifests: every document of a YAML/JSON stream, `kind: List` flattened."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policylint.documents import Document, LoadResult, ParseFailure, Skipped
from policylint.yamlnodes import Pointer, Position, YamlDocument, YamlError, parse_yaml_stream

_HELM = re.compile(r"\{\{-?\s*[^}]*\}\}")
_HELM_NOTICE = "Helm template ({{ ... }}): render it first (helm template ... | policylint check -)"


def is_kubernetes_object(data: Any) -> bool:
    """A mapping with string `apiVersion` and `kind`: what the API server would accept as an object."""
    return (
        isinstance(data, Mapping)
        and isinstance(data.get("apiVersion"), str)
        and isinstance(data.get("kind"), str)
        and bool(data["kind"])
    )


def looks_like_helm_template(text: str) -> bool:
    """True when the text carries Go-template actions (`{{ ... }}`, not `${{ ... }}`) outside comments."""
    if "{{" not in text:
        return False
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("#"):
            continue
        if _HELM.search(stripped.replace("${{", "")):
            return True
    return False


def load(path: str, text: str) -> LoadResult:
    """Parse every document; non-Kubernetes YAML is skipped quietly, Helm templates with a notice."""
    result = LoadResult()
    if looks_like_helm_template(text):
        result.skipped.append(Skipped(path, _HELM_NOTICE))
        return result
    index = 0
    for item in parse_yaml_stream(text):
        if isinstance(item, YamlError):
            result.failures.append(ParseFailure(path, "kubernetes", item.line, item.column, item.reason))
            index += 1
            continue
        for doc in _objects(path, item, index):
            result.documents.append(doc)
        index += 1
    from policylint.k8s.placeholders import placeholder_notice

    notice = placeholder_notice(path, text, result.documents)
    if notice is not None:
        result.skipped.append(notice)
    return result


def _objects(path: str, parsed: YamlDocument, index: int) -> list[Document]:
    data = parsed.data
    if not is_kubernetes_object(data):
        return []
    items = data.get("items")
    if data["kind"].endswith("List") and isinstance(items, list):
        documents = []
        for position, item in enumerate(items):
            if is_kubernetes_object(item):
                prefix: Pointer = ("items", position)
                documents.append(
                    Document(
                        path=path,
                        file_kind="kubernetes",
                        index=index * 10_000 + position,
                        data=item,
                        positions=_rebase(parsed.positions, prefix),
                        value_positions=_rebase(parsed.value_positions, prefix),
                        start_line=parsed.positions.get(prefix, Position(parsed.start_line, 1)).line,
                        end_line=parsed.end_line,
                    )
                )
        return documents
    return [Document.from_yaml(path, "kubernetes", index, parsed)]


def _rebase(positions: dict[Pointer, Any], prefix: Pointer) -> dict[Pointer, Any]:
    size = len(prefix)
    return {pointer[size:]: pos for pointer, pos in positions.items() if pointer[:size] == prefix}
