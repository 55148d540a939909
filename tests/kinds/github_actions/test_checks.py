"""Checks over parsed expressions and the job graph: context availability, needs, step ids,
crons, writes to GITHUB_ENV, publishing workflows' caches; each through the policy it serves."""

from __future__ import annotations

import pytest

from policylint.catalog import load_policies
from policylint.core.documents import DocumentSet, LoadResult
from policylint.core.engine import evaluate
from policylint.core.kinds import detect_by_name
from policylint.core.loading import load_bytes
from policylint.kinds.github_actions.checks import CronError, cron_values, env_file_writes, shortest_interval
from policylint.kinds.github_actions.contexts import AVAILABILITY
from policylint.kinds.github_actions.targets import logical_lines

POLICIES = load_policies()


def findings(policy_id: str, text: str, path: str = ".github/workflows/ci.yml") -> list[tuple[int, str]]:
    result = LoadResult()
    result.extend(load_bytes(path, text.encode(), detect_by_name(path) or "yaml"))
    assert not result.failures, result.failures
    found = evaluate(DocumentSet(result.documents), [POLICIES.get(policy_id)])
    return sorted((finding.line, finding.message) for finding in found)


def test_availability_table_follows_githubs_rows():
    assert "secrets" not in AVAILABILITY["jobs.<job_id>.if"][0]
    assert "secrets" not in AVAILABILITY["jobs.<job_id>.steps.if"][0]
    assert "secrets" in AVAILABILITY["jobs.<job_id>.steps.run"][0]
    assert "env" not in AVAILABILITY["jobs.<job_id>.runs-on"][0]
    assert AVAILABILITY["on.workflow_call.outputs.<output_id>.value"][0] == {"github", "jobs", "vars", "inputs"}
    assert "hashFiles" in AVAILABILITY["jobs.<job_id>.steps.with"][1]
    assert "always" in AVAILABILITY["jobs.<job_id>.if"][1] and "hashFiles" not in AVAILABILITY["jobs.<job_id>.if"][1]


def test_expression_problems_name_the_key_and_the_reason():
    text = """on: push
jobs:
  build:
    runs-on: ubuntu-latest
    env:
      KEY: ${{ hashFiles('x') }}
    steps:
      - if: secrets.TOKEN != '' && always()
        run: echo ${{ toJSON(env) }} ${{ runner.os }}
"""
    assert findings("gha-expression-invalid", text) == [
        (6, "jobs.build.env.KEY: ${{ hashFiles('x') }}: hashFiles() is only available in step keys"),
        (8, "jobs.build.steps[0].if: ${{ secrets.TOKEN != '' && always() }}: the secrets context is not available in step if: "
            "(only env, github, inputs, job, matrix, needs, runner, steps, strategy, vars)"),
    ]


def test_composite_actions_are_checked_for_syntax_and_names_only():
    text = """name: a
description: b
runs:
  using: composite
  steps:
    - run: echo ${{ inputs.x }} ${{ steps.y.outputs.z }} ${{ github.sha }}
      shell: bash
    - run: echo ${{ startWith(inputs.x, 'a') }}
      shell: bash
"""
    assert [line for line, _ in findings("gha-expression-invalid", text, "action.yml")] == [8]


def test_if_always_true_only_for_mixed_text():
    text = """on: push
jobs:
  a:
    if: ${{ true }}
    runs-on: ubuntu-latest
    steps:
      - if: "${{ false }} "
        run: echo
      - if: false
        run: echo
"""
    assert [line for line, _ in findings("gha-if-always-true", text)] == [7]


@pytest.mark.parametrize(
    ("cron", "gap"),
    [("*/5 * * * *", 5), ("0 * * * *", 60), ("0,30 * * * *", 30), ("58,2 * * * *", 4), ("*/1 * * * *", 1), ("10-20/5 * * * *", 5)],
)
def test_cron_intervals(cron, gap):
    assert shortest_interval(cron_values(cron)[0]) == gap


@pytest.mark.parametrize(
    "cron", ["* * * *", "60 * * * *", "0 0 32 * *", "0 0 * 13 *", "0 0 * * 7", "5-1 * * * *", "*/0 * * * *", "0,,1 * * * *", "a * * * *"]
)
def test_invalid_crons(cron):
    with pytest.raises(CronError):
        cron_values(cron)


def test_cron_names_are_case_insensitive():
    assert cron_values("0 0 * jan-MAR Mon,fri")[3:] == [{1, 2, 3}, {1, 5}]


def test_needs_cycles_and_self_needs():
    text = """on: push
jobs:
  a:
    needs: a
    runs-on: ubuntu-latest
    steps: [{run: echo}]
  b:
    needs: [c]
    runs-on: ubuntu-latest
    steps: [{run: echo}]
  c:
    needs: [B]
    runs-on: ubuntu-latest
    steps: [{run: echo}]
"""
    assert findings("gha-needs-invalid", text) == [
        (4, "job a is in a needs cycle (a -> a)"),
        (8, "job b is in a needs cycle (b -> c -> b)"),
    ]


def test_env_file_writes_see_heredocs_groups_and_powershell():
    script = "\n".join([
        'echo "A=1" >> "$GITHUB_ENV"',
        "cat >> $GITHUB_ENV <<EOF",
        "B=${{ github.head_ref }}",
        "EOF",
        "{",
        '  echo "C=2"',
        '} >> "${GITHUB_PATH}"',
        '"D=3" | Out-File -FilePath $env:GITHUB_ENV -Append',
        'echo "E=4" >> "$GITHUB_OUTPUT"',
    ])
    writes = env_file_writes(script, logical_lines(script))
    assert [(write.line, write.file) for write in writes] == [(0, "GITHUB_ENV"), (1, "GITHUB_ENV"), (6, "GITHUB_PATH"), (7, "GITHUB_ENV")]
    assert writes[1].text == "B=${{ github.head_ref }}"
    assert writes[2].text.startswith("{")


def test_cache_poisoning_follows_needs_to_the_jobs_that_build():
    text = """on:
  release:
    types: [published]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-go@v6
      - run: go build -o dist/app
      - uses: actions/upload-artifact@v6
        with: {name: app, path: dist/}
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-go@v6
      - run: go test ./...
  publish:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v7
      - run: gh release upload "$TAG" dist/app
"""
    assert [line for line, _ in findings("gha-cache-poisoning", text)] == [8]


def test_messages_stay_short_and_name_a_repeated_action_once():
    steps = "\n".join(f"      - uses: vendor{n % 5}/tool@v{n}" for n in range(40))
    labels = " && ".join(f"github.event.pull_request.labels[{n}].name == 'x'" for n in range(20))
    text = f"""on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
{steps}
      - if: ${{{{ github.actor == 'dependabot[bot]' && {labels} }}}}
        run: echo
"""
    found = findings("gha-checkout-persist-credentials", text) + findings("gha-if-always-true", text)
    assert found and all(len(message) <= 300 for _, message in found)
    message = findings("gha-checkout-persist-credentials", text)[0][1]
    assert message.count("vendor1/tool") == 1 and "and 2 more" in message


def test_expressions_in_multi_line_values_land_on_their_own_line():
    text = """on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/github-script@v8
        with:
          github-token: ${{ secrets.TOKEN }}
          result-encoding: |
            first line
            ${{ gihub.sha }}
      - if: >-
          github.event_name == 'push' &&
          ${{ startWith(github.ref, 'refs/tags/') }}
        run: echo
"""
    assert [line for line, _ in findings("gha-expression-invalid", text)] == [11, 14]
