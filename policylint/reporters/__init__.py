"""Reporters render a finished run; they never read files or re-run policies."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

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


def render(name: str, report: RunReport, color: bool = False) -> str:
    """Render `report` in the named format."""
    module = importlib.import_module(REPORTERS[name])
    output: str = module.render(report, color=color)
    return output
