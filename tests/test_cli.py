"""The command line: exit codes, formats, stdin, selection, usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from support import ROOT

BAD_POD = textwrap.dedent(
    """\
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
    spec:
      containers:
        - name: app
          image: nginx:1.27
    """
)


def test_version(run_cli):
    code, out, _ = run_cli("--version")
    assert code == 0
    assert out.startswith("policylint ")


def test_check_guide_fails_with_findings(run_cli):
    code, out, _ = run_cli("check", "fixtures/guide", "--no-color")
    assert code == 1
    assert "fixtures/guide/k8s/base/deployment.yaml:16:9 high k8s-run-as-root" in out
    assert out.strip().splitlines()[-1].endswith(".")
    assert "finding" in out.strip().splitlines()[-1]


def test_text_groups_by_file(run_cli, tmp_path):
    (tmp_path / "a.yaml").write_text(BAD_POD)
    (tmp_path / "b.yaml").write_text(BAD_POD)
    code, out, _ = run_cli("check", ".", "--select", "k8s-run-as-root", cwd=tmp_path)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "a.yaml"
    assert lines[1] == (
        "  a.yaml:7:7 high k8s-run-as-root container app may run as root (effective runAsNonRoot is not true or runAsUser is 0)"
    )
    assert "b.yaml" in lines
    assert lines[-1] == "2 findings (2 high) in 2 files."


def test_clean_file_exits_zero(run_cli, tmp_path):
    safe = BAD_POD.replace("image: nginx:1.27", "image: nginx:1.27\n      securityContext: {allowPrivilegeEscalation: false}")
    (tmp_path / "ok.yaml").write_text(safe)
    code, out, _ = run_cli("check", "ok.yaml", "--select", "k8s-privilege-escalation", cwd=tmp_path)
    assert code == 0
    assert out.strip() == "No findings in 1 file."


def test_fail_on_threshold(run_cli, tmp_path):
    (tmp_path / "p.yaml").write_text(BAD_POD)
    code, _, _ = run_cli("check", "p.yaml", "--select", "k8s-run-as-root", "--fail-on", "critical", cwd=tmp_path)
    assert code == 0
    code, _, _ = run_cli("check", "p.yaml", "--select", "k8s-run-as-root", "--fail-on", "high", cwd=tmp_path)
    assert code == 1


def test_parse_error_counts_even_above_fail_on(run_json, tmp_path):
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: [x\n")
    code, data = run_json("broken.yaml", "--fail-on", "critical", cwd=tmp_path)
    assert code == 1
    assert [(f["rule_id"], f["line"]) for f in data["findings"]] == [("parse-error", 4)]


def test_select_and_ignore_by_domain(run_json, tmp_path):
    (tmp_path / "p.yaml").write_text(BAD_POD)
    _, data = run_json("p.yaml", "--select", "k8s", "--ignore", "k8s-run-as-root", cwd=tmp_path)
    ids = {f["rule_id"] for f in data["findings"]}
    assert "k8s-run-as-root" not in ids
    assert "k8s-privilege-escalation" in ids


def test_unknown_selector_is_usage_error(run_cli):
    code, _, err = run_cli("check", "fixtures/guide", "--select", "k8s-run-as-rot")
    assert code == 2
    assert "did you mean k8s-run-as-root" in err


def test_missing_path_is_usage_error(run_cli):
    code, _, err = run_cli("check", "does/not/exist.yaml")
    assert code == 2
    assert "does/not/exist.yaml" in err


def test_json_shape(run_json):
    code, data = run_json("fixtures/guide")
    assert code == 1
    assert data["version"] == 1
    assert data["summary"]["exit_code"] == 1
    finding = next(f for f in data["findings"] if f["rule_id"] == "k8s-run-as-root")
    assert finding == {
        "rule_id": "k8s-run-as-root",
        "severity": "high",
        "path": "fixtures/guide/k8s/base/deployment.yaml",
        "line": 16,
        "column": 9,
        "message": finding["message"],
        "file_kind": "kubernetes",
        "resource": {"kind": "Deployment", "namespace": "default", "name": "rust-webapi"},
        "fingerprint": finding["fingerprint"],
        "related": [],
        "suppressed": False,
        "fix": finding["fix"],
    }
    assert len(finding["fingerprint"]) == 32
    # ruff's shape: applicability, message, edits with 1-based row/column ranges and the new text
    assert finding["fix"]["applicability"] == "unsafe"
    assert finding["fix"]["path"] == "fixtures/guide/k8s/base/deployment.yaml"
    [edit] = finding["fix"]["edits"]
    assert edit["content"] == "\n        securityContext:\n          runAsNonRoot: true"
    assert edit["location"] == edit["end_location"]  # an insertion
    lines = Path("fixtures/guide/k8s/base/deployment.yaml").read_text(encoding="utf-8").splitlines()
    assert len(lines[edit["location"]["row"] - 1]) == edit["location"]["column"] - 1  # at the end of its line
    assert data["summary"]["findings"] == len([f for f in data["findings"] if not f["suppressed"]])


def test_output_file_and_second_format_to_stdout(run_cli, tmp_path):
    target = tmp_path / "out.sarif"
    code, out, _ = run_cli("check", "fixtures/guide", "--format", "sarif", "--output", str(target), "--format", "text")
    assert code == 1
    assert json.loads(target.read_text())["version"] == "2.1.0"
    assert "k8s-run-as-root" in out and not out.startswith("{")


def test_stdin(run_cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(BAD_POD))
    code, out, _ = run_cli("check", "-", "--select", "k8s-run-as-root")
    assert code == 1
    assert "<stdin>:7:7 high k8s-run-as-root" in out


def test_rules_lists_policies(run_cli):
    code, out, _ = run_cli("rules")
    assert code == 0
    assert out.splitlines()[0].split() == ["id", "severity", "applies", "to", "default", "fix", "title"]
    assert any(line.startswith("k8s-run-as-root ") for line in out.splitlines())
    row = next(line for line in out.splitlines() if line.startswith("k8s-privilege-escalation "))
    assert " safe " in row
    row = next(line for line in out.splitlines() if line.startswith("k8s-pdb-missing "))
    assert " - " in row


def test_rules_json(run_cli):
    code, out, _ = run_cli("rules", "--format", "json")
    assert code == 0
    ids = [rule["id"] for rule in json.loads(out)]
    assert ids == sorted(ids) and "k8s-run-as-root" in ids
    fixes = {rule["id"]: rule["fix"] for rule in json.loads(out)}
    assert fixes["k8s-run-as-root"] == "unsafe" and fixes["compose-obsolete-version"] == "safe"
    assert fixes["k8s-pdb-missing"] is None


def test_explain(run_cli):
    code, out, _ = run_cli("explain", "k8s-run-as-root")
    assert code == 0
    for heading in ("Why it matters:", "How to fix it:", "Fails:", "Passes:", "References:"):
        assert heading in out
    assert "# expect" not in out


def test_explain_unknown(run_cli):
    code, _, err = run_cli("explain", "k8s-run-as-rooot")
    assert code == 2
    assert "did you mean k8s-run-as-root" in err


USER_POLICY = textwrap.dedent(
    """\
    id: k8s-team-label-missing
    title: Workload has no team label
    severity: low
    rationale: Every workload names the team that owns it, so alerts reach someone.
    remediation: Add a metadata.labels.team label.
    match: {kinds: [workload], target: document}
    condition:
      properties:
        metadata:
          required: [labels]
          properties:
            labels: {required: [team]}
    message: "{kind} {name} has no team label"
    examples:
      fail:
        - |
          apiVersion: v1
          kind: Pod
          metadata:  # expect: k8s-team-label-missing
            name: x
          spec: {containers: []}
      pass:
        - |
          apiVersion: v1
          kind: Pod
          metadata: {name: x, labels: {team: core}}
          spec: {containers: []}
    """
)


def test_user_policy_folder(run_json, tmp_path):
    folder = tmp_path / "org"
    folder.mkdir()
    (folder / "k8s-team-label-missing.yaml").write_text(USER_POLICY)
    (tmp_path / "p.yaml").write_text(BAD_POD)
    code, data = run_json("p.yaml", "--policies", str(folder), "--select", "k8s-team-label-missing", cwd=tmp_path)
    assert code == 1
    assert [(f["rule_id"], f["line"], f["message"]) for f in data["findings"]] == [
        ("k8s-team-label-missing", 3, "Pod web has no team label")
    ]


def test_test_policies_command(run_cli, tmp_path):
    folder = tmp_path / "org"
    folder.mkdir()
    (folder / "k8s-team-label-missing.yaml").write_text(USER_POLICY)
    code, out, _ = run_cli("test-policies", str(folder))
    assert code == 0
    assert "PASS k8s-team-label-missing fail[0]" in out
    assert out.strip().splitlines()[-1] == "2 passed, 0 failed"
    broken = USER_POLICY.replace("metadata:  # expect: k8s-team-label-missing", "metadata:\n      # expect: k8s-team-label-missing")
    (folder / "k8s-team-label-missing.yaml").write_text(broken)
    code, out, _ = run_cli("test-policies", str(folder))
    assert code == 1
    assert "FAIL k8s-team-label-missing fail[0]" in out


def test_invalid_user_policy_is_usage_error(run_cli, tmp_path):
    folder = tmp_path / "org"
    folder.mkdir()
    (folder / "k8s-team-label-missing.yaml").write_text(USER_POLICY.replace("severity: low", "severity: urgent"))
    code, _, err = run_cli("check", "fixtures/guide", "--policies", str(folder))
    assert code == 2
    assert "k8s-team-label-missing.yaml:3: severity:" in err


def test_policy_id_must_match_file_name(run_cli, tmp_path):
    folder = tmp_path / "org"
    folder.mkdir()
    (folder / "k8s-other.yaml").write_text(USER_POLICY)
    code, _, err = run_cli("check", "fixtures/guide", "--policies", str(folder))
    assert code == 2
    assert "must equal the file name" in err


def test_broken_user_policy_becomes_policy_error(run_json, tmp_path):
    folder = tmp_path / "org"
    folder.mkdir()
    text = USER_POLICY.replace("labels: {required: [team]}", "labels: {required: [team]}\n        name: {pattern: '('}")
    (folder / "k8s-team-label-missing.yaml").write_text(text)
    (tmp_path / "p.yaml").write_text(BAD_POD)
    code, data = run_json(
        "p.yaml", "--policies", str(folder), "--select", "k8s-team-label-missing,k8s-run-as-root", cwd=tmp_path
    )
    assert code == 1
    found = {(f["rule_id"], f["line"]) for f in data["findings"]}
    assert ("k8s-run-as-root", 7) in found
    errors = [f for f in data["findings"] if f["rule_id"] == "policy-error"]
    assert len(errors) == 1 and "k8s-team-label-missing" in errors[0]["message"]


def test_python_dash_m_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "policylint", "check", str(ROOT / "fixtures/guide"), "--format", "json"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["summary"]["findings"] > 0


def test_selecting_a_domain_keeps_off_by_default_policies_off(run_json):
    _, data = run_json("fixtures/guide/k8s", "--select", "k8s")
    ids = {f["rule_id"] for f in data["findings"]}
    assert "k8s-run-as-root" in ids
    assert not ids & {"k8s-default-namespace", "k8s-image-not-pinned-by-digest"}
    _, data = run_json("fixtures/guide/k8s", "--select", "k8s", "--profile", "restricted")
    assert {"k8s-default-namespace", "k8s-image-not-pinned-by-digest"} <= {f["rule_id"] for f in data["findings"]}
    _, data = run_json("fixtures/guide/k8s", "--select", "k8s-default-namespace")
    assert {f["rule_id"] for f in data["findings"]} == {"k8s-default-namespace"}
