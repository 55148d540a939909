"""What a scanned file writes into names, images and paths stays inert in every output format.

Hostile strings: a newline followed by a GitHub workflow command, `%0A`, `::`, `<script>`, an ANSI
colour, an OSC-8 hyperlink, a BEL and a right-to-left override, in object names, container names,
images and the file name itself. Line outputs must keep one finding per line and no control
character; structured outputs must parse and carry the string as data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from support import ROOT

HOSTILE = "evil\n::error::injected%0A<script>alert(1)</script>\x1b[31mred\x1b]8;;https://e.vil\x07link\u202eBIDI"
FILE_NAME = "pod\n::warning file=x::%0Aname\u202e.yaml"
CONTROL = ("\x1b", "\x07", "\x9b", "\u202e")


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar holding `text` exactly."""
    return json.dumps(text)  # JSON strings are YAML double-quoted scalars


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("inert")
    repo = base / "repo"
    (repo / "k8s").mkdir(parents=True)
    (repo / ".git").mkdir()
    (repo / "k8s" / FILE_NAME).write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n"
        f"  name: {_quoted(HOSTILE)}\n"
        "spec:\n  containers:\n"
        f"    - name: {_quoted(HOSTILE)}\n"
        f"      image: {_quoted('registry.example/' + HOSTILE.replace(chr(10), ' ') + ':latest')}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POLICYLINT_NO_CACHE": "1"}
    env.pop("GITHUB_ACTIONS", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "policylint", *args], cwd=repo, env=env, capture_output=True,
                              text=True, timeout=120, check=False)

    found: dict[str, str] = {}
    args = ["check", ".", "--no-progress", "--jobs", "1"]
    for name in ("text", "json", "sarif", "junit", "github", "gitlab"):
        args += ["--format", name, "-o", str(base / f"out.{name}")]
    completed = run(*args)
    assert completed.returncode == 1, completed.stderr
    for name in ("text", "json", "sarif", "junit", "github", "gitlab"):
        found[name] = (base / f"out.{name}").read_text(encoding="utf-8")
    found["stderr"] = completed.stderr
    for name in ("html", "markdown", "json"):
        found[f"report {name}"] = run("report", ".", "--framework", "cis-k8s", "--format", name).stdout
    return found


@pytest.mark.parametrize("name", ["text", "github", "stderr", "report markdown", "report html"])
def test_no_control_or_bidi_character_reaches_a_line_output(outputs: dict[str, str], name: str) -> None:
    for char in CONTROL:
        assert char not in outputs[name], f"{name} holds {char!r}"


@pytest.mark.parametrize("name", ["text", "github", "stderr"])
def test_no_line_of_a_line_output_is_a_workflow_command_it_did_not_write(outputs: dict[str, str], name: str) -> None:
    lines = outputs[name].splitlines()
    for line in lines:
        if name == "github" and line.startswith(("::error ", "::warning ", "::notice ")):
            # The runner reads `::level properties::` and takes the rest of the line as data.
            assert "::" not in line[2:].split("::", 1)[0], line
            continue
        assert not line.lstrip().startswith("::"), line
    if name != "stderr":
        assert len(lines) > 1, name


def test_text_shows_the_hostile_name_as_visible_escapes(outputs: dict[str, str]) -> None:
    assert "evil\\n::error::injected%0A<script>alert(1)</script>\\x1b[31mred\\x1b]8;;https://e.vil\\u0007link\\u202eBIDI" \
        in outputs["text"]


def test_github_escapes_percent_and_newlines_in_data(outputs: dict[str, str]) -> None:
    annotations = [line for line in outputs["github"].splitlines() if line.startswith("::")]
    assert annotations
    for line in annotations:
        properties = line[2:].split("::", 1)[0]
        assert "file=k8s/pod%0A%3A%3Awarning file=x%3A%3A%250Aname\\u202e.yaml," in properties
    assert "%250A" in outputs["github"]  # a literal `%0A` in data is escaped, not decoded by the runner


@pytest.mark.parametrize("name", ["json", "sarif", "gitlab", "report json"])
def test_structured_outputs_parse_and_carry_the_string_as_data(outputs: dict[str, str], name: str) -> None:
    strings = list(_strings(json.loads(outputs[name])))
    assert any(HOSTILE in text for text in strings), name


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_junit_is_valid_xml(outputs: dict[str, str]) -> None:
    root = ET.fromstring(outputs["junit"])
    assert root.tag == "testsuites"
    assert "<script>" not in outputs["junit"]


def test_html_escapes_markup(outputs: dict[str, str]) -> None:
    html = outputs["report html"]
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_markdown_keeps_each_finding_on_one_table_row(outputs: dict[str, str]) -> None:
    markdown = outputs["report markdown"]
    assert "<script>" not in markdown
    rows = [line for line in markdown.splitlines() if "injected" in line]
    assert rows and all(line.startswith("|") and line.endswith("|") for line in rows)
