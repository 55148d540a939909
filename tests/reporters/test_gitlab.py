"""GitLab Code Quality: the fields GitLab reads, severities mapped, suppressed findings left out."""

from __future__ import annotations

import json

SELECT = ("--select", "k8s-privilege-escalation,k8s-privileged-container,k8s-run-as-root")


def test_code_quality_issues(tree, run_cli):
    code, out, _ = run_cli("check", ".", *SELECT, "--format", "gitlab", cwd=tree)
    assert code == 1
    issues = json.loads(out)
    assert [(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"], i["severity"]) for i in issues] == [
        ("k8s-privilege-escalation", "bad.yaml", 10, "major"),
        ("k8s-privileged-container", "bad.yaml", 11, "critical"),
        ("k8s-privileged-container", "quiet.yaml", 11, "critical"),
    ]
    assert issues[0]["description"] == ("k8s-privilege-escalation: container app does not set "
                                        "allowPrivilegeEscalation: false")
    assert all(i["type"] == "issue" and i["categories"] == ["Security"] for i in issues)
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(set(fingerprints)) == 3
    assert all(len(f) == 32 for f in fingerprints)


def test_clean_run_is_an_empty_list(tmp_path, run_cli):
    (tmp_path / "clean.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    code, out, _ = run_cli("check", ".", *SELECT, "--format", "gitlab", cwd=tmp_path)
    assert (code, json.loads(out)) == (0, [])
