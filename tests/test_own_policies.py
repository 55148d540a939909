"""Users' own policies: Kubernetes ValidatingAdmissionPolicies, conftest-style Rego, CEL `assert:`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import FIXTURES

from policylint.cli import main
from policylint.options import RunOptions
from policylint.runner import check

FIXTURE = FIXTURES / "own-policies"
OWN_IDS = ("demo-policy.example.com", "team-label", "replicalimit-policy.example.com", "owner-label", "images", "team-memory-limit")


def _run(paths: list[str], policy_dirs: list[Path], select: tuple[str, ...] = OWN_IDS) -> list[tuple[str, int, str, str, str]]:
    report = check(RunOptions(paths=paths, policy_dirs=policy_dirs, select=select, jobs=1))
    return [(Path(f.path).name, f.line, f.policy_id, f.severity, f.message) for f in report.active]


def test_fixture_findings_from_every_kind_of_own_policy() -> None:
    found = _run([str(FIXTURE / "manifests")], [FIXTURE / "policies"])
    assert found == [
        # no fieldPath / no Rego `path`: at the object's kind line
        ("app.yaml", 2, "demo-policy.example.com", "high", "failed expression: object.spec.replicas <= 5"),
        ("app.yaml", 2, "owner-label", "medium", "Deployment web has no owner label"),
        ("app.yaml", 2, "replicalimit-policy.example.com", "high", "object.spec.replicas must be no greater than 3"),
        ("app.yaml", 17, "images", "low", "container web uses the latest tag"),
        ("app.yaml", 20, "team-memory-limit", "medium",  # at the limit the false assert reads
         "container web: assert failed: !has(object.resources) || !has(object.resources.limits) || "
         "!has(object.resources.limits.memory) || quantity(object.resources.limits.memory).compareTo(quantity('2Gi')) <= 0"),
        ("app.yaml", 23, "team-label", "medium", "Deployment api has no team label"),
        ("app.yaml", 44, "images", "high", "LoadBalancer services are not allowed"),
    ]


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {namespace}
spec:
  replicas: {replicas}
"""


def test_match_conditions_skip_and_variables_feed_the_message(tmp_path: Path) -> None:
    manifests = _write(tmp_path / "m", {
        "a.yaml": DEPLOYMENT.format(namespace="kube-system", replicas=1),
        "b.yaml": DEPLOYMENT.format(namespace="shop", replicas=1),
    })
    found = _run([str(manifests)], [FIXTURE / "policies"], ("team-label",))
    assert found == [("b.yaml", 2, "team-label", "medium", "Deployment web has no team label")]


def test_replica_limit_passes_at_the_limit_and_ignores_other_kinds(tmp_path: Path) -> None:
    manifests = _write(tmp_path / "m", {
        "ok.yaml": DEPLOYMENT.format(namespace="default", replicas=5),
        "sts.yaml": DEPLOYMENT.format(namespace="default", replicas=9).replace("Deployment", "StatefulSet"),
        "bad.yaml": DEPLOYMENT.format(namespace="default", replicas=6),
    })
    found = _run([str(manifests)], [FIXTURE / "policies"], ("demo-policy.example.com",))
    assert found == [("bad.yaml", 2, "demo-policy.example.com", "high", "failed expression: object.spec.replicas <= 5")]


PARAM_POLICY = (FIXTURE / "policies" / "replica-limit-params.yaml").read_text()


def test_param_policy_without_binding_is_a_policy_error_at_its_line(tmp_path: Path) -> None:
    policies = _write(tmp_path / "p", {"limit.yaml": PARAM_POLICY.split("---")[0]})
    manifests = _write(tmp_path / "m", {"d.yaml": DEPLOYMENT.format(namespace="default", replicas=9)})
    report = check(RunOptions(paths=[str(manifests)], policy_dirs=[policies], select=("k8s-privileged-container",), jobs=1))
    errors = [(Path(f.path).name, f.line, f.policy_id) for f in report.active if f.policy_id == "policy-error"]
    assert errors == [("limit.yaml", 7, "policy-error")]  # the paramKind line
    assert "no ValidatingAdmissionPolicyBinding" in next(f.message for f in report.active if f.policy_id == "policy-error")


