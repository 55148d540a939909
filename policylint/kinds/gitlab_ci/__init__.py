"""GitLab CI: pipelines with their local includes merged, jobs after `extends:` and `!reference`."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from policylint.core.kinds import Kind

#: GitLab CI content: a top-level `stages:`, or jobs (bodies indented two to four columns) with both
#: `script:`/`extends:` and `stage:` (Helm values files may have a `script:` or a `workflow:` alone).
_GITLAB_STAGES = re.compile(r"^stages:", re.MULTILINE)
_GITLAB_JOB = re.compile(r"^[ \t]{2,4}(script|extends):", re.MULTILINE)
_GITLAB_STAGE = re.compile(r"^[ \t]{2,4}stage:", re.MULTILINE)


def _claims_name(path: PurePosixPath) -> bool:
    return path.name.lower().endswith((".gitlab-ci.yml", ".gitlab-ci.yaml"))


def _claims_content(text: str) -> bool:
    return not re.search(r"^(apiVersion|kind|services|jobs):", text, re.MULTILINE) and bool(
        _GITLAB_STAGES.search(text) or (_GITLAB_JOB.search(text) and _GITLAB_STAGE.search(text))
    )


KIND = Kind(
    name="gitlab-ci",
    package=__name__,
    domains={"gitlab": "gitlab-ci"},
    relations="relations",
    claims_name=_claims_name,
    claims_content=_claims_content,
    settle="loader:settle",
)
