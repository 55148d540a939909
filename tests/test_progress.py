"""The progress line: only after a moment, only on a terminal outside CI, never on stdout."""

from __future__ import annotations

import io
import json

from policylint.progress import Progress, wanted


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_for_a_quick_run_then_a_redrawn_line():
    clock, stream = Clock(), io.StringIO()
    progress = Progress(stream, delay=0.5, clock=clock)
    progress(1, 10, "files")
    clock.now += 0.2
    progress(2, 10, "files")
    assert stream.getvalue() == ""
    clock.now += 0.4
    progress(3, 10, "files")
    clock.now += 0.01
    progress(4, 10, "files")  # throttled
    clock.now += 0.2
    progress(10, 10, "files, evaluating policies")
    progress.finish()
    assert stream.getvalue() == ("\r\033[Kpolicylint: 3/10 files\r\033[Kpolicylint: 10/10 files, evaluating policies"
                                 "\r\033[K")


def test_plain_lines_when_asked_for_outside_a_terminal():
    clock, stream = Clock(), io.StringIO()
    progress = Progress(stream, delay=0.0, clock=clock, interactive=False)
    progress(0, 2, "files")
    clock.now += 1
    progress(2, 2, "files")
    progress.finish()
    assert stream.getvalue() == "policylint: 0/2 files\npolicylint: 2/2 files\n"


def test_wanted_only_on_an_interactive_terminal_outside_ci():
    assert wanted(None, Tty(), {}) is True
    assert wanted(None, io.StringIO(), {}) is False
    assert wanted(None, Tty(), {"CI": "true"}) is False
    assert wanted(None, Tty(), {"GITHUB_ACTIONS": "true"}) is False
    assert wanted(None, Tty(), {"TERM": "dumb"}) is False
    assert wanted(True, io.StringIO(), {"CI": "true"}) is True
    assert wanted(False, Tty(), {}) is False


def test_progress_goes_to_stderr_only(tmp_path, run_cli, monkeypatch):
    monkeypatch.setattr("policylint.progress.DELAY", 0.0)
    for number in range(30):
        (tmp_path / f"cm{number:02}.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{number}}}\n")
    _, out, err = run_cli("check", ".", "--progress", "--format", "json", cwd=tmp_path)
    assert json.loads(out)["summary"]["files"] == 30
    assert "policylint: 30/30 files, evaluating policies\n" in err
    _, out, err = run_cli("check", ".", "--format", "json", cwd=tmp_path)  # not a terminal: nothing
    assert "policylint: 30/30" not in err
