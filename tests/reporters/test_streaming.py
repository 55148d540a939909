"""Reporters write as they go (policylint.reporters.jsonstream, junit.write): same content as the
whole-document encoders, a documented layout, and the same bytes through a file or a string."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st
from support import FIXTURES

from policylint.options import RunOptions
from policylint.reporters import jsonstream, render, write
from policylint.runner import check

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_without_records_the_layout_is_json_dumps_indent_2(value: object) -> None:
    out = io.StringIO()
    jsonstream.write(value, out)
    assert out.getvalue() == json.dumps(value, indent=2, ensure_ascii=False)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["items", "other", "n"]), JSON_VALUES, max_size=3),
       st.lists(st.dictionaries(st.text(max_size=4), JSON_VALUES, max_size=3), max_size=5))
def test_records_are_one_compact_line_each_and_parse_back(document: dict, items: list) -> None:
    document = {**document, "items": iter(items)}
    out = io.StringIO()
    jsonstream.write(document, out, frozenset({"items"}))
    text = out.getvalue()
    assert json.loads(text) == {**document, "items": items}
    if items:
        lines = text.split("\n")
        start = lines.index('  "items": [')
        for offset, item in enumerate(items):
            assert lines[start + 1 + offset].rstrip(",") == "    " + json.dumps(item, ensure_ascii=False, separators=(", ", ": "))


def test_json_and_sarif_carry_exactly_what_the_whole_document_encoders_did() -> None:
    from policylint.reporters import json_report, sarif

    report = check(RunOptions(paths=[str(FIXTURES)], jobs=1))
    assert len(report.findings) > 100
    data = json.loads(render("json", report))
    expected = json_report.document(report)
    expected["findings"] = list(expected["findings"])
    assert data == json.loads(json.dumps(expected))
    log = sarif.build(report)
    log["runs"][0]["results"] = list(log["runs"][0]["results"])
    assert json.loads(render("sarif", report)) == json.loads(json.dumps(log))
    text = render("json", report)
    finding_lines = [line for line in text.split("\n") if line.startswith('    {"rule_id": ')]
    assert len(finding_lines) == len(report.findings)  # one finding per line: grep-able, diff-able


def test_every_format_writes_the_same_bytes_to_a_file_as_it_renders(tmp_path) -> None:
    report = check(RunOptions(paths=[str(FIXTURES / "guide")], jobs=1))
    for name in ("text", "json", "sarif", "junit", "github", "gitlab"):
        target = tmp_path / name
        with target.open("w", encoding="utf-8") as handle:
            write(name, report, handle)
        assert target.read_text(encoding="utf-8") == render(name, report), name


def test_junit_written_suite_by_suite_is_the_indented_whole_tree(tmp_path) -> None:
    from policylint.reporters import junit

    empty = tmp_path / "empty"
    empty.mkdir()
    for paths in ([str(FIXTURES)], [str(FIXTURES / "guide" / "k8s")], [str(empty)]):
        report = check(RunOptions(paths=paths, jobs=1))
        root = junit.build(report)
        ET.indent(root)
        whole = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
        assert junit.render(report) == whole, paths


def test_gitlab_issues_one_per_line() -> None:
    report = check(RunOptions(paths=[str(FIXTURES / "guide")], jobs=1))
    text = render("gitlab", report)
    issues = json.loads(text)
    assert len(issues) == len(report.active) > 0
    assert text.startswith('[\n  {"type": "issue", ') and text.endswith("}\n]\n")
    assert text.count("\n") == len(issues) + 2  # "[", one line per issue, "]"
