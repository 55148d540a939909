"""OpenShift DeploymentConfig and Argo Rollout are workloads: pod-spec rules and relations see them."""

from __future__ import annotations

import textwrap

from policylint.catalog import load_policies
from policylint.core.documents import LoadResult
from policylint.core.engine import run
from policylint.core.loading import load_bytes

POLICIES = load_policies()

ROLLOUT = """
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  strategy: {canary: {steps: [{setWeight: 20}]}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: app
          image: web:1.0
          securityContext: {privileged: true}
          ports: [{name: http, containerPort: 8080}]
"""

DEPLOYMENT_CONFIG = """
apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata: {name: legacy}
spec:
  replicas: 2
  selector: {app: legacy}
  template:
    metadata: {labels: {app: legacy}}
    spec:
      containers:
        - name: app
          image: legacy:1.0
          securityContext: {privileged: true}
"""

SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
"""


def findings(files: dict[str, str], *policy_ids: str) -> list[tuple[str, int, str]]:
    result = LoadResult()
    for path, text in files.items():
        result.extend(load_bytes(path, textwrap.dedent(text).encode(), "kubernetes"))
    return sorted((f.path, f.line, f.policy_id) for f in run(result, [POLICIES.get(item) for item in policy_ids]))


def test_pod_spec_rules_judge_rollouts_and_deployment_configs():
    found = findings({"rollout.yaml": ROLLOUT, "dc.yaml": DEPLOYMENT_CONFIG}, "k8s-privileged-container")
    assert found == [("dc.yaml", 14, "k8s-privileged-container"), ("rollout.yaml", 15, "k8s-privileged-container")]


def test_a_kind_of_another_group_is_not_a_workload():
    other = ROLLOUT.replace("argoproj.io/v1alpha1", "example.com/v1")
    assert findings({"rollout.yaml": other}, "k8s-privileged-container") == []


def test_service_selecting_a_rollout_selects_visible_pods():
    files = {"rollout.yaml": ROLLOUT, "service.yaml": SERVICE.replace("targetPort: http", "targetPort: metrics")}
    # The Rollout's pods are pods the set can see: the target port is judged against them.
    assert findings(files, "k8s-service-selector-mismatch", "k8s-service-target-port-mismatch") == [
        ("service.yaml", 7, "k8s-service-target-port-mismatch")
    ]


def test_rollout_with_workload_ref_is_judged_through_its_deployment():
    rollout = """
        apiVersion: argoproj.io/v1alpha1
        kind: Rollout
        metadata: {name: web}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}
        """
    deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 0
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
                - {name: app, image: "web:1.0", securityContext: {privileged: true}, ports: [{name: http, containerPort: 8080}]}
        """
    files = {"rollout.yaml": rollout, "deployment.yaml": deployment, "service.yaml": SERVICE}
    assert findings(files, "k8s-privileged-container", "k8s-service-selector-mismatch", "k8s-selector-mismatch") == [
        ("deployment.yaml", 12, "k8s-privileged-container")
    ]


def test_rollout_experiments_make_pods_the_set_cannot_see():
    rollout = ROLLOUT.replace(
        "strategy: {canary: {steps: [{setWeight: 20}]}}",
        "strategy: {canary: {steps: [{experiment: {templates: [{name: preview, specRef: canary, "
        "metadata: {labels: {app: web-preview}}}]}}]}}",
    )
    preview = SERVICE.replace("name: web}", "name: web-preview}").replace("app: web}", "app: web-preview}")
    assert "web-preview" in preview
    files = {"rollout.yaml": rollout, "service.yaml": preview}
    assert findings(files, "k8s-service-selector-mismatch") == []
    files = {"rollout.yaml": ROLLOUT, "service.yaml": preview}
    assert findings(files, "k8s-service-selector-mismatch") == [("service.yaml", 6, "k8s-service-selector-mismatch")]


def test_workload_ref_rollout_has_its_deployments_pod_labels():
    files = {
        "app.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: Rollout
            metadata: {name: web}
            spec:
              replicas: 3
              selector: {matchLabels: {app: web}}
              workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: 0
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers: [{name: app, image: "web:1.0"}]
            """,
        "pdb.yaml": """
            apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata: {name: web}
            spec:
              maxUnavailable: 1
              selector: {matchLabels: {app: web}}
            """,
    }
    assert findings(files, "k8s-pdb-missing", "k8s-pdb-selects-nothing") == []
    del files["pdb.yaml"]
    assert findings(files, "k8s-pdb-missing") == [("app.yaml", 4, "k8s-pdb-missing")]
