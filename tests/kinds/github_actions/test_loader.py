"""The GitHub Actions loader and targets: `on:` forms, reusable workflows, `uses:` parsing and
comments, exact lines of `${{ }}` and script lines inside multi-line scalars, github-script,
composite actions, the dependabot file, and bad input."""

from __future__ import annotations

import json

import pytest

from policylint.core.kinds import detect_by_content, detect_by_name
from policylint.core.loading import load_bytes
from policylint.kinds.github_actions.loader import EXPRESSION_STEP, LINE_STEP, role
from policylint.kinds.github_actions.targets import expression, job, parse_uses, step, triggers, uses

WORKFLOW = ".github/workflows/ci.yml"


def load(text: str, path: str = WORKFLOW):
    return load_bytes(path, text.encode(), detect_by_name(path) or "yaml")


def only_document(text: str, path: str = WORKFLOW):
    result = load(text, path)
    assert not result.failures, result.failures
    assert len(result.documents) == 1
    return result.documents[0]


def expression_lines(doc):
    return [(view.instance["expression"], view.anchors[()].pointer and doc.position(view.anchors[()].pointer)[0].line)
            for view in expression(doc, {})]


# --- detection and `on:` ---------------------------------------------------------------------

def test_detection_by_name_and_content():
    assert detect_by_name(".github/workflows/ci.yml") == "github-actions"
    assert detect_by_name("sub/action.yaml") == "github-actions"
    assert detect_by_name(".github/dependabot.yml") == "github-actions"
    assert detect_by_name("docs/dependabot.yml") == "yaml"
    assert detect_by_content("on: push\njobs:\n  a:\n    runs-on: x\n") == "github-actions"


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("on: push", ["push"]),
        ("on: [push, pull_request]", ["push", "pull_request"]),
        ("on:\n  - push\n  - workflow_dispatch", ["push", "workflow_dispatch"]),
        ("on:\n  push:\n    branches: [main]\n  pull_request_target:\n  schedule:\n    - cron: '0 0 * * *'",
         ["push", "pull_request_target", "schedule"]),
        ('"on": push', ["push"]),
        ("'on': [issues]", ["issues"]),
    ],
)
def test_on_in_every_form(on, expected):
    doc = only_document(f"{on}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{{run: echo}}]\n")
    assert triggers(doc.data) == expected


def test_unquoted_on_is_the_string_key_on_not_yaml11_true():
    """PyYAML (YAML 1.1) reads an unquoted `on` as the boolean true; the key must stay "on"."""
    doc = only_document("on:\n  push:\njobs: {}\n")
    assert list(doc.data) == ["on", "jobs"]
    assert all(isinstance(key, str) for key in doc.data)
    assert doc.positions[("on",)].line == 1
    json.dumps(doc.data)  # the data stays JSON-like


# --- jobs, reusable workflows, uses ----------------------------------------------------------

REUSABLE = """\
on: push
jobs:
  call:
    uses: acme/pipelines/.github/workflows/build.yml@v2
    with: {target: prod}
    secrets: inherit
  local:
    uses: ./.github/workflows/lint.yml
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2
      - uses: docker://alpine@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
      - {uses: actions/cache@v3, with: {path: x}}  # pin me
"""


def test_reusable_workflow_jobs():
    doc = only_document(REUSABLE)
    views = {view.instance["id"]: view for view in job(doc, {})}
    assert {key: view.instance["reusable"] for key, view in views.items()} == {"call": True, "local": True, "build": False}
    assert doc.position(views["call"].anchors[()].pointer)[0].line == 3


