"""Findings: what the engine reports and every reporter renders."""

from __future__ import annotations

from typing import Any

from policylint.core.digests import sha256
from policylint.core.records import field, record, replace

SEVERITIES = ("critical", "high", "medium", "low")
SEVERITY_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES), start=1)}
#: `--fail-on never` makes every run exit 0 unless the input itself is unusable.
FAIL_ON_CHOICES = (*SEVERITIES, "never")

PARSE_ERROR = "parse-error"
POLICY_ERROR = "policy-error"


@record(frozen=True, slots=True)
class Location:
    """A place in a scanned file."""

    path: str
    line: int
    column: int = 1
    message: str = ""


@record(frozen=True, slots=True)
class Suppression:
    """Why a finding is not counted: the kind of suppression and the justification given."""

    kind: str  # inline | file | annotation | config | baseline
    justification: str
    expires: str = ""
    location: Location | None = None


@record(frozen=True, slots=True)
class Finding:
    """One violation of one policy at one place.

    `logical` names the place without its line (e.g. `Deployment/default/api#container[app]`),
    so the fingerprint survives edits that move lines.
    """

    policy_id: str
    severity: str
    path: str
    line: int
    column: int
    message: str
    file_kind: str = ""
    resource_kind: str = ""
    resource_namespace: str = ""
    resource_name: str = ""
    logical: str = ""
    related: tuple[Location, ...] = ()
    suppression: Suppression | None = None
    fingerprint: str = field(default="")
    #: How to fix it (policylint.core.fixes.FixPlan), when its policy has a fix; not part of equality.
    fix: Any = field(default=None, compare=False, repr=False)

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order used everywhere: file, line, column, policy id, fingerprint."""
        return (self.path, self.line, self.column, self.policy_id, self.fingerprint)

    def with_fingerprint(self, occurrence: int = 0) -> Finding:
        """A copy with the stable fingerprint set (line-independent)."""
        basis = "\x1f".join((self.policy_id, self.path, self.logical or f"line {self.line}", str(occurrence)))
        return replace(self, fingerprint=sha256(basis.encode()).hexdigest()[:32])


def assign_fingerprints(findings: list[Finding]) -> list[Finding]:
    """Give each finding its fingerprint; identical logical places are told apart by their order."""
    seen: dict[tuple[str, str, str], int] = {}
    result = []
    for finding in sorted(findings, key=lambda f: (f.path, f.line, f.column, f.policy_id, f.message)):
        key = (finding.policy_id, finding.path, finding.logical or f"line {finding.line}")
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        result.append(finding.with_fingerprint(occurrence))
    result.sort(key=lambda f: f.sort_key)
    return result


def severity_at_least(severity: str, threshold: str) -> bool:
    """True when `severity` is at or above `threshold` (`never` is above everything)."""
    if threshold == "never":
        return False
    return SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK[threshold]
