"""Shared test helpers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import ROOT

import policylint.kinds  # noqa: F401 - registers every file kind, as the CLI's import does (a test of the core alone needs them)
from policylint.cli import main


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """Run the CLI in-process from the repository root; returns (exit code, stdout, stderr)."""

    def run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
        monkeypatch.chdir(cwd or ROOT)
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def run_json(run_cli):
    """Run `check --format json` and return (exit code, parsed document)."""

    def run(*args: str, cwd: Path | None = None) -> tuple[int, dict]:
        code, out, _ = run_cli("check", "--format", "json", *args, cwd=cwd)
        return code, json.loads(out)

    return run


@pytest.fixture
def selection_calls(monkeypatch):
    """Count label selections (`LabelIndex.select`) during a test: relations must stay linear."""
    from policylint.kinds.kubernetes.selectors import LabelIndex

    counter = {"calls": 0}
    original = LabelIndex.select

    def counting(self, selector):
        counter["calls"] += 1
        return original(self, selector)

    monkeypatch.setattr(LabelIndex, "select", counting)
    return counter