def test_every_uses_is_parsed_with_its_line_and_comment():
    doc = only_document(REUSABLE)
    found = [
        (view.instance["level"], view.instance["kind"], view.instance["action"], view.instance["ref"][:7],
         view.instance["pinned"], view.instance["major"], doc.position(view.anchors[()].pointer)[0].line)
        for view in uses(doc, {})
    ]
    assert found == [
        ("job", "reusable", "acme/pipelines", "v2", False, 2, 4),
        ("job", "local", "", "", True, None, 8),
        ("step", "action", "actions/checkout", "11bd719", True, 4, 12),
        ("step", "docker", "", "", True, None, 13),
        ("step", "action", "actions/cache", "v3", False, 3, 14),
    ]
    assert doc.comments[("jobs", "build", "steps", 0, "uses")] == "v4.2.2"
    assert doc.comments[("jobs", "build", "steps", 2, "uses")] == "pin me"


def test_parse_uses_judges_a_sha_by_its_version_comment():
    sha = "f43a0e5ff2bd294095638e18286ca9a3d1956744"
    assert parse_uses(f"actions/checkout@{sha}", "v3.6.0")["major"] == 3
    assert parse_uses(f"actions/checkout@{sha}", "tag=v4.1.1")["major"] == 4
    assert parse_uses(f"actions/checkout@{sha}")["major"] is None
    assert parse_uses("actions/checkout@v3", "v5")["major"] == 3  # a tag speaks for itself
    sub = parse_uses("github/codeql-action/init@v3")
    assert (sub["action"], sub["path"], sub["kind"]) == ("github/codeql-action", "init", "action")
    assert parse_uses("docker://alpine:3")["pinned"] is False


# --- exact lines inside scripts --------------------------------------------------------------

SCRIPTS = """\
on: issues
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - name: literal
        run: |
          echo start

          echo "${{ github.event.issue.title }}"
          echo ${{ github.sha }} ${{ github.head_ref }}
      - name: folded
        run: >-
          echo one
          echo "${{ github.event.issue.body }}"

          echo ${{ github.sha }}
      - name: plain multi-line
        run: echo first
          ${{ github.event.comment.body }}
          and ${{ github.sha }}
      - name: double quoted
        run: "echo \\"${{ github.event.issue.title }}\\"
          next ${{ github.head_ref }}"
      - name: single quoted
        run: 'echo ''it''''s'' ${{ github.sha }}
          then ${{ github.event.issue.body }}'
      - run: echo ${{ inputs.x }}
"""


def test_expression_lines_in_every_scalar_style():
    doc = only_document(SCRIPTS)
    assert expression_lines(doc) == [
        ("github.event.issue.title", 10),
        ("github.sha", 11),
        ("github.head_ref", 11),
        ("github.event.issue.body", 15),
        ("github.sha", 17),
        ("github.event.comment.body", 20),
        ("github.sha", 21),
        ("github.event.issue.title", 23),
        ("github.head_ref", 24),
        ("github.sha", 26),
        ("github.event.issue.body", 27),
        ("inputs.x", 28),
    ]


def test_expression_columns_are_exact():
    doc = only_document(SCRIPTS)
    pointer = ("jobs", "a", "steps", 0, "run", EXPRESSION_STEP, 2)
    assert doc.positions[pointer].line == 11
    assert SCRIPTS.split("\n")[10][doc.positions[pointer].column - 1 :].startswith("${{ github.head_ref }}")


def test_script_lines_map_to_source_lines():
    doc = only_document(SCRIPTS)
    lines = {index: doc.positions[("jobs", "a", "steps", 0, "run", LINE_STEP, index)].line for index in (0, 2, 3)}
    assert lines == {0: 8, 2: 10, 3: 11}
    assert ("jobs", "a", "steps", 0, "run", LINE_STEP, 1) not in doc.positions  # the blank line
    views = list(step(doc, {}))
    assert views[0].instance["runLines"][2] == 'echo "${{ github.event.issue.title }}"'


def test_continued_lines_are_joined_onto_their_first_line():
    doc = only_document(
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n"
        "      - run: |\n          curl -s https://x \\\n            | sh\n          echo done\n"
    )
    run_lines = next(iter(step(doc, {}))).instance["runLines"]
    assert run_lines[0] == "curl -s https://x  | sh"
    assert run_lines[1] == "" and run_lines[2] == "echo done"


