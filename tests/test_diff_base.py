"""`check --diff-base REF`: end to end on real git repositories built here, commit by commit."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from support import FIXTURES, PRIVILEGED_POD, commit, git

pytest.importorskip("dulwich")

PRIVILEGED = PRIVILEGED_POD
HOST_PORT = textwrap.dedent(
    """\
    apiVersion: v1
    kind: Pod
    metadata: {name: edge, namespace: shop}
    spec:
      containers:
        - name: proxy
          image: envoy:1.30
          ports: [{containerPort: 80, hostPort: 80}]
    """
)
SELECT = ("--select", "k8s-privileged-container,k8s-host-port")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """`main` holds one privileged Pod; the branch `feature` starts there."""
    if shutil.which("git") is None:
        pytest.skip("git is needed to build the test repositories")
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(root, {"k8s/debug.yaml": PRIVILEGED}, "base")
    git(root, "checkout", "-q", "-b", "feature")
    return root


def findings(document: dict) -> list[tuple[str, str, bool]]:
    return sorted((f["rule_id"], f["path"], f["suppressed"]) for f in document["findings"])


def test_only_what_the_branch_adds_fails(repo: Path, run_cli) -> None:
    # The branch moves the old finding down (new lines above it) and adds a new one in a new file.
    commit(repo, {"k8s/debug.yaml": "# moved down by a comment\n\n" + PRIVILEGED, "k8s/edge.yaml": HOST_PORT}, "add")
    code, out, err = run_cli("check", ".", *SELECT, "--diff-base", "main", "--format", "json", cwd=repo)
    document = json.loads(out)
    assert code == 1, err
    assert findings(document) == [("k8s-host-port", "k8s/edge.yaml", False),
                                  ("k8s-privileged-container", "k8s/debug.yaml", True)]
    old = next(f for f in document["findings"] if f["suppressed"])
    assert old["line"] == 10  # reported where it is now
    assert old["suppression"]["kind"] == "baseline"
    base = git(repo, "merge-base", "main", "HEAD")
    assert old["suppression"]["justification"] == f"present at the merge-base {base[:12]} of main"
    code, out, _ = run_cli("check", ".", *SELECT, "--diff-base", "main", cwd=repo)
    assert "k8s/edge.yaml" in out and "k8s/debug.yaml:" not in out
    assert "1 suppressed" in out


def test_a_branch_that_only_fixes_passes(repo: Path, run_json) -> None:
    commit(repo, {"k8s/debug.yaml": PRIVILEGED.replace("privileged: true", "privileged: false")}, "fix")
    code, document = run_json(".", *SELECT, "--diff-base", "main", cwd=repo)
    assert code == 0
    assert document["findings"] == []
    # Without --diff-base the backlog fails as before: only the branch's own change passes the gate.
    commit(repo, {"k8s/other.yaml": PRIVILEGED.replace("debug", "other")}, "copy the bad pod")
    code, document = run_json(".", *SELECT, "--diff-base", "main", cwd=repo)
    assert code == 1 and findings(document) == [("k8s-privileged-container", "k8s/other.yaml", False)]


def test_the_merge_base_counts_not_the_tip_of_ref(repo: Path, run_json) -> None:
    """main fixes the old finding after the branch left: the branch did not add it, so it stays a base match;
    a finding main gained after the branch left is not the branch's either (and not in its tree)."""
    commit(repo, {"k8s/edge.yaml": HOST_PORT}, "branch adds edge")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"k8s/debug.yaml": PRIVILEGED.replace("privileged: true", "privileged: false"),
                  "k8s/late.yaml": HOST_PORT.replace("edge", "late")}, "main moves on")
    git(repo, "checkout", "-q", "feature")
    code, document = run_json(".", *SELECT, "--diff-base", "main", cwd=repo)
    assert code == 1
    assert findings(document) == [("k8s-host-port", "k8s/edge.yaml", False),
                                  ("k8s-privileged-container", "k8s/debug.yaml", True)]


def test_a_renamed_file_reports_its_findings_as_new(repo: Path, run_json) -> None:
    """Fingerprints hold the path: a finding in a moved file is new (as golangci-lint's --new-from-rev)."""
    git(repo, "mv", "k8s/debug.yaml", "k8s/tools.yaml")
    git(repo, "commit", "-q", "-m", "rename")
    code, document = run_json(".", *SELECT, "--diff-base", "main", cwd=repo)
    assert code == 1 and findings(document) == [("k8s-privileged-container", "k8s/tools.yaml", False)]


