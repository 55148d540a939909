"""The built-in policy cache is keyed by stat data only, and still misses whenever a policy file changes.

A start reads one cache entry; the files are read and hashed only when that entry misses. These
tests use a copy of a few built-in policies as the built-in folder and a private cache folder.
"""

from __future__ import annotations

import os
import shutil
import time
from hashlib import sha256
from pathlib import Path

import pytest

from policylint.catalog import load_policies
from policylint.core import policies as policies_module
from policylint.core.policies import builtin_policy_dir, policy_files

PICKED = ("k8s-host-port", "k8s-privileged-container", "docker-user-root")


@pytest.fixture
def builtin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small built-in folder (copies of real policies) and an empty private cache."""
    folder = tmp_path / "builtin"
    for path in policy_files(builtin_policy_dir()):
        if path.stem in PICKED:
            target = folder / path.relative_to(builtin_policy_dir())
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    assert len(policy_files(folder)) == len(PICKED)
    monkeypatch.setattr(policies_module, "builtin_policy_dir", lambda: folder)
    monkeypatch.setenv("POLICYLINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("POLICYLINT_NO_CACHE", raising=False)
    return folder


def _content_hash(*folders: Path) -> str:
    """The policy_set formula of reports: every file's name and text, built-in folder first."""
    digest = sha256()
    for folder in folders:
        for path in policy_files(folder):
            digest.update(path.name.encode())
            digest.update(path.read_text(encoding="utf-8").encode())
    return digest.hexdigest()[:16]


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    parsed: list[Path] = []
    original = policies_module.policy_data

    def counting(source: Path, text: str, validate: bool = True) -> dict:
        parsed.append(source)
        return original(source, text, validate)

    monkeypatch.setattr(policies_module, "policy_data", counting)
    return parsed


def _policy(folder: Path, policy_id: str) -> Path:
    return next(path for path in policy_files(folder) if path.stem == policy_id)


