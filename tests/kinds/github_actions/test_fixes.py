"""GitHub Actions code fixes: the checks that decide whether a fix is offered."""

from __future__ import annotations

import pytest

import policylint.kinds  # noqa: F401 - registers the kinds
from policylint.core.fixes import FixPlan, Unfixable, resolve, splice
from policylint.kinds.github_actions.fixes import env_name


def _fix(code: str, text: str, pointer: tuple[object, ...] = (), **values: object) -> str:
    plan = FixPlan(policy_id="p", applicability="unsafe", description="d", path="w.yml", file_kind="github-actions",
                   doc_line=1, pointer=pointer, code=code, values=values)
    return splice(text, resolve(plan, text).edits)


def test_read_only_permissions_only_when_no_job_needs_more() -> None:
    text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n"
    assert _fix("read-only-permissions", text) == text.replace("jobs:", "permissions:\n  contents: read\njobs:")
    for step in ("- uses: google-github-actions/auth@v2", "- run: git push origin HEAD", "- run: gh release create v1"):
        with pytest.raises(Unfixable, match="job a"):
            _fix("read-only-permissions", text.replace("- run: make", step))
    own = text.replace("    runs-on: x\n", "    runs-on: x\n    permissions: {contents: write}\n").replace(
        "- run: make", "- run: git push")
    assert "permissions:\n  contents: read\njobs:" in _fix("read-only-permissions", own)  # it keeps its own


def test_expression_to_env_quotes_by_shell_context() -> None:
    text = ("on: issues\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ${{ github.event.issue.title }}"
            " \"x ${{ github.event.issue.title }}\"\n        env: {A: b}\n")
    pointer = ("jobs", "a", "steps", 0, "run", "${{", 0)
    fixed = _fix("expression-to-env", text, pointer, expression="github.event.issue.title")
    assert 'run: echo "${ISSUE_TITLE}" "x ${ISSUE_TITLE}"' in fixed
    assert "env: {A: b, ISSUE_TITLE: '${{ github.event.issue.title }}'}" in fixed
    single = text.replace('"x ${{ github.event.issue.title }}"', "'${{ github.event.issue.title }}'")
    with pytest.raises(Unfixable, match="single quotes"):
        _fix("expression-to-env", single, pointer, expression="github.event.issue.title")
    pwsh = text.replace("        env: {A: b}\n", "        shell: pwsh\n")
    with pytest.raises(Unfixable, match="pwsh"):
        _fix("expression-to-env", pwsh, pointer, expression="github.event.issue.title")
    windows = text.replace("runs-on: x", "runs-on: windows-2022")
    with pytest.raises(Unfixable, match="pwsh"):  # the default shell of Windows runners
        _fix("expression-to-env", windows, pointer, expression="github.event.issue.title")
    matrix = text.replace("runs-on: x", "runs-on: ${{ matrix.os }}")
    with pytest.raises(Unfixable, match="expression"):
        _fix("expression-to-env", matrix, pointer, expression="github.event.issue.title")
    bash_on_windows = windows.replace("on: issues\n", "on: issues\ndefaults: {run: {shell: bash}}\n")
    assert '"${ISSUE_TITLE}"' in _fix("expression-to-env", bash_on_windows, pointer, expression="github.event.issue.title")


def test_env_names_avoid_the_runner_prefixes() -> None:
    assert env_name("github.event.pull_request.head.ref") == "PULL_REQUEST_HEAD_REF"
    assert env_name("github.head_ref") == "HEAD_REF"
    assert env_name("inputs.version") == "INPUTS_VERSION"
    assert env_name("github.event.inputs.x") == "INPUTS_X"
    assert env_name("github.run_id") == "RUN_ID"
