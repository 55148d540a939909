"""Kubernetes manifests: plain files, Kustomize overlays and Helm charts (rendered offline).

Everything Kubernetes lives here: the loader, targets and relations, and the semantics written
once (workloads, label selectors, ports, quantities, probes, schemas, deprecations, relation
scope), with the Helm and Kustomize renderers and the plan of what to render.
"""

from __future__ import annotations

from policylint.core.kinds import Kind

#: Kinds that run pods.
WORKLOAD_KINDS = (
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    # Workloads of common controllers, with the pod template where a Deployment keeps it
    # (policylint.kinds.kubernetes.workloads.WORKLOAD_GROUPS says which API groups count).
    "DeploymentConfig",
    "Rollout",
)

#: Workloads that run until stopped (not Jobs).
LONG_RUNNING_KINDS = tuple(kind for kind in WORKLOAD_KINDS if kind not in ("Job", "CronJob"))
#: Workloads whose replica count a user sets (and an HPA scales).
SCALABLE_KINDS = ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "DeploymentConfig", "Rollout")

#: Kubernetes kinds that are not namespaced (for namespace defaulting and k8s-default-namespace).
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "StorageClass",
        "PriorityClass",
        "IngressClass",
        "RuntimeClass",
        "APIService",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "CertificateSigningRequest",
        "PodSecurityPolicy",
        "VolumeAttachment",
        "CSIDriver",
        "CSINode",
        "GatewayClass",
        "ClusterIssuer",
    }
)


KIND = Kind(
    name="kubernetes",
    package=__name__,
    domains={"k8s": "kubernetes", "helm": "helm"},
    # `helm` documents are the values of one chart rendering (`helm-values-invalid`).
    file_kinds=("kubernetes", "helm"),
    relations="relations",
    vocabulary="vocabulary",
    # The kind of YAML that no other kind claims.
    claims_content=None,
    objects=True,
    cluster_scoped=CLUSTER_SCOPED_KINDS,
    kind_aliases={"workload": WORKLOAD_KINDS, "long-running": LONG_RUNNING_KINDS, "scalable": SCALABLE_KINDS},
)
