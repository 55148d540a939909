"""Metadata lint for the built-in policies (ids, files, schema, docs fields)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policylint.catalog import load_policies
from policylint.core.conditions import check_schema
from policylint.core.policies import builtin_policy_dir, parse_policy

REQUIRED = [
    line.strip()
    for line in (Path(__file__).with_name("required_policies.txt")).read_text().splitlines()
    if line.strip() and line.strip() not in ("parse-error", "policy-error")
]
POLICY_SET = load_policies()
FILES = sorted(builtin_policy_dir().rglob("*.yaml"))
POLICY_FILES = [path for path in FILES if path.parent.name in ("kubernetes", "dockerfile", "compose", "github-actions", "gitlab", "helm")]


@pytest.mark.parametrize("policy_id", REQUIRED)
def test_required_policy_exists(policy_id):
    assert POLICY_SET.get(policy_id) is not None, f"catalog policy {policy_id} is missing"


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: p.stem)
def test_policy_file_is_valid(path):
    policy = parse_policy(path, path.read_text(encoding="utf-8"), validate=True)
    assert re.fullmatch(r"(k8s|docker|compose|gha|gitlab|helm)-[a-z0-9-]+", policy.id)
    if policy.id not in REQUIRED:  # catalog ids are a contract (compose-no-resource-limits keeps its name)
        assert not re.match(r"(k8s|docker|compose|gha|gitlab|helm)-(no|avoid|use|prefer)-", policy.id)
    domain_folder = {
        "k8s": "kubernetes", "docker": "dockerfile", "compose": "compose", "gha": "github-actions", "gitlab": "gitlab", "helm": "helm",
    }
    assert path.parent.name == domain_folder[policy.domain]
    assert policy.remediation.endswith("."), "remediation is one sentence ending with a period"
    assert all(ref.startswith("https://") for ref in policy.references)
    assert check_schema(policy.condition) is None
    if policy.when is not None:
        assert check_schema(policy.when) is None
