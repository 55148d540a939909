"""Human output: findings grouped by file, `path:line:col severity id message`, then a summary."""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from typing import IO, TYPE_CHECKING

from policylint.core.findings import SEVERITIES
from policylint.reporters import inert

if TYPE_CHECKING:
    from policylint.runner import RunReport

_COLORS = {"critical": "\033[1;35m", "high": "\033[31m", "medium": "\033[33m", "low": "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def summary_line(report: RunReport) -> str:
    """`N findings (1 critical, ...) in M files; K suppressed` (or a clean message)."""
    active = report.active
    counts = Counter(finding.severity for finding in active)
    suppressed = len(report.findings) - len(active)
    files = len(report.files)
    tail = f" in {files} file{'s' if files != 1 else ''}"
    if suppressed:
        tail += f"; {suppressed} suppressed"
    if not active:
        return f"No findings{tail}."
    parts = ", ".join(f"{counts[name]} {name}" for name in SEVERITIES if counts[name])
    return f"{len(active)} finding{'s' if len(active) != 1 else ''} ({parts}){tail}."


def write(report: RunReport, out: IO[str], color: bool = False) -> None:
    """Write the text report to `out` a file at a time. Paths and messages come from scanned files:
    `inert` writes their control, line-break and bidi characters as visible escapes, so no line of
    it is anything but a finding."""
    active = (finding for finding in report.findings if finding.suppression is None)
    for raw_path, group in groupby(active, key=lambda finding: finding.path):
        path = inert(raw_path)
        lines = [f"{_BOLD}{path}{_RESET}" if color else path]
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
        out.write("\n".join(lines) + "\n")
    out.write(summary_line(report) + "\n")


def render(report: RunReport, color: bool = False) -> str:
    """The text report as one string."""
    from io import StringIO

    buffer = StringIO()
    write(report, buffer, color=color)
    return buffer.getvalue()