def test_aliased_script_points_at_the_anchored_text():
    text = "x-script: &s echo ${{ github.event.issue.title }}\non: issues\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: *s\n"
    doc = only_document(text)
    assert expression_lines(doc) == [("github.event.issue.title", 1)]


def test_github_script_is_indexed_and_other_with_script_is_not():
    text = """\
on: issues
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/github-script@v8
        with:
          script: |
            const t = "${{ github.event.issue.title }}"
            console.log(t)
      - uses: some/other@v1
        with:
          script: echo ${{ github.event.issue.body }}
"""
    doc = only_document(text)
    views = list(expression(doc, {}))
    assert [(view.instance["context"], view.instance["expression"]) for view in views] == [
        ("script", "github.event.issue.title")
    ]
    assert doc.position(views[0].anchors[()].pointer)[0].line == 9


def test_expression_view_lists_what_flows_into_the_script():
    text = (
        "on: issues\njobs:\n  a:\n    runs-on: x\n    steps:\n"
        "      - run: echo ${{ contains(github.event.issue.title, 'x') }} ${{ github.event.issue.body || 'none' }}\n"
    )
    views = list(expression(only_document(text), {}))
    assert [view.instance["references"] for view in views] == [[], ["github.event.issue.body"]]
    assert views[0].instance["mentions"] == ["github.event.issue.title"]


# --- composite actions, dependabot, bad input ------------------------------------------------

def test_composite_action_steps():
    text = (
        "name: a\ndescription: d\nruns:\n  using: composite\n  steps:\n"
        "    - run: echo ${{ inputs.x }}\n      shell: bash\n    - uses: actions/cache@v4\n"
    )
    doc = only_document(text, "tools/setup/action.yml")
    assert role(doc.path) == "action"
    assert [view.instance["jobId"] for view in step(doc, {})] == ["", ""]
    assert [doc.position(view.anchors[()].pointer)[0].line for view in uses(doc, {})] == [8]
    assert expression_lines(doc) == [("inputs.x", 6)]
    assert list(job(doc, {})) == []


def test_dependabot_file_is_a_document_with_its_own_role():
    doc = only_document("version: 2\nupdates: []\n", ".github/dependabot.yml")
    assert role(doc.path) == "dependabot"
    assert list(step(doc, {})) == [] and list(uses(doc, {})) == []


def test_parse_errors_and_non_mappings_are_reported():
    broken = load("on: push\njobs:\n  a: [\n")
    assert not broken.documents and broken.failures[0].file_kind == "github-actions"
    listed = load("- on: push\n")
    assert not listed.documents and "must be a mapping" in listed.failures[0].reason


def test_synthetic_positions_do_not_touch_the_data():
    doc = only_document(SCRIPTS)
    assert json.loads(json.dumps(doc.data)) == doc.data
    assert doc.get(("jobs", "a", "steps", 0, "run", EXPRESSION_STEP, 0)) is None


def test_flow_scalar_ending_in_colons_is_not_a_parse_error():
    doc = only_document(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    env: {DNS: fe80::, LIST: [a:, b]}\n"
        "    steps:\n      - run: echo ${{ env.DNS }}\n"
    )
    assert doc.data["jobs"]["a"]["env"] == {"DNS": "fe80::", "LIST": ["a:", "b"]}
    assert doc.position(("jobs", "a", "env", "LIST", 0))[0].line == 5
    assert doc.position(("jobs", "a", "env", "LIST", 0))[0].column == 31
    assert expression_lines(doc) == [("env.DNS", 7)]


def test_scripts_of_reads_windows_in_the_labels_of_a_runner_group() -> None:
    from policylint.kinds.github_actions.shell import scripts_of

    text = "on: push\njobs:\n  build:\n    runs-on: {group: big, labels: [windows-latest]}\n    steps:\n      - run: echo $x\n"
    assert scripts_of(only_document(text)) == []
    linux = text.replace("windows-latest", "ubuntu-latest")
    assert len(scripts_of(only_document(linux))) == 1
