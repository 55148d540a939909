"""Relations: named functions that join a view with other documents of the run.

A policy that needs more than one document names a relation (`relation: hpa-target`). The
function receives the view the policy's target produced, the whole `DocumentSet` and the policy's
params, and yields the views the condition is evaluated on (usually the same view with the related
documents mounted and a few computed facts added). Relations are pure, use the set's indexes, and
memoise shared joins with `documents.memo`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from policylint.documents import DocumentSet
from policylint.registry import Registry
from policylint.views import View

RelationFunction = Callable[[View, DocumentSet, Mapping[str, Any]], Iterable[View]]

RELATIONS: Registry[RelationFunction] = Registry(
    {
        "kubernetes": "policylint.relations.kubernetes",
        "dockerfile": "policylint.relations.dockerfile",
        "compose": "policylint.relations.compose",
        "github-actions": "policylint.relations.github_actions",
        "gitlab-ci": "policylint.relations.gitlab_ci",
    }
)


def params_key(params: Mapping[str, Any]) -> str:
    """A policy's params as a memo key (`DocumentSet.memo`): the same params, the same shared join."""
    import json

    return json.dumps(params, sort_keys=True, default=str)


def relation(file_kind: str, name: str) -> Callable[[RelationFunction], RelationFunction]:
    """Register a relation under a name, for policies on files of `file_kind`."""
    return RELATIONS.register(file_kind, name)


def get_relation(file_kind: str, name: str) -> RelationFunction | None:
    """The relation registered under `name` for a file kind, or None."""
    return RELATIONS.get(file_kind, name)


def relation_names(file_kind: str) -> list[str]:
    """Every relation name known for a file kind."""
    return RELATIONS.names(file_kind)
