"""Human output: findings grouped by file, `path:line:col severity id message`, then a summary."""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from typing import TYPE_CHECKING

from policylint.core.findings import SEVERITIES
from policylint.reporters import inert

if TYPE_CHECKING:
    from policylint.core.findings import Finding
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


def render(report: RunReport, color: bool = False) -> str:
    """The text report. Paths and messages come from scanned files: `inert` writes their control,
    line-break and bidi characters as visible escapes, so no line of it is anything but a finding."""
    lines: list[str] = []
    unsafe = report.options.unsafe_fixes
    for raw_path, group in groupby(report.active, key=lambda finding: finding.path):
        path = inert(raw_path)
        lines.append(f"{_BOLD}{path}{_RESET}" if color else path)
        for finding in group:
            severity = finding.severity
            if color:
                severity = f"{_COLORS.get(severity, '')}{severity}{_RESET}"
            mark = " [*]" if _fixable(finding, unsafe) else ""
            lines.append(f"  {path}:{finding.line}:{finding.column} {severity} {finding.policy_id}{mark} {inert(finding.message)}")
            for related in finding.related:
                note = f" ({inert(related.message)})" if related.message else ""
                text = f"      see {inert(related.path)}:{related.line}:{related.column}{note}"
                lines.append(f"{_DIM}{text}{_RESET}" if color else text)
        lines.append("")
    lines.extend(fix_lines(report))
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def _fixable(finding: Finding, unsafe: bool) -> bool:
    from policylint.core.fixes import Fix

    return isinstance(finding.fix, Fix) and finding.fix.applicable(unsafe)


def fix_lines(report: RunReport) -> list[str]:
    """What --fix did, how many `[*]` findings it would fix, and how many more --unsafe-fixes would."""
    from policylint.core.fixes import Fix

    lines = report.fix_summary.splitlines()
    if report.fix_summary:
        return lines
    unsafe = report.options.unsafe_fixes
    now = sum(1 for finding in report.active if _fixable(finding, unsafe))
    hidden = sum(1 for finding in report.active
                 if isinstance(finding.fix, Fix) and finding.fix.available and not finding.fix.applicable(unsafe))
    more = f"{hidden} more fix{'es' if hidden != 1 else ''} available with --unsafe-fixes" if hidden else ""
    if now:
        flags = "--fix --unsafe-fixes" if unsafe else "--fix"
        lines.append(f"[*] {now} fixable with `policylint check {flags}`" + (f" ({more})." if more else "."))
    elif more:
        lines.append(f"{more[0].upper()}{more[1:]}.")
    return lines
