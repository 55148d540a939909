"""Whether a run's files may hold a Helm chart or a kustomization, decided from their names.

Why a module of its own: `policylint.kinds.kubernetes.helm` and `policylint.kinds.kubernetes.kustomize` cost several milliseconds to
import, and a pre-commit run on plain manifests needs neither. The runner asks these name tests
first and imports the renderers only when a file may belong to a chart or is a kustomization; the
renderers use the same tests, so both paths decide alike.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CHART_FILE = "Chart.yaml"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
#: Fields of a kustomization that name files or folders of its build (scope and kustomization read them).
RESOURCE_FIELDS = ("resources", "bases", "components", "crds")


def may_be_chart_file(candidate: Any) -> bool:
    """True when a discovered YAML file could be part of a chart (its Chart.yaml, a template, values)."""
    parts = candidate.display.split("/")
    return candidate.file_kind == "yaml" and (parts[-1] == CHART_FILE or "templates" in parts[:-1]
                                             or parts[-1].startswith("values") or "ci" in parts[:-1])


def is_chart_helper(display: str) -> bool:
    """True for a chart's helper template (`templates/_helpers.tpl`): named alone (pre-commit passes
    it when only the helper changed), it re-renders its chart."""
    parts = display.split("/")
    return parts[-1].endswith(".tpl") and "templates" in parts[:-1]


def is_kustomization(path: str | Path) -> bool:
    """True for a kustomization file name (asked of every discovered file: no Path is made for a str)."""
    name = path.name if isinstance(path, Path) else os.path.basename(path)
    return name in KUSTOMIZATION_FILES


def may_hold_chart(candidates: Iterable[Any]) -> bool:
    """True when one of the files on disk may belong to a chart (policylint.kinds.kubernetes.helm must look)."""
    return any(candidate.disk is not None and may_be_chart_file(candidate) for candidate in candidates)


def holds_kustomization(candidates: Iterable[Any]) -> bool:
    """True when one of the files on disk is a kustomization (policylint.kinds.kubernetes.kustomize must look)."""
    return any(candidate.disk is not None and is_kustomization(candidate.disk) for candidate in candidates)
