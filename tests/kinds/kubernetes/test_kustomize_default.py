"""Kustomizations are rendered by default when a renderer is available; --no-kustomize turns it off."""

from __future__ import annotations

import json

import pytest
from support import ROOT

from policylint.cli import main
from policylint.kinds.kubernetes import kustomize

FIXTURE = "fixtures/kustomize"


def run(capsys, monkeypatch, *args):
    monkeypatch.chdir(ROOT)
    code = main(["check", FIXTURE, "--format", "json", "-j", "1", *args])
    captured = capsys.readouterr()
    findings = json.loads(captured.out)["findings"]
    return code, findings, captured.err


@pytest.mark.skipif(not kustomize.renderer_available(), reason="no kubectl or kustomize")
def test_rendered_by_default_when_a_renderer_is_available(capsys, monkeypatch):
    _, default, _ = run(capsys, monkeypatch)
    _, explicit, _ = run(capsys, monkeypatch, "--kustomize")
    _, plain, err = run(capsys, monkeypatch, "--no-kustomize")
    assert default == explicit
    assert any("(kustomize overlay " in f["message"] for f in default)
    assert not any("(kustomize overlay " in f["message"] for f in plain)
    assert "kustomize patch: skipped (part of an overlay; use --kustomize)" in err


def test_one_notice_without_a_renderer(capsys, monkeypatch):
    def missing():
        raise kustomize.KustomizeError("no tool")

    monkeypatch.setattr(kustomize, "find_tool", missing)
    _, findings, err = run(capsys, monkeypatch)
    assert not any("(kustomize overlay " in f["message"] for f in findings)
    assert err.count("kustomizations found but not rendered") == 1
    assert 'pip install "policylint[kustomize]"' in err
    assert main(["check", FIXTURE, "--kustomize", "-j", "1"]) == 2  # asked for explicitly: a usage error


POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: web, image: web:1.0}]}\n"


def check_tree(tmp_path, monkeypatch, capsys, files, *args):
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    monkeypatch.chdir(tmp_path)
    code = main(["check", ".", "--format", "json", "-j", "1", "--select", "k8s-run-as-root", *args])
    captured = capsys.readouterr()
    found = sorted((f["rule_id"], f["path"]) for f in json.loads(captured.out)["findings"]) if captured.out else None
    return code, found, captured.err


@pytest.mark.skipif(not kustomize.renderer_available(), reason="no kubectl or kustomize")
def test_a_build_that_cannot_run_falls_back_to_plain_files_with_a_notice(tmp_path, monkeypatch, capsys):
    files = {"app/kustomization.yaml": "resources:\n  - pod.yaml\n  - https://example.com/base.yaml\n", "app/pod.yaml": POD}
    _, found, err = check_tree(tmp_path, monkeypatch, capsys, files)
    assert found == [("k8s-run-as-root", "app/pod.yaml")]
    assert "policylint: notice: app/kustomization.yaml: not rendered, its files are checked as plain manifests" in err
    _, found, _ = check_tree(tmp_path, monkeypatch, capsys, files, "--kustomize")  # asked for: an error
    assert ("parse-error", "app/kustomization.yaml") in found


@pytest.mark.skipif(not kustomize.renderer_available(), reason="no kubectl or kustomize")
def test_a_component_is_not_rendered_on_its_own(tmp_path, monkeypatch, capsys):
    files = {"components/debug/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                                                    "resources: [pod.yaml]\n",
             "components/debug/pod.yaml": POD}
    _, found, err = check_tree(tmp_path, monkeypatch, capsys, files)
    assert found == [("k8s-run-as-root", "components/debug/pod.yaml")] and "not rendered" not in err
