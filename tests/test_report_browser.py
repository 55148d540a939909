"""The HTML compliance report in a real headless Chromium: it renders to a PNG and the DOM has the control tables.

CI installs Chromium (`.ci/run`); locally the test skips, with the reason shown, when no Chromium is on PATH.
Set POLICYLINT_SCREENSHOT_DIR to keep the screenshot for a look.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from support import ROOT

from policylint.cli import main

GUIDE = ROOT / "fixtures" / "guide"
BROWSER = next((found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="Chromium is not installed (apt-get install chromium); CI installs it")
WIDTH, HEIGHT = 1280, 2400


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    command = [
        BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'chromium-profile'}", *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


class _Tables(HTMLParser):
    """Collects `table[id] > tbody > tr` rows: table id → [(data-control, row class)]."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[tuple[str, str]]] = {}
        self.current: str | None = None
        self.svgs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "table" and values.get("id"):
            self.current = values["id"]
            self.tables[self.current] = []
        elif tag == "tr" and self.current and values.get("data-control"):
            self.tables[self.current].append((values["data-control"] or "", values.get("class") or ""))
        elif tag == "svg":
            self.svgs += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.current = None


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    report = tmp / "report.html"
    assert main(["report", str(GUIDE), "--framework", "guide", "--framework", "pss-restricted",
                 "--format", "html", "-o", str(report)]) == 0
    return tmp, report


def test_report_renders_to_a_screenshot(rendered):
    tmp, report = rendered
    shot = tmp / "report.png"
    result = _chromium(tmp, f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={shot}", report.as_uri())
    assert shot.is_file(), result.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (WIDTH, HEIGHT)
    assert len(data) > 50_000, "a blank page compresses to a few kilobytes; the report has text, tables and a chart"
    keep = os.environ.get("POLICYLINT_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "report.png")


def test_rendered_dom_has_the_control_tables(rendered):
    tmp, report = rendered
    result = _chromium(tmp, "--dump-dom", report.as_uri())
    assert "<html" in result.stdout, result.stderr[-2000:]
    parser = _Tables()
    parser.feed(result.stdout)
    guide_rows = parser.tables["controls-guide"]
    assert [control for control, _ in guide_rows] == [f"guide:guide-{n}" for n in range(1, 11)]
    restricted = dict(parser.tables["controls-pss-restricted"])
    assert len(restricted) == 19
    assert restricted["pss-restricted:runAsNonRoot"] == "status-fail"
    assert restricted["pss-restricted:allowPrivilegeEscalation"] == "status-fail"
    assert restricted["pss-baseline:privileged"] == "status-pass"
    assert restricted["pss-restricted:procMount_restricted"] == "status-pass"  # covered by k8s-proc-mount
    assert {"summary-table", "findings-table"} <= set(parser.tables)
    assert parser.svgs >= 3  # summary chart and one per framework