def test_uncommitted_work_is_what_is_checked_and_nothing_is_written(repo: Path, run_json) -> None:
    (repo / "k8s" / "edge.yaml").write_text(HOST_PORT)
    before = git(repo, "status", "--porcelain=v1", "--ignored")
    head = git(repo, "rev-parse", "HEAD")
    code, document = run_json(".", *SELECT, "--diff-base", "main", cwd=repo)
    assert code == 1 and ("k8s-host-port", "k8s/edge.yaml", False) in findings(document)
    assert git(repo, "status", "--porcelain=v1", "--ignored") == before
    assert git(repo, "rev-parse", "HEAD") == head


def test_paths_below_the_top_level_and_from_a_subfolder(repo: Path, run_json) -> None:
    commit(repo, {"k8s/edge.yaml": HOST_PORT}, "add")
    code, document = run_json("k8s", *SELECT, "--diff-base", "main", cwd=repo)
    assert code == 1 and findings(document) == [("k8s-host-port", "k8s/edge.yaml", False),
                                                ("k8s-privileged-container", "k8s/debug.yaml", True)]
    code, document = run_json("debug.yaml", "edge.yaml", *SELECT, "--diff-base", "main", cwd=repo / "k8s")
    assert findings(document) == [("k8s-host-port", "edge.yaml", False),
                                  ("k8s-privileged-container", "debug.yaml", True)]
    code, document = run_json(str(repo / "k8s"), *SELECT, "--diff-base", "main", cwd=repo.parent)
    assert [f["suppressed"] for f in sorted(document["findings"], key=lambda f: f["path"])] == [True, False]


def test_ref_forms(repo: Path, run_json) -> None:
    first = git(repo, "rev-parse", "HEAD")
    commit(repo, {"k8s/edge.yaml": HOST_PORT}, "add")
    git(repo, "tag", "v1", first)
    git(repo, "tag", "-a", "v2", "-m", "annotated", first)
    for ref in ("v1", "v2", first, first[:10], "HEAD~1", "HEAD^", "feature~1", "refs/heads/main"):
        code, document = run_json(".", *SELECT, "--diff-base", ref, cwd=repo)
        assert code == 1 and findings(document) == [("k8s-host-port", "k8s/edge.yaml", False),
                                                    ("k8s-privileged-container", "k8s/debug.yaml", True)], ref


def test_unknown_ref_and_shallow_clone_are_clear_errors(repo: Path, tmp_path: Path, run_cli) -> None:
    code, _, err = run_cli("check", ".", "--diff-base", "origin/nope", cwd=repo)
    assert code == 2 and "unknown revision 'origin/nope'" in err
    commit(repo, {"k8s/edge.yaml": HOST_PORT}, "add")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-single-branch", f"file://{repo}", str(shallow))
    code, _, err = run_cli("check", ".", "--diff-base", "origin/main", cwd=shallow)
    assert code == 2 and "shallow clone" in err and "fetch-depth: 0" in err
    outside = tmp_path / "plain"
    outside.mkdir()
    (outside / "pod.yaml").write_text(PRIVILEGED)
    code, _, err = run_cli("check", ".", "--diff-base", "main", cwd=outside)
    assert code == 2 and "not inside a git repository" in err
    code, _, err = run_cli("check", "-", "--diff-base", "main", cwd=repo)
    assert code == 2 and "standard input" in err


def test_unrelated_histories_have_no_merge_base(repo: Path, run_cli) -> None:
    git(repo, "checkout", "-q", "--orphan", "lonely")
    commit(repo, {"k8s/edge.yaml": HOST_PORT}, "alone")
    code, _, err = run_cli("check", ".", "--diff-base", "main", cwd=repo)
    assert code == 2 and "no common ancestor" in err


def test_sarif_marks_base_matches_as_suppressed(repo: Path, run_cli) -> None:
    commit(repo, {"k8s/edge.yaml": HOST_PORT}, "add")
    code, out, _ = run_cli("check", ".", *SELECT, "--diff-base", "main", "--format", "sarif", cwd=repo)
    results = json.loads(out)["runs"][0]["results"]
    state = sorted((r["ruleId"], bool(r.get("suppressions"))) for r in results)
    assert code == 1 and state == [("k8s-host-port", False), ("k8s-privileged-container", True)]
    suppressed = next(r for r in results if r.get("suppressions"))
    assert suppressed["suppressions"][0]["kind"] == "external"


