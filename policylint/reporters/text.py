"""Human output: findings grouped by file, `path:line:col severity id message`, then a summary."""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING

from policylint.reporters import inert
from policylint.reporters.summary import summary_line

if TYPE_CHECKING:
    from policylint.runner import RunReport

_COLORS = {"critical": "\033[1;35m", "high": "\033[31m", "medium": "\033[33m", "low": "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def render(report: RunReport, color: bool = False) -> str:
    """The text report. Paths and messages come from scanned files: `inert` writes their control,
    line-break and bidi characters as visible escapes, so no line of it is anything but a finding."""
    lines: list[str] = []
    for raw_path, group in groupby(report.active, key=lambda finding: finding.path):
        path = inert(raw_path)
        lines.append(f"{_BOLD}{path}{_RESET}" if color else path)
        for finding in group:
            severity = finding.severity
            if color:
                severity = f"{_COLORS.get(severity, '')}{severity}{_RESET}"
            lines.append(f"  {path}:{finding.line}:{finding.column} {severity} {finding.policy_id} {inert(finding.message)}")
            for related in finding.related:
                note = f" ({inert(related.message)})" if related.message else ""
                text = f"      see {inert(related.path)}:{related.line}:{related.column}{note}"
                lines.append(f"{_DIM}{text}{_RESET}" if color else text)
        lines.append("")
    if getattr(report.options, "quiet", False):  # -q: the findings alone
        return "\n".join(lines[:-1]) + "\n" if lines else ""
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
