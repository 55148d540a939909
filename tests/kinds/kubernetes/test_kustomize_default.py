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
    assert "kustomize patch: checked as part of its overlay" in err


def test_one_notice_without_a_renderer(capsys, monkeypatch):
    def missing():
        raise kustomize.KustomizeError("no tool")

    monkeypatch.setattr(kustomize, "find_tool", missing)
    _, findings, err = run(capsys, monkeypatch)
    assert not any("(kustomize overlay " in f["message"] for f in findings)
    assert err.count("kustomizations found but not rendered") == 1
    assert 'pip install "policylint[kustomize]"' in err
    assert main(["check", FIXTURE, "--kustomize", "-j", "1"]) == 2  # asked for explicitly: a usage error
