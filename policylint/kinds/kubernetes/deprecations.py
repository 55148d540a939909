"""Deprecated and removed Kubernetes APIs: one table, judged against the target version.

Each row: apiVersion, kind, the release that deprecated it, the release that removed it (None
when not scheduled), and what to use instead. Facts from the Kubernetes deprecated API migration
guide; add rows here, nowhere else.
"""

from __future__ import annotations

from policylint.core.records import record
from policylint.kinds.kubernetes.versions import KubeVersion, format_version


@record(frozen=True, slots=True)
class Deprecation:
    """One deprecated apiVersion/kind."""

    api_version: str
    kind: str
    deprecated: KubeVersion
    removed: KubeVersion | None
    replacement: str


_WORKLOADS_1_16 = ("Deployment", "DaemonSet", "ReplicaSet")

TABLE: tuple[Deprecation, ...] = (
    # Removed in 1.16
    *(Deprecation("extensions/v1beta1", kind, (1, 9), (1, 16), "apps/v1") for kind in _WORKLOADS_1_16),
    *(Deprecation("apps/v1beta1", kind, (1, 9), (1, 16), "apps/v1") for kind in (*_WORKLOADS_1_16, "StatefulSet")),
    *(Deprecation("apps/v1beta2", kind, (1, 9), (1, 16), "apps/v1") for kind in (*_WORKLOADS_1_16, "StatefulSet")),
    Deprecation("apps/v1beta1", "ControllerRevision", (1, 9), (1, 16), "apps/v1"),
    Deprecation("apps/v1beta2", "ControllerRevision", (1, 9), (1, 16), "apps/v1"),
    Deprecation("extensions/v1beta1", "NetworkPolicy", (1, 9), (1, 16), "networking.k8s.io/v1"),
    Deprecation("extensions/v1beta1", "PodSecurityPolicy", (1, 11), (1, 16), "policy/v1beta1"),
    # Removed in 1.22
    Deprecation("extensions/v1beta1", "Ingress", (1, 14), (1, 22), "networking.k8s.io/v1"),
    Deprecation("networking.k8s.io/v1beta1", "Ingress", (1, 19), (1, 22), "networking.k8s.io/v1"),
    Deprecation("networking.k8s.io/v1beta1", "IngressClass", (1, 19), (1, 22), "networking.k8s.io/v1"),
    Deprecation("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration", (1, 16), (1, 22),
                "admissionregistration.k8s.io/v1"),
    Deprecation("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration", (1, 16), (1, 22),
                "admissionregistration.k8s.io/v1"),
    Deprecation("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", (1, 16), (1, 22), "apiextensions.k8s.io/v1"),
    Deprecation("apiregistration.k8s.io/v1beta1", "APIService", (1, 19), (1, 22), "apiregistration.k8s.io/v1"),
    Deprecation("authentication.k8s.io/v1beta1", "TokenReview", (1, 19), (1, 22), "authentication.k8s.io/v1"),
    *(
        Deprecation("authorization.k8s.io/v1beta1", kind, (1, 19), (1, 22), "authorization.k8s.io/v1")
        for kind in ("SubjectAccessReview", "LocalSubjectAccessReview", "SelfSubjectAccessReview")
    ),
    Deprecation("certificates.k8s.io/v1beta1", "CertificateSigningRequest", (1, 19), (1, 22), "certificates.k8s.io/v1"),
    Deprecation("coordination.k8s.io/v1beta1", "Lease", (1, 19), (1, 22), "coordination.k8s.io/v1"),
    *(
        Deprecation("rbac.authorization.k8s.io/v1beta1", kind, (1, 17), (1, 22), "rbac.authorization.k8s.io/v1")
        for kind in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
    ),
    Deprecation("scheduling.k8s.io/v1beta1", "PriorityClass", (1, 14), (1, 22), "scheduling.k8s.io/v1"),
    *(
        Deprecation("storage.k8s.io/v1beta1", kind, (1, 19), (1, 22), "storage.k8s.io/v1")
        for kind in ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment")
    ),
    # Removed in 1.25
    Deprecation("batch/v1beta1", "CronJob", (1, 21), (1, 25), "batch/v1"),
    Deprecation("discovery.k8s.io/v1beta1", "EndpointSlice", (1, 21), (1, 25), "discovery.k8s.io/v1"),
    Deprecation("events.k8s.io/v1beta1", "Event", (1, 19), (1, 25), "events.k8s.io/v1"),
    Deprecation("autoscaling/v2beta1", "HorizontalPodAutoscaler", (1, 23), (1, 25), "autoscaling/v2"),
    Deprecation("policy/v1beta1", "PodDisruptionBudget", (1, 21), (1, 25), "policy/v1"),
    Deprecation("policy/v1beta1", "PodSecurityPolicy", (1, 21), (1, 25),
                "no replacement API: Pod Security Admission (namespace labels)"),
    Deprecation("node.k8s.io/v1beta1", "RuntimeClass", (1, 20), (1, 25), "node.k8s.io/v1"),
    # Removed in 1.26
    Deprecation("autoscaling/v2beta2", "HorizontalPodAutoscaler", (1, 23), (1, 26), "autoscaling/v2"),
    *(
        Deprecation("flowcontrol.apiserver.k8s.io/v1beta1", kind, (1, 23), (1, 26), "flowcontrol.apiserver.k8s.io/v1")
        for kind in ("FlowSchema", "PriorityLevelConfiguration")
    ),
    # Removed in 1.27
    Deprecation("storage.k8s.io/v1beta1", "CSIStorageCapacity", (1, 24), (1, 27), "storage.k8s.io/v1"),
    # Removed in 1.29
    *(
        Deprecation("flowcontrol.apiserver.k8s.io/v1beta2", kind, (1, 26), (1, 29), "flowcontrol.apiserver.k8s.io/v1")
        for kind in ("FlowSchema", "PriorityLevelConfiguration")
    ),
    # Removed in 1.32
    *(
        Deprecation("flowcontrol.apiserver.k8s.io/v1beta3", kind, (1, 29), (1, 32), "flowcontrol.apiserver.k8s.io/v1")
        for kind in ("FlowSchema", "PriorityLevelConfiguration")
    ),
    # Deprecated, removal not scheduled
    Deprecation("v1", "Endpoints", (1, 33), None, "discovery.k8s.io/v1 EndpointSlice"),
)

_BY_KEY = {(row.api_version, row.kind): row for row in TABLE}


def lookup(api_version: str, kind: str) -> Deprecation | None:
    """The table row of an apiVersion/kind, if it is deprecated at all."""
    return _BY_KEY.get((api_version, kind))


def judge(api_version: str, kind: str, target: KubeVersion) -> tuple[str, str]:
    """("current" | "deprecated" | "removed", explanation) of an apiVersion/kind at `target`."""
    row = lookup(api_version, kind)
    if row is None or target < row.deprecated:
        return "current", ""
    version = format_version(target)
    if row.removed is not None and target >= row.removed:
        return "removed", (
            f"{kind} {api_version} was removed in Kubernetes {format_version(row.removed)} "
            f"(target {version}); use {row.replacement}"
        )
    until = f", removal in {format_version(row.removed)}" if row.removed else ""
    return "deprecated", (
        f"{kind} {api_version} is deprecated since Kubernetes {format_version(row.deprecated)}{until} "
        f"(target {version}); use {row.replacement}"
    )
