"""Machine output with a stable, documented schema (`version` 1, see the README)."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from policylint import __version__
from policylint.core.findings import SEVERITIES, Finding

if TYPE_CHECKING:
    from policylint.runner import RunReport

SCHEMA_VERSION = 1


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """One finding as JSON-ready data."""
    data: dict[str, Any] = {
        "rule_id": finding.policy_id,
        "severity": finding.severity,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "message": finding.message,
        "file_kind": finding.file_kind,
        "resource": {
            "kind": finding.resource_kind,
            "namespace": finding.resource_namespace,
            "name": finding.resource_name,
        },
        "fingerprint": finding.fingerprint,
        "related": [
            {"path": r.path, "line": r.line, "column": r.column, "message": r.message} for r in finding.related
        ],
        "suppressed": finding.suppression is not None,
        "fix": fix_to_dict(finding.fix),
    }
    if finding.suppression is not None:
        data["suppression"] = {
            "kind": finding.suppression.kind,
            "justification": finding.suppression.justification,
            "expires": finding.suppression.expires,
        }
    return data


def fix_to_dict(fix: Any) -> dict[str, Any] | None:
    """A finding's fix as ruff's JSON gives it: applicability, message and edits with 1-based
    row/column ranges and replacement text; `reason` when the policy's fix cannot apply here."""
    from policylint.core.fixes import Fix

    if not isinstance(fix, Fix):
        return None
    data: dict[str, Any] = {
        "applicability": fix.applicability,
        "message": fix.description,
        "edits": [
            {"content": edit.content, "location": {"row": start_line, "column": start_column},
             "end_location": {"row": end_line, "column": end_column}}
            for edit, (start_line, start_column, end_line, end_column) in zip(fix.edits, fix.ranges, strict=True)
        ],
    }
    if fix.path:
        data["path"] = fix.path
    if fix.reason:
        data["reason"] = fix.reason
    return data


def document(report: RunReport) -> dict[str, Any]:
    """The report as data; `findings` is a generator, consumed once while writing."""
    counts = report.by_severity()
    active = report.active_count
    data: dict[str, Any] = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "policylint", "version": __version__, "policy_set": report.policy_set.digest},
    }
    if report.run:  # the CLI's `run` block (policylint.runinfo): which repository, commit and policy set
        data["run"] = report.run
    return data | {
        "findings": (finding_to_dict(finding) for finding in report.findings),
        "skipped": [{"path": item.path, "reason": item.reason} for item in report.skipped],
        "summary": {
            "files": len(report.files),
            "policies": len(report.policies),
            "findings": active,
            "suppressed": len(report.findings) - active,
            "by_severity": {name: counts[name] for name in SEVERITIES},
            "exit_code": report.exit_code(),
        },
    }


#: Lists written one compact record per line, and values written on one line (policylint.reporters.jsonstream).
RECORDS = frozenset({"findings", "skipped"})
INLINE = frozenset({"policies", "applicable"})


def write(report: RunReport, out: IO[str], color: bool = False) -> None:
    """Write the JSON report to `out`, one finding per line, as each is encoded."""
    from policylint.reporters import jsonstream

    jsonstream.write(document(report), out, RECORDS, inline=INLINE)
    out.write("\n")


def render(report: RunReport, color: bool = False) -> str:
    """The JSON report as text."""
    from io import StringIO

    buffer = StringIO()
    write(report, buffer)
    return buffer.getvalue()
