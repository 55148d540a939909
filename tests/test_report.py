"""The compliance report (`policylint report`): control rows, evidence, header, and the three formats."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from support import ROOT

from policylint.cli import main
from policylint.gitinfo import git_state

GUIDE = ROOT / "fixtures" / "guide"
DEPLOYMENT = "k8s/base/deployment.yaml"
#: The guide's Deployment has one container (`- name: app`); with no securityContext, findings point at it.
APP_LINE = (GUIDE / DEPLOYMENT).read_text(encoding="utf-8").splitlines().index("      - name: app") + 1
CONTROL_KEYS = {
    "framework", "id", "title", "scope", "declared_coverage", "coverage", "status", "reason", "note",
    "superseded_by", "rules", "rules_not_run", "findings", "suppressed", "unverified",
}


def _report(tmp_path: Path, paths: list[str], frameworks: list[str], fmt: str = "json", *extra: str) -> str:
    output = tmp_path / f"report.{fmt}"
    args = ["report", *paths]
    for framework in frameworks:
        args += ["--framework", framework]
    assert main([*args, "--format", fmt, "-o", str(output), *extra]) == 0
    return output.read_text(encoding="utf-8")


def _rows(document: dict, framework_id: str) -> dict[str, dict]:
    framework = next(item for item in document["frameworks"] if item["id"] == framework_id)
    return {f"{row['framework']}:{row['id']}": row for row in framework["controls"]}


def _copy_guide(tmp_path: Path) -> Path:
    target = tmp_path / "guide"
    shutil.copytree(GUIDE, target)
    return target


@pytest.fixture(scope="module")
def guide_json(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    return json.loads(_report(tmp, [str(GUIDE)], ["guide", "pss-restricted"]))


def test_run_as_non_root_fails_with_the_deployment_finding(guide_json):
    rows = _rows(guide_json, "pss-restricted")
    row = rows["pss-restricted:runAsNonRoot"]
    assert (row["status"], row["coverage"]) == ("fail", "partial")
    assert row["rules"] == ["k8s-run-as-root"]
    findings = {item["ref"]: item for item in guide_json["findings"]}
    behind = [findings[ref] for ref in row["findings"]]
    assert [(f["rule_id"], f["path"].endswith("fixtures/guide/" + DEPLOYMENT), f["line"]) for f in behind] == [
        ("k8s-run-as-root", True, APP_LINE)
    ]
    assert "pss-restricted:runAsNonRoot" in behind[0]["controls"]
    escalation = rows["pss-restricted:allowPrivilegeEscalation"]
    assert escalation["status"] == "fail"
    assert [findings[ref]["rule_id"] for ref in escalation["findings"]] == ["k8s-privilege-escalation"]


def test_restricted_report_includes_baseline_rows(guide_json):
    rows = _rows(guide_json, "pss-restricted")
    assert len(rows) == 19
    privileged = rows["pss-baseline:privileged"]
    assert (privileged["status"], privileged["coverage"], privileged["findings"]) == ("pass", "automated", [])
    assert rows["pss-baseline:capabilities_baseline"]["superseded_by"] == "capabilities_restricted"


def test_manual_controls_need_evidence(guide_json):
    rows = _rows(guide_json, "guide")
    for control in ("guide-3", "guide-4", "guide-5", "guide-6"):
        assert (rows[f"guide:{control}"]["status"], rows[f"guide:{control}"]["coverage"]) == ("manual", "manual")
    assert rows["guide:guide-3"]["rules"] == []
    restricted = _rows(guide_json, "pss-restricted")
    # procMount was a gap in the researched mapping; k8s-proc-mount now covers it, so the guide passes.
    assert restricted["pss-restricted:procMount_restricted"]["status"] == "pass"
    assert restricted["pss-restricted:procMount_restricted"]["rules"] == ["k8s-proc-mount"]


def test_summary_counts_and_score_follow_the_rows(guide_json):
    for framework in guide_json["frameworks"]:
        statuses = [row["status"] for row in framework["controls"]]
        summary = framework["summary"]
        assert summary["status"] == {name: statuses.count(name) for name in ("pass", "fail", "not-applicable", "manual")}
        assessed = statuses.count("pass") + statuses.count("fail")
        assert summary["score"] == (statuses.count("pass") * 100 // assessed if assessed else None)
    restricted = next(item for item in guide_json["frameworks"] if item["id"] == "pss-restricted")
    assert restricted["summary"]["status"]["fail"] >= 4  # escalation, runAsNonRoot, runAsUser, seccomp at least


def test_json_shape(guide_json):
    assert list(guide_json) == ["schema", "version", "scope", "frameworks", "findings", "unverified", "skipped"]
    assert (guide_json["schema"], guide_json["version"]) == ("policylint-audit", 1)
    scope = guide_json["scope"]
    assert set(scope) == {"paths", "git", "tool", "policy_set", "date", "kube_version", "profile", "files",
                          "policies_run"}
    assert scope["paths"] == [str(GUIDE)]
    assert scope["tool"]["name"] == "policylint" and len(scope["policy_set"]) == 16
    assert [item["id"] for item in guide_json["frameworks"]] == ["guide", "pss-restricted"]
    for framework in guide_json["frameworks"]:
        assert set(framework) == {"id", "name", "version", "source", "notes", "includes", "summary", "controls"}
        for row in framework["controls"]:
            assert set(row) == CONTROL_KEYS
            assert row["status"] in ("pass", "fail", "not-applicable", "manual")
            assert row["coverage"] in ("automated", "partial", "manual")
    refs = [item["ref"] for item in guide_json["findings"]]
    assert refs == [f"F-{n}" for n in range(1, len(refs) + 1)]
    assert set(guide_json["findings"][0]) == {"ref", "rule_id", "severity", "path", "line", "column", "message",
                                              "resource", "controls", "suppression"}


def test_parse_error_file_is_listed_as_unverified(tmp_path):
    scan = _copy_guide(tmp_path)
    (scan / "k8s/base/broken.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: [oops\n", encoding="utf-8")
    document = json.loads(_report(tmp_path, [str(scan)], ["pss-restricted", "guide"]))
    broken = [item for item in document["unverified"] if item["path"].endswith("broken.yaml")]
    assert [(item["rule_id"], item["line"] >= 1) for item in broken] == [("parse-error", True)]
    row = _rows(document, "pss-restricted")["pss-restricted:runAsNonRoot"]
    assert [path for path in row["unverified"] if path.endswith("broken.yaml")]
    # A control with no rule has nothing to verify, so the broken file is not listed there.
    assert _rows(document, "guide")["guide:guide-3"]["unverified"] == []
    markdown = _report(tmp_path, [str(scan)], ["pss-restricted"], "markdown")
    assert "## Unverified files" in markdown and "broken.yaml" in markdown.split("## Unverified files")[1]


def test_broken_manifest_alone_leaves_controls_unverified_not_passing(tmp_path):
    (tmp_path / "scan").mkdir()
    (tmp_path / "scan/broken.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: [oops\n", encoding="utf-8")
    rows = _rows(json.loads(_report(tmp_path, [str(tmp_path / "scan")], ["pss-baseline"])), "pss-baseline")
    assert rows["pss-baseline:privileged"]["status"] == "manual"
    assert rows["pss-baseline:privileged"]["reason"] == "the files these rules check could not be evaluated"


def test_controls_of_other_file_kinds_are_not_applicable(tmp_path):
    (tmp_path / "scan").mkdir()
    shutil.copy(GUIDE / "Dockerfile", tmp_path / "scan" / "Dockerfile")
    document = json.loads(_report(tmp_path, [str(tmp_path / "scan")], ["pss-baseline", "cis-k8s"]))
    assert _rows(document, "pss-baseline")["pss-baseline:privileged"]["status"] == "not-applicable"
    assert _rows(document, "cis-k8s")["cis-k8s:5.1.7"]["status"] == "manual"


def test_suppressed_finding_is_shown_with_reason_and_expiry(tmp_path):
    scan = _copy_guide(tmp_path)
    path = scan / DEPLOYMENT
    lines = path.read_text(encoding="utf-8").splitlines()
    comment = "# policylint: ignore[k8s-privilege-escalation] until=2999-01-31 -- binary needs setuid, ticket SEC-12"
    lines.insert(APP_LINE - 1, "      " + comment)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    document = json.loads(_report(tmp_path, [str(scan)], ["pss-restricted"]))
    row = _rows(document, "pss-restricted")["pss-restricted:allowPrivilegeEscalation"]
    assert row["status"] == "pass" and row["findings"] == []
    suppressed = next(item for item in document["findings"] if item["ref"] == row["suppressed"][0])
    assert suppressed["rule_id"] == "k8s-privilege-escalation"
    assert suppressed["suppression"]["justification"] == "binary needs setuid, ticket SEC-12"
    assert suppressed["suppression"]["expires"] == "2999-01-31"
    html = _report(tmp_path, [str(scan)], ["pss-restricted"], "html")
    assert "binary needs setuid, ticket SEC-12" in html and "expires 2999-01-31" in html
    # --no-suppressions turns it back into a failure for the audit.
    audit = json.loads(_report(tmp_path, [str(scan)], ["pss-restricted"], "json", "--no-suppressions"))
    assert _rows(audit, "pss-restricted")["pss-restricted:allowPrivilegeEscalation"]["status"] == "fail"


def test_markdown_carries_rows_findings_and_header(tmp_path):
    text = _report(tmp_path, [str(GUIDE)], ["guide", "pss-restricted"], "markdown", "--kube-version", "1.31")
    assert text.startswith("# Compliance assessment report\n")
    assert "| Kubernetes version | 1.31 |" in text
    assert "| `runAsNonRoot` | Running as Non-root | **Fail** | partial |" in text
    assert "| `guide-3` | Input validation — 入力値検証 | **Manual evidence needed** | manual |" in text
    assert re.search(rf"F-\d+ k8s-run-as-root at \S*fixtures/guide/{DEPLOYMENT}:{APP_LINE}\.", text)
    assert "## Findings" in text and "| Score |" in text


def test_html_is_self_contained_and_escaped(tmp_path):
    (tmp_path / "scan").mkdir()
    (tmp_path / "scan/pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
        "    - name: \"<script>alert(1)</script>\"\n      image: app:1.0\n",
        encoding="utf-8",
    )
    html = _report(tmp_path, [str(tmp_path / "scan")], ["pss-restricted"], "html")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html  # no script of our own either
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<link" not in html and "@import" not in html and "src=" not in html
    assert '<table class="controls" id="controls-pss-restricted">' in html and "<svg" in html


def test_same_input_gives_identical_output(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    first = _report(tmp_path, [str(GUIDE)], ["guide", "pss-restricted"], "html")
    second = _report(tmp_path, [str(GUIDE)], ["guide", "pss-restricted"], "html")
    assert first == second and "2026-01-01" in first


def test_unknown_framework_is_a_usage_error(capsys):
    assert main(["report", str(GUIDE), "--framework", "pss-restrictd"]) == 2
    assert "unknown framework 'pss-restrictd' (did you mean pss-restricted?)" in capsys.readouterr().err


def test_git_commit_read_from_files(tmp_path):
    sha = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "repo"
    (repo / ".git/refs/heads").mkdir(parents=True)
    (repo / "sub").mkdir()
    (repo / ".git/HEAD").write_text("ref: refs/heads/main\n")
    (repo / ".git/refs/heads/main").write_text(sha + "\n")
    state = git_state([str(repo / "sub")])
    assert (state.commit, state.ref) == (sha, "refs/heads/main")
    (repo / ".git/refs/heads/main").unlink()
    (repo / ".git/packed-refs").write_text(f"# pack-refs with: peeled\n{sha} refs/heads/main\n")
    assert git_state([str(repo)]).commit == sha
    (repo / ".git/HEAD").write_text(sha + "\n")
    assert (git_state([str(repo)]).commit, git_state([str(repo)]).ref) == (sha, "")
    (tmp_path / "plain").mkdir()
    assert git_state([str(tmp_path / "plain")]) is None  # outside any repository
    document = json.loads(_report(tmp_path, [str(repo)], ["guide"]))
    assert document["scope"]["git"]["commit"] == sha
