"""GitHub's expression language: the parser on the examples of GitHub's documentation, and the
problems it reports."""

from __future__ import annotations

import re

import pytest

from policylint.kinds.github_actions.expressions import ExpressionError, Node, parse, problems, references


@pytest.mark.parametrize(
    "text",
    [
        # docs.github.com "Evaluate expressions in workflows and actions": literals, operators, functions
        "null",
        "false",
        "711",
        "-9.2",
        "0xff",
        "-2.99e-2",
        "'Mona the Octocat'",
        "'It''s open source!'",
        "github.event_name == 'push' && github.ref == 'refs/heads/main'",
        "contains('Hello world', 'llo')",
        "contains(github.event.issue.labels.*.name, 'bug')",
        "contains(fromJSON('[\"push\", \"pull_request\"]'), github.event_name)",
        "startsWith('Hello world', 'He')",
        "endsWith('Hello world', 'ld')",
        "format('Hello {0} {1} {2}', 'Mona', 'the', 'Octocat')",
        "format('{{Hello {0} {1} {2}!}}', 'Mona', 'the', 'Octocat')",
        "join(github.event.issue.labels.*.name, ', ')",
        "toJSON(job)",
        "fromJSON(needs.job1.outputs.matrix)",
        "fromJSON(env.time)",
        "hashFiles('**/package-lock.json', '**/Gemfile.lock')",
        "success()",
        "always()",
        "cancelled()",
        "failure() && steps.demo.conclusion == 'failure'",
        "github.event.pull_request.head.repo.full_name != github.repository",
        "!startsWith(github.ref, 'refs/tags/')",
        "(github.event_name == 'push') || (github.event_name == 'pull_request' && github.base_ref == 'main')",
        "github['sha']",
        "steps.my-step.outputs.value",
        "matrix.os == 'ubuntu-latest' && 'x' || 'y'",
        "case(github.ref == 'refs/heads/main', 'production', 'staging')",
        "1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3",
    ],
)
def test_documented_expressions_parse_without_problems(text):
    assert problems(parse(text)) == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("github.event_name == \"push\"", "single quotes"),
        ("github.sha &&", "unexpected end of the expression"),
        ("(github.sha", "expected )"),
        ("github.", "expected a value but found the end"),
        ("github.'x'", "expected a property name"),
        ("", "empty"),
        ("github.sha github.ref", "after a complete expression"),
        ("github.sha = 'x'", "unexpected character"),
    ],
)
def test_syntax_errors(text, reason):
    with pytest.raises(ExpressionError, match=re.escape(reason)):
        parse(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("startWith(github.ref, 'v')", "unknown function startWith()"),
        ("contains(github.ref)", "contains() takes 2 arguments, given 1"),
        ("success(1)", "success() takes 0 arguments"),
        ("format()", "format() takes at least 1 argument"),
        ("case(true, 'a')", "case() takes at least 3 arguments, given 2"),
        ("case(true, 'a', false, 'b')", "odd number"),
        ("gihub.sha", "unknown context gihub"),
    ],
)
def test_unknown_names_and_arity(text, reason):
    assert any(reason in problem for problem in problems(parse(text)))


def test_tree_shape_and_precedence():
    tree = parse("!a.b || c == 'x' && d[0].e.*")
    assert tree.kind == "binary" and tree.value == "||"
    left, right = tree.children
    assert left == Node("not", None, (Node("property", "b", (Node("context", "a"),)),))
    assert right.value == "&&" and right.children[0].value == "=="
    assert right.children[1].kind == "filter"


def test_references_include_indexes_inside_chains():
    assert references(parse("secrets[format('{0}', matrix.name)]")) == ["secrets.*", "matrix.name"]
    assert references(parse("github.event.issue.labels.*.name")) == ["github.event.issue.labels.*.name"]


def test_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(ExpressionError):
        parse("(" * 5000 + "1" + ")" * 5000)
