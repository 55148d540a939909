"""Kubernetes relations on small sets: facts, scopes (namespace and overlay), memoisation."""

from __future__ import annotations

import textwrap

from policylint.catalog import load_policies
from policylint.core.documents import DocumentSet, LoadResult
from policylint.core.engine import run
from policylint.core.kinds import get_relation, get_target
from policylint.core.loading import load_bytes
from policylint.kinds.kubernetes.relations import INDEX_KEY, allows_dns, egress_applies, index

POLICIES = load_policies()


def load(files: dict[str, str], namespace: str = "default") -> DocumentSet:
    result = LoadResult()
    for path, text in files.items():
        result.extend(load_bytes(path, textwrap.dedent(text).encode(), "kubernetes"))
    for doc in result.documents:
        doc.default_namespace = namespace
    return DocumentSet(result.documents)


def views(documents: DocumentSet, relation: str, kind: str, target: str = "document", params=None):
    function = get_relation("kubernetes", relation)
    found = []
    for doc in documents.by_kind(kind):
        for view in get_target("kubernetes", target)(doc, {}):
            found.extend(function(view, documents, params or {}))
    return found


def findings(files: dict[str, str], *policy_ids: str, namespace: str = "default") -> list[tuple[str, int, str]]:
    result = LoadResult()
    for path, text in files.items():
        result.extend(load_bytes(path, textwrap.dedent(text).encode(), "kubernetes"))
    for doc in result.documents:
        doc.default_namespace = namespace
    chosen = [POLICIES.get(policy_id) for policy_id in policy_ids]
    return sorted((f.path, f.line, f.policy_id) for f in run(result, chosen))


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: app
          image: api:1.0
          ports: [{name: http, containerPort: 8080}]
          resources: {requests: {cpu: 100m}}
"""
HPA = """
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 2
  maxReplicas: 6
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
    - type: Resource
      resource: {name: memory, target: {type: Utilization, averageUtilization: 80}}
