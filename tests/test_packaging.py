"""A built wheel, installed in a fresh virtual environment, works from another directory."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_policies_and_runs_elsewhere(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(ROOT)],
        check=True, timeout=300,
    )
    wheel = next(dist.glob("policylint-*.whl"))
    env_dir = tmp_path / "venv"
    # System site-packages provide the dependencies (no network); the wheel itself goes in the venv.
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, timeout=300)
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    location = subprocess.run(
        [str(python), "-c", "import policylint, policylint.policies as p; print(policylint.__file__); print(p.builtin_policy_dir())"],
        capture_output=True, text=True, cwd=workdir, check=True,
    ).stdout.splitlines()
    assert location[0].startswith(str(env_dir)), location
    assert location[1].startswith(str(env_dir)), location
    result = subprocess.run(
        [str(env_dir / "bin" / "policylint"), "check", str(ROOT / "fixtures" / "guide"), "--format", "json"],
        capture_output=True, text=True, cwd=workdir, timeout=120,
    )
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert any(f["rule_id"] == "k8s-run-as-root" for f in findings)
    shipped = subprocess.run(
        [str(env_dir / "bin" / "policylint"), "rules", "--format", "json"], capture_output=True, text=True, cwd=workdir
    )
    assert shipped.returncode == 0, shipped.stderr
    source_ids = sorted(p.stem for p in (ROOT / "policies").rglob("*.yaml") if p.parent.name != "frameworks")
    shipped_ids = sorted(rule["id"] for rule in json.loads(shipped.stdout))
    assert shipped_ids == source_ids
