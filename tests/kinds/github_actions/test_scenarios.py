"""Scenario workflows (fixtures/scenarios/workflows, also used for the zizmor comparison in
benchmarks/compare_zizmor.py): the exact findings, and none on the hardened workflow."""

from __future__ import annotations

from support import ROOT

from policylint.options import RunOptions
from policylint.runner import check

EXPECTED = [
    ("artifacts.yml", "gha-permissions-write-all", 7),  # contents: write, inherited by build
    ("artifacts.yml", "gha-permissions-write-all", 8),  # id-token: write, inherited by build
    ("artifacts.yml", "gha-job-timeout-missing", 11),
    ("artifacts.yml", "gha-action-not-pinned", 14),
    ("artifacts.yml", "gha-checkout-persist-credentials", 14),  # the workspace is uploaded later
    ("artifacts.yml", "gha-deprecated-action", 14),  # checkout@v4: Node 20
    ("artifacts.yml", "gha-curl-pipe-shell", 16),
    ("artifacts.yml", "gha-action-not-pinned", 18),
    ("artifacts.yml", "gha-deprecated-action", 18),  # upload-artifact@v4: Node 20
    ("artifacts.yml", "gha-job-timeout-missing", 22),
    ("artifacts.yml", "gha-action-not-pinned", 30),
    ("dispatch.yml", "gha-deprecated-action", 21),  # SHA-pinned, judged by its "# v4.2.2" comment
    ("dispatch.yml", "gha-script-injection", 26),  # inputs.version: free-text dispatch input
    ("dispatch.yml", "gha-script-injection", 28),  # workflow_run.head_branch
    ("dispatch.yml", "gha-action-not-pinned", 29),
    ("dispatch.yml", "gha-permissions-missing", 32),  # the reusable-workflow call job
    ("dispatch.yml", "gha-action-not-pinned", 33),
    ("dispatch.yml", "gha-dangerous-trigger", 10),  # on: workflow_run
    ("dispatch.yml", "gha-secrets-inherit", 34),  # another repository's workflow gets every secret
    ("pwn-request.yml", "gha-dangerous-trigger", 3),  # on: pull_request_target
    ("pwn-request.yml", "gha-permissions-write-all", 8),
    ("pwn-request.yml", "gha-job-timeout-missing", 11),
    ("pwn-request.yml", "gha-action-not-pinned", 14),
    ("pwn-request.yml", "gha-deprecated-action", 14),
    ("pwn-request.yml", "gha-pull-request-target-checkout", 16),
    ("pwn-request.yml", "gha-script-injection", 19),  # pull_request.title (line 20, .number, is safe)
    ("pwn-request.yml", "gha-script-injection", 21),
    ("pwn-request.yml", "gha-action-not-pinned", 23),
    ("pwn-request.yml", "gha-deprecated-action", 23),  # github-script@v7: Node 20
    ("pwn-request.yml", "gha-script-injection", 26),  # inside github-script's script
]


def test_scenario_workflows_exact_findings(monkeypatch):
    monkeypatch.chdir(ROOT)
    report = check(RunOptions(paths=["fixtures/scenarios/workflows"]))
    found = sorted((f.path.rsplit("/", 1)[-1], f.policy_id, f.line) for f in report.findings)
    assert found == sorted(EXPECTED)
    # hardened.yml has none, and its `cargo audit` step satisfies gha-dependency-audit-missing for the run.
    assert not any(name == "hardened.yml" for name, _, _ in found)
