"""Every fixable policy's fix, on its own examples: each fail example is fixed and checked again
clean for that rule, with no parse-error, no schema error and no new finding of another rule; each
before/after example gives exactly the after text; a second --fix changes nothing (idempotent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from policylint.catalog import load_policies
from policylint.core.fixes import Fix
from policylint.examples import example_files, strip_markers
from policylint.fixing import run_fixes
from policylint.options import RunOptions
from policylint.runner import check

POLICIES = load_policies(())
FIXABLE = [policy for policy in POLICIES if policy.fix]
SCHEMA_RULES = {"k8s-schema-invalid", "compose-schema-invalid", "gha-schema-invalid", "gitlab-schema-invalid",
                "docker-syntax-error", "parse-error", "policy-error"}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(strip_markers(text)[0], encoding="utf-8")


def _options(root: Path, policy_id: str, **extra: Any) -> RunOptions:
    return RunOptions(paths=(str(root),), enable=[policy_id], jobs=1, unsafe_fixes=True, respect_gitignore=False,
                      **extra)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def _cases() -> list[Any]:
    cases = []
    for policy in FIXABLE:
        for number, example in enumerate(policy.examples.get("fail", [])):
            cases.append(pytest.param(policy, example, id=f"{policy.id}-fail[{number}]"))
    return cases


def test_some_policies_have_fixes() -> None:
    assert len(FIXABLE) >= 10


@pytest.mark.parametrize(("policy", "example"), _cases())
def test_fail_example_is_fixed_cleanly(policy: Any, example: Any, tmp_path: Path) -> None:
    _write(tmp_path, example_files(policy, example))
    before = check(_options(tmp_path, policy.id, resolve_fixes=True), POLICIES)
    ours = [finding for finding in before.active if finding.policy_id == policy.id]
    if not ours:
        pytest.skip("the example needs loading the suite's example runner does (kustomize, charts, includes)")
    fixable = [finding for finding in ours if isinstance(finding.fix, Fix) and finding.fix.available]
    if not fixable:  # the fix's `when` or the file's shape rules it out: each says why, or has no plan
        assert all(finding.fix is None or finding.fix.reason for finding in ours)
        FIXED_NONE.add((policy.id, str(example)[:40]))
        return
    FIXED_SOME.add(policy.id)
    others_before = {finding.fingerprint for finding in before.active if finding.policy_id != policy.id}

    after, outcome = run_fixes(_options(tmp_path, policy.id), POLICIES, write=True)
    assert outcome.fixed[policy.id] >= 1
    left = [finding for finding in after.active if finding.policy_id == policy.id]
    still_fixable = [finding for finding in left if isinstance(finding.fix, Fix) and finding.fix.available]
    assert not still_fixable, [(f.line, f.message) for f in still_fixable]
    assert len(left) <= len(ours) - len(fixable) or not left
    broken = [(f.policy_id, f.path, f.line, f.message) for f in after.active
              if f.policy_id in SCHEMA_RULES and f.fingerprint not in others_before]
    assert not broken
    new = [(f.policy_id, f.line, f.message) for f in after.active
           if f.policy_id != policy.id and f.fingerprint not in others_before]
    assert not new

    fixed = _snapshot(tmp_path)
    _, again = run_fixes(_options(tmp_path, policy.id), POLICIES, write=True)
    assert again.total == 0
    assert _snapshot(tmp_path) == fixed


FIXED_SOME: set[str] = set()
FIXED_NONE: set[tuple[str, str]] = set()


def test_every_fix_fixes_one_of_its_examples() -> None:
    """Runs after the parametrised cases (pytest keeps file order): each fix fixed something."""
    ran = {policy.id for policy in FIXABLE if policy.examples.get("fail")}
    if not FIXED_SOME:
        pytest.skip("run with the parametrised cases")
    assert ran <= FIXED_SOME, ran - FIXED_SOME


def test_every_builtin_fix_has_a_before_after_example() -> None:
    """They run with the policy's other examples (policylint.examples.run_fix_example, tests/test_policy_examples.py)."""
    assert [policy.id for policy in FIXABLE if not policy.fix.get("examples")] == []
