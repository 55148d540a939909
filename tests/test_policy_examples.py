"""Every policy's embedded examples: fail examples give exactly the marked (id, line) pairs,
pass examples give none of the policy's findings."""

from __future__ import annotations

import pytest

from policylint.catalog import load_policies
from policylint.examples import check_policy_examples, iter_examples, run_example

POLICIES = list(load_policies())
CASES = [
    pytest.param(policy, name, example, is_fail, id=f"{policy.id}/{name}")
    for policy in POLICIES
    for name, example, is_fail in iter_examples(policy)
]


@pytest.mark.parametrize(("policy", "name", "example", "is_fail"), CASES)
def test_example(policy, name, example, is_fail):
    if policy.relation == "shellcheck" and is_fail:
        from policylint.core.shellcheck import runtime

        if runtime() is None:
            pytest.skip("the ShellCheck runtime is not installed (pip install -e .[shell], part of .[test])")
    result = run_example(policy, example, name, is_fail)
    if is_fail:
        assert result.expected, f"{policy.id} {name} marks no expected line"
    assert result.ok, result.describe()


def test_every_policy_has_fail_and_pass_examples():
    for policy in POLICIES:
        results = check_policy_examples(policy)
        names = {result.name.split("[")[0] for result in results}
        assert names == ({"fail", "pass", "fix"} if (policy.fix or {}).get("examples") else {"fail", "pass"}), policy.id
