"""Targets: the parts of a document a policy judges (a pod spec, each container, a step, ...).

A policy names its target in `match.target`; the engine asks this registry for the views, so no
policy ever walks a document itself. Each file kind keeps its targets in one module, imported
the first time a policy of that kind runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from policylint.documents import Document
from policylint.registry import Registry
from policylint.views import View

TargetFunction = Callable[[Document, Mapping[str, Any]], Iterator[View]]

TARGETS: Registry[TargetFunction] = Registry(
    {
        "kubernetes": "policylint.targets.kubernetes",
        "dockerfile": "policylint.targets.dockerfile",
        "compose": "policylint.targets.compose",
        "github-actions": "policylint.targets.github_actions",
        "gitlab-ci": "policylint.targets.gitlab_ci",
        "helm": "policylint.targets.helm",
    }
)


def target(file_kind: str, name: str) -> Callable[[TargetFunction], TargetFunction]:
    """Register a target function for `match.target: name` on files of `file_kind`."""
    return TARGETS.register(file_kind, name)


def get_target(file_kind: str, name: str) -> TargetFunction | None:
    """The target function for a file kind and target name, or None when it does not exist."""
    return TARGETS.get(file_kind, name)


def target_names(file_kind: str) -> list[str]:
    """Every target name known for a file kind (for policy validation messages)."""
    return TARGETS.names(file_kind)
