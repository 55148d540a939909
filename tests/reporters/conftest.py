"""Reporter tests share a small tree: one failing manifest, one clean, one with a suppression."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

BAD = textwrap.dedent(
    """\
    apiVersion: v1
    kind: Pod
    metadata: {name: bad, namespace: shop}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 1000}
      containers:
        - name: app
          image: nginx:1.27
          securityContext:
            allowPrivilegeEscalation: true
            privileged: true
    """
)
CLEAN = textwrap.dedent(
    """\
    apiVersion: v1
    kind: Pod
    metadata: {name: good, namespace: shop}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 1000}
      containers:
        - name: app
          image: nginx:1.27
          securityContext: {allowPrivilegeEscalation: false}
    """
)
SUPPRESSED = BAD.replace("{name: bad,", "{name: quiet,").replace(
    "allowPrivilegeEscalation: true", "allowPrivilegeEscalation: true  # policylint: ignore[k8s-privilege-escalation] -- debugger"
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """bad.yaml (2 findings), clean.yaml (none), quiet.yaml (1 finding + 1 suppressed)."""
    root = tmp_path
    (root / "bad.yaml").write_text(BAD)
    (root / "clean.yaml").write_text(CLEAN)
    (root / "quiet.yaml").write_text(SUPPRESSED)
    return root
