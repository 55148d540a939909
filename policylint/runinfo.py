"""The `run` block of `check --format json`: which repository, commit and policy set a result is of.

`policylint report --results` (policylint.reporters.fleet) names its rows with it and flags results
made with another policy set. Read from `.git` files and the environment, never by running git.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policylint import __version__

if TYPE_CHECKING:
    from policylint.runner import RunReport

#: Branch names CI sets when HEAD is detached (pull requests, tags): GitHub, then GitLab.
_CI_BRANCH = ("GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_REF_NAME")


def run_time() -> str:
    """Now in UTC to the second, or `SOURCE_DATE_EPOCH` when set (reproducible outputs)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch.isdigit() else datetime.now(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def run_block(report: RunReport) -> dict[str, Any]:
    """Repository (remote URL without credentials, else the folder's name), commit, branch, time,
    policylint version, policy-set hash, profile, and the policies that ran / had a file to check."""
    from policylint.gitinfo import git_state, remote_url

    paths = [path for path in report.options.paths if path != "-"]
    # A scanned path may be a symlink loop or vanish: the run block never stops a check.
    try:
        state = git_state(paths) if paths else None
    except (OSError, RuntimeError, ValueError):
        state = None
    try:
        repository = remote_url(paths) if paths else ""
    except (OSError, RuntimeError, ValueError):
        repository = ""
    if not repository:  # the top level's name (worktrees included), else the scanned folder's
        from policylint.core.boundary import repository_root

        first = Path(os.path.abspath(paths[0] if paths else "."))
        root = repository_root(first) or (first if first.is_dir() else first.parent)
        repository = root.name
    branch = ""
    if state is not None and state.ref.startswith("refs/heads/"):
        branch = state.ref[len("refs/heads/"):]
    else:
        branch = next((os.environ[name] for name in _CI_BRANCH if os.environ.get(name)), "")
    present = {(doc.file_kind, doc.kind) for doc in report.documents}
    kinds_present = {file_kind for file_kind, _ in present}
    applicable = [
        policy.id for policy in report.policies
        if policy.file_kind in kinds_present
        and (policy.kinds is None or any((policy.file_kind, kind) in present for kind in policy.kinds))
    ]
    return {
        "repository": repository,
        "commit": state.commit if state is not None else "",
        "branch": branch,
        "time": run_time(),
        "policylint": __version__,
        "policy_set": report.policy_set.digest,
        "profile": report.options.profile,
        "policies": sorted(policy.id for policy in report.policies),
        "applicable": sorted(applicable),
    }
