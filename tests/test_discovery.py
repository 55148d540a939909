"""Which files a run checks, in which order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from policylint.core.files import DiscoveryError
from policylint.discovery import discover


def names(candidates):
    return [(c.display, c.file_kind) for c in candidates]


def test_walk_sorts_and_skips(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for path in ["b.yaml", "a.yml", "Dockerfile", "api.Dockerfile", "notes.txt", ".git/x.yaml", "node_modules/m.yaml",
                 "vendor/v.yaml", ".hidden/h.yaml", ".github/workflows/ci.yml", "docker-compose.yml", "sub/c.json",
                 ".venv/lib/x.yaml", ".terraform/modules/m.yaml", ".mypy_cache/c.json"]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x: 1\n")
    assert names(discover(["."])) == [
        (".github/workflows/ci.yml", "github-actions"),
        (".hidden/h.yaml", "yaml"),
        ("Dockerfile", "dockerfile"),
        ("a.yml", "yaml"),
        ("api.Dockerfile", "dockerfile"),
        ("b.yaml", "yaml"),
        ("docker-compose.yml", "compose"),
        ("sub/c.json", "yaml"),
    ]


def test_symlink_loop_terminates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "m.yaml").write_text("a: 1\n")
    os.symlink(tmp_path / "d", tmp_path / "d" / "loop")
    assert names(discover(["d"])) == [("d/m.yaml", "yaml")]


def test_explicit_file_of_no_known_kind_is_skipped_with_a_notice(tmp_path, monkeypatch):
    """`git diff --name-only | xargs policylint check` names READMEs and scripts too (issue 26, item 9)."""
    from policylint.discovery import UNKNOWN_KIND_NOTICE

    monkeypatch.chdir(tmp_path)
    (tmp_path / "manifest.txt").write_text("a: 1\n")
    (tmp_path / "deploy.yaml").write_text("a: 1\n")
    notices: list = []
    assert names(discover(["manifest.txt", "deploy.yaml"], refused=notices)) == [("deploy.yaml", "yaml")]
    assert [(item.path, item.reason) for item in notices] == [("manifest.txt", UNKNOWN_KIND_NOTICE)]


def test_missing_path_raises(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DiscoveryError, match=r"nope\.yaml"):
        discover(["nope.yaml"])


def test_excludes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for path in ["charts/x/a.yaml", "legacy/b.yaml", "k8s/c.yaml"]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("a: 1\n")
    assert names(discover(["."], excludes=["charts/**", "legacy/*.yaml"])) == [("k8s/c.yaml", "yaml")]


def test_source_files_named_after_dockerfiles_are_not_dockerfiles(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for path in ["Dockerfile.prod", "dockerfile.py", "Dockerfile.md", "build.Dockerfile", "Containerfile.ci"]:
        (tmp_path / path).write_text("FROM scratch\n")
    assert names(discover(["."])) == [
        ("Containerfile.ci", "dockerfile"),
        ("Dockerfile.prod", "dockerfile"),
        ("build.Dockerfile", "dockerfile"),
    ]


def test_compose_like_name_without_services_is_judged_by_content(tmp_path, monkeypatch):
    from policylint.core.loading import load_bytes

    monkeypatch.chdir(tmp_path)
    policy_like = b"id: compose-dev-mode\nmatch: {target: service}\nexamples:\n  fail:\n    - |\n      services: {}\n"
    result = load_bytes("compose-dev-mode.yaml", policy_like, "compose")
    assert not result.documents and not result.failures
    real = load_bytes("compose.prod.yaml", b"services:\n  web:\n    image: nginx:1.27\n", "compose")
    assert [doc.file_kind for doc in result.documents + real.documents] == ["compose"]


def _repository(root):
    files = {
        ".devcontainer/Dockerfile": "FROM python:latest\n",
        ".deploy/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n",
        "build/out.yaml": "x: 1\n",
        "node_modules/pkg/chart.yaml": "x: 1\n",
        "services/api/generated/api.yaml": "x: 1\n",
        "services/api/deploy.yaml": "x: 1\n",
        "logs/keep.yaml": "x: 1\n",
        "logs/drop.yaml": "x: 1\n",
        "local.yaml": "x: 1\n",
        ".gitignore": "build/\nlogs/*\n!logs/keep.yaml\n",
        "services/.gitignore": "generated/\n",
        ".git/info/exclude": "local.yaml\n",
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)


def test_repository_walk_checks_dot_folders_and_respects_gitignore(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _repository(tmp_path)
    assert [c.display for c in discover(["."])] == [
        ".deploy/app.yaml", ".devcontainer/Dockerfile", "logs/keep.yaml", "services/api/deploy.yaml",
    ]
    # Walking a sub-folder still obeys the ignore files above it.
    assert [c.display for c in discover(["services"])] == ["services/api/deploy.yaml"]
    # --no-respect-gitignore walks everything but the fixed list (node_modules stays out).
    assert [c.display for c in discover(["."], respect_gitignore=False)] == [
        ".deploy/app.yaml", ".devcontainer/Dockerfile", "build/out.yaml", "local.yaml", "logs/drop.yaml",
        "logs/keep.yaml", "services/api/deploy.yaml", "services/api/generated/api.yaml",
    ]
    # A file named on the command line is always checked, ignored or not.
    assert [c.display for c in discover(["build/out.yaml", "node_modules/pkg/chart.yaml"])] == [
        "build/out.yaml", "node_modules/pkg/chart.yaml",
    ]


def test_repository_run_checks_devcontainer_and_deploy_folder(tmp_path, run_json):
    _repository(tmp_path)
    (tmp_path / "build" / "Dockerfile").write_text("FROM python:latest\n")
    code, report = run_json("--select", "docker-image-tag-latest,k8s-default-namespace", ".", cwd=tmp_path)
    paths = sorted({finding["path"] for finding in report["findings"]})
    assert paths == [".deploy/app.yaml", ".devcontainer/Dockerfile"]
    assert code == 1


def _spelled_layout(root):
    """Files whose display names take care: a "..x" name, a workflow, nested ignore files, a link."""
    for path in ["app/deploy.yaml", "app/..odd.yaml", "..top.yaml", ".github/workflows/ci.yml",
                 "app/.github/dependabot.yml", "app/sub/Dockerfile", "app/sub/drop.yaml", "app/sub/keep.yaml",
                 "notes/readme.md", "build/out.yaml"]:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("x: 1\n")
    (root / ".git").mkdir()
    (root / ".gitignore").write_text("build/\n*.md\n")
    (root / "app" / "sub" / ".gitignore").write_text("*.yaml\n!keep.yaml\n")
    os.symlink(root / "app" / "deploy.yaml", root / "app" / "linked.yaml")


@pytest.mark.parametrize(("where", "paths"), [
    (".", ["."]), (".", ["./app", "app/sub/"]), ("app", [".."]), ("app/sub", ["../..", "."]), ("app", ["{root}"]),
    ("notes", ["../app"]),
])
def test_walked_files_are_named_as_display_path_and_kinded_as_detect_by_name_say(tmp_path, monkeypatch, where, paths):
    """The walk spells names and kinds once per folder; each must be what the per-file functions give."""
    from policylint.core.files import display_path
    from policylint.core.kinds import detect_by_name

    _spelled_layout(tmp_path)
    monkeypatch.chdir(tmp_path / where)
    found = discover([path.format(root=tmp_path) for path in paths])
    assert found
    for candidate in found:
        assert candidate.display == display_path(candidate.disk)
        assert candidate.file_kind == detect_by_name(str(candidate.disk))
    names = {Path(candidate.display).name for candidate in found}
    assert "drop.yaml" not in names and "out.yaml" not in names and "keep.yaml" in names


def test_display_names_below_and_outside_the_working_folder(tmp_path, monkeypatch):
    _spelled_layout(tmp_path)
    monkeypatch.chdir(tmp_path / "app")
    # os.path.relpath gives "..odd.yaml" a leading "..": display_path spells such a file as it was found
    assert [c.display for c in discover([".."])] == [
        "../..top.yaml", "../.github/workflows/ci.yml", "../app/..odd.yaml", ".github/dependabot.yml", "deploy.yaml",
        "linked.yaml", "sub/Dockerfile", "sub/keep.yaml"]
    assert [c.display for c in discover(["."])][:2] == ["..odd.yaml", ".github/dependabot.yml"]
    assert [c.display for c in discover([str(tmp_path / "app")])] == sorted([
        f"{tmp_path}/app/..odd.yaml", ".github/dependabot.yml", "deploy.yaml", "linked.yaml", "sub/Dockerfile",
        "sub/keep.yaml"])


def test_one_expression_of_an_ignore_files_patterns_answers_as_pathspec(tmp_path):
    """The pre-check may only say "no pattern matches" when pathspec would give no answer."""
    from policylint.discovery import _spec

    patterns = ["*.pyc", "/build", "docs/**/x", "!keep.txt", "foo/", "**/bar", "a?b[0-9]", "\\#x", "# comment", "",
                "x/**", "(?P<ps_d>odd", "[(]?P<y", "!/build/keep/", "*.Y*ML", "tests/*.yaml"]
    (tmp_path / ".gitignore").write_text("\n".join(patterns) + "\n")
    ignore = _spec(tmp_path / ".gitignore")
    assert ignore is not None and ignore.any is not None
    paths = ["a.pyc", "src/a.pyc", "build", "build/", "build/keep/", "src/build", "docs/x", "docs/a/b/x", "keep.txt",
             "foo", "foo/", "a/foo/", "bar", "a/bar/", "axb1", "#x", "x/", "x/y", "(?P<ps_d>odd", "(?P<y", "A.YML",
             "tests/t.yaml", "a/tests/t.yaml", "..x", "./a.pyc", "plain.yaml", "deep/er/plain.yaml"]
    answers = [(path, ignore.include(path)) for path in paths]
    assert answers == [(path, ignore.spec.check_file(path).include) for path in paths]
    assert {include for _, include in answers} == {True, False, None}


def test_excludes_are_relative_to_their_base_wherever_the_run_starts(tmp_path, monkeypatch):
    from policylint.discovery import Excludes

    (tmp_path / "svc" / "legacy").mkdir(parents=True)
    (tmp_path / "svc" / "legacy" / "a.yaml").write_text("x: 1\n")
    (tmp_path / "svc" / "b.yaml").write_text("x: 1\n")
    excludes = Excludes([(str(tmp_path), ["/svc/legacy/", "b.yaml"]), (str(tmp_path / "svc" / "legacy"), ["/a.yaml"])])
    monkeypatch.chdir(tmp_path / "svc")  # below the first base, above the second
    assert [excludes.match(path) for path in ("legacy/a.yaml", "b.yaml", "c.yaml", "../svc/b.yaml")] == [
        True, True, False, True]
    only_second = Excludes([(str(tmp_path / "svc" / "legacy"), ["/a.yaml"])])
    assert [only_second.match(path) for path in ("legacy/a.yaml", "a.yaml", "b.yaml")] == [True, False, False]
    assert discover(["."], excludes) == []
