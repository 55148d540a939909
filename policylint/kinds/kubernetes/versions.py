"""Kubernetes versions: parsing `--kube-version` and finding the schemas kubernetes-validate ships.

The schema folder is located without importing kubernetes_validate (its import pulls in
jsonschema, referencing and packaging), so asking "which versions exist?" stays cheap.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.machinery import PathFinder
from pathlib import Path

KubeVersion = tuple[int, int]
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$")
_SCHEMA_DIR = re.compile(r"^v(\d+)\.(\d+)\.\d+-local-strict$")


class KubeVersionError(ValueError):
    """A `--kube-version` that is not MAJOR.MINOR."""


def parse_kube_version(text: str) -> KubeVersion:
    """`1.31`, `v1.31`, `1.31.2` → (1, 31)."""
    match = _VERSION.match(str(text).strip())
    if not match:
        raise KubeVersionError(f"invalid Kubernetes version {text!r} (expected MAJOR.MINOR, e.g. 1.31)")
    return int(match.group(1)), int(match.group(2))


def format_version(version: KubeVersion) -> str:
    """(1, 31) → `1.31`."""
    return f"{version[0]}.{version[1]}"


@lru_cache(maxsize=1)
def schema_root() -> Path | None:
    """The `kubernetes-json-schema` folder of the installed kubernetes-validate, or None."""
    spec = PathFinder.find_spec("kubernetes_validate")  # importlib.util would cost an import per start-up
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"
    return root if root.is_dir() else None


@lru_cache(maxsize=1)
def bundled_versions() -> tuple[KubeVersion, ...]:
    """Every Kubernetes version with strict schemas bundled, oldest first."""
    root = schema_root()
    if root is None:
        return ()
    found = []
    for entry in root.iterdir():
        match = _SCHEMA_DIR.match(entry.name)
        if match and entry.is_dir():
            found.append((int(match.group(1)), int(match.group(2))))
    return tuple(sorted(found))


#: Used when kubernetes-validate is missing, for the deprecation table only.
FALLBACK_VERSION: KubeVersion = (1, 34)


def target_version(requested: str | None) -> KubeVersion:
    """The version a run judges against: the one requested, else the newest bundled."""
    if requested:
        return parse_kube_version(requested)
    versions = bundled_versions()
    return versions[-1] if versions else FALLBACK_VERSION


def schema_version(target: KubeVersion) -> KubeVersion | None:
    """The bundled schema version closest to `target`: the newest not newer, else the oldest."""
    versions = bundled_versions()
    if not versions:
        return None
    older = [version for version in versions if version <= target]
    return older[-1] if older else versions[0]
