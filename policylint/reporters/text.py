"""Human output: findings grouped by file, `path:line:col severity id message`, then a summary."""

from __future__ import annotations

from itertools import groupby
from typing import IO, TYPE_CHECKING, Any

from policylint.reporters import inert
from policylint.reporters.summary import summary_line

if TYPE_CHECKING:
    from policylint.runner import RunReport

_COLORS = {"critical": "\033[1;35m", "high": "\033[31m", "medium": "\033[33m", "low": "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def write(report: RunReport, out: IO[str], color: bool = False) -> None:
    """Write the text report to `out` a file at a time. Paths and messages come from scanned files:
    `inert` writes their control, line-break and bidi characters as visible escapes, so no line of
    it is anything but a finding. With `-q` the summary line (and the blank line before it) is left out."""
    quiet = getattr(report.options, "quiet", False)
    unsafe = getattr(report.options, "unsafe_fixes", False)
    active = (finding for finding in report.findings if finding.suppression is None)
    first = True
    for raw_path, group in groupby(active, key=lambda finding: finding.path):
        if not first:
            out.write("\n")
        first = False
        path = inert(raw_path)
        lines = [f"{_BOLD}{path}{_RESET}" if color else path]
        for finding in group:
            severity = finding.severity
            if color:
                severity = f"{_COLORS.get(severity, '')}{severity}{_RESET}"
            mark = " [*]" if _fixable(finding, unsafe) else ""
            lines.append(f"  {path}:{finding.line}:{finding.column} {severity} {finding.policy_id}{mark} "
                         f"{inert(finding.message)}")
            for related in finding.related:
                note = f" ({inert(related.message)})" if related.message else ""
                text = f"      see {inert(related.path)}:{related.line}:{related.column}{note}"
                lines.append(f"{_DIM}{text}{_RESET}" if color else text)
        out.write("\n".join(lines) + "\n")
    if quiet:  # -q: the findings alone
        return
    if not first:
        out.write("\n")
    for line in fix_lines(report):
        out.write(line + "\n")
    out.write(summary_line(report) + "\n")


def render(report: RunReport, color: bool = False) -> str:
    """The text report as one string."""
    from io import StringIO

    buffer = StringIO()
    write(report, buffer, color=color)
    return buffer.getvalue()


def _fixable(finding: Any, unsafe: bool) -> bool:
    from policylint.core.fixes import Fix

    return isinstance(finding.fix, Fix) and finding.fix.applicable(unsafe)


def fix_lines(report: RunReport) -> list[str]:
    """What --fix did, how many `[*]` findings it would fix, and how many more --unsafe-fixes would."""
    from policylint.core.fixes import Fix

    if report.fix_summary:
        return report.fix_summary.splitlines()
    lines: list[str] = []
    unsafe = getattr(report.options, "unsafe_fixes", False)
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
