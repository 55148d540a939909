"""Pods the manifests cannot show: labels controllers add, and custom resources operators turn into pods.

A selector that relies on either cannot be judged from the files alone, so the "selects nothing"
rules stay silent (see the catalog's "Pods the set cannot see"). Both lists are data, kept here
and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policylint.core.documents import Document
from policylint.kinds.kubernetes.selectors import Selector

#: Labels a controller puts on the pods it creates (never written in the pod template).
CONTROLLER_LABELS = frozenset(
    {
        "job-name",  # Job
        "controller-uid",  # Job (before 1.27)
        "pod-template-hash",  # Deployment, through its ReplicaSets
        "controller-revision-hash",  # StatefulSet, DaemonSet
        "statefulset.kubernetes.io/pod-name",  # StatefulSet, one value per pod
        "apps.kubernetes.io/pod-index",  # StatefulSet (1.28+)
        "rollouts-pod-template-hash",  # Argo Rollouts, on pods and on the Services it manages
    }
)
#: Label key prefixes reserved for controllers (`batch.kubernetes.io/job-name`, `.../controller-uid`).
CONTROLLER_LABEL_PREFIXES = ("batch.kubernetes.io/",)

#: API groups of built-in Kubernetes kinds: the core group (""), groups without a dot (apps,
#: batch, policy, autoscaling, ...) and every `*.k8s.io` group. Anything else is a custom resource.
BUILT_IN_GROUP_SUFFIX = ".k8s.io"

#: Where a custom resource carries pod labels, a pod template or a pod count. A bare
#: `spec.selector` is not enough: ServiceMonitor, PodMonitor and Istio policies select with it too.
POD_OWNER_POINTERS: tuple[tuple[str, ...], ...] = (
    ("spec", "podMetadata"),  # Prometheus, Alertmanager, ThanosRuler
    ("spec", "template"),  # Argo Rollout, OpenShift DeploymentConfig, Knative Service
    ("spec", "podTemplate"),  # Elastic, CloudNativePG and others
    ("spec", "replicas"),  # most operator-managed workloads
    ("spec", "instances"),  # CloudNativePG Cluster, Crunchy PostgresCluster
    ("spec", "numberOfInstances"),  # Zalando postgresql
)
#: Custom resource kinds known to run pods even when they spell none of the above.
POD_OWNER_KINDS = frozenset(
    {
        ("monitoring.coreos.com", "Prometheus"),
        ("monitoring.coreos.com", "PrometheusAgent"),
        ("monitoring.coreos.com", "Alertmanager"),
        ("monitoring.coreos.com", "ThanosRuler"),
        ("kafka.strimzi.io", "Kafka"),
        ("kafka.strimzi.io", "KafkaConnect"),
        ("kafka.strimzi.io", "KafkaMirrorMaker2"),
        ("kafka.strimzi.io", "KafkaBridge"),
    }
)


def is_controller_label(key: str) -> bool:
    """True for a label key only a controller sets on pods."""
    return key in CONTROLLER_LABELS or key.startswith(CONTROLLER_LABEL_PREFIXES)


def without_controller_labels(selector: Selector) -> Selector | None:
    """The selector minus its requirements on controller labels; None when it has none of them.

    What remains is what the manifests can judge: if even that selects no workload, the
    selector selects nothing whatever the controllers add.
    """
    kept = tuple(item for item in selector.requirements if not is_controller_label(item.key))
    if len(kept) == len(selector.requirements):
        return None
    return Selector(kept) if kept else Selector(selects_all=True)


def api_group(api_version: str) -> str:
    """The group of an apiVersion (`apps/v1` → `apps`, `v1` → "")."""
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def is_custom_resource(doc: Document) -> bool:
    """True for an object of a group Kubernetes itself does not define."""
    group = api_group(doc.api_version)
    return "." in group and not group.endswith(BUILT_IN_GROUP_SUFFIX)


def possible_pod_owner(doc: Document) -> bool:
    """True for a custom resource whose operator may create pods (see POD_OWNER_POINTERS and POD_OWNER_KINDS)."""
    if not is_custom_resource(doc):
        return False
    if (api_group(doc.api_version), doc.kind) in POD_OWNER_KINDS:
        return True
    spec: Any = doc.get(("spec",))
    if not isinstance(spec, Mapping):
        return False
    return any(doc.get(pointer) is not None for pointer in POD_OWNER_POINTERS)


#: Where an Argo Rollout asks for pods whose labels its template does not show: experiment steps
#: (their templates carry their own selector and labels) and the metadata it adds to canary,
#: stable, preview and active pods.
ROLLOUT_EXTRA_POD_POINTERS: tuple[tuple[str, ...], ...] = (
    ("spec", "strategy", "canary", "canaryMetadata"),
    ("spec", "strategy", "canary", "stableMetadata"),
    ("spec", "strategy", "blueGreen", "previewMetadata"),
    ("spec", "strategy", "blueGreen", "activeMetadata"),
)


def makes_unseen_pods(doc: Document) -> bool:
    """True for a Rollout whose controller also runs or labels pods beyond its template (experiments, canary metadata)."""
    if doc.kind != "Rollout":
        return False
    if any(doc.get(pointer) is not None for pointer in ROLLOUT_EXTRA_POD_POINTERS):
        return True
    steps = doc.get(("spec", "strategy", "canary", "steps"))
    return isinstance(steps, list) and any(isinstance(step, Mapping) and "experiment" in step for step in steps)