def test_binding_to_a_missing_param_object_denies_with_a_clear_message(tmp_path: Path) -> None:
    text = PARAM_POLICY.replace("name: replica-limit-test.example.com\n  namespace", "name: other\n  namespace")
    policies = _write(tmp_path / "p", {"limit.yaml": text})
    manifests = _write(tmp_path / "m", {"d.yaml": DEPLOYMENT.format(namespace="default", replicas=1)})
    found = _run([str(manifests)], [policies], ("replicalimit-policy.example.com",))
    assert [(name, rule) for name, _, rule, _, _ in found] == [("d.yaml", "replicalimit-policy.example.com")]
    assert found[0][4].startswith("no param object found for binding replicalimit-binding-test.example.com")


def test_unsupported_cel_and_broken_rego_are_policy_errors_not_crashes(tmp_path: Path) -> None:
    policies = _write(tmp_path / "p", {
        "authz.yaml": "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n"
                      "metadata: {name: authz}\nspec:\n  validations:\n    - expression: \"authorizer.group('apps').check('x')\"\n",
        "broken.rego": "package broken\n\nimport rego.v1\n\ndeny contains msg if {\n  msg := \n}\n",
    })
    manifests = _write(tmp_path / "m", {"d.yaml": DEPLOYMENT.format(namespace="default", replicas=1)})
    report = check(RunOptions(paths=[str(manifests)], policy_dirs=[policies], select=("k8s-privileged-container",), jobs=1))
    errors = sorted((Path(f.path).name, f.line, f.message) for f in report.active if f.policy_id == "policy-error")
    assert [(name, line) for name, line, _ in errors] == [("authz.yaml", 6), ("broken.rego", 6)]
    assert "undeclared reference to 'authorizer'" in errors[0][2]
    assert "Invalid assignment operator" in errors[1][2]
    assert report.exit_code() == 1


def test_assert_compile_error_names_the_line(tmp_path: Path) -> None:
    text = (FIXTURE / "policies" / "team-memory-limit.yaml").read_text().replace("compareTo(quantity('2Gi')) <= 0", "compareTo(2Gi) <= 0")
    policies = _write(tmp_path / "p", {"team-memory-limit.yaml": text})
    manifests = _write(tmp_path / "m", {"d.yaml": DEPLOYMENT.format(namespace="default", replicas=1)})
    report = check(RunOptions(paths=[str(manifests)], policy_dirs=[policies], select=("k8s-privileged-container",), jobs=1))
    assert [(Path(f.path).name, f.line) for f in report.active if f.policy_id == "policy-error"] == [("team-memory-limit.yaml", 11)]


