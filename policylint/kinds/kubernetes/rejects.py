"""What the API server or the kubelet rejects in one object: a selector that misses its own
template, an invalid port name, a duplicate env var, a reference to a key a ConfigMap lacks.

Pure functions over one document (or one document and the object it names); the relations that
mount their answers as facts are in `policylint.kinds.kubernetes.relations`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from policylint.core.documents import Document
from policylint.kinds.kubernetes.placeholders import is_unrendered
from policylint.kinds.kubernetes.selectors import Selector, normalise_labels, parse_label_selector, parse_map_selector
from policylint.kinds.kubernetes.workloads import containers, pod_labels, pod_metadata_pointer, pod_spec, pod_spec_pointer

#: Workloads whose `spec.selector` must select their own template's labels, and how they spell it.
LABEL_SELECTOR_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout")
MAP_SELECTOR_KINDS = ("ReplicationController", "DeploymentConfig")

#: An IANA service name (RFC 6335 §5.1) as Kubernetes validates port names: 1–15 lower-case
#: letters, digits and `-`, at least one letter, no `-` at either end nor two in a row.
_IANA_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
IANA_NAME_MAX = 15


def iana_name_problem(name: str) -> str:
    """Why `name` is not a valid IANA service name, or an empty string when it is."""
    if not name:
        return "it is empty"
    if len(name) > IANA_NAME_MAX:
        return f"it is {len(name)} characters long (at most {IANA_NAME_MAX})"
    if not _IANA_NAME.match(name):
        if name != name.lower():
            return "it has upper-case letters"
        if "--" in name:
            return "it has two '-' in a row"
        if name.startswith("-") or name.endswith("-"):
            return "it starts or ends with '-'"
        return "it has characters other than a-z, 0-9 and '-'"
    if not any(char.isalpha() for char in name):
        return "it has no letter"
    return ""


def own_selector(doc: Document) -> Selector | None:
    """The workload's own `spec.selector` (a LabelSelector, or a plain map for MAP_SELECTOR_KINDS); None when absent or not judgeable."""
    value = doc.get(("spec", "selector"))
    if value is None or _unrendered_anywhere(value):
        return None
    if doc.kind in LABEL_SELECTOR_KINDS:
        return parse_label_selector(value)
    if doc.kind in MAP_SELECTOR_KINDS:
        return parse_map_selector(value)
    return None


def selector_misses_template(doc: Document) -> str:
    """Why the workload's selector does not select its own pod template's labels, or an empty string.

    Not judged: no selector (the API defaults it for ReplicationController and DeploymentConfig;
    for apps/v1 its absence is a schema error), a selector or labels still to be rendered, an
    invalid selector, a Rollout that takes its template from a Deployment (`workloadRef`), and a
    plain file whose kustomization writes labels into selectors (its rendered build is judged).
    """
    if doc.selector_labels or (doc.kind == "Rollout" and doc.get(("spec", "workloadRef")) is not None):
        return ""
    selector = own_selector(doc)
    if selector is None:
        return ""
    raw_labels = doc.get((*pod_metadata_pointer(doc.kind), "labels"))
    if not selector.valid or _unrendered_anywhere(raw_labels) or selector.selects_all:
        return ""
    labels = normalise_labels(pod_labels(doc))
    missing = [item for item in selector.requirements if not item.matches(labels)]
    if not missing:
        return ""
    parts = []
    for item in missing:
        if item.operator == "In" and len(item.values) == 1:
            wanted = next(iter(item.values))
            have = labels.get(item.key)
            parts.append(f"{item.key}={wanted} (template: {have if have is not None else 'absent'})")
        else:
            parts.append(f"{item.key} {item.operator} {sorted(item.values)}")
    return ", ".join(parts)


