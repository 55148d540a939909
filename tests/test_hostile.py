"""Hostile and odd input (fixtures/hostile/): each gives its documented result in bounded time and
memory, never a traceback. See the README section "Hostile input".

Every check runs the real CLI in a child process with a timeout and an address-space limit, so a
hang or a memory blow-up fails the test instead of taking the machine down.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import ROOT

HOSTILE = ROOT / "fixtures" / "hostile"
#: Address space for the child: far above a normal run, far below what an alias bomb would take.
MEMORY_LIMIT = 2 * 1024**3
TIMEOUT = 120


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_check(*paths: str | Path, cwd: Path = ROOT, timeout: float = TIMEOUT) -> tuple[int, list[dict[str, Any]], str]:
    """Run `policylint check --format json` in a limited child; (exit code, findings, stderr)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POLICYLINT_NO_CACHE": "1"}
    completed = subprocess.run(
        [sys.executable, "-m", "policylint", "check", *map(str, paths), "--format", "json", "--no-progress", "--jobs", "1"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, preexec_fn=_limit_memory, check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    findings = json.loads(completed.stdout)["findings"] if completed.stdout.strip() else []
    return completed.returncode, findings, completed.stderr


def brief(findings: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
    """(rule id, line, message) of each finding."""
    return [(finding["rule_id"], finding["line"], finding["message"]) for finding in findings]


@pytest.mark.parametrize(
    ("name", "line", "reason"),
    [
        ("alias-bomb.yaml", 2, "document expands to too many nodes through aliases (alias bomb?)"),
        ("deep-flow.yaml", 2, "flow collections nested deeper than 400"),
        ("deep-block.yaml", 403, "document nested deeper than 400"),
        ("binary.yaml", 1, "binary content (NUL byte): not a text file"),
        ("latin1.yaml", 4, "not valid UTF-8 (byte 0xe9)"),
        ("tabs.yaml", 4, "while scanning for the next token found character that cannot start any token"),
    ],
)
def test_unparsable_input_is_one_parse_error(name: str, line: int, reason: str) -> None:
    code, findings, _ = run_check(HOSTILE / name)
    assert code == 1
    assert brief(findings) == [("parse-error", line, f"cannot parse kubernetes file: {reason}")]


@pytest.mark.parametrize("name", ["empty.yaml", "comments-only.yaml"])
def test_empty_input_has_no_findings(name: str) -> None:
    assert run_check(HOSTILE / name)[:2] == (0, [])


def test_bom_and_crlf_change_nothing(tmp_path: Path) -> None:
    """A UTF-8 BOM and CRLF line ends give the same findings, on the same lines, as plain LF."""
    raw = (HOSTILE / "bom-crlf.yaml").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    plain = tmp_path / "bom-crlf.yaml"
    plain.write_bytes(raw[3:].replace(b"\r\n", b"\n"))
    code, findings, _ = run_check(HOSTILE / "bom-crlf.yaml")
    assert code == 1
    assert ("k8s-run-as-root", 7) in {(rule, line) for rule, line, _ in brief(findings)}
    _, plain_findings, _ = run_check(plain)
    assert [(f["rule_id"], f["line"], f["column"]) for f in findings] == [
        (f["rule_id"], f["line"], f["column"]) for f in plain_findings
    ]


def test_helm_template_is_skipped_with_a_notice() -> None:
    code, findings, stderr = run_check(HOSTILE / "chart")
    assert (code, findings) == (0, [])
    assert "notice: fixtures/hostile/chart/templates/deployment.yaml: Helm template" in stderr


def test_dockerfile_of_comments_only_is_a_syntax_finding() -> None:
    code, findings, _ = run_check(HOSTILE / "dockerfile-comments" / "Dockerfile")
    assert code == 1
    assert [(rule, line) for rule, line, _ in brief(findings)] == [("docker-syntax-error", 1)]


def test_workflow_with_yaml11_boolean_on_key_reads_as_a_workflow() -> None:
    """PyYAML reads the key `on` as the boolean true; the loader keeps it as the trigger key."""
    code, findings, _ = run_check(HOSTILE / ".github" / "workflows" / "on-true.yml")
    assert code == 1
    found = {(rule, line) for rule, line, _ in brief(findings)}
    assert ("gha-action-not-pinned", 12) in found
    assert not any(rule in ("parse-error", "policy-error", "gha-schema-invalid") for rule, _ in found)


def test_ten_megabyte_manifest(tmp_path: Path) -> None:
    """10 MiB of ConfigMap entries, one literal password at the very end: found, at its line."""
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: huge", "data:"]
    size = 0
    while size < 10 * 1024 * 1024:
        line = f"  key-{len(lines):07d}: \"{'x' * 80}\""
        lines.append(line)
        size += len(line) + 1
    lines.append('  DB_PASSWORD: "hunter2-but-longer"')
    huge = tmp_path / "huge.yaml"
    huge.write_text("\n".join(lines) + "\n")
    code, findings, _ = run_check(huge, timeout=300)
    assert code == 1
    assert [(rule, line) for rule, line, _ in brief(findings)] == [("k8s-secret-in-configmap", len(lines))]


def test_long_scalar_does_not_hang(tmp_path: Path) -> None:
    """A 2 MB word in an env value: the credential-URL check must stay linear (it was quadratic)."""
    manifest = tmp_path / "long.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: long}\nspec:\n  containers:\n    - name: app\n"
        "      image: app:1.0\n      env:\n        - name: BLOB\n          value: " + "a" * 2_000_000 + " ://\n"
    )
    code, findings, _ = run_check(manifest, timeout=60)
    assert code == 1
    assert "parse-error" not in {rule for rule, _, _ in brief(findings)}


def test_symlink_loops(tmp_path: Path) -> None:
    """A directory loop is walked once; a file loop found while walking is skipped; named, it is a read error."""
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\ndata: {a: b}\n")
    (tree / "sub" / "loop").symlink_to(tree, target_is_directory=True)
    (tree / "x.yaml").symlink_to(tree / "y.yaml")
    (tree / "y.yaml").symlink_to(tree / "x.yaml")
    assert run_check("tree", cwd=tmp_path)[:2] == (0, [])
    code, findings, _ = run_check("tree/x.yaml", cwd=tmp_path)
    assert code == 1
    assert brief(findings) == [("parse-error", 1, "cannot read file: Too many levels of symbolic links")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_mode_000(tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    secret.chmod(0)
    code, findings, _ = run_check(secret)
    assert code == 1
    assert brief(findings) == [("parse-error", 1, "cannot read file: Permission denied")]


def test_read_error_is_a_parse_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The read-error path without relying on file modes (CI runs as root)."""
    from policylint.options import RunOptions
    from policylint.runner import check

    manifest = tmp_path / "denied.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    real = Path.read_bytes

    def denied(self: Path) -> bytes:
        if self.name == "denied.yaml":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    report = check(RunOptions(paths=[str(manifest)], jobs=1))
    assert [(f.policy_id, f.line, f.message) for f in report.findings] == [
        ("parse-error", 1, "cannot read file: Permission denied")
    ]
    assert report.exit_code() == 1


def test_directory_named_like_a_manifest_is_walked(tmp_path: Path) -> None:
    folder = tmp_path / "looks-like-a-file.yaml"
    folder.mkdir()
    (folder / "Dockerfile").write_text("FROM alpine:3.20\nUSER 10001\n")
    code, findings, _ = run_check(folder)
    assert "parse-error" not in {rule for rule, _, _ in brief(findings)}
    assert code in (0, 1)


def test_whole_hostile_folder_in_one_run() -> None:
    """Everything at once, as a directory walk: one result per file, no crash, bounded."""
    code, findings, stderr = run_check(HOSTILE)
    assert code == 1
    parse_errors = {Path(f["path"]).name for f in findings if f["rule_id"] == "parse-error"}
    assert parse_errors == {"alias-bomb.yaml", "deep-flow.yaml", "deep-block.yaml", "binary.yaml", "latin1.yaml", "tabs.yaml"}
    assert "Helm template" in stderr


def test_unicode_line_separator_does_not_shift_lines(tmp_path: Path) -> None:
    """YAML counts U+2028/U+2029/NEL as line breaks, editors and SARIF viewers do not: a finding
    after such a character must still point at the line the user sees."""
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: sep\n  annotations: {note: "a\u2028b\u2029c\x85d"}\n'
        "spec:\n  containers:\n    - name: app\n      image: app:1.0\n      securityContext: {runAsUser: 0}\n",
        encoding="utf-8",
    )
    code, findings, _ = run_check(manifest)
    assert code == 1
    found = {(rule, line) for rule, line, _ in brief(findings)}
    assert {("k8s-cpu-limit-missing", 8), ("k8s-run-as-root", 10)} <= found  # the container, runAsUser: 0
    assert max(line for _, line in found) <= 10


def test_alias_inside_its_own_anchor_is_a_parse_error(tmp_path: Path) -> None:
    """`&a [.., *a]` composes into a cycle: refused like an alias bomb (go-yaml refuses it too), other documents still checked."""
    manifest = tmp_path / "loop.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: loop}\ndata: &d {a: *d}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: app, image: app:1.0}\n"
    )
    code, findings, _ = run_check(manifest, timeout=60)
    assert code == 1
    found = brief(findings)
    assert found[0] == ("parse-error", 1, "cannot parse kubernetes file: document expands to too many nodes through aliases (alias bomb?)")
    assert ("k8s-run-as-root", 11, "container app may run as root (effective runAsNonRoot is not true or runAsUser is 0)") in found
