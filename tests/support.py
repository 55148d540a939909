"""Helpers shared by test modules in every folder (fixtures live in conftest.py).

`pythonpath = ["tests"]` in pyproject.toml makes this importable as `support` from any test folder.
"""

from __future__ import annotations

from pathlib import Path

#: The repository root and its fixtures, wherever the test module sits.
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

#: The built-in Kubernetes policies that join several documents (relations, schema and deprecations).
K8S_RELATIONAL = frozenset({
    "k8s-anti-affinity-missing", "k8s-deprecated-api", "k8s-hpa-max-not-above-min", "k8s-hpa-metric-without-request",
    "k8s-hpa-min-replicas-low", "k8s-hpa-replicas-conflict", "k8s-hpa-target-missing", "k8s-ingress-no-tls",
    "k8s-networkpolicy-allow-all", "k8s-networkpolicy-egress-no-dns", "k8s-networkpolicy-missing",
    "k8s-networkpolicy-port-mismatch", "k8s-networkpolicy-selects-nothing", "k8s-pdb-blocks-eviction",
    "k8s-pdb-missing", "k8s-pdb-selects-nothing", "k8s-schema-invalid", "k8s-service-selector-mismatch",
    "k8s-service-target-port-mismatch", "k8s-single-replica",
})

#: A Pod that is privileged: one finding of k8s-privileged-container (and its companions).
PRIVILEGED_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: shop}
spec:
  containers:
    - name: shell
      image: busybox:1.36
      securityContext: {privileged: true}
"""


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed identity and no system or user configuration; its stdout."""
    import os
    import subprocess

    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout.strip()


def commit(repo: Path, files: dict[str, str | None], message: str) -> str:
    """Write (text) or delete (None) `files` in `repo`, commit everything; the new commit's id."""
    for name, text in files.items():
        target = repo / name
        if text is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")
