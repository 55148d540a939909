"""The real pre-commit runs the exported hook on a staged bad manifest: it fails, then passes once fixed.

pre-commit installs the hook's Python environment from a git repository with pip (PyPI must be
reachable, as in CI). The hook repository is a fresh commit of this source tree's package files,
so the test checks the working tree (not whatever HEAD was) and pre-commit caches one environment
for both runs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import ROOT

HOOK_REPO_FILES = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml")
HOOK_REPO_DIRS = ("policylint", "policies")

BAD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000}
  containers:
    - name: app
      image: nginx:1.27
      securityContext:
        allowPrivilegeEscalation: false
        privileged: true
"""
FIXED = BAD.replace("        privileged: true\n", "")


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}
    result = subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args], cwd=cwd,
                            env=env, capture_output=True, text=True, check=True)
    return result.stdout


def make_hook_repo(path: Path) -> str:
    """A git repository holding the package as it is in this tree; returns its commit."""
    path.mkdir()
    for name in HOOK_REPO_FILES:
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, path / name)
    for name in HOOK_REPO_DIRS:
        shutil.copytree(ROOT / name, path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    git(path, "init", "-q")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "hook repo")
    return git(path, "rev-parse", "HEAD").strip()


def try_repo(project: Path, hook_repo: Path, ref: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(cache), "PRE_COMMIT_COLOR": "never", "GITHUB_ACTIONS": "",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "policylint", "--ref", ref, "--verbose"],
        cwd=project, env=env, capture_output=True, text=True, timeout=900,
    )


def test_hook_definitions():
    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"policylint", "policylint-context", "policylint-fix"}
    assert all(hook["require_serial"] is True for hook in hooks.values())
    assert hooks["policylint-context"]["entry"] == "policylint check --context ."
    assert hooks["policylint-fix"]["entry"] == "policylint check --fix --exit-non-zero-on-fix"
    assert hooks["policylint-fix"]["files"] == hooks["policylint"]["files"]
    pattern = re.compile(hooks["policylint"]["files"])
    caught = ["k8s/app.yaml", "deploy/x.YML", "docker-compose.yml", ".github/workflows/ci.yml", "action.yaml",
              "Dockerfile", "svc/Dockerfile.prod", "Containerfile", "api.dockerfile", "charts/web/templates/_helpers.tpl"]
    assert [name for name in caught if not pattern.search(name)] == []
    assert [name for name in ("src/main.py", "README.md", "dockerfiles/notes.txt") if pattern.search(name)] == []


@pytest.mark.parametrize(
    "name",
    ["Dockerfile", "dockerfile", "Dockerfile.prod", "Containerfile.ci", "api.Dockerfile", "x/Dockerfile.dev",
     "dockerfile.py", "src/Dockerfile.md", "Dockerfile.txt", "notes.txt", "docker.yaml",
     "charts/web/templates/_helpers.tpl", "web/templates/lib/_labels.tpl", "docs/_helpers.tpl"],
)
def test_hook_filter_agrees_with_the_tools_own_detection(name):
    """Pre-commit passes files as explicit paths (always checked), so its filter must not pass more than the tool detects.

    A chart's helper template (`templates/*.tpl`) is no file kind of its own, but naming any file of
    a chart renders that chart, so a changed helper re-checks what it renders.
    """
    import policylint.kinds  # noqa: F401  (registers the kinds, as discovery does: run alone, nothing else would)
    from policylint.core.kinds import detect_by_name

    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    for hook in hooks.values():
        chart_helper = name.endswith(".tpl") and "templates" in name.split("/")[:-1]
        expected = chart_helper or (detect_by_name(name) is not None and not name.endswith(".json"))
        assert bool(re.search(hook["files"], name)) == expected


@pytest.mark.slow
def test_pre_commit_try_repo_fails_on_a_bad_manifest_then_passes(tmp_path):
    hook_repo = tmp_path / "hook-repo"
    ref = make_hook_repo(hook_repo)
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    # The hook reads the project's config: only critical findings fail (k8s-privileged-container is one).
    (project / ".policylint.yaml").write_text("fail-on: critical\n")
    (project / "k8s").mkdir()
    (project / "k8s" / "pod.yaml").write_text(BAD)
    (project / "notes.txt").write_text("not checked\n")
    git(project, "add", ".")
    cache = tmp_path / "pre-commit-cache"

    failed = try_repo(project, hook_repo, ref, cache)
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output
    assert "policylint" in output and "Failed" in output, output
    assert "k8s/pod.yaml:13:9 critical k8s-privileged-container" in output, output
    assert "notes.txt" not in output.split("Failed", 1)[1]

    (project / "k8s" / "pod.yaml").write_text(FIXED)
    git(project, "add", "k8s/pod.yaml")
    passed = try_repo(project, hook_repo, ref, cache)
    output = passed.stdout + passed.stderr
    assert "k8s-privileged-container" not in output, output
    assert "Passed" in output, output
    assert passed.returncode == 0, output


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example/api:1.0
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
        - name: worker
          image: registry.example/worker:1.0
"""
PARTNERS = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 2
  maxReplicas: 5
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: worker, namespace: shop}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: worker}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api, namespace: shop}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: api}}
"""


@pytest.mark.slow
def test_pre_commit_hook_on_a_changed_deployment_reads_its_unchanged_partners(tmp_path):
    """Issue 26, item 1: `id: policylint` passes only the changed Deployment; its HPA and PDB sit in an
    unchanged file. The hook reads them as context: no k8s-pdb-missing, no k8s-single-replica."""
    hook_repo = tmp_path / "hook-repo"
    ref = make_hook_repo(hook_repo)
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    (project / ".policylint.yaml").write_text("select: [k8s-pdb-missing, k8s-single-replica]\n")
    (project / "k8s").mkdir()
    (project / "k8s" / "deployment.yaml").write_text(DEPLOYMENT)
    (project / "k8s" / "availability.yaml").write_text(PARTNERS)
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "init")
    (project / "k8s" / "deployment.yaml").write_text(DEPLOYMENT.replace("image: registry.example/api:1.0",
                                                                        "image: registry.example/api:1.1"))
    git(project, "add", "k8s/deployment.yaml")
    cache = tmp_path / "pre-commit-cache"

    result = try_repo(project, hook_repo, ref, cache)
    output = result.stdout + result.stderr
    assert "k8s-pdb-missing" not in output and "k8s-single-replica" not in output, output
    assert "Passed" in output, output
    assert result.returncode == 0, output

    # the partner file removed: the changed Deployment is judged alone, and both findings are real
    git(project, "rm", "-q", "k8s/availability.yaml")
    (project / "k8s" / "deployment.yaml").write_text(DEPLOYMENT.replace("image: registry.example/api:1.0",
                                                                        "image: registry.example/api:1.2"))
    git(project, "add", "k8s/deployment.yaml")
    result = try_repo(project, hook_repo, ref, cache)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "k8s/deployment.yaml:5:3 medium k8s-single-replica" in output, output
    assert "k8s/deployment.yaml:16:12 medium k8s-pdb-missing" in output, output
