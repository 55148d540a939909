"""docker-compose files: services, merged across `extends`, `include` and override files."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from pathlib import PurePosixPath

from policylint.core.kinds import YAML_SUFFIXES, Kind

_COMPOSE_NAMES = ("docker-compose*.y*ml", "compose*.y*ml")
_COMPOSE_CONTENT = re.compile(r"^services:\s*(#.*)?$", re.MULTILINE)
_CANONICAL_COMPOSE = re.compile(r"(docker-compose.*|compose(\..*)?)\.ya?ml$")
_COMPOSE_TOP_LEVEL = re.compile(r"^(services|include):", re.MULTILINE)


def _claims_name(path: PurePosixPath) -> bool:
    lowered = path.name.lower()
    return lowered.endswith(YAML_SUFFIXES) and any(fnmatchcase(lowered, pattern) for pattern in _COMPOSE_NAMES)


def _claims_content(text: str) -> bool:
    # `in` first: a multi-line pattern tried at every position costs more than the plain substring scan.
    return "services:" in text and bool(_COMPOSE_CONTENT.search(text)) and bool(
        re.search(r"^\s+(image|build):", text, re.MULTILINE)
    )


def _confirms(path: str, text: str) -> bool:
    """Canonical names (docker-compose*.yml, compose.yaml, compose.prod.yaml) are compose files
    whatever they hold; a looser `compose-*.yaml` name (a policy file, say) needs a top-level
    `services:` or `include:`, or the content decides."""
    return bool(_CANONICAL_COMPOSE.match(PurePosixPath(path).name.lower()) or _COMPOSE_TOP_LEVEL.search(text))


KIND = Kind(
    name="compose",
    package=__name__,
    domains={"compose": "compose"},
    relations="relations",
    claims_name=_claims_name,
    claims_content=_claims_content,
    confirms=_confirms,
)
