"""Loaders: turn the text of one file into documents with positions.

Each file kind has one module with a `load(path, text) -> LoadResult` function. The registry is an
explicit dict of module names, imported on first use, so start-up pays only for what it reads.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from typing import Protocol

from policylint.documents import LoadResult, ParseFailure

#: Files larger than this are reported as a parse-error instead of being read into memory.
MAX_FILE_BYTES = 64 * 1024 * 1024

LOADER_MODULES: dict[str, str] = {
    "kubernetes": "policylint.loaders.kubernetes",
    "dockerfile": "policylint.loaders.dockerfile",
    "compose": "policylint.loaders.compose",
    "github-actions": "policylint.loaders.github_actions",
    "gitlab-ci": "policylint.loaders.gitlab_ci",
}

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)

_COMPOSE_NAMES = ("docker-compose*.y*ml", "compose*.y*ml")
_COMPOSE_CONTENT = re.compile(r"^services:\s*(#.*)?$", re.MULTILINE)
_CANONICAL_COMPOSE = re.compile(r"(docker-compose.*|compose(\..*)?)\.ya?ml$")
_COMPOSE_TOP_LEVEL = re.compile(r"^(services|include):", re.MULTILINE)
_WORKFLOW_CONTENT = re.compile(r"^jobs:\s*(#.*)?$", re.MULTILINE)
#: GitLab CI content: a top-level `stages:`, or jobs (bodies indented two to four columns) with both
#: `script:`/`extends:` and `stage:` (Helm values files may have a `script:` or a `workflow:` alone).
_GITLAB_STAGES = re.compile(r"^stages:", re.MULTILINE)
_GITLAB_JOB = re.compile(r"^[ \t]{2,4}(script|extends):", re.MULTILINE)
_GITLAB_STAGE = re.compile(r"^[ \t]{2,4}stage:", re.MULTILINE)


class Loader(Protocol):
    """What every loader module provides."""

    def __call__(self, path: str, text: str) -> LoadResult:
        """Parse `text` (the content of `path`) into documents, failures and skip notices."""
        ...


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


def detect_by_name(path: str) -> str | None:
    """The file kind implied by a path alone, or None when its content must decide.

    Returns "yaml" for YAML/JSON files whose kind the content decides.
    """
    pure = PurePosixPath(path.replace("\\", "/"))
    name = pure.name
    if is_dockerfile_name(name):
        return "dockerfile"
    lowered = name.lower()
    if not lowered.endswith(YAML_SUFFIXES + JSON_SUFFIXES):
        return None
    parts = pure.parts
    if lowered.endswith(YAML_SUFFIXES):
        if lowered.endswith((".gitlab-ci.yml", ".gitlab-ci.yaml")):
            return "gitlab-ci"
        if len(parts) >= 3 and parts[-3] == ".github" and parts[-2] == "workflows":
            return "github-actions"
        if lowered in ("action.yml", "action.yaml"):
            return "github-actions"
        if len(parts) >= 2 and parts[-2] == ".github" and lowered in ("dependabot.yml", "dependabot.yaml"):
            return "github-actions"  # repository fact for gha-dependency-audit-missing
        if any(fnmatchcase(lowered, pattern) for pattern in _COMPOSE_NAMES):
            return "compose"
    return "yaml"


def detect_by_content(text: str) -> str:
    """Choose between Kubernetes, compose, GitHub Actions and GitLab CI for YAML of unknown name."""
    # `in` first: a multi-line pattern tried at every position costs more than the plain substring scan.
    if "services:" in text and _COMPOSE_CONTENT.search(text) and re.search(r"^\s+(image|build):", text, re.MULTILINE):
        return "compose"
    if "jobs:" in text and _WORKFLOW_CONTENT.search(text) and re.search(r"^(on|\"on\"|'on'|true):", text, re.MULTILINE):
        return "github-actions"
    if text.lstrip().startswith("FROM ") or re.match(r"(?:#.*\n)*\s*FROM\s", text):
        return "dockerfile"
    if not re.search(r"^(apiVersion|kind|services|jobs):", text, re.MULTILINE) and (
        _GITLAB_STAGES.search(text) or (_GITLAB_JOB.search(text) and _GITLAB_STAGE.search(text))
    ):
        return "gitlab-ci"
    return "kubernetes"


def loader_for(file_kind: str) -> Callable[[str, str], LoadResult] | None:
    """The loader of a file kind, or None when that kind has no loader yet."""
    module_name = LOADER_MODULES.get(file_kind)
    if module_name is None:
        return None
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    load: Callable[[str, str], LoadResult] = module.load
    return load


def decode(path: str, file_kind: str, raw: bytes) -> str | ParseFailure:
    """Decode file bytes as UTF-8 (a BOM is dropped); binary or non-UTF-8 content fails clearly."""
    if b"\x00" in raw[:8192]:
        return ParseFailure(path, file_kind, 1, 1, "binary content (NUL byte): not a text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return ParseFailure(path, file_kind, line, column, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def load_text(path: str, text: str, file_kind: str) -> LoadResult:
    """Run the loader for `file_kind` ("yaml" means: decide from the content)."""
    if file_kind == "yaml" or (
        file_kind == "compose" and not _CANONICAL_COMPOSE.match(PurePosixPath(path).name.lower())
        and not _COMPOSE_TOP_LEVEL.search(text)
    ):
        # Canonical names (docker-compose*.yml, compose.yaml, compose.prod.yaml) are compose files
        # whatever they hold; a looser `compose-*.yaml` name (a policy file, say) needs a top-level
        # `services:` or `include:`, or the content decides.
        file_kind = detect_by_content(text)
    load = loader_for(file_kind)
    result = LoadResult()
    if load is None:
        return result
    try:
        result = load(path, text)
    except RecursionError:
        result = LoadResult()
        result.failures.append(ParseFailure(path, file_kind, 1, 1, "content nested too deeply"))
    except Exception as exc:  # a loader bug must become a finding, never a traceback
        result = LoadResult()
        result.failures.append(
            ParseFailure(path, file_kind, 1, 1, f"internal error in the {file_kind} loader: {type(exc).__name__}: {exc}")
        )
    # Kept for suppression comments only: a text without the word holds none (saves its memory).
    result.sources[path] = text if "policylint" in text else ""
    return result


def load_bytes(path: str, raw: bytes, file_kind: str) -> LoadResult:
    """Decode and load one file's bytes."""
    if len(raw) > MAX_FILE_BYTES:
        result = LoadResult()
        result.failures.append(
            ParseFailure(path, file_kind, 1, 1, f"file larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        )
        return result
    decoded = decode(path, "kubernetes" if file_kind == "yaml" else file_kind, raw)
    if isinstance(decoded, ParseFailure):
        result = LoadResult()
        result.failures.append(decoded)
        return result
    return load_text(path, decoded, file_kind)
