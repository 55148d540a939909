"""The program's entry point (policylint.entry): collector thresholds before the first heavy import."""

from __future__ import annotations

import subprocess
import sys

from policylint.gctuning import RUN_THRESHOLDS

SPY = """
import gc, sys
class Spy:
    def find_spec(self, name, path=None, target=None):
        if name == "click":
            print("thresholds while importing click:", gc.get_threshold())
        return None
sys.meta_path.insert(0, Spy())
import policylint.entry
print("click imported by the entry module:", "click" in sys.modules)
sys.argv = ["policylint", "--version"]
code = policylint.entry.main()
print("exit", code)
"""


def test_entry_imports_the_cli_with_the_run_thresholds() -> None:
    result = subprocess.run([sys.executable, "-c", SPY], capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    assert "click imported by the entry module: False" in lines
    assert f"thresholds while importing click: {RUN_THRESHOLDS}" in lines
    assert lines[-1] == "exit 0"


def test_python_dash_m_runs_the_same_entry(tmp_path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: nginx\n")
    result = subprocess.run([sys.executable, "-m", "policylint", "check", str(manifest), "--select", "k8s-image-tag-latest",
                             "--format", "json"], capture_output=True, text=True)
    assert result.returncode == 1
    assert '"rule_id": "k8s-image-tag-latest"' in result.stdout
