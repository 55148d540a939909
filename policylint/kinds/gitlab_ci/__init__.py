"""GitLab CI: pipelines with their local includes merged, jobs after `extends:` and `!reference`."""

from __future__ import annotations

import re

from policylint.core.kinds import Kind

#: GitLab CI content: a top-level `stages:`, or jobs (bodies indented two to four columns) with both
#: `script:`/`extends:` and `stage:` (Helm values files may have a `script:` or a `workflow:` alone).
#: As text: `re` compiles (and caches) each on first use, not at every start-up.
_GITLAB_STAGES = r"^stages:"
_GITLAB_JOB = r"^[ \t]{2,4}(script|extends):"
_GITLAB_STAGE = r"^[ \t]{2,4}stage:"


def _claims_name(parts: tuple[str, ...]) -> bool:
    return parts[-1].lower().endswith((".gitlab-ci.yml", ".gitlab-ci.yaml"))


def _claims_content(text: str) -> bool:
    return not re.search(r"^(apiVersion|kind|services|jobs):", text, re.MULTILINE) and bool(
        re.search(_GITLAB_STAGES, text, re.MULTILINE)
        or (re.search(_GITLAB_JOB, text, re.MULTILINE) and re.search(_GITLAB_STAGE, text, re.MULTILINE))
    )


KIND = Kind(
    name="gitlab-ci",
    package=__name__,
    domains={"gitlab": "gitlab-ci"},
    relations=("relations", "shell"),
    claims_name=_claims_name,
    claims_content=_claims_content,
    settle="loader:settle",
)
