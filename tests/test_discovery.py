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
