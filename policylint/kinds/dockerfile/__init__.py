"""Dockerfiles (and Containerfiles): instructions with their shell commands, as documents."""

from __future__ import annotations

import re

from policylint.core.kinds import Kind

#: `Dockerfile.<suffix>` names that are source or data files about Dockerfiles, not Dockerfiles.
_NOT_DOCKERFILE_SUFFIXES = frozenset(
    {
        "py", "pyc", "pyi", "go", "rs", "js", "mjs", "ts", "java", "kt", "rb", "php", "c", "h", "cc", "cpp",
        "cs", "swift", "sh", "bash", "ps1", "md", "rst", "txt", "adoc", "html", "json", "yaml", "yml", "toml",
        "ini", "cfg", "lock", "orig", "bak", "swp", "tmp", "dockerignore",
    }
)


def is_dockerfile_name(name: str) -> bool:
    """True for `Dockerfile`, `Dockerfile.<variant>`, `<name>.Dockerfile`, `Containerfile` and kin.

    `Dockerfile.prod` is a Dockerfile; `dockerfile.py` or `Dockerfile.md` is not (the variant
    prefix is matched with its capital, as Docker's own tooling names it, and code or document
    suffixes are excluded).
    """
    lowered = name.lower()
    if lowered in ("dockerfile", "containerfile") or lowered.endswith((".dockerfile", ".containerfile")):
        return True
    if name.startswith(("Dockerfile.", "Containerfile.")):
        return name.rsplit(".", 1)[-1].lower() not in _NOT_DOCKERFILE_SUFFIXES
    return False


def _claims_name(parts: tuple[str, ...]) -> bool:
    return is_dockerfile_name(parts[-1])


def _claims_content(text: str) -> bool:
    """A Dockerfile of another name: its first instruction (after comments) is FROM."""
    return text.lstrip().startswith("FROM ") or re.match(r"(?:#.*\n)*\s*FROM\s", text) is not None


KIND = Kind(
    name="dockerfile",
    package=__name__,
    domains={"docker": "dockerfile"},
    relations=("shell",),
    claims_name=_claims_name,
    claims_content=_claims_content,
)
