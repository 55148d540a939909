"""Relation scope: which objects meet (folders, kustomizations, origins, `run`), nearest names, unseen pods."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from policylint.catalog import load_policies
from policylint.core.documents import DocumentSet, LoadResult
from policylint.core.engine import run
from policylint.core.loading import load_bytes
from policylint.kinds.kubernetes.relations import NAMES_IN_MESSAGE, RELATED_LIMIT, ambiguous_references, index, names
from policylint.kinds.kubernetes.scope import (
    KustomizationListing,
    distance,
    folder_of,
    kustomize_groups,
    listing_from_data,
    nearest,
)
from policylint.kinds.kubernetes.selectors import parse_map_selector
from policylint.kinds.kubernetes.unseen import is_controller_label, possible_pod_owner, without_controller_labels
from policylint.options import RunOptions
from policylint.runner import check

POLICIES = load_policies()


def deployment(name: str, labels: str = "", replicas: int | None = None, namespace: str = "", pod: str = "",
               ports: str = "") -> str:
    labels = labels or f"{{app: {name}}}"
    meta = f"{{name: {name}, namespace: {namespace}}}" if namespace else f"{{name: {name}}}"
    text = f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {meta}\nspec:\n"
    if replicas is not None:
        text += f"  replicas: {replicas}\n"
    text += f"  template:\n    metadata: {{labels: {labels}}}\n    spec:\n{pod}"
    container = f"{{name: app, image: {name}:1.0{', ports: ' + ports if ports else ''}}}"
    return text + f"      containers: [{container}]\n"


def hpa(name: str, target: str, minimum: int = 2) -> str:
    return (f"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: {name}}}\nspec:\n"
            f"  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {target}}}\n"
            f"  minReplicas: {minimum}\n  maxReplicas: 6\n")


def service(name: str, selector: str, target: str = "80") -> str:
    return (f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec:\n  selector: {selector}\n"
            f"  ports: [{{port: 80, targetPort: {target}}}]\n")


def loaded(files: dict[str, str], origins: dict[str, str] | None = None) -> LoadResult:
    result = LoadResult()
    for path, text in files.items():
        result.extend(load_bytes(path, textwrap.dedent(text).encode(), "kubernetes"))
    for doc in result.documents:
        doc.origin = (origins or {}).get(doc.path, "")
    return result


def findings(files: dict[str, str], *policy_ids: str, mode: str = "folder", origins=None) -> list[tuple[str, int, str]]:
    chosen = [POLICIES.get(policy_id) for policy_id in policy_ids]
    if mode != "folder":
        chosen = [policy.with_params({"relation_scope": mode}) for policy in chosen]
    return sorted((f.path, f.line, f.policy_id) for f in run(loaded(files, origins), chosen))


# --- paths -----------------------------------------------------------------------------------------


def test_folders_and_distances():
    assert folder_of("deploy.yaml") == ()
    assert folder_of("./apps/shop/deploy.yaml") == ("apps", "shop")
    assert folder_of("apps\\shop\\deploy.yaml") == ("apps", "shop")
    assert folder_of("/srv/repo/x.yaml") == ("", "srv", "repo")
    assert distance(("a", "b"), ("a", "b")) == 0
    assert distance(("a",), ("a", "b", "c")) == 2
    assert distance(("a", "b"), ("a", "c")) == 2
    assert distance((), ("x",)) == 1


def test_nearest_prefers_the_closest_and_refuses_ties():
    def folder(item: str) -> tuple[str, ...]:
        return folder_of(item)

    assert nearest(("shop",), ["blog/api.yaml", "shop/api.yaml"], folder) == ("shop/api.yaml", ["shop/api.yaml"])
    target, tied = nearest((), ["blog/api.yaml", "shop/api.yaml"], folder)
    assert target is None and tied == ["blog/api.yaml", "shop/api.yaml"]
    assert nearest(("x",), [], folder) == (None, [])


def test_kustomize_groups_follow_listed_folders_recursively():
    base = KustomizationListing("base/kustomization.yaml", {"base/deploy.yaml"})
    prod = KustomizationListing("overlays/prod/kustomization.yaml", {"overlays/prod/hpa.yaml"}, {"base"})
    extra = KustomizationListing("all/kustomization.yaml", set(), {"plain"})  # a folder without kustomization
    paths = ["base/deploy.yaml", "overlays/prod/hpa.yaml", "plain/a.yaml", "plain/sub/b.yaml", "other.yaml"]
    groups = kustomize_groups([base, prod, extra], paths)
    assert groups == {
        "base/deploy.yaml": ("base/kustomization.yaml", "overlays/prod/kustomization.yaml"),
        "overlays/prod/hpa.yaml": ("overlays/prod/kustomization.yaml",),
        "plain/a.yaml": ("all/kustomization.yaml",),
        "plain/sub/b.yaml": ("all/kustomization.yaml",),
    }


def test_listing_skips_remote_entries():
    data = {"resources": ["../../base", "hpa.yaml", "https://github.com/x/y//k8s", "git@github.com:x/y.git"]}
    listing = listing_from_data("overlays/prod/kustomization.yaml", data, lambda path: path == "base")
    assert listing.folders == {"base"}
    assert listing.files == {"overlays/prod/hpa.yaml"}


# --- who meets whom ----------------------------------------------------------------------------------


def test_sibling_folders_never_meet_and_a_parent_folder_meets_both():
    documents = DocumentSet(loaded({
        "shop/api.yaml": deployment("api"),
        "blog/api.yaml": deployment("api"),
        "netpol.yaml": "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: all}\nspec: {}\n",
    }).documents)
    idx = index(documents)
    shop, blog, policy = documents.documents
    selector = parse_map_selector({"app": "api"})
    assert idx.select(shop, selector) == [shop]
    assert idx.select(blog, selector) == [blog]
    assert idx.select(policy, selector) == [shop, blog]  # the root folder contains both


def test_kind_grouped_layout_needs_run_scope():
    files = {"deployments/api.yaml": deployment("api", replicas=3), "autoscaling/api.yaml": hpa("api", "api")}
    ids = ("k8s-hpa-replicas-conflict", "k8s-hpa-target-missing", "k8s-single-replica", "k8s-pdb-missing")
    # Unrelated folders are not joined: no conflict is seen, and no absence is claimed either
    # (the HPA has no candidate of its own, so it may well scale deployments/api.yaml).
    assert findings(files, *ids) == [("deployments/api.yaml", 3, "k8s-pdb-missing")]  # 3 replicas, whoever scales them
    assert findings(files, *ids, mode="run") == [
        ("deployments/api.yaml", 3, "k8s-pdb-missing"),
        ("deployments/api.yaml", 5, "k8s-hpa-replicas-conflict"),
    ]
    files["deployments/api.yaml"] = deployment("api", replicas=1)
    assert findings(files, *ids) == []
    # An HPA whose own folder has a candidate is not "orphaned": it does not cover other folders.
    files["autoscaling/api-deployment.yaml"] = deployment("api")
    assert findings(files, *ids) == [
        ("autoscaling/api-deployment.yaml", 3, "k8s-pdb-missing"),  # its HPA keeps 2 replicas
        ("deployments/api.yaml", 5, "k8s-single-replica"),
    ]


def test_origins_keep_their_own_objects_even_under_run_scope():
    # Two renderings of one chart (values variants): each HPA scales its own variant only.
    files = {"chart/templates/deploy.yaml": deployment("api", replicas=3),
             "chart/templates/hpa.yaml": hpa("api", "api")}
    result = loaded(files)
    second = loaded(files).documents
    for doc in result.documents:
        doc.origin = "helm chart chart (values.yaml)"
    for doc in second:
        doc.origin = "helm chart chart (values-prod.yaml)"
    result.documents.extend(second[:1])  # the prod variant has no HPA
    chosen = [POLICIES.get("k8s-hpa-replicas-conflict"), POLICIES.get("k8s-single-replica")]
    for policies in (chosen, [policy.with_params({"relation_scope": "run"}) for policy in chosen]):
        found = sorted((f.policy_id, f.message.endswith("(helm chart chart (values.yaml))")) for f in run(result, policies))
        assert found == [("k8s-hpa-replicas-conflict", True)]


def test_two_apps_reusing_names_are_judged_apart():
    files = {
        "shop/deployment.yaml": deployment("api", replicas=1),
        "blog/deployment.yaml": deployment("api"),
        "blog/hpa.yaml": hpa("api", "api", minimum=3),
    }
    assert findings(files, "k8s-single-replica", "k8s-pdb-missing", "k8s-anti-affinity-missing") == [
        ("blog/deployment.yaml", 3, "k8s-pdb-missing"),  # metadata
        ("blog/deployment.yaml", 7, "k8s-anti-affinity-missing"),  # the pod spec
        ("shop/deployment.yaml", 5, "k8s-single-replica"),
    ]


def test_an_ambiguous_reference_carries_no_finding_and_is_explained():
    files = {
        "hpa.yaml": hpa("api", "api"),
        "shop/deployment.yaml": deployment("api", replicas=3),
        "blog/deployment.yaml": deployment("api", replicas=1),
    }
    ids = ("k8s-hpa-target-missing", "k8s-hpa-replicas-conflict", "k8s-single-replica", "k8s-hpa-metric-without-request")
    # blog's replicas: 1 may or may not be scaled by the HPA: no single-replica finding either.
    assert findings(files, *ids) == []
    documents = DocumentSet(loaded(files).documents)
    (line,) = ambiguous_references(documents)
    assert line.startswith("hpa.yaml:5: HorizontalPodAutoscaler api: scaleTargetRef Deployment/api is ambiguous")
    assert "blog/deployment.yaml:1, shop/deployment.yaml:1" in line
    # Nearer than both: a Deployment next to the HPA wins, and nothing is ambiguous.
    files["deployment.yaml"] = deployment("api", replicas=2)
    assert findings(files, "k8s-hpa-replicas-conflict") == [("deployment.yaml", 5, "k8s-hpa-replicas-conflict")]
    assert ambiguous_references(DocumentSet(loaded(files).documents)) == []


def test_gateway_parent_resolves_to_the_nearest_gateway():
    def gateway(protocol: str) -> str:
        return ("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: web}\nspec:\n"
                f"  gatewayClassName: x\n  listeners: [{{name: l, port: 443, protocol: {protocol}}}]\n")

    route = ("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: shop}\nspec:\n"
             "  parentRefs:\n    - name: web\n")
    files = {"blog/gateway.yaml": gateway("HTTP"), "shop/gateway.yaml": gateway("HTTPS"), "shop/route.yaml": route}
    found = findings(files, "k8s-ingress-no-tls")
    assert ("shop/route.yaml", 6, "k8s-ingress-no-tls") not in found  # shop's own Gateway serves HTTPS
    files["shop/route.yaml"] = route
    files["shop/gateway.yaml"] = gateway("HTTP")
    assert ("shop/route.yaml", 6, "k8s-ingress-no-tls") in findings(files, "k8s-ingress-no-tls")


def test_absence_claims_hold_for_the_whole_run():
    # A half kind-grouped layout: the HPA and the Service sit in their own folders under k8s/,
    # whose app.yaml is in their scope, while the api Deployment is in a sibling folder.
    files = {
        "k8s/app.yaml": deployment("web"),
        "k8s/deployments/api.yaml": deployment("api"),
        "k8s/hpa/api.yaml": hpa("api", "api"),
        "k8s/services/api.yaml": service("api", "{app: api}"),
    }
    ids = ("k8s-hpa-target-missing", "k8s-service-selector-mismatch")
    assert findings(files, *ids) == []
    files["k8s/deployments/api.yaml"] = deployment("api-v2")
    assert findings(files, *ids) == [
        ("k8s/hpa/api.yaml", 5, "k8s-hpa-target-missing"),
        ("k8s/services/api.yaml", 5, "k8s-service-selector-mismatch"),
    ]


# --- pods the set cannot see -------------------------------------------------------------------------


JOB = """apiVersion: batch/v1
kind: Job
metadata: {name: train}
spec:
  template:
    metadata: {labels: {app: trainer}}
    spec: {restartPolicy: Never, containers: [{name: t, image: t:1}]}
