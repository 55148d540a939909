"""Every file kind policylint reads, registered with the core in one place.

A kind is a package here (its loader, targets, relations and helpers) described by its `KIND`
record. Importing this package registers them all; the order in which kinds claim a file is a
decision between kinds, so it is written here, once.
"""

from __future__ import annotations

from policylint.core.kinds import register
from policylint.kinds import compose, dockerfile, github_actions, gitlab_ci, kubernetes

register(
    (kubernetes.KIND, dockerfile.KIND, compose.KIND, github_actions.KIND, gitlab_ci.KIND),
    # By name: a Dockerfile by its name alone; then `*.gitlab-ci.yml` before `.github/workflows/`
    # before compose names (a `docker-compose.gitlab-ci.yml` is a pipeline).
    by_name=("dockerfile", "gitlab-ci", "github-actions", "compose"),
    # By content, for YAML of no telling name; what none claims is Kubernetes.
    by_content=("compose", "github-actions", "dockerfile", "gitlab-ci", "kubernetes"),
)
