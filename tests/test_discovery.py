"""Which files a run checks, in which order."""

from __future__ import annotations

import os

import pytest

from policylint.discovery import DiscoveryError, discover


def names(candidates):
    return [(c.display, c.file_kind) for c in candidates]


def test_walk_sorts_and_skips(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for path in ["b.yaml", "a.yml", "Dockerfile", "api.Dockerfile", "notes.txt", ".git/x.yaml", "node_modules/m.yaml",
                 "vendor/v.yaml", ".hidden/h.yaml", ".github/workflows/ci.yml", "docker-compose.yml", "sub/c.json"]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x: 1\n")
    assert names(discover(["."])) == [
        (".github/workflows/ci.yml", "github-actions"),
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


def test_explicit_file_is_always_checked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "manifest.txt").write_text("a: 1\n")
    assert names(discover(["manifest.txt"])) == [("manifest.txt", "yaml")]


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
    from policylint.loaders import load_bytes

    monkeypatch.chdir(tmp_path)
    policy_like = b"id: compose-dev-mode\nmatch: {target: service}\nexamples:\n  fail:\n    - |\n      services: {}\n"
    result = load_bytes("compose-dev-mode.yaml", policy_like, "compose")
    assert not result.documents and not result.failures
    real = load_bytes("compose.prod.yaml", b"services:\n  web:\n    image: nginx:1.27\n", "compose")
    assert [doc.file_kind for doc in result.documents + real.documents] == ["compose"]