"""


def test_hpa_target_mounts_the_target_and_judges_each_metric():
    documents = load({"deploy.yaml": DEPLOYMENT, "hpa.yaml": HPA})
    (view,) = views(documents, "hpa-target", "HorizontalPodAutoscaler")
    assert view.instance["targetFound"] is True
    assert view.instance["namespaceHasWorkloads"] is True
    assert view.instance["target"]["metadata"]["name"] == "api"
    assert [(m["resource"], m["requested"]) for m in view.instance["utilizationMetrics"]] == [
        ("cpu", True),
        ("memory", False),
    ]
    # The memory metric resolves to its own line in hpa.yaml; the target is a related location.
    document, position, _ = view.locate(("utilizationMetrics", 1, "requested"))
    assert (document.path, position.line) == ("hpa.yaml", 12)
    related_doc = view.related[0][0].document
    assert related_doc.path == "deploy.yaml"


def test_hpa_target_respects_the_namespace_option():
    # The Deployment sets no namespace; the HPA says `shop`. With --namespace shop they meet.
    hpa = HPA.replace("metadata: {name: api}", "metadata: {name: api, namespace: shop}")
    apart = load({"deploy.yaml": DEPLOYMENT, "hpa.yaml": hpa})
    assert views(apart, "hpa-target", "HorizontalPodAutoscaler")[0].instance["targetFound"] is False
    together = load({"deploy.yaml": DEPLOYMENT, "hpa.yaml": hpa}, namespace="shop")
    assert views(together, "hpa-target", "HorizontalPodAutoscaler")[0].instance["targetFound"] is True


def test_objects_of_different_overlays_never_meet():
    documents = load({"deploy.yaml": DEPLOYMENT, "hpa.yaml": HPA})
    for doc in documents:
        if doc.kind == "HorizontalPodAutoscaler":
            doc.origin = "kustomize overlay overlays/dev"
    (view,) = views(documents, "hpa-target", "HorizontalPodAutoscaler")
    assert view.instance["targetFound"] is False
    assert view.instance["namespaceHasWorkloads"] is False


def test_workload_context_facts():
    pdb = """
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata: {name: api}
    spec:
      maxUnavailable: 1
      selector: {matchExpressions: [{key: app, operator: In, values: [api, web]}]}
    """
    netpol = """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: other}
    spec:
      podSelector: {matchLabels: {app: web}}
    """
    documents = load({"deploy.yaml": DEPLOYMENT, "hpa.yaml": HPA, "pdb.yaml": pdb, "np.yaml": netpol})
    (view,) = views(documents, "workload-context", "Deployment")
    facts = {key: view.instance[key] for key in (
        "hpaTargeted", "replicas", "multiReplica", "pdbSelected", "networkPolicySelected", "networkPoliciesInSet")}
    assert facts == {
        "hpaTargeted": True,
        "replicas": 3,
        "multiReplica": True,
        "pdbSelected": True,
        "networkPolicySelected": False,
        "networkPoliciesInSet": True,
    }
    assert view.instance["hpa"]["metadata"]["name"] == "api"
    # The view's object is the document itself, never a copy that could drift.
    assert view.instance["object"] is documents.by_kind("Deployment")[0].data


def test_relations_do_not_mutate_documents():
    documents = load({"deploy.yaml": DEPLOYMENT, "hpa.yaml": HPA})
    before = repr([doc.data for doc in documents])
    views(documents, "workload-context", "Deployment")
    views(documents, "hpa-target", "HorizontalPodAutoscaler")
    views(documents, "selected-workloads", "Deployment")
    assert repr([doc.data for doc in documents]) == before


def test_index_is_built_once_per_run_and_shared():
    documents = load({"deploy.yaml": DEPLOYMENT, "hpa.yaml": HPA})
    first = index(documents)
    views(documents, "hpa-target", "HorizontalPodAutoscaler")
    views(documents, "workload-context", "Deployment")
    assert documents.cache[INDEX_KEY] is first
    assert index(documents) is first


def test_selected_workloads_for_service_ports():
    service = """
    apiVersion: v1
    kind: Service
    metadata: {name: api}
    spec:
      selector: {app: api}
      ports:
        - {name: a, port: 80, targetPort: http}
        - {name: b, port: 81, targetPort: 8080}
        - {name: c, port: 82, targetPort: grpc}
        - {name: d, port: 8080, protocol: UDP}
    """
    documents = load({"deploy.yaml": DEPLOYMENT, "svc.yaml": service})
    (view,) = views(documents, "selected-workloads", "Service")
    assert view.instance["selectsSomething"] is True
    # a number is never judged (ports need not be declared); a name must resolve
    assert [entry["matched"] for entry in view.instance["servicePorts"]] == [True, True, False, True]
    _, position, _ = view.locate(("servicePorts", 2))
    assert position.line == 10  # the targetPort of port c (the text starts with a blank line)


def test_pdb_blocking_uses_hpa_minimum():
    pdb = """
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata: {name: api}
    spec:
      minAvailable: 2
      selector: {matchLabels: {app: api}}
    """
    # replicas: 3, but the HPA may scale down to 2: minAvailable 2 then blocks every eviction.
    documents = load({"deploy.yaml": DEPLOYMENT, "hpa.yaml": HPA, "pdb.yaml": pdb})
    assert views(documents, "selected-workloads", "PodDisruptionBudget")[0].instance["minAvailableBlocks"] is True
    without_hpa = load({"deploy.yaml": DEPLOYMENT, "pdb.yaml": pdb})
    assert views(without_hpa, "selected-workloads", "PodDisruptionBudget")[0].instance["minAvailableBlocks"] is False


def test_dns_rules():
    def policy(spec: str):
        text = f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p}}\nspec: {spec}\n"
        return load({"np.yaml": text}).documents[0]

    assert egress_applies(policy("{policyTypes: [Egress]}"))
    assert not egress_applies(policy("{policyTypes: [Ingress]}"))
    assert egress_applies(policy("{egress: []}"))  # no policyTypes, egress present
    assert not egress_applies(policy("{ingress: []}"))
    assert not allows_dns(policy("{policyTypes: [Egress]}"))
    assert allows_dns(policy("{egress: [{}]}"))
    assert allows_dns(policy("{egress: [{to: [{podSelector: {}}]}]}"))  # no ports: all ports
    assert allows_dns(policy("{egress: [{ports: [{port: 53, protocol: UDP}]}]}"))
    assert allows_dns(policy("{egress: [{ports: [{port: 53}]}]}"))  # TCP 53 counts
    assert allows_dns(policy("{egress: [{ports: [{port: 1, endPort: 1024}]}]}"))
    assert allows_dns(policy("{egress: [{ports: [{protocol: UDP}]}]}"))
    assert allows_dns(policy("{egress: [{ports: [{port: dns-tcp}]}]}"))
    assert not allows_dns(policy("{egress: [{ports: [{port: 5432}]}]}"))
    assert not allows_dns(policy("{egress: [{ports: [{port: 53, protocol: SCTP}]}]}"))


def test_two_changed_files_do_not_cry_wolf():
    """A pre-commit run over just a PDB, a Service and an HPA: no dangling-reference findings."""
    files = {
        "pdb.yaml": """
            apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata: {name: api}
            spec: {maxUnavailable: 1, selector: {matchLabels: {app: api}}}
            """,
        "svc.yaml": """
            apiVersion: v1
            kind: Service
            metadata: {name: api}
            spec: {selector: {app: api}, ports: [{port: 80, targetPort: http}]}
            """,
        "hpa.yaml": HPA,
    }
    relational = (
        "k8s-pdb-selects-nothing",
        "k8s-service-selector-mismatch",
        "k8s-service-target-port-mismatch",
        "k8s-hpa-target-missing",
        "k8s-hpa-metric-without-request",
        "k8s-networkpolicy-selects-nothing",
    )
    assert findings(files, *relational) == []
    # Add a workload of the namespace and the dangling references become real.
    files["deploy.yaml"] = DEPLOYMENT.replace("name: api\n", "name: web\n").replace("app: api", "app: web")
    assert findings(files, *relational) == [
        ("hpa.yaml", 6, "k8s-hpa-target-missing"),
        ("pdb.yaml", 5, "k8s-pdb-selects-nothing"),
        ("svc.yaml", 5, "k8s-service-selector-mismatch"),
    ]


def test_default_deny_plus_allow_dns_is_correct_but_partial_allow_is_not():
    deny = """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: deny}
    spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
    """
    allow_dns = """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: dns}
    spec:
      podSelector: {matchExpressions: [{key: app, operator: Exists}]}
      policyTypes: [Egress]
      egress: [{ports: [{port: 53, protocol: UDP}]}]
    """
    worker = DEPLOYMENT.replace("name: api\n", "name: worker\n").replace("labels: {app: api}", "labels: {role: worker}")
    assert findings({"d.yaml": DEPLOYMENT, "deny.yaml": deny, "dns.yaml": allow_dns}, "k8s-networkpolicy-egress-no-dns") == []
    # The worker's pods carry no `app` label: the DNS policy misses them, so the deny policy fires.
    assert findings(
        {"d.yaml": DEPLOYMENT, "w.yaml": worker, "deny.yaml": deny, "dns.yaml": allow_dns},
        "k8s-networkpolicy-egress-no-dns",
    ) == [("deny.yaml", 5, "k8s-networkpolicy-egress-no-dns")]


def test_relational_run_is_linear_in_index_lookups(selection_calls):
    """Many namespaces × (Deployment, Service, PDB, HPA, NetworkPolicy): each selector consults only
    the label postings of its own scope, so a run touches O(documents) candidates."""
    files = {}
    for number in range(60):
        ns = f"ns{number % 6}"
        files[f"app{number}.yaml"] = f"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {{name: app{number}, namespace: {ns}}}
            spec:
              replicas: 2
              template:
                metadata: {{labels: {{app: app{number}}}}}
                spec: {{containers: [{{name: c, image: i:1, ports: [{{containerPort: 80}}]}}]}}
            ---
            apiVersion: v1
            kind: Service
            metadata: {{name: app{number}, namespace: {ns}}}
            spec: {{selector: {{app: app{number}}}, ports: [{{port: 80}}]}}
            ---
            apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata: {{name: app{number}, namespace: {ns}}}
            spec: {{maxUnavailable: 1, selector: {{matchLabels: {{app: app{number}}}}}}}
            """
    documents = load(files)
    for _ in range(2):  # a second policy reading the same relation recomputes nothing
        views(documents, "selected-workloads", "Service")
        views(documents, "selected-workloads", "PodDisruptionBudget")
        views(documents, "workload-context", "Deployment")
    # One selection per selecting object (memoised), not one per (object, workload) pair.
    assert selection_calls["calls"] == 120
