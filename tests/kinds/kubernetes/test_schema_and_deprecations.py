"""Strict schema validation (k8s-schema-invalid) and the deprecated-API table (k8s-deprecated-api)."""

from __future__ import annotations

import sys
import textwrap

import pytest

from policylint.catalog import load_policies
from policylint.core.documents import LoadResult
from policylint.core.engine import run
from policylint.core.loading import load_bytes
from policylint.kinds.kubernetes import deprecations
from policylint.kinds.kubernetes.schema import schema_file_name, schema_set
from policylint.kinds.kubernetes.versions import (
    KubeVersionError,
    bundled_versions,
    parse_kube_version,
    schema_version,
    target_version,
)

POLICIES = load_policies()


def check(text: str, policy_id: str, kube_version: str | None = None) -> list[tuple[int, str]]:
    result = load_bytes("m.yaml", textwrap.dedent(text).encode(), "kubernetes")
    policy = POLICIES.get(policy_id)
    if kube_version:
        policy = policy.with_params({"kube_version": kube_version})
    return [(f.line, f.message) for f in run(LoadResult(result.documents), [policy])]


def test_versions():
    assert parse_kube_version("1.31") == (1, 31)
    assert parse_kube_version("v1.29.4") == (1, 29)
    assert parse_kube_version("1.30.0-eks") == (1, 30)
    for bad in ("latest", "1", "1.x", ""):
        with pytest.raises(KubeVersionError):
            parse_kube_version(bad)
    versions = bundled_versions()
    assert versions and versions == tuple(sorted(versions)) and (1, 29) in versions
    assert target_version(None) == versions[-1]
    assert schema_version((1, 29)) == (1, 29)
    assert schema_version((9, 99)) == versions[-1]
    assert schema_version((1, 10)) == versions[0]


def test_schema_file_names():
    assert schema_file_name("apps/v1", "Deployment") == "deployment-apps-v1.json"
    assert schema_file_name("v1", "Service") == "service-v1.json"
    assert schema_file_name("networking.k8s.io/v1", "NetworkPolicy") == "networkpolicy-networking-v1.json"
    assert schema_file_name("rbac.authorization.k8s.io/v1", "Role") == "role-rbac-v1.json"


def test_every_error_at_its_own_line():
    text = """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
          labelz: {app: api}
        spec:
          replicas: "3"
          selector: {matchLabels: {app: api}}
          template:
            metadata: {labels: {app: api}}
            spec:
              containers:
                - name: app
                  image: api:1.0
                  livenessprobe: {httpGet: {port: 8080}}
                  resources: {limits: {memory: [256Mi]}}
        """
    found = check(text, "k8s-schema-invalid")
    assert [line for line, _ in found] == [5, 7, 15, 16]
    messages = dict(found)
    assert "unknown field 'labelz'" in messages[5]
    assert "is not of type 'integer'" in messages[7]
    assert "unknown field 'livenessprobe' (did you mean 'livenessProbe'?)" in messages[15]
    assert "spec/template/spec/containers/0/resources/limits/memory" in messages[16]


def test_required_field_reported_at_the_parent():
    found = check("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  replicas: 1\n", "k8s-schema-invalid")
    version = ".".join(map(str, bundled_versions()[-1]))
    assert found == [(4, f"Deployment a: spec: 'selector' is a required property (Kubernetes {version} schema)")]


def test_custom_resources_and_lookalikes_are_skipped_silently():
    assert check("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: huge}\n",
                 "k8s-schema-invalid") == []
    # A custom resource named like a built-in kind, in a group that only shares the first word.
    assert check("apiVersion: networking.example.com/v1\nkind: NetworkPolicy\nmetadata: {name: n}\nspec: {x: 1}\n",
                 "k8s-schema-invalid") == []


def test_kube_version_selects_the_schema():
    # `resizePolicy` on containers exists from 1.27 on; the 1.26 schema lacks it.
    oldest = bundled_versions()[0]
    if oldest > (1, 26):
        pytest.skip("kubernetes-validate no longer bundles 1.26")
    text = """\
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
            - name: app
              image: app:1.0
              resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]
        """
    assert [line for line, _ in check(text, "k8s-schema-invalid", "1.26")] == [8]
    assert check(text, "k8s-schema-invalid", "1.29") == []


def test_validators_are_compiled_once_and_kubernetes_validate_is_not_imported():
    schemas = schema_set(bundled_versions()[-1])
    first = schemas.validator_for("apps/v1", "Deployment")
    assert schemas.validator_for("apps/v1", "Deployment") is first
    assert schemas.validator_for("example.com/v1", "Widget") is None
    assert "kubernetes_validate" not in sys.modules


