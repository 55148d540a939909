"""GitHub Actions: workflows, composite and Docker actions, and the repository's dependabot file."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from policylint.core.kinds import YAML_SUFFIXES, Kind

#: As text: compiled (and cached by `re`) the first time a YAML file says `jobs:`.
_WORKFLOW_CONTENT = r"^jobs:\s*(#.*)?$"


def _claims_name(path: PurePosixPath) -> bool:
    lowered = path.name.lower()
    if not lowered.endswith(YAML_SUFFIXES):
        return False
    parts = path.parts
    if len(parts) >= 3 and parts[-3] == ".github" and parts[-2] == "workflows":
        return True
    if lowered in ("action.yml", "action.yaml"):
        return True
    # The repository's dependabot file: a fact for gha-dependency-audit-missing.
    return len(parts) >= 2 and parts[-2] == ".github" and lowered in ("dependabot.yml", "dependabot.yaml")


def _claims_content(text: str) -> bool:
    return "jobs:" in text and bool(re.search(_WORKFLOW_CONTENT, text, re.MULTILINE)) and bool(
        re.search(r"^(on|\"on\"|'on'|true):", text, re.MULTILINE)
    )


KIND = Kind(
    name="github-actions",
    package=__name__,
    domains={"gha": "github-actions"},
    relations=("relations", "shell"),
    claims_name=_claims_name,
    claims_content=_claims_content,
)
