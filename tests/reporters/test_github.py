"""GitHub workflow commands: exact annotations, escaping, automatic choice under Actions."""

from __future__ import annotations

from policylint.core.findings import Finding, Location
from policylint.reporters.github import annotation

SELECT = ("--select", "k8s-privilege-escalation,k8s-privileged-container,k8s-run-as-root")


def test_annotations_for_unsuppressed_findings(tree, run_cli):
    code, out, _ = run_cli("check", ".", *SELECT, "--format", "github", cwd=tree)
    assert code == 1
    assert out.splitlines() == [
        "::error file=bad.yaml,line=10,col=9,title=policylint k8s-privilege-escalation (high)"
        "::container app does not set allowPrivilegeEscalation: false",
        "::error file=bad.yaml,line=11,col=9,title=policylint k8s-privileged-container (critical)"
        "::container app sets securityContext.privileged: true",
        "::error file=quiet.yaml,line=11,col=9,title=policylint k8s-privileged-container (critical)"
        "::container app sets securityContext.privileged: true",
        "3 findings (2 critical, 1 high) in 3 files; 1 suppressed.",
    ]


def test_levels_and_escaping():
    finding = Finding("k8s-x", "medium", "dir/a,b:c%.yaml", 3, 5, "50% done\r\nsecond line ::error::x",
                      related=(Location("other.yaml", 7, 1, "target"),))
    assert annotation(finding) == (
        "::warning file=dir/a%2Cb%3Ac%25.yaml,line=3,col=5,title=policylint k8s-x (medium)"
        "::50%25 done%0D%0Asecond line ::error::x%0Asee other.yaml:7:1 (target)"
    )
    assert "\n" not in annotation(finding)
    low = Finding("k8s-y", "low", "a.yaml", 0, 0, "m")
    assert annotation(low) == "::notice file=a.yaml,line=1,col=1,title=policylint k8s-y (low)::m"


def test_chosen_automatically_under_github_actions(tree, run_cli, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    _, out, _ = run_cli("check", ".", *SELECT, cwd=tree)
    assert out.startswith("::error file=bad.yaml,line=10,col=9,")
    _, out, _ = run_cli("check", ".", *SELECT, "--format", "text", "--no-color", cwd=tree)
    assert out.startswith("bad.yaml\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    _, out, _ = run_cli("check", ".", *SELECT, "--no-color", cwd=tree)
    assert out.startswith("bad.yaml\n")
