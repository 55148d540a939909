"""The guide's manifests, judged as a set: the cross-resource mistakes it really contains."""

from __future__ import annotations

import json

import pytest
from support import K8S_RELATIONAL, ROOT

from policylint.options import RunOptions
from policylint.runner import check

GUIDE_K8S = "fixtures/guide/k8s/base"


@pytest.fixture(autouse=True)
def _from_repository_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def relational_findings(paths=("fixtures/guide",), **options):
    report = check(RunOptions(paths=paths, **options))
    return [finding for finding in report.active if finding.policy_id in K8S_RELATIONAL]


def test_guide_relational_findings_are_exactly_these():
    found = sorted((f.path, f.line, f.policy_id) for f in relational_findings())
    assert found == [
        (f"{GUIDE_K8S}/deployment.yaml", 4, "k8s-pdb-missing"),  # metadata.name of the Deployment
        (f"{GUIDE_K8S}/deployment.yaml", 6, "k8s-hpa-replicas-conflict"),  # `replicas: 3`
        (f"{GUIDE_K8S}/deployment.yaml", 14, "k8s-anti-affinity-missing"),  # the pod template's spec
        (f"{GUIDE_K8S}/networkpolicy.yaml", 21, "k8s-networkpolicy-egress-no-dns"),  # `egress:`
    ]


def test_replicas_conflict_points_back_at_the_hpa():
    (finding,) = [f for f in relational_findings() if f.policy_id == "k8s-hpa-replicas-conflict"]
    assert [(r.path, r.line) for r in finding.related] == [(f"{GUIDE_K8S}/hpa.yaml", 6)]
    assert "rust-webapi-hpa" in finding.message


def test_egress_finding_names_the_pods_cut_off():
    (finding,) = [f for f in relational_findings() if f.policy_id == "k8s-networkpolicy-egress-no-dns"]
    assert "Deployment/rust-webapi" in finding.message
    assert [(r.path, r.line) for r in finding.related] == [(f"{GUIDE_K8S}/deployment.yaml", 4)]


def test_hpa_alone_reports_nothing_relational():
    # pre-commit on the HPA file only: the target is not in the set, so nothing dangles.
    assert relational_findings(paths=(f"{GUIDE_K8S}/hpa.yaml",)) == []


def test_sarif_carries_the_related_location(run_cli):
    code, out, _ = run_cli("check", "--format", "sarif", "--select", "k8s-hpa-replicas-conflict", "fixtures/guide")
    assert code == 1
    (result,) = json.loads(out)["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert (location["artifactLocation"]["uri"], location["region"]["startLine"]) == (f"{GUIDE_K8S}/deployment.yaml", 6)
    related = result["relatedLocations"][0]["physicalLocation"]
    assert (related["artifactLocation"]["uri"], related["region"]["startLine"]) == (f"{GUIDE_K8S}/hpa.yaml", 6)


def test_text_report_shows_the_other_document(run_cli):
    code, out, _ = run_cli("check", "--select", "k8s-hpa-replicas-conflict", "fixtures/guide")
    assert code == 1
    assert f"{GUIDE_K8S}/deployment.yaml:6:3 medium k8s-hpa-replicas-conflict" in out
    assert f"see {GUIDE_K8S}/hpa.yaml:6:3" in out


def test_kube_version_flag_reaches_the_deprecation_policy(run_cli, tmp_path):
    manifest = tmp_path / "cron.yaml"
    manifest.write_text(
        "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '* * * * *'\n"
        "  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: c:1}]}}}}\n"
    )
    code, out, _ = run_cli("check", "--select", "k8s-deprecated-api", "--kube-version", "1.20", str(manifest))
    assert code == 0, out
    code, out, _ = run_cli("check", "--select", "k8s-deprecated-api", "--kube-version", "1.24", str(manifest))
    assert code == 1 and "deprecated since Kubernetes 1.21" in out and "use batch/v1" in out
    code, _, err = run_cli("check", "--kube-version", "newest", str(manifest))
    assert code == 2 and "invalid Kubernetes version" in err