"""
PROMETHEUS = """apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s}
spec: {serviceMonitorSelector: {}}
"""
SERVICE_MONITOR = """apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: api}
spec: {selector: {matchLabels: {app: api}}, endpoints: [{port: http}]}
"""


def test_controller_labels_are_data():
    assert is_controller_label("job-name")
    assert is_controller_label("batch.kubernetes.io/controller-uid")
    assert is_controller_label("statefulset.kubernetes.io/pod-name")
    assert not is_controller_label("app")
    selector = parse_map_selector({"app": "db", "statefulset.kubernetes.io/pod-name": "db-0"})
    rest = without_controller_labels(selector)
    assert rest is not None and [item.key for item in rest.requirements] == ["app"]
    assert without_controller_labels(parse_map_selector({"app": "db"})) is None
    only = without_controller_labels(parse_map_selector({"job-name": "train"}))
    assert only is not None and only.selects_all


def test_possible_pod_owners():
    def doc(text: str):
        return loaded({"x.yaml": text}).documents[0]

    assert possible_pod_owner(doc(PROMETHEUS))  # a known operator kind, even without pod fields
    assert possible_pod_owner(doc("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\n"
                                  "spec: {template: {metadata: {labels: {app: r}}}}\n"))
    assert possible_pod_owner(doc("apiVersion: acid.zalan.do/v1\nkind: postgresql\nmetadata: {name: pg}\n"
                                  "spec: {numberOfInstances: 2}\n"))
    assert not possible_pod_owner(doc(SERVICE_MONITOR))  # selects Services, runs nothing
    assert not possible_pod_owner(doc(deployment("api")))  # a workload the set already shows
    assert not possible_pod_owner(doc("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g}\n"
                                      "spec: {replicas: 2}\n"))  # a built-in group


SELECTS_NOTHING = ("k8s-service-selector-mismatch", "k8s-networkpolicy-selects-nothing", "k8s-pdb-selects-nothing")


def netpol(labels: str) -> str:
    return (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p}}\nspec:\n"
            f"  podSelector: {{matchLabels: {labels}}}\n")


def pdb(labels: str) -> str:
    return (f"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: p}}\nspec:\n"
            f"  maxUnavailable: 1\n  selector: {{matchLabels: {labels}}}\n")


def test_job_and_statefulset_controller_labels_keep_selectors_quiet():
    statefulset = deployment("db").replace("kind: Deployment", "kind: StatefulSet")
    files = {
        "train/job.yaml": JOB,
        "train/service.yaml": service("train", "{job-name: train}"),
        "db/statefulset.yaml": statefulset,
        "db/service.yaml": service("db-0", "{app: db, statefulset.kubernetes.io/pod-name: db-0}"),
    }
    assert findings(files, *SELECTS_NOTHING) == []
    # What remains without the controller label still has to match something.
    files["db/service.yaml"] = service("db-0", "{app: dbx, statefulset.kubernetes.io/pod-name: db-0}")
    assert findings(files, *SELECTS_NOTHING) == [("db/service.yaml", 5, "k8s-service-selector-mismatch")]


def test_prometheus_custom_resource_owns_the_pods_its_policies_select():
    files = {
        "monitoring/prometheus.yaml": PROMETHEUS,
        "monitoring/grafana.yaml": deployment("grafana"),
        "monitoring/netpol.yaml": netpol("{app.kubernetes.io/name: prometheus}"),
        "monitoring/pdb.yaml": pdb("{app.kubernetes.io/name: prometheus}"),
    }
    assert findings(files, *SELECTS_NOTHING) == []
    # A ServiceMonitor runs no pods: the same policies then select nothing.
    files["monitoring/prometheus.yaml"] = SERVICE_MONITOR
    assert findings(files, *SELECTS_NOTHING) == [
        ("monitoring/netpol.yaml", 5, "k8s-networkpolicy-selects-nothing"),
        ("monitoring/pdb.yaml", 6, "k8s-pdb-selects-nothing"),
    ]
    # An operator's resource in a sibling folder is not in scope.
    files["prometheus/prometheus.yaml"] = PROMETHEUS
    assert len(findings(files, *SELECTS_NOTHING)) == 2


# --- cases the rules did not think of ----------------------------------------------------------------


def test_replicas_zero_and_host_network():
    daemonset = ("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: node-exporter}\nspec:\n  template:\n"
                 "    metadata: {labels: {app: node-exporter}}\n    spec:\n      hostNetwork: true\n"
                 "      containers: [{name: e, image: e:1}]\n")
    files = {
        "deploy.yaml": deployment("paused", replicas=0),
        "daemonset.yaml": daemonset,
        "netpol.yaml": netpol("{app: paused}"),
    }
    assert findings(files, "k8s-single-replica", "k8s-networkpolicy-missing", "k8s-pdb-missing") == []
    files["daemonset.yaml"] = daemonset.replace("hostNetwork: true", "hostNetwork: false")
    assert findings(files, "k8s-networkpolicy-missing") == [("daemonset.yaml", 3, "k8s-networkpolicy-missing")]


def test_anti_affinity_must_select_the_workloads_own_pods():
    def anti(labels: str) -> str:
        return ("      affinity:\n        podAntiAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n"
                "            - weight: 100\n              podAffinityTerm:\n                topologyKey: kubernetes.io/hostname\n"
                f"                labelSelector: {{matchLabels: {labels}}}\n")

    empty = "      affinity: {podAntiAffinity: {}}\n"
    for pod, fires in ((anti("{app: api}"), False), (anti("{app: other}"), True), (empty, True)):
        found = findings({"d.yaml": deployment("api", replicas=3, pod=pod)}, "k8s-anti-affinity-missing")
        assert found == ([("d.yaml", 8, "k8s-anti-affinity-missing")] if fires else []), pod


def test_numeric_target_port_against_containers_without_ports():
    files = {"d.yaml": deployment("api"), "s.yaml": service("api", "{app: api}", "8080")}
    assert findings(files, "k8s-service-target-port-mismatch") == []
    files["s.yaml"] = service("api", "{app: api}", "http")
    assert findings(files, "k8s-service-target-port-mismatch") == [("s.yaml", 6, "k8s-service-target-port-mismatch")]
    # a number other than the declared ones: the process may listen there all the same
    files = {"d.yaml": deployment("api", ports="[{containerPort: 9090}]"), "s.yaml": service("api", "{app: api}", "8080")}
    assert findings(files, "k8s-service-target-port-mismatch") == []
    files["s.yaml"] = service("api", "{app: api}", '"${GRPC_PORT:-9002}"')  # an envsubst template: not judged
    assert findings(files, "k8s-service-target-port-mismatch") == []


# --- short messages, capped related locations, linear joins --------------------------------------------


def test_messages_name_three_objects_and_related_locations_are_capped():
    count = RELATED_LIMIT + 5
    files = {f"apps/w{number:02}.yaml": deployment(f"w{number:02}", labels="{tier: web}", ports="[{containerPort: 80}]")
             for number in range(count)}
    files["apps/netpol.yaml"] = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\n"
                                 "spec: {podSelector: {}, policyTypes: [Egress, Ingress], ingress: [{ports: [{port: web}]}]}\n")
    result = loaded(files)
    chosen = [POLICIES.get("k8s-networkpolicy-egress-no-dns"), POLICIES.get("k8s-networkpolicy-port-mismatch")]
    found = {f.policy_id: f for f in run(result, chosen)}
    for finding in found.values():
        assert f"Deployment/w00, Deployment/w01, Deployment/w02 and {count - NAMES_IN_MESSAGE} more" in finding.message
        assert "w03" not in finding.message
        assert len(finding.related) == RELATED_LIMIT
        assert finding.related[-1].message.endswith(f"; {count - RELATED_LIMIT} more not listed")
    # The same object twice (two bundle files of one folder) is named once.
    assert names(["Deployment/a", "Deployment/a", "Deployment/b"]) == "Deployment/a, Deployment/b"


def test_nested_folders_stay_linear(selection_calls):
    files = {}
    for number in range(40):
        folder = f"apps/team{number % 4}/app{number}"
        files[f"{folder}/deploy.yaml"] = deployment(f"app{number}", replicas=2)
        files[f"{folder}/service.yaml"] = service(f"app{number}", f"{{app: app{number}}}")
        files[f"{folder}/pdb.yaml"] = pdb(f"{{app: app{number}}}")
    files["apps/netpol.yaml"] = netpol("{tier: none}")  # one file high up: every app sees it
    documents = DocumentSet(loaded(files).documents)
    run_once = [POLICIES.get(name) for name in ("k8s-service-selector-mismatch", "k8s-pdb-missing",
                                                 "k8s-pdb-selects-nothing", "k8s-networkpolicy-missing")]
    from policylint.core.engine import evaluate

    evaluate(documents, run_once)
    # One selection per selector and region of its scope (its folder's subtree, apps/'s own files), not per pair.
    assert selection_calls["calls"] == 80 * 2 + 1


# --- the runner, the CLI and the configuration ----------------------------------------------------------


def write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


KUSTOMIZED = {
    "base/kustomization.yaml": "resources: [deployment.yaml]\n",
    "base/deployment.yaml": deployment("api", replicas=3),
    "overlays/prod/kustomization.yaml": "resources: [../../base, hpa.yaml]\n",
    "overlays/prod/hpa.yaml": hpa("api", "api"),
}


def rows(report) -> list[tuple[str, int, str]]:
    return sorted((f.path, f.line, f.policy_id) for f in report.active)


def test_a_kustomization_ties_sibling_folders_without_rendering(tmp_path, monkeypatch):
    write(tmp_path, KUSTOMIZED)
    monkeypatch.chdir(tmp_path)
    options = RunOptions(paths=(".",), select=("k8s-hpa-replicas-conflict",))
    assert rows(check(options)) == [("base/deployment.yaml", 5, "k8s-hpa-replicas-conflict")]
    (tmp_path / "overlays/prod/kustomization.yaml").write_text("resources: [hpa.yaml]\n")
    assert rows(check(options)) == []


def test_context_resolves_under_the_same_scope_rules(tmp_path, monkeypatch):
    write(tmp_path, {**KUSTOMIZED, "blog/deployment.yaml": deployment("api", replicas=3), ".git/HEAD": ""})
    monkeypatch.chdir(tmp_path)
    select = ("k8s-hpa-replicas-conflict", "k8s-hpa-target-missing")
    # pre-commit passes the changed base file; the overlay (through its kustomization) is context.
    report = check(RunOptions(paths=("base/deployment.yaml",), context=(".",), select=select))
    assert rows(report) == [("base/deployment.yaml", 5, "k8s-hpa-replicas-conflict")]
    # blog's Deployment of the same name is never scaled by the overlay's HPA.
    report = check(RunOptions(paths=("blog/deployment.yaml",), context=(".",), select=select))
    assert rows(report) == []


KIND_GROUPED = {"deployments/api.yaml": deployment("api", replicas=3), "autoscaling/api.yaml": hpa("api", "api")}


def test_relation_scope_from_cli_and_config(tmp_path, run_cli):
    write(tmp_path, KIND_GROUPED)
    args = ("check", ".", "--select", "k8s-hpa-replicas-conflict", "--format", "json")
    code, out, _ = run_cli(*args, cwd=tmp_path)
    assert (code, json.loads(out)["findings"]) == (0, [])
    code, out, _ = run_cli(*args, "--relation-scope", "run", cwd=tmp_path)
    assert code == 1
    assert [(f["rule_id"], f["path"]) for f in json.loads(out)["findings"]] == [
        ("k8s-hpa-replicas-conflict", "deployments/api.yaml")]
    (tmp_path / ".policylint.yaml").write_text("relation-scope: run\n")
    code, _, _ = run_cli(*args, cwd=tmp_path)
    assert code == 1
    code, _, _ = run_cli(*args, "--relation-scope", "folder", cwd=tmp_path)  # the command line wins
    assert code == 0


def test_config_rejects_an_unknown_relation_scope(tmp_path, run_cli):
    write(tmp_path, KIND_GROUPED)
    (tmp_path / ".policylint.yaml").write_text("relation-scope: repo\n")
    code, _, err = run_cli("check", ".", cwd=tmp_path)
    assert code == 2
    assert "relation-scope" in err


@pytest.mark.parametrize("verbose", [False, True])
def test_verbose_explains_ambiguous_references_on_stderr_only(tmp_path, run_cli, verbose):
    write(tmp_path, {"hpa.yaml": hpa("api", "api"), "shop/d.yaml": deployment("api"), "blog/d.yaml": deployment("api")})
    args = ("check", ".", "--select", "k8s-hpa-target-missing", "--format", "json")
    code, out, err = run_cli(*args, *(("--verbose",) if verbose else ()), cwd=tmp_path)
    assert (code, json.loads(out)["findings"]) == (0, [])
    expected = ("policylint: verbose: hpa.yaml:5: HorizontalPodAutoscaler api: scaleTargetRef Deployment/api is "
                "ambiguous (equally near: blog/d.yaml:1, shop/d.yaml:1); no finding rests on it")
    assert (expected in err) is verbose
