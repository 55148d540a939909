"""RBAC: what a rule grants (rbac.Grant) and who receives it through the set (rbac-role, rbac-binding)."""

from __future__ import annotations

import textwrap

import pytest

from policylint.catalog import load_policies
from policylint.core.documents import LoadResult
from policylint.core.engine import run
from policylint.core.loading import load_bytes
from policylint.kinds.kubernetes.rbac import read_grant

POLICIES = load_policies()
RBAC_IDS = (
    "k8s-rbac-wildcard",
    "k8s-rbac-secrets-access",
    "k8s-rbac-pod-exec",
    "k8s-rbac-escalation",
    "k8s-rbac-cluster-admin-binding",
)


def run_rbac(files: dict[str, str], *policy_ids: str):
    result = LoadResult()
    for path, text in files.items():
        result.extend(load_bytes(path, textwrap.dedent(text).encode(), "kubernetes"))
    return run(result, [POLICIES.get(policy_id) for policy_id in policy_ids or RBAC_IDS])


CORE_STAR = "resources: ['*'] in the core API group (it reads Secrets)"
POD_EXECS = "create on pods/exec, create on pods/attach, create on pods/portforward"


@pytest.mark.parametrize(
    ("rule", "wildcard", "secrets", "exec_", "escalation"),
    [
        ({"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}, "verbs: ['*']", "", "", ""),
        ({"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}, CORE_STAR, "get", "", ""),
        ({"apiGroups": ["example.com"], "resources": ["*"], "verbs": ["list"]}, "", "", "", ""),
        ({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["tls"]}, "", "", "", ""),
        ({"apiGroups": [""], "resources": ["pods/*"], "verbs": ["create"]}, "", "", POD_EXECS, ""),
        ({"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}, "", "", "", ""),
        ({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"]},
         "", "", "", "bind on clusterroles"),
        ({"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]}, "", "", "", "impersonate on serviceaccounts"),
        ({"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}, "", "", "", "create on serviceaccounts/token"),
    ],
)
def test_grant_reads_a_rule(rule, wildcard, secrets, exec_, escalation):
    grant = read_grant(rule)
    assert grant is not None
    assert grant.wildcard() == wildcard
    assert grant.secrets_read() == secrets
    assert grant.pod_exec() == exec_
    assert grant.escalation(cluster=False) == escalation


def test_workload_writes_escalate_only_in_a_cluster_role():
    grant = read_grant({"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["create", "patch"]})
    assert grant.escalation(cluster=False) == ""
    assert grant.escalation(cluster=True) == "create/patch on deployments cluster-wide"


def test_non_resource_urls_only_matter_for_wildcard_verbs():
    metrics = read_grant({"nonResourceURLs": ["/metrics"], "verbs": ["get"]})
    assert (metrics.wildcard(), metrics.secrets_read(), metrics.pod_exec(), metrics.escalation(True)) == ("", "", "", "")
    anything = read_grant({"nonResourceURLs": ["*"], "verbs": ["*"]})
    assert anything.wildcard() == "verbs: ['*'] on nonResourceURLs ['*']"
    assert anything.escalation(True) == ""
    assert read_grant("not a rule") is None
    assert read_grant({"verbs": ["get"]}) is None


def test_resource_names_limit_bind_impersonate_and_tokens_but_not_workload_writes():
    named = {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"], "resourceNames": ["view"]}
    assert read_grant(named).escalation(cluster=True) == ""
    token = {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"], "resourceNames": ["builder"]}
    assert read_grant(token).escalation(cluster=True) == ""
    deploy = {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["patch"], "resourceNames": ["web"]}
    assert read_grant(deploy).escalation(cluster=True) == "patch on deployments cluster-wide"


BOUND_ROLE = {
    "app/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api, namespace: shop}
        spec:
          selector: {matchLabels: {app: api}}
          template:
            metadata: {labels: {app: api}}
            spec:
              serviceAccountName: api
              containers: [{name: app, image: "api:1.0"}]
        """,
    "app/rbac.yaml": """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: api-reads-secrets, namespace: shop}
        rules:
          - apiGroups: [""]
            resources: [secrets]
            verbs: [get, list, watch]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: api-reads-secrets, namespace: shop}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: api-reads-secrets}
        subjects: [{kind: ServiceAccount, name: api}]
        """,
}


def test_secrets_finding_names_the_workloads_that_receive_it():
    [finding] = run_rbac(BOUND_ROLE, "k8s-rbac-secrets-access")
    assert (finding.path, finding.line) == ("app/rbac.yaml", 7)
    assert finding.message == (
        "Role api-reads-secrets grants get, list, watch on secrets; "
        "pods of Deployment api receive it through RoleBinding api-reads-secrets"
    )
    assert [(place.path, place.line) for place in finding.related] == [("app/rbac.yaml", 14), ("app/deployment.yaml", 4)]
    assert "pods of Deployment api run with it" in finding.related[1].message


def test_workloads_in_an_unrelated_folder_do_not_receive_it():
    files = {"other/deployment.yaml": BOUND_ROLE["app/deployment.yaml"], "app/rbac.yaml": BOUND_ROLE["app/rbac.yaml"]}
    [finding] = run_rbac(files, "k8s-rbac-secrets-access")
    assert finding.message.endswith("ServiceAccount shop/api receives it through RoleBinding api-reads-secrets")


def test_an_unbound_role_is_not_judged_for_secrets_but_a_cluster_role_is():
    role = BOUND_ROLE["app/rbac.yaml"].split("---")[0]
    assert run_rbac({"rbac.yaml": role}, "k8s-rbac-secrets-access") == []
    cluster = role.replace("kind: Role", "kind: ClusterRole").replace("namespace: shop", "")
    [finding] = run_rbac({"rbac.yaml": cluster}, "k8s-rbac-secrets-access")
    assert finding.message.endswith("nothing in the scanned set binds it")


def test_operator_roles_are_flagged_with_a_message_that_says_so():
    files = {
        "rbac.yaml": """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: shop-controller}
            rules:
              - apiGroups: [coordination.k8s.io]
                resources: [leases]
                verbs: [get, create, update]
              - apiGroups: [apps]
                resources: [deployments]
                verbs: [create, update, patch]
            """
    }
    [finding] = run_rbac(files)
    assert finding.policy_id == "k8s-rbac-escalation"
    assert "operator's or controller's role, which may need this" in finding.message


def test_aggregated_cluster_role_is_judged_by_what_it_aggregates():
    files = {
        "rbac.yaml": """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: monitoring}
            aggregationRule:
              clusterRoleSelectors: [{matchLabels: {rbac.example.com/aggregate-to-monitoring: "true"}}]
            rules: []
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: monitoring-secrets
              labels: {rbac.example.com/aggregate-to-monitoring: "true"}
            rules:
              - apiGroups: [""]
                resources: [secrets]
                verbs: [list]
            """
    }
    found = sorted((f.line, f.message) for f in run_rbac(files, "k8s-rbac-secrets-access"))
    assert found == [
        (5, "ClusterRole monitoring grants list on secrets (aggregated from ClusterRole monitoring-secrets); "
            "nothing in the scanned set binds it"),
        (16, "ClusterRole monitoring-secrets grants list on secrets; nothing in the scanned set binds it"),
    ]


def test_binding_in_one_install_file_means_the_role_of_that_file():
    install = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: server}
        rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: server}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: server}
        subjects: [{kind: ServiceAccount, name: server, namespace: tools}]
        """
    found = run_rbac({"manifests/install.yaml": install, "manifests/ha-install.yaml": install}, "k8s-rbac-secrets-access")
    assert [f.message.split("; ")[1] for f in found] == ["ServiceAccount tools/server receives it through ClusterRoleBinding server"] * 2


def test_cluster_admin_binding_names_subjects_and_skips_system_groups():
    files = {
        "crb.yaml": """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: mixed}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
            subjects:
              - {kind: Group, name: "system:masters"}
              - {kind: User, name: alice}
            """
    }
    [finding] = run_rbac(files, "k8s-rbac-cluster-admin-binding")
    assert (finding.line, finding.severity) == (5, "critical")
    assert finding.message.startswith("ClusterRoleBinding mixed grants ClusterRole cluster-admin (all rights) to User alice;")
