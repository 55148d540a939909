"""`severity_when`: a policy reports some findings at another severity, chosen by data on the view."""

from __future__ import annotations

from pathlib import Path

import pytest

from policylint.core.documents import DocumentSet
from policylint.core.engine import EngineOptions, evaluate
from policylint.core.loading import load_bytes
from policylint.core.policies import PolicyFormatError, parse_policy

POLICY = """\
id: gha-step-name-missing
title: Step without a name
severity: medium
rationale: Named steps make logs readable.
remediation: Name the step.
match: {target: step}
severity_when:
  - severity: low
    reason: the step only runs a command
    when: {required: [step], properties: {step: {required: [run]}}}
condition:
  properties:
    step: {required: [name]}
message: "a step has no name"
examples:
  fail:
    - |
      on: push
      jobs:
        a:
          runs-on: x
          steps:
            - run: make  # expect: gha-step-name-missing
  pass:
    - |
      on: push
      jobs:
        a:
          runs-on: x
          steps:
            - {name: build, run: make}
"""
WORKFLOW = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n      - uses: a/b@v1\n"


def _severities(policy, overrides=None):
    documents = DocumentSet(load_bytes(".github/workflows/a.yml", WORKFLOW.encode(), "github-actions").documents)
    findings = evaluate(documents, [policy], EngineOptions(severity_overrides=overrides or {}))
    return sorted((finding.line, finding.severity) for finding in findings)


def test_first_matching_entry_sets_the_severity_else_the_policys(tmp_path: Path):
    policy = parse_policy(tmp_path / "gha-step-name-missing.yaml", POLICY)
    assert _severities(policy) == [(6, "low"), (7, "medium")]


def test_a_configured_severity_wins_over_every_entry(tmp_path: Path):
    policy = parse_policy(tmp_path / "gha-step-name-missing.yaml", POLICY)
    assert _severities(policy, {"gha-step-name-missing": "high"}) == [(6, "high"), (7, "high")]


@pytest.mark.parametrize(
    "entry",
    ["{severity: low, when: {}}", "{severity: urgent, when: {}, reason: x}", "{severity: low, when: {}, reason: x, extra: 1}"],
)
def test_malformed_entries_are_policy_format_errors(tmp_path: Path, entry: str):
    start, end = POLICY.index("  - severity: low"), POLICY.index("condition:")
    text = f"{POLICY[:start]}  - {entry}\n{POLICY[end:]}"
    with pytest.raises(PolicyFormatError, match="severity_when"):
        parse_policy(tmp_path / "gha-step-name-missing.yaml", text)
