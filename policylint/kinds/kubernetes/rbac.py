"""RBAC: what a Role or ClusterRole grants, and who receives it through the bindings of the set.

Each rule of a role is read once into a `Grant` (the facts the k8s-rbac-* policies judge). A role's
bindings are the RoleBindings and ClusterRoleBindings of its relation scope whose `roleRef`
resolves to it (the nearest candidate, as every reference by name); the receivers are the
bindings' subjects and the workloads of the scope that run as those ServiceAccounts. A ClusterRole
with an `aggregationRule` is judged by the rules of the ClusterRoles of the set it aggregates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from policylint.core.documents import Document
from policylint.core.records import field, record
from policylint.kinds.kubernetes.selectors import normalise_labels, parse_label_selector
from policylint.kinds.kubernetes.workloads import pod_spec

ROLE_KINDS = ("Role", "ClusterRole")
BINDING_KINDS = ("RoleBinding", "ClusterRoleBinding")
READ_VERBS = frozenset({"get", "list", "watch"})
#: Sub-resources that run commands in, or open a tunnel to, a pod or a node.
EXEC_RESOURCES = ("pods/exec", "pods/attach", "pods/portforward", "nodes/proxy")
#: Objects whose creation runs code with the rights of another identity.
WORKLOAD_RESOURCES = (
    "pods", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs", "replicationcontrollers",
)
WEBHOOK_RESOURCES = ("mutatingwebhookconfigurations", "validatingwebhookconfigurations")
RBAC_GROUP = "rbac.authorization.k8s.io"
WRITE_VERBS = ("create", "update", "patch")
#: Words in a role's name that say a controller or an operator runs with it.
CONTROLLER_WORDS = ("operator", "controller", "manager", "provisioner", "autoscaler", "agent")
#: Resources only a controller asks for: leader-election leases, CRDs.
CONTROLLER_RESOURCES = frozenset({"leases", "customresourcedefinitions"})
CLUSTER_ADMIN = "cluster-admin"


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


@record
class Grant:
    """One rule of a role, read: what it allows, in the words of the k8s-rbac-* policies."""

    groups: list[str]
    resources: list[str]
    verbs: list[str]
    names: list[str]
    #: `nonResourceURLs` (a rule has these or resources).
    urls: list[str] = field(default_factory=list)

    @property
    def all_verbs(self) -> bool:
        return "*" in self.verbs

    def allows(self, *verbs: str) -> bool:
        """True when the rule allows any of `verbs`."""
        return self.all_verbs or any(verb in self.verbs for verb in verbs)

    def covers(self, resource: str, group: str = "") -> bool:
        """True when the rule names `resource` (or `*`, or `<resource>/*` for a sub-resource) in `group`."""
        if not ("*" in self.groups or group in self.groups):
            return False
        base = resource.split("/", 1)[0]
        return "*" in self.resources or resource in self.resources or (
            "/" in resource and f"{base}/*" in self.resources
        )

    def core_or_any_group(self) -> bool:
        return "" in self.groups or "*" in self.groups

    def wildcard(self) -> str:
        """What is wildcarded in a way the rule judges, or an empty string."""
        if self.all_verbs:
            if not self.resources:
                return f"verbs: ['*'] on nonResourceURLs {self.urls}"
            return "verbs: ['*']" + (" on resources ['*']" if "*" in self.resources else "")
        if "*" in self.resources:
            writes = sorted(set(self.verbs) - READ_VERBS)
            if writes:
                return f"resources: ['*'] with {', '.join(writes)}"
            if self.core_or_any_group():
                return "resources: ['*'] in the core API group (it reads Secrets)"
        return ""

    def secrets_read(self) -> str:
        """The read verbs this rule grants on Secrets, or an empty string (rules limited by resourceNames are not counted)."""
        if self.names or not self.covers("secrets"):
            return ""
        if self.all_verbs:
            return "*"
        return ", ".join(verb for verb in self.verbs if verb in READ_VERBS)

    def pod_exec(self) -> str:
        """The exec-like sub-resources this rule lets one `create` (a websocket or SPDY upgrade is a create)."""
        if not self.allows("create"):
            return ""
        return ", ".join(f"create on {resource}" for resource in EXEC_RESOURCES if self.covers(resource))

    def escalation(self, cluster: bool) -> str:
        """How this rule lets its holder gain rights it does not have, or an empty string."""
        found: list[str] = []
        if self.names:  # limited to named roles, users or accounts: the least-privilege form of these rights
            return self._workload_escalation(cluster)
        for verb in ("escalate", "bind"):
            if verb in self.verbs:
                targets = [res for res in ("roles", "clusterroles") if self.covers(res, RBAC_GROUP)]
                if targets:
                    found.append(f"{verb} on {', '.join(targets)}")
        if "impersonate" in self.verbs or (self.all_verbs and self.resources != ["*"]):
            targets = [res for res in ("users", "groups", "serviceaccounts") if self.covers(res)]
            if targets and ("impersonate" in self.verbs or any(res in self.resources for res in targets)):
                found.append(f"impersonate on {', '.join(targets)}")
        if self.allows("create") and self.covers("serviceaccounts/token"):
            found.append("create on serviceaccounts/token")
        found.extend(filter(None, [self._workload_escalation(cluster)]))
        return "; ".join(dict.fromkeys(found))

    def _workload_escalation(self, cluster: bool) -> str:
        """Cluster-wide writes to pods, workloads or webhook configurations (resourceNames do not limit create)."""
        found: list[str] = []
        if cluster and self.allows(*WRITE_VERBS):
            verbs = "*" if self.all_verbs else "/".join(verb for verb in WRITE_VERBS if verb in self.verbs)
            # A Job's pod template is immutable: only creating one runs new code.
            workloads = [
                res for res in WORKLOAD_RESOURCES if self._names(res) and (res != "jobs" or self.allows("create"))
            ]
            hooks = [res for res in WEBHOOK_RESOURCES if self._names(res)]
            if workloads:
                found.append(f"{verbs} on {', '.join(workloads)} cluster-wide")
            if hooks:
                found.append(f"{verbs} on {', '.join(hooks)}")
        return "; ".join(dict.fromkeys(found))

    def _names(self, resource: str) -> bool:
        """True when the rule names `resource` itself (not through `*`: the wildcard rule reports that)."""
        return resource in self.resources and bool(self.groups)


def read_grant(rule: Any) -> Grant | None:
    """The grant of one `rules[]` entry, or None when it is malformed or names neither resources nor URLs."""
    if not isinstance(rule, Mapping):
        return None
    resources = _strings(rule.get("resources"))
    urls = _strings(rule.get("nonResourceURLs"))
    if not resources and not urls:
        return None
    return Grant(
        groups=_strings(rule.get("apiGroups")),
        resources=[item.lower() if item != "*" else item for item in resources],
        verbs=[item.lower() for item in _strings(rule.get("verbs"))],
        names=_strings(rule.get("resourceNames")),
        urls=urls,
    )


def is_all_powerful(rules: Iterable[Any]) -> bool:
    """True when some rule is `*` on `*` in every API group: the same as cluster-admin."""
    for rule in rules:
        grant = read_grant(rule)
        if grant and grant.all_verbs and "*" in grant.resources and "*" in grant.groups and not grant.names:
            return True
    return False


def is_platform_role(role: Document) -> bool:
    """True for Kubernetes' own roles, which the API server creates and reconciles: named `system:…`,
    or labelled `kubernetes.io/bootstrapping: rbac-defaults` (admin, edit, view in a cluster dump)."""
    labels = role.metadata.get("labels")
    bootstrapped = isinstance(labels, Mapping) and labels.get("kubernetes.io/bootstrapping") == "rbac-defaults"
    return role.name.startswith("system:") or bootstrapped


def is_controller_role(role: Document, grants: Iterable[Grant]) -> bool:
    """True when the role reads like a controller's or an operator's: by its name, or by what only
    controllers ask for (leader-election leases, CRDs, the status or finalizers of what they manage)."""
    name = role.name.lower()
    if any(word in name for word in CONTROLLER_WORDS):
        return True
    for grant in grants:
        for resource in grant.resources:
            if resource in CONTROLLER_RESOURCES or resource.endswith(("/status", "/finalizers")):
                return True
    return False


@record
class Receivers:
    """Who holds a role through the set: its bindings, their subjects, and the workloads running as them."""

    bindings: list[Document] = field(default_factory=list)
    subjects: list[tuple[Document, int, str]] = field(default_factory=list)
    workloads: list[tuple[Document, Document]] = field(default_factory=list)

    def describe(self) -> str:
        """One phrase for a message: who receives the rights, or that nothing in the set binds the role."""
        if not self.bindings:
            return "nothing in the scanned set binds it"
        if self.workloads:
            parts = [f"pods of {workload.kind} {workload.name}" for workload, _ in self.workloads]
            via = list(dict.fromkeys(f"{binding.kind} {binding.name}" for _, binding in self.workloads))
            return f"{_few(parts)} {_receive(parts)} it through {_few(via)}"
        if self.subjects:
            parts = [label for _, _, label in self.subjects]
            via = list(dict.fromkeys(f"{binding.kind} {binding.name}" for binding, _, _ in self.subjects))
            return f"{_few(parts)} {_receive(parts)} it through {_few(via)}"
        return f"bound by {_few([f'{binding.kind} {binding.name}' for binding in self.bindings])}"


def _receive(parts: list[str]) -> str:
    return "receives" if len(set(parts)) == 1 and not parts[0].startswith("pods of") else "receive"


def _few(labels: list[str], limit: int = 3) -> str:
    labels = list(dict.fromkeys(labels))
    shown = ", ".join(labels[:limit])
    return f"{shown} and {len(labels) - limit} more" if len(labels) > limit else shown


def role_ref(binding: Document) -> tuple[str, str] | None:
    """(kind, name) of a binding's roleRef, or None when malformed."""
    ref = binding.get(("roleRef",))
    if not isinstance(ref, Mapping):
        return None
    kind, name = ref.get("kind"), ref.get("name")
    if not isinstance(kind, str) or not isinstance(name, str) or kind not in ROLE_KINDS:
        return None
    if binding.kind == "ClusterRoleBinding" and kind != "ClusterRole":
        return None
    return kind, name


