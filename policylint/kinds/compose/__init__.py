"""docker-compose files: services, merged across `extends`, `include` and override files."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from pathlib import PurePosixPath

from policylint.core.kinds import YAML_SUFFIXES, Kind

_COMPOSE_NAMES = ("docker-compose*.y*ml", "compose*.y*ml")
# Patterns as text: `re` compiles (and caches) each on first use, so a run that never meets a
# compose-like file never pays for them at start-up.
_COMPOSE_CONTENT = r"^services:\s*(#.*)?$"
_CANONICAL_COMPOSE = r"(docker-compose.*|compose(\..*)?)\.ya?ml$"
_COMPOSE_TOP_LEVEL = r"^(services|include):"


def _claims_name(parts: tuple[str, ...]) -> bool:
    lowered = parts[-1].lower()
    return lowered.endswith(YAML_SUFFIXES) and any(fnmatchcase(lowered, pattern) for pattern in _COMPOSE_NAMES)


def _claims_content(text: str) -> bool:
    # `in` first: a multi-line pattern tried at every position costs more than the plain substring scan.
    return "services:" in text and bool(re.search(_COMPOSE_CONTENT, text, re.MULTILINE)) and bool(
        re.search(r"^\s+(image|build):", text, re.MULTILINE)
    )


def _confirms(path: str, text: str) -> bool:
    """Canonical names (docker-compose*.yml, compose.yaml, compose.prod.yaml) are compose files
    whatever they hold; a looser `compose-*.yaml` name (a policy file, say) needs a top-level
    `services:` or `include:`, or the content decides."""
    return bool(re.match(_CANONICAL_COMPOSE, PurePosixPath(path).name.lower()) or re.search(_COMPOSE_TOP_LEVEL, text, re.MULTILINE))


KIND = Kind(
    name="compose",
    package=__name__,
    domains={"compose": "compose"},
    relations="relations",
    claims_name=_claims_name,
    claims_content=_claims_content,
    confirms=_confirms,
)
