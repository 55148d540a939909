"""Relations: named functions that join a view with other documents of the run.

A policy that needs more than one document names a relation (`relation: hpa-target`). The
function receives the view the policy's target produced, the whole `DocumentSet` and the policy's
params, and yields the views the condition is evaluated on (usually the same view with the related
documents mounted and a few computed facts added). Relations are pure, use the set's indexes, and
memoise shared joins in `documents.cache`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from policylint.documents import DocumentSet
from policylint.views import View

RelationFunction = Callable[[View, DocumentSet, Mapping[str, Any]], Iterable[View]]

RELATION_MODULES: dict[str, str] = {
    "kubernetes": "policylint.relations.kubernetes",
    "dockerfile": "policylint.relations.dockerfile",
    "compose": "policylint.relations.compose",
    "github-actions": "policylint.relations.github_actions",
}

_REGISTRY: dict[tuple[str, str], RelationFunction] = {}
_LOADED: set[str] = set()


def relation(file_kind: str, name: str) -> Callable[[RelationFunction], RelationFunction]:
    """Register a relation under a name, for policies on files of `file_kind`."""

    def register(function: RelationFunction) -> RelationFunction:
        _REGISTRY[(file_kind, name)] = function
        return function

    return register


def _load(file_kind: str) -> None:
    if file_kind in _LOADED:
        return
    _LOADED.add(file_kind)
    module = RELATION_MODULES.get(file_kind)
    if module is None:
        return
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise


def get_relation(file_kind: str, name: str) -> RelationFunction | None:
    """The relation registered under `name` for a file kind, or None."""
    _load(file_kind)
    return _REGISTRY.get((file_kind, name))


def relation_names(file_kind: str) -> list[str]:
    """Every relation name known for a file kind."""
    _load(file_kind)
    return sorted(name for kind, name in _REGISTRY if kind == file_kind)
