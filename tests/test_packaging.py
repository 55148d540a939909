"""A built wheel, installed in a fresh virtual environment, works from another directory."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from support import ROOT


def test_wheel_ships_policies_and_runs_elsewhere(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(ROOT)],
        check=True, timeout=300,
    )
    wheel = next(dist.glob("policylint-*.whl"))
    env_dir = tmp_path / "venv"
    # The dependencies come from the environment running the suite (no network): system site-packages,
    # and a .pth line naming this interpreter's own site-packages (a development venv). The wheel goes in the venv.
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site_packages = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   capture_output=True, text=True, check=True).stdout.strip()
    Path(site_packages, "suite-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, timeout=300)
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    location = subprocess.run(
        [str(python), "-c", "import policylint, policylint.core.policies as p; print(policylint.__file__); print(p.builtin_policy_dir())"],
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
    _renders_with_only_its_own_environment_on_path(env_dir, workdir)


def _renders_with_only_its_own_environment_on_path(env_dir: Path, workdir: Path) -> None:
    """Charts and kustomizations render with nothing but the installed package's environment on PATH."""
    import os

    python = env_dir / "bin" / "python"
    probe = "from importlib.util import find_spec; from policylint.kinds.kubernetes.kustomize import own_kubectl; " \
            "print(bool(find_spec('helm_python')), bool(own_kubectl()))"
    has = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, cwd=workdir, check=True).stdout.split()
    if has != ["True", "True"]:  # a development venv whose base interpreter lacks the extras
        import pytest

        pytest.skip("the renderers are not installed where the fresh venv can see them (pip install -e '.[test]')")
    env = {key: value for key, value in os.environ.items() if key not in ("PATH", "VIRTUAL_ENV")}
    env["PATH"] = str(env_dir / "bin")
    chart = subprocess.run(
        [str(env_dir / "bin" / "policylint"), "check", str(ROOT / "fixtures" / "helm" / "web"), "--format", "json",
         "--select", "k8s-privileged-container"],
        capture_output=True, text=True, cwd=workdir, timeout=120, env=env,
    )
    findings = json.loads(chart.stdout)["findings"]
    assert [(Path(f["path"]).name, f["line"]) for f in findings] == [("deployment.yaml", 31)], chart.stderr
    overlay = subprocess.run(
        [str(env_dir / "bin" / "policylint"), "check", "--kustomize", str(ROOT / "fixtures" / "kustomize"), "--format", "json"],
        capture_output=True, text=True, cwd=workdir, timeout=120, env=env,
    )
    assert overlay.returncode in (0, 1), overlay.stderr
    assert "kustomize build failed" not in overlay.stdout and json.loads(overlay.stdout)["findings"], overlay.stderr