def subjects(binding: Document) -> list[tuple[int, Mapping[str, Any]]]:
    """The binding's subjects, with their positions."""
    items = binding.get(("subjects",))
    return [(pos, item) for pos, item in enumerate(items) if isinstance(item, Mapping)] if isinstance(items, list) else []


def subject_label(binding: Document, subject: Mapping[str, Any]) -> str:
    kind, name = str(subject.get("kind", "?")), str(subject.get("name", "?"))
    if kind == "ServiceAccount":
        return f"ServiceAccount {subject_namespace(binding, subject)}/{name}"
    return f"{kind} {name}"


def subject_namespace(binding: Document, subject: Mapping[str, Any]) -> str:
    namespace = subject.get("namespace")
    if isinstance(namespace, str) and namespace:
        return namespace
    return binding.namespace or binding.default_namespace


def service_account_of(workload: Document) -> str:
    """The ServiceAccount a workload's pods run as (`default` when none is named)."""
    spec = pod_spec(workload)
    if spec is None:
        return ""
    name = spec.get("serviceAccountName") or spec.get("serviceAccount")
    return name if isinstance(name, str) and name else "default"


def aggregated_roles(role: Document, candidates: Iterable[Document]) -> list[Document]:
    """The ClusterRoles among `candidates` whose labels one of the role's clusterRoleSelectors matches."""
    selectors = role.get(("aggregationRule", "clusterRoleSelectors"))
    if not isinstance(selectors, list):
        return []
    parsed = [parse_label_selector(item) for item in selectors if isinstance(item, Mapping)]
    found = []
    for candidate in candidates:
        if candidate is role or candidate.kind != "ClusterRole":
            continue
        labels = normalise_labels(candidate.metadata.get("labels"))
        if any(selector.valid and not selector.selects_all and selector.matches(labels) for selector in parsed):
            found.append(candidate)
    return found
