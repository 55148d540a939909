"""Users' own policies in the languages their clusters and CI already speak: CEL and Rego.

A policy folder (`--policies DIR`, `policy-dirs:`) may hold, beside policylint YAML policies,
Kubernetes ValidatingAdmissionPolicy objects (plus bindings and param objects) and Kyverno
ValidatingPolicy objects (`vap.py`), Rego files in conftest's conventions (`rego.py`), and YAML
policies whose test is a CEL `assert:` (`assertions.py`). Each becomes an ordinary `Policy` whose
`evaluator` the engine calls in place of a JSON Schema condition, so positions, suppressions,
selection, every output format and the compliance report treat them like built-in policies.

Nothing here is imported unless such a policy is present; the CEL and Rego runtimes are optional
extras (`policylint[cel]`, `policylint[rego]`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policylint.core.conditions import Violation
from policylint.core.policies import Policy
from policylint.core.records import record

#: Finding severity for a policy that cannot be loaded or evaluated.
SEVERITY_NAMES = ("critical", "high", "medium", "low")


@record(frozen=True, slots=True)
class OwnViolation(Violation):
    """A violation that may carry its own severity (a Rego `warn`, a result's `severity`)."""

    severity: str | None = None


@dataclass(frozen=True)
class LoadProblem:
    """A user policy that cannot be used: reported once as a `policy-error` at its file and line."""

    path: str
    line: int
    message: str
    column: int = 1


@dataclass
class OwnPolicies:
    """What the user's folders gave beyond policylint YAML policies."""

    policies: list[Policy] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)


def own_policy(
    policy_id: str,
    *,
    title: str,
    severity: str,
    file_kind: str,
    target: str,
    source: Path,
    evaluator: Any,
    language: str,
    description: str = "",
    frameworks: dict[str, list[str]] | None = None,
    line: int = 1,
) -> Policy:
    """A Policy whose test is `evaluator` (its `violations_in(view)` gives the findings' places and messages)."""
    return Policy(
        id=policy_id,
        title=title,
        severity=severity if severity in SEVERITY_NAMES else "high",
        rationale=description or title,
        remediation="See the policy's source.",
        message="{reason}",
        match={"target": target, "file": file_kind},
        condition=True,
        example_data={},
        file_kind=file_kind,
        source=source,
        description=description,
        frameworks=frameworks or {},
        report="each",
        evaluator=evaluator,
        language=language,
        source_line=line,
    )


def is_kubernetes_object(data: Any) -> bool:
    """A user YAML document that is a Kubernetes object (a VAP, binding or param), not a policylint policy."""
    return isinstance(data, dict) and "apiVersion" in data and "kind" in data and "id" not in data
