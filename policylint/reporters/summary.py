"""The one-line summary of a run: the text report ends with it, and the terminal gets it alone
when every format is written to a file (a module of its own, so that case imports no reporter)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from policylint.core.findings import SEVERITIES

if TYPE_CHECKING:
    from policylint.runner import RunReport


def summary_line(report: RunReport) -> str:
    """`N findings (1 critical, ...) in M files; K suppressed` (or a clean message)."""
    counts = report.by_severity()
    active = report.active_count
    suppressed = len(report.findings) - active
    files = len(report.files)
    tail = f" in {files} file{'s' if files != 1 else ''}"
    if suppressed:
        tail += f"; {suppressed} suppressed"
    if not active:
        return f"No findings{tail}."
    parts = ", ".join(f"{counts[name]} {name}" for name in SEVERITIES if counts[name])
    return f"{active} finding{'s' if active != 1 else ''} ({parts}){tail}."
