"""The facts of one compose service that several parts read: its dependencies, memory limit and healthcheck.

Targets build views from them and the project model (`project.py`) merges them across files, so
they live below both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def text_of(value: Any) -> str | None:
    """Compose's view of an environment value: booleans as `true`/`false`, numbers as written."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def depends_on_of(value: Any) -> list[tuple[str, str | None, str | int]]:
    """(service, condition, pointer step) for both syntaxes (the list form has no condition)."""
    if isinstance(value, list):
        return [(str(item), None, number) for number, item in enumerate(value) if isinstance(item, str)]
    if isinstance(value, Mapping):
        return [
            (str(key), text_of(item.get("condition")) if isinstance(item, Mapping) else None, key)
            for key, item in value.items()
        ]
    return []


def depends_on_entries(data: Mapping[str, Any]) -> list[tuple[str, str | None, str | int]]:
    """Public form of the depends_on normalisation, for relations."""
    return depends_on_of(data.get("depends_on"))


def memory_limit(data: Mapping[str, Any]) -> tuple[Any, tuple[Any, ...]]:
    """The service's memory limit and where it is written (`deploy.resources.limits.memory` or `mem_limit`)."""
    deploy = data.get("deploy")
    if isinstance(deploy, Mapping):
        resources = deploy.get("resources")
        if isinstance(resources, Mapping):
            limits = resources.get("limits")
            if isinstance(limits, Mapping) and limits.get("memory") not in (None, ""):
                return limits["memory"], ("deploy", "resources", "limits", "memory")
    if data.get("mem_limit") not in (None, ""):
        return data["mem_limit"], ("mem_limit",)
    return None, ()


def healthcheck_defined(healthcheck: Mapping[str, Any] | None) -> bool:
    """A healthcheck that runs: present, not `disable: true`, and not `test: NONE`."""
    return (
        isinstance(healthcheck, Mapping)
        and healthcheck.get("disable") is not True
        and healthcheck.get("test") not in (["NONE"], "NONE")
    )
