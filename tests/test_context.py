"""Context mode: other files feed relations, findings are reported only for the given paths."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from policylint.core.documents import DocumentSet
from policylint.core.kinds import relation
from policylint.core.views import Anchor, View

DEPLOYMENT = textwrap.dedent(
    """\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop}
    spec:
      template:
        spec:
          containers:
            - name: app
              image: web:1.0
    """
)
HPA = textwrap.dedent(
    """\
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata: {name: web, namespace: shop}
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: {target}}
      minReplicas: 3
      maxReplicas: 6
      metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
    """
)
HPA_POLICIES = ("--select", "k8s-hpa-target-missing,k8s-hpa-metric-without-request,k8s-cpu-request-missing")


def rows(document: dict) -> list[tuple[str, str, int]]:
    return [(f["rule_id"], f["path"], f["line"]) for f in document["findings"] if not f["suppressed"]]


def make_repo(tmp_path: Path, target: str = "web") -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "deployment.yaml").write_text(DEPLOYMENT)
    (tmp_path / "k8s" / "hpa.yaml").write_text(HPA.replace("{target}", target))
    return tmp_path


def test_partial_set_stays_quiet_without_context(tmp_path, run_json):
    repo = make_repo(tmp_path)
    code, document = run_json("k8s/hpa.yaml", "--no-context-scope", *HPA_POLICIES, cwd=repo)
    assert rows(document) == []
    assert code == 0


def test_a_file_named_alone_reads_its_folder_as_context_by_default(tmp_path, run_json):
    repo = make_repo(tmp_path)
    code, document = run_json("k8s/hpa.yaml", *HPA_POLICIES, cwd=repo)
    assert rows(document) == [("k8s-hpa-metric-without-request", "k8s/hpa.yaml", 9)]
    assert document["summary"]["files"] == 1
    assert code == 1


def test_context_feeds_relations_but_reports_only_given_paths(tmp_path, run_json):
    repo = make_repo(tmp_path)
    code, document = run_json("k8s/hpa.yaml", "--context", "k8s", *HPA_POLICIES, cwd=repo)
    # The HPA scales on cpu while the deployment (context only) requests none: reported on the HPA.
    assert rows(document) == [("k8s-hpa-metric-without-request", "k8s/hpa.yaml", 9)]
    # The deployment's own k8s-cpu-request-missing is not reported: it was not asked for.
    assert document["summary"]["files"] == 1
    assert code == 1
    _, whole = run_json("k8s", *HPA_POLICIES, cwd=repo)
    assert ("k8s-cpu-request-missing", "k8s/deployment.yaml", 8) in rows(whole)


def test_dangling_reference_fires_once_the_namespace_is_known(tmp_path, run_json):
    repo = make_repo(tmp_path, target="gone")
    _, alone = run_json("k8s/hpa.yaml", "--no-context-scope", *HPA_POLICIES, cwd=repo)
    assert rows(alone) == []
    _, scoped = run_json("k8s/hpa.yaml", *HPA_POLICIES, cwd=repo)
    assert rows(scoped) == [("k8s-hpa-target-missing", "k8s/hpa.yaml", 5)]
    _, with_context = run_json("k8s/hpa.yaml", "--context", ".", *HPA_POLICIES, cwd=repo)
    assert rows(with_context) == [("k8s-hpa-target-missing", "k8s/hpa.yaml", 5)]


def test_context_from_the_config_file(tmp_path, run_json):
    repo = make_repo(tmp_path)
    (repo / ".policylint.yaml").write_text("context: [k8s]\n")
    _, document = run_json("k8s/hpa.yaml", *HPA_POLICIES, cwd=repo)
    assert rows(document) == [("k8s-hpa-metric-without-request", "k8s/hpa.yaml", 9)]


def test_parse_errors_in_context_files_are_not_reported(tmp_path, run_json):
    repo = make_repo(tmp_path)
    (repo / "k8s" / "broken.yaml").write_text("kind: [Deployment\n")
    _, document = run_json("k8s/hpa.yaml", "--context", "k8s", *HPA_POLICIES, cwd=repo)
    assert [rule for rule, _, _ in rows(document)] == ["k8s-hpa-metric-without-request"]


# A user policy with a relation of its own: the plumbing does not depend on the built-in catalog.


@relation("kubernetes", "test-configmap-volumes")
def configmap_volumes(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """A pod with whether every configMap volume it mounts is in the set (and whether any is)."""
    pod = view.subject
    names = [volume["configMap"].get("name") for volume in pod.get(("spec", "volumes"), []) or []
             if isinstance(volume, Mapping) and isinstance(volume.get("configMap"), Mapping)]
    found = all(documents.lookup("ConfigMap", pod.namespace, name) is not None for name in names)
    any_in_namespace = bool(documents.in_namespace(["ConfigMap"], pod.namespace))
    yield View(
        {"configMapsFound": found, "namespaceHasConfigMaps": any_in_namespace},
        {(): Anchor(pod, ()), ("configMapsFound",): Anchor(pod, ("spec", "volumes"))},
        pod, label=view.label, fields=dict(view.fields),
    )


POLICY = textwrap.dedent(
    """\
    id: k8s-test-configmap-missing
    title: Pod mounts a ConfigMap that is not in the set
    severity: high
    rationale: The pod cannot start without it.
    remediation: Add the ConfigMap.
    match: {kinds: [Pod], target: document}
    relation: test-configmap-volumes
    when: {properties: {namespaceHasConfigMaps: {const: true}}}
    condition: {properties: {configMapsFound: {const: true}}}
    message: "pod {name} mounts a ConfigMap that is not in the set"
    examples:
      fail:
        - |
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: other}
          ---
          apiVersion: v1
          kind: Pod
          metadata: {name: p}
          spec:
            volumes:  # expect: k8s-test-configmap-missing
              - {name: c, configMap: {name: cfg}}
      pass:
        - |
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: cfg}
          ---
          apiVersion: v1
          kind: Pod
          metadata: {name: p}
          spec:
            volumes:
              - {name: c, configMap: {name: cfg}}
    """
)
POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes:\n    - {name: c, configMap: {name: cfg}}\n"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {name}}\ndata: {a: b}\n"


def test_user_relation_sees_context_documents(tmp_path, run_json):
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "k8s-test-configmap-missing.yaml").write_text(POLICY)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "pod.yaml").write_text(POD)
    (tmp_path / "app" / "other.yaml").write_text(CONFIGMAP.replace("{name}", "other"))
    args = ("--policies", "policies", "--select", "k8s-test-configmap-missing")
    _, alone = run_json("app/pod.yaml", "--no-context-scope", *args, cwd=tmp_path)
    assert rows(alone) == []  # a partial set: no ConfigMap known in the namespace, so quiet
    _, context = run_json("app/pod.yaml", "--context", "app", *args, cwd=tmp_path)
    assert rows(context) == [("k8s-test-configmap-missing", "app/pod.yaml", 5)]
    (tmp_path / "app" / "cfg.yaml").write_text(CONFIGMAP.replace("{name}", "cfg"))
    _, fixed = run_json("app/pod.yaml", "--context", "app", *args, cwd=tmp_path)
    assert rows(fixed) == []


def test_a_file_outside_any_repository_widens_nothing(tmp_path, monkeypatch):
    """Context scope walks a project, not a home or temporary folder that happens to hold the file."""
    from policylint.runner import scope_context

    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: a, image: a:1}]}\n"
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "pod.yaml").write_text(pod)
    (tmp_path / "repo" / "k8s").mkdir(parents=True)
    (tmp_path / "repo" / ".git").mkdir()
    (tmp_path / "repo" / "k8s" / "pod.yaml").write_text(pod)
    monkeypatch.chdir(tmp_path)
    assert scope_context(["loose/pod.yaml"]) == []
    assert scope_context(["repo/k8s/pod.yaml"]) == ["repo/k8s"]
