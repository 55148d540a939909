"""Kubernetes manifests: plain files, Kustomize overlays and Helm charts (rendered offline).

Everything Kubernetes lives here: the loader, targets and relations, and the semantics written
once (workloads, label selectors, ports, quantities, probes, schemas, deprecations, relation
scope), with the Helm and Kustomize renderers and the plan of what to render.
"""

from __future__ import annotations

from policylint.core.kinds import Kind
from policylint.kinds.kubernetes.objects import CLUSTER_SCOPED_KINDS, LONG_RUNNING_KINDS, SCALABLE_KINDS, WORKLOAD_KINDS

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
