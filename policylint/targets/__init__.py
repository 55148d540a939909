"""Targets: the parts of a document a policy judges (a pod spec, each container, a step, ...).

A policy names its target in `match.target`; the engine asks this registry for the views, so no
policy ever walks a document itself. Each file kind keeps its targets in one module, imported
the first time a policy of that kind runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from policylint.documents import Document
from policylint.views import View

TargetFunction = Callable[[Document, Mapping[str, Any]], Iterator[View]]

TARGET_MODULES: dict[str, str] = {
    "kubernetes": "policylint.targets.kubernetes",
    "dockerfile": "policylint.targets.dockerfile",
    "compose": "policylint.targets.compose",
    "github-actions": "policylint.targets.github_actions",
}

_REGISTRY: dict[tuple[str, str], TargetFunction] = {}
_LOADED: set[str] = set()


def target(file_kind: str, name: str) -> Callable[[TargetFunction], TargetFunction]:
    """Register a target function for `match.target: name` on files of `file_kind`."""

    def register(function: TargetFunction) -> TargetFunction:
        _REGISTRY[(file_kind, name)] = function
        return function

    return register


def _load(file_kind: str) -> None:
    if file_kind in _LOADED:
        return
    _LOADED.add(file_kind)
    module = TARGET_MODULES.get(file_kind)
    if module is None:
        return
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise


def get_target(file_kind: str, name: str) -> TargetFunction | None:
    """The target function for a file kind and target name, or None when it does not exist."""
    _load(file_kind)
    return _REGISTRY.get((file_kind, name))


def target_names(file_kind: str) -> list[str]:
    """Every target name known for a file kind (for policy validation messages)."""
    _load(file_kind)
    return sorted(name for kind, name in _REGISTRY if kind == file_kind)
