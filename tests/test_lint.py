"""The code base stays ruff-clean (the project's style gate runs with the suite, so CI enforces it)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from support import ROOT


def test_ruff_check_is_clean():
    ruff = shutil.which("ruff")
    command = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    try:
        result = subprocess.run([*command, "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True, timeout=300)
    except FileNotFoundError:  # pragma: no cover - ruff is in the test extra
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
