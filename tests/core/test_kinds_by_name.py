"""A file's kind by its name (policylint.core.kinds.detect_by_name): answers cached by the name and
the folder names the kinds' claims read, so the order of questions never changes an answer."""

from __future__ import annotations

import pytest

import policylint.kinds  # noqa: F401  (registers the kinds)
from policylint.core import kinds
from policylint.core.kinds import NAME_PARTS, detect_by_name, kind_by_parts

PATHS = {
    ".github/workflows/ci.yml": "github-actions",
    "repo/.github/workflows/ci.yml": "github-actions",
    "/abs/.github/workflows/ci.yml": "github-actions",
    "workflows/ci.yml": "yaml",
    "ci.yml": "yaml",
    "x/workflows/ci.yml": "yaml",
    ".github/x/workflows/ci.yml": "yaml",
    ".github/workflows/sub/ci.yml": "yaml",
    ".github/dependabot.yml": "github-actions",
    "docs/dependabot.yml": "yaml",
    "dependabot.yml": "yaml",
    "a\\.github\\workflows\\w.yaml": "github-actions",  # detect_by_name reads "\\" as "/"
    "deploy/Dockerfile.prod": "dockerfile",
    "docker-compose.gitlab-ci.yml": "gitlab-ci",
    "compose.yaml": "compose",
    "README.md": None,
    "/": None,
    ".": None,
}


@pytest.mark.parametrize("order", [1, -1])
def test_answers_do_not_depend_on_what_was_asked_before(order: int) -> None:
    kinds._BY_NAME.clear()
    assert {path: detect_by_name(path) for path in list(PATHS)[::order]} == PATHS


def test_a_path_is_asked_by_its_last_parts() -> None:
    assert NAME_PARTS == 3
    assert kind_by_parts((".github", "workflows", "ci.yml")) == detect_by_name("deep/er/.github/workflows/ci.yml")
    assert kind_by_parts(("/", "workflows", "ci.yml")) == detect_by_name("/workflows/ci.yml") == "yaml"
    assert kind_by_parts(()) is None
