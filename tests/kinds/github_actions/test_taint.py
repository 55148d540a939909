"""gha-script-injection beyond the expression itself: one hop back through `env:` and the
matrix, and the lower severity of findings that read only workflow_dispatch/workflow_call inputs
(the policy's `severity_when`, which a configured severity overrides)."""

from __future__ import annotations

from pathlib import Path

from policylint.kinds.github_actions.targets import indirect_references, typed_dispatch_inputs

WORKFLOW = """\
on:
  workflow_dispatch:
    inputs:
      target: {type: string}
  issues:
env:
  TITLE: ${{ github.event.issue.title }}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo ${{ inputs.target }}
      - run: echo ${{ env.TITLE }} ${{ inputs.target }}
      - run: echo ${{ env.title || inputs.target }}
"""


def test_env_sources_nearest_scope_first_and_case_insensitive():
    scopes = [{"Title": "fixed"}, {"TITLE": "${{ github.event.issue.title }}", "B": "${{ github.head_ref }}"}]
    assert indirect_references(["env.title"], scopes, None) == []  # the step's own env sets it again
    assert indirect_references(["env.b"], scopes, None) == [{"reference": "env.B", "sources": ["github.head_ref"]}]
    assert indirect_references(["env"], scopes, None) == [
        {"reference": "env.*", "sources": ["github.event.issue.title", "github.head_ref"]}
    ]
    whole = ["${{ fromJSON(github.event.comment.body) }}"]
    assert indirect_references(["env.x"], whole, None)[0]["sources"] == ["github.event.comment.body"]
    assert indirect_references(["github.sha", "steps.a.outputs.b"], scopes, None) == []


def test_matrix_sources_values_include_and_whole_expressions():
    matrix = {
        "os": ["ubuntu-latest"],
        "Label": ["${{ github.event.pull_request.head.label }}", "fixed"],
        "include": [{"branch": "${{ github.head_ref }}"}, "${{ fromJSON(github.event.issue.body) }}"],
    }
    assert indirect_references(["matrix.label"], [], matrix) == [  # an include entry built by an expression sets any key
        {"reference": "matrix.Label", "sources": ["github.event.pull_request.head.label", "github.event.issue.body"]}
    ]
    assert indirect_references(["matrix.branch"], [], matrix)[0]["sources"] == ["github.head_ref", "github.event.issue.body"]
    assert indirect_references(["matrix.os"], [], matrix)[0]["sources"] == ["github.event.issue.body"]
    assert indirect_references(["matrix.os"], [], {"os": ["a", "b"]}) == []
    built = "${{ fromJSON(needs.setup.outputs.matrix) }}"
    assert indirect_references(["matrix.k"], [], built) == [{"reference": "matrix.k", "sources": ["needs.setup.outputs.matrix"]}]


def test_typed_inputs_of_dispatch_and_call():
    data = {"on": {
        "workflow_dispatch": {"inputs": {"flag": {"type": "boolean"}, "both": {"type": "choice"}, "text": {}}},
        "workflow_call": {"inputs": {"count": {"type": "number"}, "both": {"type": "string"}}},
    }}
    assert typed_dispatch_inputs(data) == ["count", "flag"]  # `both` is free text when called


def test_inputs_only_are_low_and_outsider_data_stays_critical(run_json, tmp_path: Path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "a.yml").write_text(WORKFLOW)
    code, report = run_json(".", "--select", "gha-script-injection", "--fail-on", "high", cwd=tmp_path)
    found = [(f["line"], f["column"], f["severity"], f["message"].split(" into ")[0]) for f in report["findings"]]
    assert found == [
        (12, 19, "low", "run expands caller-controlled inputs.target"),
        (13, 19, "critical", "run expands attacker-controllable github.event.issue.title (through env.TITLE)"),
        (13, 36, "low", "run expands caller-controlled inputs.target"),
        (14, 19, "critical",
         "run expands attacker-controllable github.event.issue.title (through env.TITLE), inputs.target"),
    ]
    assert code == 1


def test_a_configured_severity_applies_to_every_finding(run_json, tmp_path: Path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "a.yml").write_text(WORKFLOW)
    (tmp_path / ".policylint.yaml").write_text("severity: {gha-script-injection: high}\n")
    _, report = run_json(".", "--select", "gha-script-injection", cwd=tmp_path)
    assert [f["severity"] for f in report["findings"]] == ["high"] * 4


def test_only_inputs_below_fail_on_do_not_fail_the_run(run_json, tmp_path: Path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "a.yml").write_text(WORKFLOW.replace("${{ env.TITLE }}", "x").replace("env.title || ", ""))
    code, report = run_json(".", "--select", "gha-script-injection", "--fail-on", "high", cwd=tmp_path)
    assert {f["severity"] for f in report["findings"]} == {"low"} and code == 0
