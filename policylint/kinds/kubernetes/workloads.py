"""Where a workload keeps its pod spec and containers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policylint.core.documents import Document
from policylint.core.yamlnodes import Pointer
from policylint.kinds.kubernetes import WORKLOAD_KINDS

CONTAINER_FIELDS = ("containers", "initContainers", "ephemeralContainers")
#: Workload kinds that custom controllers define, with the API groups that make them workloads:
#: OpenShift's DeploymentConfig (`apps.openshift.io/v1`, or the legacy bare `v1`) and Argo Rollouts'
#: Rollout. Another group's object of the same kind name is not a workload.
WORKLOAD_GROUPS = {"DeploymentConfig": ("apps.openshift.io", ""), "Rollout": ("argoproj.io",)}


def is_workload(doc: Document) -> bool:
    """True for an object that runs pods from its own pod spec (see WORKLOAD_KINDS and WORKLOAD_GROUPS)."""
    kind = doc.kind
    if kind not in WORKLOAD_KINDS:
        return False
    groups = WORKLOAD_GROUPS.get(kind)
    if groups is None:
        return True
    api_version = doc.api_version
    return (api_version.split("/", 1)[0] if "/" in api_version else "") in groups


def pod_spec_pointer(kind: str) -> Pointer:
    """The pointer to the pod spec of a workload kind."""
    if kind == "Pod":
        return ("spec",)
    if kind == "CronJob":
        return ("spec", "jobTemplate", "spec", "template", "spec")
    return ("spec", "template", "spec")


def pod_metadata_pointer(kind: str) -> Pointer:
    """The pointer to the pod's metadata (labels, annotations) of a workload kind."""
    if kind == "Pod":
        return ("metadata",)
    return (*pod_spec_pointer(kind)[:-1], "metadata")


def pod_spec(doc: Document) -> Mapping[str, Any] | None:
    """The pod spec of a workload document, or None when absent or malformed.

    A Rollout with `spec.workloadRef` has none of its own: it runs the pod template of the
    Deployment it names, which is judged as that Deployment.
    """
    if not is_workload(doc):
        return None
    spec = doc.get(pod_spec_pointer(doc.kind))
    return spec if isinstance(spec, Mapping) else None


def pod_labels(doc: Document) -> Mapping[str, Any]:
    """The labels the workload's pods carry."""
    labels = doc.get((*pod_metadata_pointer(doc.kind), "labels"))
    return labels if isinstance(labels, Mapping) else {}


def workload_ref(doc: Document) -> str | None:
    """The Deployment whose pod template an Argo Rollout runs (`spec.workloadRef`), or None."""
    if doc.kind != "Rollout":
        return None
    ref = doc.get(("spec", "workloadRef"))
    if isinstance(ref, Mapping) and ref.get("kind", "Deployment") == "Deployment" and isinstance(ref.get("name"), str):
        return str(ref["name"])
    return None


def containers(doc: Document, main_only: bool = False) -> Iterator[tuple[str, int, Mapping[str, Any]]]:
    """Each container of a workload as (field, index, container); `main_only`: `containers` only."""
    spec = pod_spec(doc)
    if spec is None:
        return
    for field in CONTAINER_FIELDS[:1] if main_only else CONTAINER_FIELDS:
        items = spec.get(field)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            if isinstance(item, Mapping):
                yield field, index, item


def replicas(doc: Document) -> int | None:
    """`spec.replicas` when it is a number; None when absent (the API then defaults to 1)."""
    value = doc.get(("spec", "replicas"))
    return value if isinstance(value, int) and not isinstance(value, bool) else None
