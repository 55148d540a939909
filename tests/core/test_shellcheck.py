"""ShellCheck on build and CI scripts: placeholders, dialects, and positions checked against
ShellCheck's own output on the same script written as a standalone file."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from policylint.core import shellcheck
from policylint.core.shellcheck import EXCLUDED, dialect_of, disabled_codes, placeholders, runtime
from policylint.options import RunOptions
from policylint.runner import check

needs_runtime = pytest.mark.skipif(runtime() is None, reason="the ShellCheck runtime is not installed (policylint[shell])")


def test_placeholders_keep_every_column():
    text = 'echo "${{ github.event.pull_request.title }}" $[[ inputs.stage ]] ${HOME}\nnext ${{ a\n}} x'
    replaced = placeholders(text)
    assert len(replaced) == len(text) and replaced.count("\n") == text.count("\n")
    first, second = "${{ github.event.pull_request.title }}", "$[[ inputs.stage ]]"
    assert replaced.startswith('echo "' + "_" * len(first) + '" ' + "_" * len(second) + " ${HOME}")
    assert replaced.endswith("__ x")


@pytest.mark.parametrize(
    ("shell", "dialect"),
    [("/bin/sh", "sh"), ("bash -e {0}", "bash"), ("/usr/bin/env bash", "bash"), ("/bin/ash", "busybox"),
     ("dash", "dash"), ("pwsh", None), ("python {0}", None), ("cmd", None), ("zsh", None), ("", None)],
)  # fmt: skip
def test_dialect_of_the_shell_that_runs_a_step(shell, dialect):
    assert dialect_of(shell) == dialect


def test_disable_comments_of_shellcheck_and_hadolint():
    assert disabled_codes(["# shellcheck disable=SC2086,sc2046", "#hadolint ignore=DL3008, SC2034", "# other"]) == {
        "SC2086", "SC2046", "DL3008", "SC2034",
    }  # fmt: skip


def own_output(script: str, dialect: str) -> list[tuple[int, int, str]]:
    """ShellCheck's own (line, column, code) for a standalone script, with the same options."""
    done = subprocess.run(
        [runtime(), "--norc", "--format=json1", f"--shell={dialect}", "--severity=warning", f"--exclude={','.join(EXCLUDED)}", "-"],
        input=script, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return [(item["line"], item["column"], f"SC{item['code']}") for item in json.loads(done.stdout)["comments"]]


def ours(tmp_path: Path, name: str, text: str, policy: str) -> list[tuple[int, int, str]]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    report = check(RunOptions(paths=[str(path)], jobs=1, select=[policy]))
    return sorted((f.line, f.column, f.message.split(":", 1)[0]) for f in report.findings if f.policy_id == policy)


# A script with warnings on several lines and columns, tabs included (as docker-library writes them).
SCRIPT = (
    "    set -eux; \\\n"
    "\tfor f in $(ls /etc/*.conf); do \\\n"
    "\t\t[ -f $f ] && x=1 == 2; \\\n"
    "\tdone; \\\n"
    '\tfind / -name "*.tmp" | xargs rm -f; \\\n'
    "\tread line\n"
)


@needs_runtime
def test_dockerfile_run_continuations_land_where_shellcheck_says(tmp_path):
    expected = own_output(SCRIPT, "sh")
    assert len(expected) >= 4  # the comparison compares something
    dockerfile = "FROM alpine:3.20\nRUN " + SCRIPT[4:]
    found = ours(tmp_path, "Dockerfile", dockerfile, "docker-shellcheck")
    assert found == sorted((line + 1, column, code) for line, column, code in expected)


@needs_runtime
def test_dockerfile_flags_comments_and_heredocs(tmp_path):
    body = "files=(a b)\necho \"$files\"\nfor f in $(ls); do echo \"$f\"; done\n"
    expected = own_output(body, "bash")
    assert expected
    dockerfile = (
        "FROM debian:bookworm-slim\n"
        'SHELL ["/bin/bash", "-c"]\n'
        "RUN --mount=type=cache,target=/root/.cache \\\n"
        "    # a comment BuildKit drops\n"
        "    read line\n"
        "RUN <<EOF\n" + body + "EOF\n"
    )
    found = ours(tmp_path, "Dockerfile", dockerfile, "docker-shellcheck")
    assert found == sorted([(5, 10, "SC2034"), *((line + 6, column, code) for line, column, code in expected)])


@needs_runtime
def test_workflow_block_and_quoted_scalars(tmp_path):
    block = 'if [ "${{ github.ref }}" = x ]; then\n  for f in $(ls *.txt); do echo "$f"; done\nfi\nread y\n'
    expected = own_output(placeholders(block), "bash")
    assert expected
    indented = textwrap.indent(block, " " * 10)
    workflow = (
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: |\n" + indented + "      - run: \"read z; x=1 == 2\"\n"
    )
    found = ours(tmp_path, ".github/workflows/ci.yml", workflow, "gha-shellcheck")
    quoted = [(line + 10, column + 14, code) for line, column, code in own_output("read z; x=1 == 2", "bash")]
    assert found == sorted([*((line + 6, column + 10, code) for line, column, code in expected), *quoted])


@needs_runtime
def test_gitlab_before_script_is_prepended_and_entries_are_lines(tmp_path):
    pipeline = (
        "default:\n"
        "  before_script:\n"
        "    - 'for f in $(ls); do echo \"$f\"; done'\n"
        "build:\n"
        "  script:\n"
        "    - read answer\n"
        "    - |\n"
        "      if true; then\n"
        "        y=1 == 2\n"
        "      fi\n"
    )
    script = "for f in $(ls); do echo \"$f\"; done\nread answer\nif true; then\n  y=1 == 2\nfi\n"
    expected = own_output(script, "bash")  # no image: the runner's shell, bash
    starts = {1: (3, 8), 2: (6, 7), 3: (8, 7), 4: (9, 7), 5: (10, 7)}  # script line -> (file line, column of its character 1)
    found = ours(tmp_path, ".gitlab-ci.yml", pipeline, "gitlab-shellcheck")
    assert found == sorted((starts[line][0], starts[line][1] + column - 1, code) for line, column, code in expected)


def test_without_the_runtime_nothing_is_reported_and_one_notice_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr(shellcheck, "_runtime", [None])
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nRUN read line\n")
    report = check(RunOptions(paths=[str(tmp_path)], jobs=1))
    assert not [f for f in report.findings if f.policy_id.endswith("-shellcheck")]
    notices = [item for item in report.skipped if "shellcheck" in item.path]
    assert len(notices) == 1 and "policylint[shell]" in notices[0].reason
    (tmp_path / "Dockerfile").unlink()
    (tmp_path / "k.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    assert not check(RunOptions(paths=[str(tmp_path)], jobs=1)).skipped  # no file of theirs: no notice


def test_oversized_scripts_are_not_given_to_shellcheck(monkeypatch):
    started = []
    monkeypatch.setattr(shellcheck, "_runtime", ["/opt/shellcheck"])
    monkeypatch.setattr(shellcheck, "_run", lambda binary, scripts: started.append(scripts))
    huge = shellcheck.Script(text="echo a; " * (shellcheck.MAX_SCRIPT // 4), dialect="sh", starts=[(1, 1)])
    assert shellcheck.check([huge]) == [[]] and not started


@needs_runtime
def test_folded_scalars_place_each_part_on_its_own_line(tmp_path):
    workflow = (
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: >\n          echo start &&\n          read x &&\n          ls $(pwd)\n\n          read y\n"
        "      - run: echo one\n          && read z\n"
    )
    found = ours(tmp_path, ".github/workflows/ci.yml", workflow, "gha-shellcheck")
    assert found == [(8, 16, "SC2034"), (9, 14, "SC2046"), (11, 16, "SC2034"), (13, 19, "SC2034")]
    pipeline = "build:\n  script:\n    - >\n      echo start &&\n      read x\n    - echo one\n      && read z\n"
    assert ours(tmp_path, ".gitlab-ci.yml", pipeline, "gitlab-shellcheck") == [(5, 12, "SC2034"), (7, 15, "SC2034")]
