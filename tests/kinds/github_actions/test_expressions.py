"""What a `${{ }}` expression lets through into a script, and context pattern matching."""

from __future__ import annotations

import pytest

from policylint.kinds.github_actions.expressions import analyse, matches_context
from policylint.kinds.github_actions.relations import tainted_references


@pytest.mark.parametrize(
    ("expression", "flows"),
    [
        ("github.event.issue.title", ["github.event.issue.title"]),
        ("contains(github.event.issue.title, 'bug')", []),
        ("startsWith(github.head_ref, 'release/') && 'a' || 'b'", []),
        ("github.event.issue.title == 'x'", []),
        ("!github.event.issue.title", []),
        ("github.event.pull_request.head.ref || 'main'", ["github.event.pull_request.head.ref"]),
        ("format('{0}-{1}', github.event.issue.body, github.sha)", ["github.event.issue.body", "github.sha"]),
        ("toJSON(github.event.issue)", ["github.event.issue"]),
        ("github.event.inputs['target']", ["github.event.inputs.target"]),
        ("github.event.commits[0].message", ["github.event.commits.*.message"]),
        ("fromJSON(steps.meta.outputs.json).tags", ["steps.meta.outputs.json"]),
        ("(github.event.issue.title)", ["github.event.issue.title"]),
        ("hashFiles('**/Cargo.lock')", []),
        ("github.event.pull_request && github.event.pull_request.head.ref", ["github.event.pull_request.head.ref"]),
        ("(github.event.pull_request && github.event.pull_request.head.repo.full_name != github.repository) || 'x'", []),
        ("github.event.issue.title && 'yes' || github.head_ref", ["github.head_ref"]),
    ],
)
def test_flows(expression, flows):
    assert list(analyse(expression).flows) == flows


def test_unparseable_text_falls_back_to_every_mention():
    assert analyse("github.event.issue.title ??? github.sha").flows == ("github.event.issue.title", "github.sha")


def test_context_patterns():
    assert matches_context("github.event.commits.*.message", "github.event.commits.*.message")
    assert matches_context("github.event.issue", "github.event.issue.title")  # a whole object
    assert matches_context("github.event.inputs.target", "github.event.inputs.*")
    assert matches_context("GitHub.Head_Ref", "github.head_ref")
    assert not matches_context("github.event.pull_request.number", "github.event.pull_request.head.ref")
    assert not matches_context("github.sha", "github.head_ref")


def test_tainted_references_respect_events_and_typed_inputs():
    contexts = ["github.event.issue.title", "github.event.inputs.*", {"context": "inputs.*", "events": ["workflow_dispatch"]}]
    refs = ["inputs.name", "inputs.flag", "github.event.inputs.flag", "github.event.issue.title", "github.sha"]
    assert tainted_references(refs, ["workflow_dispatch"], ["flag"], contexts) == ["inputs.name", "github.event.issue.title"]
    assert tainted_references(refs, ["workflow_call"], [], contexts) == ["github.event.inputs.flag", "github.event.issue.title"]
