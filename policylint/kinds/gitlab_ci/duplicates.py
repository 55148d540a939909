"""Jobs whose `rules:` run them in both a branch (push) pipeline and a merge request pipeline.

A push to a branch with an open merge request then starts two pipelines for one commit
(gitlab-duplicate-pipelines). Rules are read as GitLab evaluates them, first match wins; only
clauses whose meaning is plain are interpreted, anything else counts as matching some pipelines
of neither kind, so an unusual rule never produces a finding.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_SOURCE = r"\$\{?CI_PIPELINE_SOURCE\}?"
_MR_CLAUSE = re.compile(
    rf"^{_SOURCE}\s*==\s*[\"']merge_request_event[\"']$|^\$\{{?CI_MERGE_REQUEST_(IID|ID)\}}?$"
)
_PUSH_ALL = re.compile(rf"^{_SOURCE}\s*==\s*[\"']push[\"']$|^\$\{{?CI_COMMIT_BRANCH\}}?$")
_OPEN_MRS = re.compile(r"CI_OPEN_MERGE_REQUESTS")


def _clauses(condition: str) -> list[str] | None:
    """The `&&` clauses of a condition (stripped of outer parentheses), or None when it uses `||`."""
    text = condition.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    if "||" in text:
        return None
    return [part.strip() for part in text.split("&&")]


def duplicate_pipelines(rules: Any) -> int | None:
    """The index of the rule that lets a job run in every branch pipeline after an earlier rule
    let it run in merge request pipelines (or the reverse), or None when the rules do not."""
    if not isinstance(rules, list):
        return None
    in_mr = in_push = False
    mr_closed = push_closed = False
    for index, rule in enumerate(rules):
        if not isinstance(rule, Mapping):
            return None  # a `!reference` or a template expression: not judged
        never = rule.get("when") == "never"
        condition = rule.get("if")
        if condition is None:
            if never:
                return None  # nothing after an unconditional `when: never` runs
            mr_here = push_here = True
        elif not isinstance(condition, str):
            return None
        else:
            if never and _OPEN_MRS.search(condition):
                return None  # the usual guard against duplicates
            clauses = _clauses(condition)
            if clauses is None:
                continue
            mr_here = any(_MR_CLAUSE.match(clause) for clause in clauses)
            push_here = len(clauses) == 1 and bool(_PUSH_ALL.match(clauses[0]))
            if never:
                mr_closed = mr_closed or (mr_here and len(clauses) == 1)
                push_closed = push_closed or push_here
                continue
        if mr_here and not mr_closed:
            if in_push:
                return index
            in_mr = True
        if push_here and not push_closed:
            if in_mr:
                return index
            in_push = True
    return None


def workflow_rules(data: Any) -> bool:
    """True when a pipeline file sets `workflow: rules:` (which decides which pipelines exist)."""
    workflow = data.get("workflow") if isinstance(data, Mapping) else None
    return isinstance(workflow, Mapping) and "rules" in workflow
