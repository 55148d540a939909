"""Dockerfile code fixes on their own (some serve policies other branches add: pip, MAINTAINER, pipefail)."""

from __future__ import annotations

from typing import Any

import pytest

import policylint.kinds  # noqa: F401 - registers the kinds
from policylint.core.fixes import FixPlan, Unfixable, resolve, splice


def _fix(code: str, text: str, line: int, end_line: int | None = None) -> str:
    values: dict[str, Any] = {"at.end_line": end_line or line}
    plan = FixPlan(policy_id="p", applicability="safe", description="d", path="Dockerfile", file_kind="dockerfile",
                   doc_line=1, pointer=(), code=code, values=values, line=line)
    return splice(text, resolve(plan, text).edits)


def test_pip_no_cache_dir() -> None:
    text = "FROM python:3.12\nRUN pip install -U pip \\\n && python -m pip install --no-cache-dir x && pip3 install y\n"
    assert _fix("pip-no-cache-dir", text, 2, 3) == (
        "FROM python:3.12\nRUN pip install --no-cache-dir -U pip \\\n"
        " && python -m pip install --no-cache-dir x && pip3 install --no-cache-dir y\n")


def test_maintainer_to_label() -> None:
    text = 'FROM alpine:3.20\nMAINTAINER Jane "J" Doe <jane@example.com>\n'
    assert _fix("maintainer-to-label", text, 2) == (
        'FROM alpine:3.20\nLABEL org.opencontainers.image.authors="Jane \\"J\\" Doe <jane@example.com>"\n')


def test_shell_pipefail_after_the_stage_from_when_bash_is_there() -> None:
    text = "FROM debian:12-slim AS base\nRUN curl -s x | tar x\n"
    assert _fix("shell-pipefail", text, 2) == (
        'FROM debian:12-slim AS base\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN curl -s x | tar x\n')
    with pytest.raises(Unfixable, match="bash is not known"):
        _fix("shell-pipefail", "FROM python:3.12-alpine\nRUN a | b\n", 2)


def test_exec_form_refuses_shell_syntax() -> None:
    assert _fix("exec-form", "FROM x\nCMD node server.js --port 80\n", 2) == 'FROM x\nCMD ["node", "server.js", "--port", "80"]\n'
    with pytest.raises(Unfixable, match="shell syntax"):
        _fix("exec-form", "FROM x\nCMD node server.js --port $PORT\n", 2)


def test_add_to_copy_keeps_remote_sources_on_add() -> None:
    with pytest.raises(Unfixable, match="remote or an archive"):
        _fix("add-to-copy", "FROM x\nADD app.tar.gz /srv/\n", 2)


def test_apt_lists_cleanup_keeps_the_lists_a_later_run_needs() -> None:
    with pytest.raises(Unfixable, match="only updates"):
        _fix("apt-lists-cleanup", "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n", 2)
    with pytest.raises(Unfixable, match="later RUN"):
        _fix("apt-lists-cleanup", "FROM debian:12\nRUN apt-get update && apt-get install -y a\nRUN apt-get install -y b\n", 2)
    text = "FROM debian:12\nRUN apt-get update && apt-get install -y a\nRUN apt-get update && apt-get install -y b\n"
    assert _fix("apt-lists-cleanup", text, 2) == text.replace("install -y a", "install -y a && rm -rf /var/lib/apt/lists/*")
    other_stage = "FROM debian:12\nRUN apt-get update && apt-get install -y a\nFROM debian:12\nRUN apt-get install -y b\n"
    assert "a && rm -rf" in _fix("apt-lists-cleanup", other_stage, 2)
