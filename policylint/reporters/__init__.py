"""Reporters render a finished run; they never read files or re-run policies."""

from __future__ import annotations

import importlib
import re
from typing import IO, TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from policylint.runner import RunReport


class Reporter(Protocol):
    """A module with `render(report, color) -> str`."""

    def render(self, report: RunReport, color: bool = False) -> str:
        """The whole output for one run."""
        ...


REPORTERS: dict[str, str] = {
    "text": "policylint.reporters.text",
    "json": "policylint.reporters.json_report",
    "sarif": "policylint.reporters.sarif",
    "junit": "policylint.reporters.junit",
    "github": "policylint.reporters.github",
    "gitlab": "policylint.reporters.gitlab",
}


#: Characters a scanned file can put into a message (object names, images, paths) that a terminal
#: or a CI log would act on: C0 and C1 controls (ANSI and OSC-8 sequences start with ESC or CSI),
#: DEL, the Unicode line breaks, and the bidirectional controls of "Trojan Source" (CVE-2021-42574).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def inert(text: str, keep_lines: bool = False) -> str:
    """`text` with every control, line-break and bidi character written as a visible escape.

    Line-oriented outputs (text, notices) use it, so a name holding a newline cannot start a line
    that a CI log reads as a command (`::error::` on GitHub), and ANSI or OSC-8 sequences never
    reach a terminal. Structured outputs (JSON, SARIF, XML) escape in their own syntax; HTML and
    Markdown escape markup and also use this, since bidi controls reorder what a reader sees.
    With `keep_lines`, line ends and tabs stay: HTML prose, where they are only white space, and
    GitHub annotations, whose escaping (`%0A`) already makes them inert.
    """
    if _UNSAFE.search(text) is None:
        return text

    def escape(match: re.Match[str]) -> str:
        char = match.group(0)
        if keep_lines and char in "\n\r\t":
            return char
        return _ESCAPES.get(char) or f"\\u{ord(char):04x}"

    return _UNSAFE.sub(escape, text)


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b"}


def render(name: str, report: RunReport, color: bool = False) -> str:
    """Render `report` in the named format."""
    module = importlib.import_module(REPORTERS[name])
    output: str = module.render(report, color=color)
    return output


def write(name: str, report: RunReport, out: IO[str], color: bool = False) -> None:
    """Write `report` in the named format to `out` as it is produced (reporters with a `write`),
    so a large report is never held whole as text."""
    module = importlib.import_module(REPORTERS[name])
    if hasattr(module, "write"):
        module.write(report, out, color=color)
    else:
        out.write(module.render(report, color=color))
