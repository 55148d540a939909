"""GitHub Actions: workflows, composite and Docker actions, and the repository's dependabot and Renovate files."""

from __future__ import annotations

import re

from policylint.core.kinds import YAML_SUFFIXES, Kind

#: As text: compiled (and cached by `re`) the first time a YAML file says `jobs:`.
_WORKFLOW_CONTENT = r"^jobs:\s*(#.*)?$"


#: Renovate's configuration (policylint.kinds.github_actions.loader.RENOVATE_NAMES): a repository
#: fact for gha-dependency-audit-missing, like the dependabot file.
_RENOVATE = frozenset({"renovate.json", "renovate.json5", ".renovaterc", ".renovaterc.json", ".renovaterc.json5"})


def _claims_name(parts: tuple[str, ...]) -> bool:
    lowered = parts[-1].lower()
    if lowered in _RENOVATE:
        return True
    if not lowered.endswith(YAML_SUFFIXES):
        return False
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
    name_folders=(".github", "workflows"),
    claims_content=_claims_content,
)