def test_select_ignore_json_and_inline_suppression(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifests = _write(tmp_path / "m", {
        "d.yaml": DEPLOYMENT.format(namespace="default", replicas=9).replace(
            "kind: Deployment", "kind: Deployment  # policylint: ignore[demo-policy.example.com] -- load test"),
    })
    code = main(["check", str(manifests), "--policies", str(FIXTURE / "policies"), "--select", "demo-policy.example.com,owner-label",
                 "--ignore", "owner-label", "--format", "json", "--jobs", "1"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert "owner-label" not in json.dumps(data)
    assert "demo-policy.example.com" in json.dumps(data)  # reported as suppressed


def test_test_policies_compiles_runs_rego_tests_and_lists_untested(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["test-policies", str(FIXTURE / "policies")])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert "PASS data.main.test_load_balancer_denied" in out
    assert "PASS data.main.test_cluster_ip_allowed" in out
    assert any(line.startswith("OK owner-label (Rego, ") and line.endswith("no examples; compiled OK") for line in out)
    assert "OK images (Rego, fixtures/own-policies/policies/images.rego:1): no examples; compiled OK" in [
        line.replace(str(FIXTURE.parent.parent) + "/", "") for line in out]  # `package main`: the file's name
    assert out[-1] == "4 passed, 0 failed, 5 compiled without examples"


def test_test_policies_on_admission_policies_alone_is_not_a_failure(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 26: a folder of only admission policies gave "0 passed, 0 failed" and exit 1."""
    import shutil

    shutil.copy(FIXTURE / "policies" / "replica-limit.yaml", tmp_path / "replica-limit.yaml")
    code = main(["test-policies", str(tmp_path)])
    out = capsys.readouterr().out.splitlines()
    assert (code, out[-1]) == (0, "0 passed, 0 failed, 1 compiled without examples")
    assert out[0].startswith("OK demo-policy.example.com (Kubernetes ValidatingAdmissionPolicy (CEL), ")


def test_rules_and_explain_show_the_source(capsys: pytest.CaptureFixture[str]) -> None:
    main(["rules", "--policies", str(FIXTURE / "policies"), "--format", "json"])
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["owner-label"]["source"].startswith("[Rego: ") and rows["owner-label"]["source"].endswith("labels.rego:9]")
    assert rows["owner-label"]["frameworks"] == {"owasp-cicd": ["CICD-SEC-1"]}
    assert "source" not in rows["k8s-privileged-container"]
    main(["explain", "replicalimit-policy.example.com", "--policies", str(FIXTURE / "policies")])
    text = capsys.readouterr().out
    assert "Source:\n  Kubernetes ValidatingAdmissionPolicy (CEL): " in text
    assert text.rstrip().endswith("replica-limit-params.yaml:1")


def test_runtimes_are_not_imported_without_own_policies() -> None:
    code = ("import sys; from policylint.runner import RunOptions, check; "
            f"check(RunOptions(paths=[{str(FIXTURE / 'manifests')!r}], jobs=1)); "
            "print(sorted(m for m in ('regopy', 'cel_expr_python', 'policylint.ownpolicies') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


KYVERNO = """apiVersion: policies.kyverno.io/v1alpha1
kind: ValidatingPolicy
metadata:
  name: require-team-label
  annotations:
    policylint.dev/severity: low
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: [v1]
        operations: [CREATE, UPDATE]
        resources: [pods]
  validations:
    - expression: "has(object.metadata.labels) && 'team' in object.metadata.labels"
      message: "label 'team' is required"
"""


def test_kyverno_validating_policy_reads_like_an_admission_policy(tmp_path: Path) -> None:
    policies = _write(tmp_path / "p", {"kyverno.yaml": KYVERNO})
    manifests = _write(tmp_path / "m", {
        "pods.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Pod\nmetadata:\n"
                     "  name: b\n  labels: {team: x}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    })
    found = _run([str(manifests)], [policies], ("require-team-label",))
    assert found == [("pods.yaml", 2, "require-team-label", "low", "label 'team' is required")]


DOCKER_REGO = """# METADATA
# title: Base images are pinned
# custom:
#   id: team-docker-base
#   file: dockerfile
package docker.base

import rego.v1

deny contains {"msg": sprintf("base image %s uses latest", [input[i].Value[0]]), "path": [i], "severity": "critical"} if {
	some i
	input[i].Cmd == "from"
	endswith(input[i].Value[0], ":latest")
}

warn contains {"msg": "no USER instruction", "id": "DOCK-7"} if {
	count([c | some c in input; c.Cmd == "user"]) == 0
}
"""


def test_rego_on_a_dockerfile_in_conftest_shape_points_at_the_instruction(tmp_path: Path) -> None:
    policies = _write(tmp_path / "p", {"docker.rego": DOCKER_REGO})
    dockerfile = "FROM golang:1.22 AS build\nRUN go build\n\nFROM alpine:latest\nCOPY --from=build /a /a\n"
    manifests = _write(tmp_path / "m", {"Dockerfile": dockerfile})
    found = _run([str(manifests)], [policies], ("team-docker-base",))
    assert found == [
        ("Dockerfile", 1, "team-docker-base", "low", "DOCK-7: no USER instruction"),
        ("Dockerfile", 4, "team-docker-base", "critical", "base image alpine:latest uses latest"),
    ]


def test_compliance_report_maps_own_policies_to_controls(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", str(FIXTURE / "manifests"), "--policies", str(FIXTURE / "policies"), "--framework", "owasp-cicd",
                 "--format", "json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    control = next(c for c in report["frameworks"][0]["controls"] if c["id"] == "CICD-SEC-1")
    assert {"owner-label", "team-label"} <= set(control["rules"])
    assert control["status"] == "fail"


def test_every_result_at_one_place_is_its_own_finding(tmp_path: Path) -> None:
    policies = _write(tmp_path / "p", {"two.rego": "package two\n\nimport rego.v1\n\ndeny contains \"first\" if input.kind == \"Pod\"\n\n"
                                                   "violation contains \"second\" if input.kind == \"Pod\"\n"})
    manifests = _write(tmp_path / "m", {"pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n"})
    found = sorted(_run([str(manifests)], [policies], ("two",)))  # equal places are ordered by fingerprint
    assert found == [("pod.yaml", 2, "two", "high", "first"), ("pod.yaml", 2, "two", "high", "second")]


def test_old_partial_set_syntax_still_gives_messages(tmp_path: Path) -> None:
    policies = _write(tmp_path / "p", {"old.rego": 'package old\n\ndeny[msg] {\n  input.kind == "Pod"\n'
                                                   '  msg := sprintf("pod %s", [input.metadata.name])\n}\n'})
    manifests = _write(tmp_path / "m", {"pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n",
                                        "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"})
    assert _run([str(manifests)], [policies], ("old",)) == [("pod.yaml", 2, "old", "high", "pod a")]


def test_test_policies_reports_compile_errors_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policies = _write(tmp_path / "p", {
        "vap.yaml": "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: v}\n"
                    "spec:\n  validations:\n    - expression: |\n        object.spec.replicas <= 5 &&\n        object.spec.replicas +\n",
        "bad.rego": "package bad\n\nimport rego.v1\n\ndeny contains msg if {\n  msg := \n}\n",
    })
    code = main(["test-policies", str(policies)])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    errors = sorted(line.split(": ", 1)[0] for line in out if line.startswith("ERROR "))
    # the Rego error at the dangling `:=`, the CEL one at the line whose `+` has no operand
    assert errors == [f"ERROR {policies / 'bad.rego'}:6", f"ERROR {policies / 'vap.yaml'}:8"]


def test_a_policy_whose_bindings_only_warn_is_low(tmp_path: Path) -> None:
    without_annotation = KYVERNO.replace("  annotations:\n    policylint.dev/severity: low\n", "")
    policies = _write(tmp_path / "p", {"k.yaml": without_annotation.replace("[Deny]", "[Audit, Warn]")})
    manifests = _write(tmp_path / "m", {"pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n"})
    assert _run([str(manifests)], [policies], ("require-team-label",)) == [
        ("pod.yaml", 2, "require-team-label", "low", "label 'team' is required")]


def test_missing_runtimes_are_policy_errors_that_say_what_to_install() -> None:
    code = "\n".join((
        "import sys, json, pathlib",
        "sys.modules['regopy'] = None",
        "sys.modules['cel_expr_python'] = None",
        "from policylint.runner import RunOptions, check",
        f"options = RunOptions(paths=[{str(FIXTURE / 'manifests')!r}], policy_dirs=[pathlib.Path({str(FIXTURE / 'policies')!r})], jobs=1)",
        "errors = [f for f in check(options).findings if f.policy_id == 'policy-error']",
        "print(json.dumps(sorted((f.path.rsplit('/', 1)[-1], f.line, f.message) for f in errors)))",
    ))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    errors = json.loads(out)
    # each at the policy's first CEL expression (the Rego one at the first file of the set)
    assert [(name, line) for name, line, _ in errors] == [
        ("images.rego", 1), ("replica-limit-params.yaml", 17), ("replica-limit.yaml", 15), ("team-label.yaml", 22),
        ("team-memory-limit.yaml", 11)]
    assert all("pip install 'policylint[" in message for _, _, message in errors)