def test_helm_chart_changes(repo: Path, run_json) -> None:
    pytest.importorskip("helm_python")
    shutil.copytree(FIXTURES / "helm" / "web", repo / "chart")
    git(repo, "checkout", "-q", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "chart")
    git(repo, "checkout", "-q", "-b", "chart-change")
    code, unchanged = run_json("chart", "--diff-base", "main", cwd=repo)
    assert unchanged["findings"] and all(f["suppressed"] for f in unchanged["findings"]), "same chart: nothing new"
    assert code == 0
    values = (repo / "chart" / "values.yaml").read_text()
    commit(repo, {"chart/values.yaml": values + "\nextraHostPort: 8080\n",
                  "chart/templates/debug.yaml": PRIVILEGED}, "chart gains a template")
    code, document = run_json("chart", "--diff-base", "main", cwd=repo)
    new = [(f["rule_id"], f["path"]) for f in document["findings"] if not f["suppressed"]]
    assert code == 1 and ("k8s-privileged-container", "chart/templates/debug.yaml") in new
    assert all(path == "chart/templates/debug.yaml" for _, path in new), new


def test_kustomize_overlay_and_context(repo: Path, run_json) -> None:
    shutil.copytree(FIXTURES / "kustomize", repo / "deploy")
    git(repo, "checkout", "-q", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "kustomize")
    git(repo, "checkout", "-q", "-b", "overlay-change")
    overlays = sorted(path.name for path in (repo / "deploy" / "overlays").iterdir())
    overlay = f"deploy/overlays/{overlays[0]}"
    code, document = run_json(overlay, "--context", "deploy/base", "--diff-base", "main", cwd=repo)
    assert all(f["suppressed"] for f in document["findings"]), "nothing changed: every finding is at the base"
    commit(repo, {f"{overlay}/debug.yaml": PRIVILEGED}, "overlay adds a pod")
    code, document = run_json(overlay, "--context", "deploy/base", "--diff-base", "main", cwd=repo)
    new = sorted({(f["rule_id"], f["path"]) for f in document["findings"] if not f["suppressed"]})
    assert code == 1 and ("k8s-privileged-container", f"{overlay}/debug.yaml") in new
    assert {path for _, path in new} == {f"{overlay}/debug.yaml"}, new


