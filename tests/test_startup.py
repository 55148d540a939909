"""Start-up stays light: a pre-commit run on a clean manifest imports no heavy module.

No timing here (figures live in benchmarks/run.py); this checks what is imported, which is what
start-up time is made of: jsonschema alone costs about 100 ms to import.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support import ROOT

HEAVY = ("jsonschema", "referencing", "multiprocessing", "concurrent.futures", "helm_python", "pathspec")
#: policylint's own modules a lone Deployment does not need: renderers, other reporters, loaders and relations
#: of other kinds, the port helpers (only Service and NetworkPolicy relations read ports).
LAZY = ("policylint.kinds.kubernetes.helm", "policylint.kinds.kubernetes.kustomize", "policylint.reporters.sarif",
        "policylint.reporters.text",
        "policylint.reporters.junit", "policylint.kinds.dockerfile.loader", "policylint.kinds.compose.loader",
        "policylint.kinds.github_actions.loader", "policylint.kinds.gitlab_ci.loader", "policylint.kinds.compose.relations",
        "policylint.kinds.github_actions.relations", "policylint.kinds.gitlab_ci.relations", "policylint.ownpolicies",
        "policylint.kinds.kubernetes.ports")

PROBE = """
import sys
from policylint.cli import main
code = main(sys.argv[1:])
print(" ".join(name for name in {heavy!r} if name in sys.modules))
"""


def _imported(*args: str, cwd: Path = ROOT, watched: tuple[str, ...] = HEAVY, **extra_env: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra_env}
    completed = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=watched), "check", *args, "--format", "json", "-o", os.devnull],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed.stdout.strip()


def test_clean_manifest_with_all_policies_imports_nothing_heavy(tmp_path: Path) -> None:
    manifest = tmp_path / "deployment.yaml"
    manifest.write_text((ROOT / "fixtures" / "guide" / "k8s" / "base" / "deployment.yaml").read_text())
    assert _imported(str(manifest), "--select", "k8s,docker,compose,gha", cwd=tmp_path) == ""


def test_valid_config_file_is_checked_without_jsonschema(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".policylint.yaml").write_text("profile: restricted\nfail-on: high\ndisable: [k8s-single-replica]\n")
    manifest = tmp_path / "deployment.yaml"
    manifest.write_text((ROOT / "fixtures" / "guide" / "k8s" / "base" / "deployment.yaml").read_text())
    assert _imported(str(manifest), cwd=tmp_path) == ""


def test_helm_library_is_loaded_only_when_a_chart_is_found(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "deployment.yaml").write_text((ROOT / "fixtures" / "guide" / "k8s" / "base" / "deployment.yaml").read_text())
    assert "helm_python" not in _imported("plain", cwd=tmp_path).split()
    # as one unit: a split run renders its charts in a forked child (policylint.runner._in_this_process)
    assert "helm_python" in _imported(str(ROOT / "fixtures" / "helm" / "web"), cwd=tmp_path, POLICYLINT_UNITS="0").split()


def test_plain_manifest_loads_no_renderer_and_no_module_of_other_kinds(tmp_path: Path) -> None:
    manifest = tmp_path / "deployment.yaml"
    manifest.write_text((ROOT / "fixtures" / "guide" / "k8s" / "base" / "deployment.yaml").read_text())
    assert _imported(str(manifest), "--select", "k8s,docker,compose,gha", cwd=tmp_path, watched=LAZY) == ""


def test_renderers_are_loaded_when_their_files_are_found(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "deployment.yaml").write_text((ROOT / "fixtures" / "guide" / "k8s" / "base" / "deployment.yaml").read_text())
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n  - deployment.yaml\n")
    renderers = ("policylint.kinds.kubernetes.helm", "policylint.kinds.kubernetes.kustomize")
    assert _imported("base", cwd=tmp_path, watched=renderers).split() == ["policylint.kinds.kubernetes.kustomize"]
    helm_run = _imported(str(ROOT / "fixtures" / "helm" / "web"), cwd=tmp_path, watched=renderers)
    assert helm_run.split()[0] == "policylint.kinds.kubernetes.helm"