@pytest.mark.parametrize(
    ("api_version", "kind", "target", "status", "replacement"),
    [
        ("extensions/v1beta1", "Deployment", "1.16", "removed", "apps/v1"),
        ("extensions/v1beta1", "Deployment", "1.15", "deprecated", "apps/v1"),
        ("apps/v1beta2", "StatefulSet", "1.20", "removed", "apps/v1"),
        ("extensions/v1beta1", "Ingress", "1.22", "removed", "networking.k8s.io/v1"),
        ("networking.k8s.io/v1beta1", "Ingress", "1.21", "deprecated", "networking.k8s.io/v1"),
        ("rbac.authorization.k8s.io/v1beta1", "ClusterRole", "1.22", "removed", "rbac.authorization.k8s.io/v1"),
        ("policy/v1beta1", "PodDisruptionBudget", "1.25", "removed", "policy/v1"),
        ("batch/v1beta1", "CronJob", "1.24", "deprecated", "batch/v1"),
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.26", "removed", "autoscaling/v2"),
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.25", "deprecated", "autoscaling/v2"),
        ("storage.k8s.io/v1beta1", "CSIStorageCapacity", "1.27", "removed", "storage.k8s.io/v1"),
        ("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", "1.29", "removed", "flowcontrol.apiserver.k8s.io/v1"),
        ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "1.32", "removed", "flowcontrol.apiserver.k8s.io/v1"),
        ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "1.31", "deprecated", "flowcontrol.apiserver.k8s.io/v1"),
    ],
)
def test_deprecation_table(api_version, kind, target, status, replacement):
    judged, explanation = deprecations.judge(api_version, kind, parse_kube_version(target))
    assert judged == status
    assert f"use {replacement}" in explanation


def test_current_apis_and_early_targets_are_fine():
    assert deprecations.judge("apps/v1", "Deployment", (1, 37)) == ("current", "")
    assert deprecations.judge("batch/v1beta1", "CronJob", (1, 20)) == ("current", "")


def test_every_required_removal_release_is_in_the_table():
    removals = {row.removed for row in deprecations.TABLE if row.removed}
    assert {(1, 16), (1, 22), (1, 25), (1, 26), (1, 27), (1, 29), (1, 32)} <= removals


def test_deprecated_api_finding_is_on_the_api_version_line():
    text = "kind: Ingress\nmetadata: {name: i}\napiVersion: extensions/v1beta1\nspec: {}\n"
    ((line, message),) = check(text, "k8s-deprecated-api", "1.31")
    assert line == 3
    assert "removed in Kubernetes 1.22 (target 1.31); use networking.k8s.io/v1" in message


def test_fast_check_agrees_with_jsonschema():
    """The compiled fast path must give jsonschema's verdict on valid and invalid objects alike."""
    from pathlib import Path

    from policylint.examples import example_files, iter_examples, strip_markers

    schemas = schema_set(bundled_versions()[-1])
    texts = [
        path.read_bytes().decode("utf-8", "replace")
        for path in sorted(Path("fixtures").rglob("*.yaml"))
        if "kustomization" not in path.name
    ]
    for policy in POLICIES:
        if policy.file_kind == "kubernetes":
            for _, example, _ in iter_examples(policy):
                texts.extend(strip_markers(text)[0] for text in example_files(policy, example).values())
    checked = invalid = 0
    for text in texts:
        for doc in load_bytes("x.yaml", text.encode(), "kubernetes").documents:
            kind = schemas.validator_for(doc.api_version, doc.kind)
            if kind is None:
                continue
            assert kind.fast is not None, f"{doc.api_version} {doc.kind} fell back to jsonschema"
            slow = list(schemas.explainer(kind).iter_errors(doc.data))
            assert kind.fast.is_valid(doc.data) == (not slow), (doc.identity, [e.message for e in slow])
            checked += 1
            invalid += bool(slow)
    assert checked > 100 and invalid > 20


def test_self_contained_schemas_are_cached_and_a_bad_cache_is_a_miss(tmp_path, monkeypatch):
    from policylint.kinds.kubernetes.schema import SchemaSet

    monkeypatch.setenv("POLICYLINT_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("POLICYLINT_NO_CACHE", raising=False)
    directory = schema_set(bundled_versions()[-1]).directory
    first = SchemaSet(directory)
    assert first.validator_for("apps/v1", "Deployment") is not None
    assert first._definitions is not None  # a miss reads the definitions
    second = SchemaSet(directory)
    kind = second.validator_for("apps/v1", "Deployment")
    assert second._definitions is None  # a hit does not
    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a"}, "spec": {"replicas": "x"}}
    assert sorted({error.pointer for error in kind.errors(bad)}) == [("spec",), ("spec", "replicas")]
    for entry in tmp_path.glob("k8s-schema-*.json"):
        entry.write_text("{not json")
    third = SchemaSet(directory)
    assert third.validator_for("apps/v1", "Deployment").errors(bad)
    assert third._definitions is not None
