"""GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` annotation per finding.

Chosen automatically when `GITHUB_ACTIONS=true` and no `--format` is given. Values are escaped as
the runner expects (`%`, CR and LF in messages; also `:` and `,` in properties), so a message can
never inject a second command; control and bidi characters from scanned files are written as
visible escapes first (`policylint.reporters.inert`).
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

from policylint.core.findings import Finding
from policylint.reporters import inert

if TYPE_CHECKING:
    from policylint.runner import RunReport

LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (file, title)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    """The workflow command for one finding."""
    level = LEVELS.get(finding.severity, "warning")
    properties = ",".join(
        f"{key}={escape_property(value)}"
        for key, value in (
            ("file", inert(finding.path, keep_lines=True)),
            ("line", str(max(finding.line, 1))),
            ("col", str(max(finding.column, 1))),
            ("title", f"policylint {finding.policy_id} ({finding.severity})"),
        )
    )
    message = inert(finding.message, keep_lines=True)  # line ends stay: escape_data makes them %0A
    for related in finding.related:
        note = f" ({inert(related.message, keep_lines=True)})" if related.message else ""
        message += f"\nsee {inert(related.path, keep_lines=True)}:{related.line}:{related.column}{note}"
    return f"::{level} {properties}::{escape_data(message)}"


def write(report: RunReport, out: IO[str], color: bool = False) -> None:
    """One annotation per unsuppressed finding, written as produced, then the summary line."""
    from policylint.reporters.summary import summary_line

    for finding in report.active:
        out.write(annotation(finding) + "\n")
    out.write(summary_line(report) + "\n")


def render(report: RunReport, color: bool = False) -> str:
    """The annotations and the summary line as text."""
    from io import StringIO

    buffer = StringIO()
    write(report, buffer)
    return buffer.getvalue()