def test_diff_base_runs_no_program(repo: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The base tree is read from git objects in-process (dulwich): no git, no hook, no filter, no network.

    Sealed as tests/test_guards.py seals a check: every way to start a program or open a connection raises."""
    import socket

    commit(repo, {"k8s/edge.yaml": HOST_PORT, ".gitattributes": "*.yaml filter=evil\n"}, "add")
    git(repo, "config", "filter.evil.smudge", "touch smudged; cat")
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text("#!/bin/sh\ntouch hooked\n")
    hook.chmod(0o755)
    started: list[str] = []

    def forbidden(name: str):
        def guard(*args: object, **kwargs: object) -> None:
            started.append(name)
            raise AssertionError(f"{name} called")
        return guard

    monkeypatch.setattr(subprocess, "Popen", forbidden("subprocess.Popen"))
    import _posixsubprocess

    monkeypatch.setattr(_posixsubprocess, "fork_exec", forbidden("fork_exec"))
    for name in ["system", "popen", "fork", "posix_spawn", "posix_spawnp"] + [n for n in dir(os) if n.startswith(("exec", "spawn"))]:
        if hasattr(os, name):
            monkeypatch.setattr(os, name, forbidden(f"os.{name}"))
    for name in ("create_connection", "getaddrinfo"):
        monkeypatch.setattr(socket, name, forbidden(f"socket.{name}"))
    monkeypatch.setattr(socket.socket, "connect", forbidden("socket.connect"))
    code, out, err = run_cli("check", ".", *SELECT, "--diff-base", "main", "-j", "1", cwd=repo)
    assert code == 1, err
    assert "k8s/edge.yaml" in out and "1 suppressed" in out
    assert started == []
    assert not (repo / "hooked").exists() and not (repo / "smudged").exists()


def test_rendered_kustomize_overlay(repo: Path, run_json) -> None:
    from policylint.kinds.kubernetes.kustomize import own_kubectl

    if not (own_kubectl() or shutil.which("kubectl") or shutil.which("kustomize")):
        pytest.skip("neither kubectl nor kustomize is installed")
    shutil.copytree(FIXTURES / "kustomize", repo / "deploy")
    git(repo, "checkout", "-q", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "kustomize")
    git(repo, "checkout", "-q", "-b", "render")
    overlay = "deploy/overlays/production"
    args = (overlay, "--kustomize", "--select", "k8s-memory-limit-missing,k8s-privileged-container")
    code, document = run_json(*args, "--diff-base", "main", cwd=repo)
    assert code == 0 and document["findings"] and all(f["suppressed"] for f in document["findings"])
    deployment = (repo / "deploy" / "base" / "deployment.yaml").read_text()
    assert "containers:" in deployment
    commit(repo, {"deploy/base/deployment.yaml": deployment.replace(
        "containers:", "containers:\n      - name: debug\n        image: busybox:1.36\n"
        "        securityContext: {privileged: true}", 1)}, "the base gains a privileged container")
    code, document = run_json(*args, "--diff-base", "main", cwd=repo)
    new = sorted({(f["rule_id"], f["path"]) for f in document["findings"] if not f["suppressed"]})
    assert code == 1 and ("k8s-privileged-container", "deploy/base/deployment.yaml") in new, new
    assert all("policylint-base-" not in f["message"] for f in document["findings"])


def test_every_kind_matches_its_base_finding(repo: Path, run_json) -> None:
    """Kinds whose fingerprints name the file (workflows: `<path>#jobs.build#job`) match across the two trees."""
    workflow = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
    git(repo, "checkout", "-q", "main")
    commit(repo, {".github/workflows/ci.yml": workflow, "Dockerfile": "FROM python:latest\nRUN make\n",
                  "compose.yaml": "services:\n  web:\n    image: nginx:latest\n"}, "more kinds")
    git(repo, "checkout", "-q", "-b", "kinds")
    code, plain = run_json(".", cwd=repo)
    assert code == 1 and {f["file_kind"] for f in plain["findings"]} >= {"github-actions", "dockerfile", "compose"}
    for cwd, path in ((repo, "."), (repo / ".github", "..")):
        code, document = run_json(path, "--diff-base", "main", cwd=cwd)
        new = [f for f in document["findings"] if not f["suppressed"]]
        assert code == 0 and len(document["findings"]) == len(plain["findings"]) and not new, (path, new)


def test_a_folder_the_base_does_not_have_is_all_new(repo: Path, run_json) -> None:
    commit(repo, {"apps/edge.yaml": HOST_PORT}, "a new folder")
    code, document = run_json("k8s", "apps", *SELECT, "--diff-base", "main", cwd=repo)
    assert code == 1 and findings(document) == [("k8s-host-port", "apps/edge.yaml", False),
                                                ("k8s-privileged-container", "k8s/debug.yaml", True)]
    code, document = run_json("apps", *SELECT, "--diff-base", "main", cwd=repo)
    assert code == 1 and findings(document) == [("k8s-host-port", "apps/edge.yaml", False)]


def test_without_dulwich_the_error_names_the_extra(repo: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "dulwich.repo", None)  # as if the extra were not installed
    code, _, err = run_cli("check", ".", "--diff-base", "main", cwd=repo)
    assert code == 2 and "policylint[diffbase]" in err


def test_a_path_outside_the_repository_is_refused(repo: Path, tmp_path: Path, run_cli) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "pod.yaml").write_text(PRIVILEGED)
    code, _, err = run_cli("check", ".", "--context", str(outside), "--diff-base", "main", cwd=repo)
    assert code == 2 and "lies outside the repository" in err


def test_parse_errors_count_only_when_the_change_makes_them(repo: Path, run_json) -> None:
    git(repo, "checkout", "-q", "main")
    commit(repo, {"k8s/broken.yaml": "apiVersion: v1\nkind: [unclosed\n"}, "a file broken on main")
    git(repo, "checkout", "-q", "-b", "parse")
    code, document = run_json(".", *SELECT, "--diff-base", "main", cwd=repo)
    assert code == 0 and ("parse-error", "k8s/broken.yaml", True) in findings(document)
    commit(repo, {"k8s/debug.yaml": PRIVILEGED + "  bad: [\n"}, "the branch breaks another file")
    code, document = run_json(".", *SELECT, "--diff-base", "main", cwd=repo)
    assert code == 1 and findings(document) == [("parse-error", "k8s/broken.yaml", True),
                                                ("parse-error", "k8s/debug.yaml", False)]
