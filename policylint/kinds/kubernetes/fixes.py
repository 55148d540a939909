"""Kubernetes code fixes: what a declarative `fix:` cannot say (policylint.core.fixes)."""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from policylint.core.fixes import Edit, FixContext, Unfixable, replace_value
from policylint.core.kinds import fixer

#: (deprecated apiVersion, kind) -> the current apiVersion with the same schema for that kind.
#: `policy/v1beta1` PDBs differ from `policy/v1` only for an empty selector (v1beta1: no pod, v1:
#: every pod), so the bump is refused for those (see `api_version_bump`).
IDENTICAL_SCHEMA_BUMPS: Mapping[tuple[str, str], str] = {
    ("policy/v1beta1", "PodDisruptionBudget"): "policy/v1",
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"): "autoscaling/v2",
    ("batch/v1beta1", "CronJob"): "batch/v1",
    ("discovery.k8s.io/v1beta1", "EndpointSlice"): "discovery.k8s.io/v1",
    ("events.k8s.io/v1beta1", "Event"): "events.k8s.io/v1",
    ("node.k8s.io/v1beta1", "RuntimeClass"): "node.k8s.io/v1",
    ("scheduling.k8s.io/v1beta1", "PriorityClass"): "scheduling.k8s.io/v1",
    ("rbac.authorization.k8s.io/v1beta1", "Role"): "rbac.authorization.k8s.io/v1",
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole"): "rbac.authorization.k8s.io/v1",
    ("rbac.authorization.k8s.io/v1beta1", "RoleBinding"): "rbac.authorization.k8s.io/v1",
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"): "rbac.authorization.k8s.io/v1",
    ("storage.k8s.io/v1beta1", "CSIDriver"): "storage.k8s.io/v1",
    ("storage.k8s.io/v1beta1", "StorageClass"): "storage.k8s.io/v1",
    ("coordination.k8s.io/v1beta1", "Lease"): "coordination.k8s.io/v1",
    ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"): "flowcontrol.apiserver.k8s.io/v1",
    ("flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration"): "flowcontrol.apiserver.k8s.io/v1",
}


@fixer("kubernetes", "api-version-bump")
def api_version_bump(context: FixContext) -> list[Edit]:
    """`apiVersion` of a deprecated version whose schema is the same in the current one."""
    target = context.yaml
    root = target.root
    pair_kind = target.pair(root, "kind") if isinstance(root, yaml.MappingNode) else None
    if pair_kind is None:
        raise Unfixable("no kind")
    kind = pair_kind[1].value
    pair_version = target.pair(root, "apiVersion")
    if pair_version is None:
        raise Unfixable("no apiVersion")
    current = pair_version[1].value
    new = IDENTICAL_SCHEMA_BUMPS.get((current, kind))
    if new is None:
        raise Unfixable(f"{kind} {current}: the current version's schema differs; migrate by hand")
    if (current, kind) == ("policy/v1beta1", "PodDisruptionBudget"):
        spec = target.pair(root, "spec")
        selector = target.pair(spec[1], "selector") if spec is not None and isinstance(spec[1], yaml.MappingNode) else None
        if selector is None or not isinstance(selector[1], yaml.MappingNode) or not any(
                isinstance(value, yaml.MappingNode | yaml.SequenceNode) and value.value for _, value in selector[1].value):
            raise Unfixable("an empty PDB selector selects no pod in policy/v1beta1 and every pod in policy/v1")
    return replace_value(target, root, ["apiVersion"], {"value": new})