def _unrendered_anywhere(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_unrendered_anywhere(key) or _unrendered_anywhere(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_unrendered_anywhere(item) for item in value)
    return is_unrendered(value)


def invalid_port_names(doc: Document) -> Iterator[tuple[tuple[Any, ...], str, str]]:
    """(pointer, name, problem) for each container port name and Service targetPort name the API rejects."""
    if doc.kind == "Service":
        ports = doc.get(("spec", "ports"))
        for position, item in enumerate(ports if isinstance(ports, list) else []):
            target = item.get("targetPort") if isinstance(item, Mapping) else None
            if isinstance(target, str) and not target.isdigit() and not is_unrendered(target):
                problem = iana_name_problem(target)
                if problem:
                    yield ("spec", "ports", position, "targetPort"), target, problem
        return
    base = pod_spec_pointer(doc.kind)
    for field, index, container in containers(doc):
        ports = container.get("ports")
        for position, item in enumerate(ports if isinstance(ports, list) else []):
            name = item.get("name") if isinstance(item, Mapping) else None
            if isinstance(name, str) and not is_unrendered(name):
                problem = iana_name_problem(name)
                if problem:
                    yield (*base, field, index, "ports", position, "name"), name, problem


def duplicate_env(container: Mapping[str, Any]) -> Iterator[tuple[int, str]]:
    """(position, name) of each `env` entry that repeats an earlier entry's name."""
    env = container.get("env")
    seen: set[str] = set()
    for position, item in enumerate(env if isinstance(env, list) else []):
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(name, str) or is_unrendered(name):
            continue
        if name in seen:
            yield position, name
        seen.add(name)


def configmap_key_refs(doc: Document) -> Iterator[tuple[tuple[Any, ...], str, str, str]]:
    """(pointer, ConfigMap name, key, where) of each non-optional reference to one key of a ConfigMap.

    `env[].valueFrom.configMapKeyRef` of every container, and `items[].key` of each `configMap`
    volume or projected `configMap` source; references marked `optional: true` (the pod starts without them) are left out.
    """
    base = pod_spec_pointer(doc.kind)
    for field, index, container in containers(doc):
        env = container.get("env")
        name = container.get("name", f"{field}[{index}]")
        for position, item in enumerate(env if isinstance(env, list) else []):
            source = item.get("valueFrom") if isinstance(item, Mapping) else None
            ref = source.get("configMapKeyRef") if isinstance(source, Mapping) else None
            if isinstance(ref, Mapping) and ref.get("optional") is not True:
                map_name, key = ref.get("name"), ref.get("key")
                if isinstance(map_name, str) and isinstance(key, str):
                    where = f"env var {item.get('name', '?')} of container {name}"
                    yield (*base, field, index, "env", position, "valueFrom", "configMapKeyRef", "key"), map_name, key, where
    spec = pod_spec(doc)
    volumes = spec.get("volumes") if spec is not None else None
    for position, volume in enumerate(volumes if isinstance(volumes, list) else []):
        if not isinstance(volume, Mapping):
            continue
        where = f"volume {volume.get('name', '?')}"
        sources: list[tuple[tuple[Any, ...], Any]] = [((*base, "volumes", position, "configMap"), volume.get("configMap"))]
        projected = volume.get("projected")
        listed = projected.get("sources") if isinstance(projected, Mapping) else None
        for number, item in enumerate(listed if isinstance(listed, list) else []):
            if isinstance(item, Mapping):
                sources.append(((*base, "volumes", position, "projected", "sources", number, "configMap"), item.get("configMap")))
        for pointer, source in sources:
            if not isinstance(source, Mapping) or source.get("optional") is True or not isinstance(source.get("name"), str):
                continue
            items = source.get("items")
            for number, item in enumerate(items if isinstance(items, list) else []):
                key = item.get("key") if isinstance(item, Mapping) else None
                if isinstance(key, str):
                    yield (*pointer, "items", number, "key"), source["name"], key, where


def configmap_keys(configmap: Document) -> set[str] | None:
    """The keys a ConfigMap holds (`data` and `binaryData`); None when a key is still to be rendered."""
    keys: set[str] = set()
    for field in ("data", "binaryData"):
        value = configmap.get((field,))
        if isinstance(value, Mapping):
            for key in value:
                if not isinstance(key, str) or is_unrendered(key):
                    return None
                keys.add(key)
    return keys
