"""Test data is left out of walks by default (policylint.testdata), and said so on stderr."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from policylint.cli import main
from policylint.discovery import discover
from policylint.testdata import is_test_data

ROOT = Path(__file__).resolve().parents[1]
POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: a, image: nginx}]}\n"

TEST_DATA = ["testdata/pod.yaml", "kio/testdata2/a.yaml", "x/testdata-v1/a.yaml",
             "pkg/test-data/x.yaml", "web/__tests__/a.yaml", "ui/__fixtures__/a.yaml",
             "ui/__snapshots__/a.yaml", "fixtures/a.yaml", "test/a.yaml", "tests/k8s/a.yaml", "e2e-tests/a.yaml",
             ".chainsaw-test/a.yaml", "test-infra/job.yaml", "integration_tests/x.yaml", "Tests/x.yaml",
             "charts/web/tests/values.yaml", "out/deploy.golden", "out/deploy.golden.yaml", "out/deploy.snap"]
NOT_TEST_DATA = ["examples/pod.yaml", "samples/pod.yaml", "charts/web/templates/tests/test-connection.yaml",
                 "latest/pod.yaml", "contest/a.yaml", "attestation/a.yaml", "testing/a.yaml", "k8s/test.yaml",
                 "deploy/tests.yaml", "my-test-app/a.yaml", "golden/a.yaml",
                 "testdatabase/a.yaml"]


@pytest.mark.parametrize("path", TEST_DATA)
def test_test_data_shapes(path):
    assert is_test_data(path.split("/"))


@pytest.mark.parametrize("path", NOT_TEST_DATA)
def test_not_test_data(path):
    assert not is_test_data(path.split("/"))


@pytest.mark.parametrize("path", TEST_DATA + NOT_TEST_DATA)
def test_pre_commit_hooks_exclude_the_same_files(path):
    """Pre-commit names files one by one (always checked), so the hooks' `exclude` must agree with the walk."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    for hook in hooks:
        assert bool(re.search(hook["exclude"], path)) == is_test_data(path.split("/")), hook["id"]


def make_tree(root: Path) -> None:
    for path in ("app/pod.yaml", "tests/pod.yaml", "app/testdata/pod.yaml", "examples/pod.yaml"):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(POD)


def test_discover_collects_test_data_when_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_tree(tmp_path)
    skipped: list[str] = []
    found = [c.display for c in discover(["."], test_data=skipped)]
    assert found == ["app/pod.yaml", "examples/pod.yaml"]
    assert skipped == ["app/testdata/pod.yaml", "tests/pod.yaml"]
    assert len(discover(["."])) == 4  # without a list, nothing is left out


def test_only_parts_below_the_given_path_count(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_tree(tmp_path)
    skipped: list[str] = []
    assert [c.display for c in discover(["tests"], test_data=skipped)] == ["tests/pod.yaml"]
    assert [c.display for c in discover(["app/testdata/pod.yaml"], test_data=skipped)] == ["app/testdata/pod.yaml"]
    assert skipped == []


def run(args, capsys):
    code = main(["check", *args, "--format", "json", "-j", "1"])
    captured = capsys.readouterr()
    return code, sorted({f["path"] for f in json.loads(captured.out)["findings"]}), captured.err


def test_cli_skips_test_data_with_one_summary_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make_tree(tmp_path)
    code, paths, err = run(["."], capsys)
    assert code == 1 and paths == ["app/pod.yaml", "examples/pod.yaml"]
    assert err.splitlines() == [
        "policylint: notice: skipped 2 test-data file(s) (testdata/, tests/, fixtures/, *.golden); "
        "--include-test-data checks them"]
    _, _, verbose = run([".", "-v"], capsys)
    assert "policylint: verbose: skipped test data: tests/pod.yaml" in verbose.splitlines()


def test_include_test_data_flag_and_config(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make_tree(tmp_path)
    everything = ["app/pod.yaml", "app/testdata/pod.yaml", "examples/pod.yaml", "tests/pod.yaml"]
    _, paths, err = run([".", "--include-test-data"], capsys)
    assert paths == everything and "test-data" not in err
    (tmp_path / ".policylint.yaml").write_text("test-data: include\n")
    _, paths, err = run(["."], capsys)
    assert paths == everything and "test-data" not in err
    (tmp_path / ".policylint.yaml").write_text("test-data: skip\n")
    _, paths, _ = run(["."], capsys)
    assert paths == ["app/pod.yaml", "examples/pod.yaml"]
    (tmp_path / ".policylint.yaml").write_text("test-data: yes\n")
    assert main(["check", "."]) == 2


def test_notice_when_gitignore_ignores_everything(tmp_path, monkeypatch, capsys):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("build/\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "pod.yaml").write_text(POD)
    monkeypatch.chdir(tmp_path / "build")
    code, paths, err = run(["."], capsys)
    assert code == 0 and paths == []
    assert err.splitlines() == ["policylint: notice: .: nothing was checked: .gitignore ignores every file of a known "
                                "kind here; --no-respect-gitignore checks them"]
    code, paths, err = run([".", "--no-respect-gitignore"], capsys)
    assert paths == ["pod.yaml"] and "gitignore" not in err
    (tmp_path / "build" / "pod.yaml").unlink()  # an empty folder: nothing to say
    _, _, err = run(["."], capsys)
    assert err == ""
