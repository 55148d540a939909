"""The `run` block of `check --format json`: repository, commit, branch, time, version, policy set."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import git

from policylint.gitinfo import without_credentials

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: c, image: nginx:1.27}\n"


@pytest.mark.parametrize(("url", "expected"), [
    ("https://gitlab-ci-token:glcbt-secret@gitlab.example.com/group/app.git", "https://gitlab.example.com/group/app.git"),
    ("https://x-access-token:ghs_secret@github.com/org/app", "https://github.com/org/app"),
    ("https://ghp_token@github.com/org/app?x=1#frag", "https://github.com/org/app"),
    ("ssh://git@example.com:2222/org/app.git", "ssh://example.com:2222/org/app.git"),
    ("git@github.com:org/app.git", "git@github.com:org/app.git"),
    ("/srv/mirrors/app.git", "/srv/mirrors/app.git"),
])
def test_credentials_never_reach_the_report(url: str, expected: str) -> None:
    assert without_credentials(url) == expected


def test_run_block_in_a_repository(tmp_path: Path, run_json, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("git") is None:
        pytest.skip("git builds the test repository")
    repo = tmp_path / "shop"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "trunk")
    git(repo, "remote", "add", "origin", "https://bot:s3cret-token@git.example.com/acme/shop.git")
    (repo / "pod.yaml").write_text(POD)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764900000")
    _, document = run_json(".", "--select", "k8s", cwd=repo)
    run = document["run"]
    assert list(document)[:3] == ["version", "tool", "run"]
    assert run["repository"] == "https://git.example.com/acme/shop.git"
    assert run["commit"] == git(repo, "rev-parse", "HEAD") and run["branch"] == "trunk"
    assert run["time"] == "2025-12-05T02:00:00Z"
    assert run["policy_set"] == document["tool"]["policy_set"] and run["policylint"] == document["tool"]["version"]
    assert "k8s-run-as-root" in run["policies"] and "k8s-run-as-root" in run["applicable"]
    assert all(policy.startswith("k8s-") for policy in run["policies"])
    assert not any(policy.startswith("k8s-hpa") for policy in run["applicable"])  # no HPA was scanned
    assert "s3cret" not in (repo / "pod.yaml").read_text() + str(document)


def test_run_block_outside_git_names_the_folder(tmp_path: Path, run_json, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "loose-files"
    folder.mkdir()
    (folder / "pod.yaml").write_text(POD)
    for name in ("GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_REF_NAME"):
        monkeypatch.delenv(name, raising=False)
    _, document = run_json(str(folder / "pod.yaml"), cwd=tmp_path)
    assert (document["run"]["repository"], document["run"]["commit"], document["run"]["branch"]) == ("loose-files", "", "")
