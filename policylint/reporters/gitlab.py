"""GitLab Code Quality JSON (the `codequality` report artifact): one issue per unsuppressed finding."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from policylint.core.findings import Finding

if TYPE_CHECKING:
    from policylint.runner import RunReport

#: GitLab's scale is info < minor < major < critical < blocker.
SEVERITIES = {"critical": "critical", "high": "major", "medium": "minor", "low": "info"}


def issue(finding: Finding) -> dict[str, Any]:
    """One Code Quality issue."""
    return {
        "type": "issue",
        "check_name": finding.policy_id,
        "description": f"{finding.policy_id}: {finding.message}",
        "categories": ["Security"],
        "severity": SEVERITIES.get(finding.severity, "minor"),
        "fingerprint": finding.fingerprint,
        "location": {"path": finding.path, "lines": {"begin": max(finding.line, 1)}},
    }


def write(report: RunReport, out: IO[str], color: bool = False) -> None:
    """The JSON array GitLab reads, one issue per line (policylint.reporters.jsonstream)."""
    from policylint.reporters.jsonstream import write_records

    write_records((issue(finding) for finding in report.findings if finding.suppression is None), out, 0)
    out.write("\n")


def render(report: RunReport, color: bool = False) -> str:
    """The JSON array GitLab reads, as text."""
    from io import StringIO

    buffer = StringIO()
    write(report, buffer)
    return buffer.getvalue()
