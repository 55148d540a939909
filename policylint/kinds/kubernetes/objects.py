"""Kubernetes object kinds by what they are: workloads, namespaced or not. Plain data, read at start-up."""

from __future__ import annotations

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
)

#: Workloads that run until stopped (not Jobs).
LONG_RUNNING_KINDS = tuple(kind for kind in WORKLOAD_KINDS if kind not in ("Job", "CronJob"))
#: Workloads whose replica count a user sets (and an HPA scales).
SCALABLE_KINDS = ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController")

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