def test_second_start_reads_no_policy_file(builtin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_policies()
    parsed = _count_parses(monkeypatch)
    monkeypatch.setattr(policies_module, "read_policy", lambda path: pytest.fail(f"read {path}"))
    second = load_policies()
    assert parsed == []
    assert first.digest == second.digest == _content_hash(builtin)
    assert sorted(second.policies) == sorted(PICKED)
    assert [p.raw for p in second] == [p.raw for p in first]


def test_changed_size_invalidates(builtin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = load_policies()
    path = _policy(builtin, "k8s-privileged-container")
    stat = path.stat()
    path.write_text(path.read_text().replace("title: ", "title: Edited ", 1))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime: the size alone must tell
    parsed = _count_parses(monkeypatch)
    after = load_policies()
    assert len(parsed) == len(PICKED)
    assert after.policies["k8s-privileged-container"].title.startswith("Edited ")
    assert after.digest == _content_hash(builtin) != before.digest


def test_changed_mtime_same_size_invalidates(builtin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = load_policies()
    path = _policy(builtin, "k8s-privileged-container")
    text = path.read_text()
    # same length, other content: swap the first two characters of the title
    title_start = text.index("title: ") + len("title: ")
    same_size = text[:title_start] + text[title_start + 1] + text[title_start] + text[title_start + 2:]
    assert len(same_size.encode()) == len(text.encode()) and same_size != text
    stat = path.stat()
    path.write_text(same_size)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    parsed = _count_parses(monkeypatch)
    after = load_policies()
    assert len(parsed) == len(PICKED)
    assert after.policies["k8s-privileged-container"].title == same_size.split("title: ", 1)[1].splitlines()[0]
    assert after.digest == _content_hash(builtin) != before.digest


def test_same_size_with_the_old_mtime_put_back_invalidates(builtin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Restoring the modification time (cp -p, tar) cannot hide an edit: the change time moves."""
    load_policies()
    path = _policy(builtin, "docker-user-root")
    text = path.read_text()
    title_start = text.index("title: ") + len("title: ")
    same_size = text[:title_start] + text[title_start + 1] + text[title_start] + text[title_start + 2:]
    stat = path.stat()
    time.sleep(0.05)  # past the file system's timestamp granularity
    path.write_text(same_size)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    after = load_policies()
    assert after.policies["docker-user-root"].title == same_size.split("title: ", 1)[1].splitlines()[0]
    assert after.digest == _content_hash(builtin)


def test_added_and_removed_files_invalidate(builtin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = load_policies()
    extra = next(path for path in policy_files(builtin_policy_dir()) if path.stem == "k8s-host-namespace")
    target = builtin / extra.relative_to(builtin_policy_dir())
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(extra, target)
    added = load_policies()
    assert "k8s-host-namespace" in added.policies
    assert added.digest == _content_hash(builtin) != before.digest
    target.unlink()
    removed = load_policies()
    assert "k8s-host-namespace" not in removed.policies
    assert removed.digest == before.digest


def test_user_folder_changes_are_seen_and_hashed_after_builtins(builtin: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    own = tmp_path / "own"
    own.mkdir()
    source = _policy(builtin, "k8s-host-port").read_text()
    load_policies()  # fills the cache
    assert load_policies([own]).digest == _content_hash(builtin, own)
    (own / "k8s-own-check.yaml").write_text(source.replace("id: k8s-host-port", "id: k8s-own-check"))
    added = load_policies([own])
    assert "k8s-own-check" in added.policies
    assert added.digest == _content_hash(builtin, own)
    (own / "k8s-own-check.yaml").write_text(source.replace("id: k8s-host-port", "id: k8s-own-check")
                                            .replace("title: ", "title: Mine ", 1))
    changed = load_policies([own])
    assert changed.policies["k8s-own-check"].title.startswith("Mine ")
    assert changed.digest == _content_hash(builtin, own) != added.digest
    (own / "k8s-own-check.yaml").unlink()
    assert "k8s-own-check" not in load_policies([own]).policies
    assert load_policies([own]).digest == load_policies().digest == _content_hash(builtin)


def test_cached_policies_without_params_equal_the_substituted_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files that never say `$param` skip the substitution walk; the result must not differ."""
    monkeypatch.setenv("POLICYLINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("POLICYLINT_NO_CACHE", raising=False)
    load_policies()
    cached = list(load_policies())
    walked = [policy.with_params({}) for policy in cached]
    assert len(cached) > 50
    for fast, slow in zip(cached, walked, strict=True):
        assert (fast.condition, fast.when, fast.severity_when, fast.params) == \
            (slow.condition, slow.when, slow.severity_when, slow.params), fast.id
    assert any(policy.params for policy in cached)  # some policies do take the walk


def test_with_user_folders_built_in_texts_are_read_only_when_a_report_needs_the_hash(
        builtin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "k8s-own-check.yaml").write_text(
        _policy(builtin, "k8s-host-port").read_text().replace("id: k8s-host-port", "id: k8s-own-check"))
    load_policies()  # fills the cache
    read: list[Path] = []
    original = policies_module.read_policy

    def counting(path: Path) -> str:
        read.append(path)
        return original(path)

    monkeypatch.setattr(policies_module, "read_policy", counting)
    loaded = load_policies([own])
    assert read == [own / "k8s-own-check.yaml"]  # the user file only
    assert loaded.digest == _content_hash(builtin, own)
    assert sorted(read[1:]) == sorted(policy_files(builtin))  # the built-in texts, for the hash
    assert loaded.digest == _content_hash(builtin, own)  # computed once
    assert len(read) == 1 + len(PICKED)


def test_policy_files_lists_what_a_sorted_glob_lists(tmp_path):
    """The os.walk listing keeps the order and the skips of sorted(rglob) (frameworks/, profiles.yaml)."""
    for relative in ("a.yaml", "a-b/c.yml", "a/b.yaml", "a.b/x.yaml", "frameworks/cis.yaml", "frameworks/sub/kept.yaml",
                     "profiles.yaml", "z/frameworks.yaml", "notes.txt", ".hidden.yaml"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x: 1\n")
    globbed = sorted(
        path for pattern in ("*.yaml", "*.yml") for path in tmp_path.rglob(pattern)
        if path.parent.name != "frameworks" and path.name not in ("profiles.yaml", "frameworks.yaml")
    )
    assert policy_files(tmp_path) == globbed
    assert [path.relative_to(tmp_path).as_posix() for path in policy_files(tmp_path)] == [
        ".hidden.yaml", "a/b.yaml", "a-b/c.yml", "a.b/x.yaml", "a.yaml", "frameworks/sub/kept.yaml",
    ]  # by path parts, as Path orders them: "a/b.yaml" before "a-b/...", unlike a plain string sort
