"""What Kubernetes adds to the condition vocabulary (policylint.core.conditions): quantities and probes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policylint.core.conditions import keyword_error
from policylint.kinds.kubernetes.probes import probe_port_problems
from policylint.kinds.kubernetes.quantities import parse_quantity


def _requests_within_limits(validator: Any, enabled: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not enabled or not isinstance(instance, Mapping):
        return
    requests, limits = instance.get("requests"), instance.get("limits")
    if not isinstance(requests, Mapping) or not isinstance(limits, Mapping):
        return
    for resource in sorted(requests, key=str):
        request, limit = parse_quantity(requests[resource]), parse_quantity(limits.get(resource))
        if request is not None and limit is not None and request > limit:
            yield keyword_error(
                validator,
                f"request {requests[resource]} for {resource} exceeds its limit {limits[resource]}",
                ["requests", resource],
            )


def _probe_ports_declared(validator: Any, enabled: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not enabled or not isinstance(instance, Mapping):
        return
    for path, reason in probe_port_problems(instance):
        yield keyword_error(validator, reason, list(path))


def _env_names_unique(validator: Any, enabled: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from policylint.kinds.kubernetes.rejects import duplicate_env

    if not enabled or not isinstance(instance, Mapping):
        return
    for position, name in duplicate_env(instance):
        yield keyword_error(validator, f"env var {name} is set more than once", ["env", position])


#: `format: k8s-quantity`: a resource quantity Kubernetes accepts (`500m`, `1Gi`).
FORMATS = {
    "k8s-quantity": lambda value: parse_quantity(value) is not None,
}

#: `requestsWithinLimits: true` on a `resources` mapping; `probePortsDeclared: true` and `envNamesUnique: true` on a container.
KEYWORDS = {
    "requestsWithinLimits": _requests_within_limits,
    "probePortsDeclared": _probe_ports_declared,
    "envNamesUnique": _env_names_unique,
}
