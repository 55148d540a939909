"""JUnit XML for CI test tabs: one testcase per policy × file, so passes show up as well as failures.

Each policy that ran is a testsuite; each file of the policy's kind is a testcase of it, failing
with every unsuppressed finding of that policy in that file. Findings of the tool itself
(parse-error, policy-error, suppression-*) get testcases of their own. No timestamps or durations:
the same input gives byte-identical XML.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from itertools import groupby
from typing import IO, TYPE_CHECKING

from policylint.core.findings import SEVERITY_RANK, Finding

if TYPE_CHECKING:
    from policylint.runner import RunReport


#: Characters XML 1.0 cannot carry at all (a YAML value may hold them): shown as `\xNN` instead.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean(text: str) -> str:
    """Text safe for an XML 1.0 document."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _finding_line(finding: Finding) -> str:
    text = f"{finding.path}:{finding.line}:{finding.column} {finding.severity} {finding.policy_id} {finding.message}"
    for related in finding.related:
        note = f" ({related.message})" if related.message else ""
        text += f"\n    see {related.path}:{related.line}:{related.column}{note}"
    return text


def _suppressed_line(finding: Finding) -> str:
    assert finding.suppression is not None
    return f"{finding.path}:{finding.line} suppressed ({finding.suppression.kind}): {finding.suppression.justification}"


def _cases(report: RunReport) -> tuple[dict[tuple[str, str], bool], dict[str, list[str]], set[str]]:
    """Which (policy, path) pairs have findings (True: an unsuppressed one), the paths each
    policy's suite lists, and the paths that parsed. One pass over the findings, keeping no finding."""
    failing: dict[tuple[str, str], bool] = {}
    for finding in report.findings:
        key = (finding.policy_id, finding.path)
        failing[key] = failing.get(key, False) or finding.suppression is None
    documents = getattr(report, "documents", None)
    parsed = {doc.path for doc in documents} if documents is not None else set(report.file_kinds)
    by_kind: dict[str, list[str]] = defaultdict(list)
    for path in report.files:  # one list per file kind, shared by its policies' suites
        kind = report.file_kinds.get(path)
        if kind is not None:
            by_kind[kind].append(path)
    cases: dict[str, list[str]] = {}
    for policy in sorted(report.policies, key=lambda p: p.id):
        cases[policy.id] = by_kind.get(policy.file_kind, [])
    members = {kind: set(paths) for kind, paths in by_kind.items()}
    kind_of = {policy.id: policy.file_kind for policy in report.policies}
    for policy_id, path in sorted(failing):
        if path not in members.get(kind_of.get(policy_id, ""), ()):
            if policy_id not in cases or cases[policy_id] is by_kind.get(kind_of.get(policy_id, "")):
                cases[policy_id] = list(cases.get(policy_id, []))  # its own list before adding to it
            if path not in cases[policy_id]:
                cases[policy_id].append(path)
    return failing, cases, parsed


def _by_case(report: RunReport) -> dict[tuple[str, str], list[Finding]]:
    """Every finding by (policy, path): for building a whole tree (`build`), small reports."""
    by_case: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_case[(finding.policy_id, finding.path)].append(finding)
    return by_case


def _case(policy_id: str, path: str, findings: list[Finding], parsed: set[str]) -> tuple[ET.Element, str]:
    """One `<testcase>` and its outcome (`failed`, `skipped` or `passed`)."""
    case = ET.Element("testcase", classname=policy_id, name=clean(path), file=clean(path), time="0")
    active = [f for f in findings if f.suppression is None]
    quiet = [f for f in findings if f.suppression is not None]
    outcome = "passed"
    if active:
        outcome = "failed"
        worst = max(active, key=lambda f: SEVERITY_RANK.get(f.severity, 0)).severity
        noun = "finding" if len(active) == 1 else "findings"
        failure = ET.SubElement(case, "failure", message=clean(f"{len(active)} {noun} of {policy_id} in {path}"),
                                type=worst)
        failure.text = clean("\n".join(_finding_line(f) for f in active))
    elif path not in parsed and not findings:
        outcome = "skipped"
        ET.SubElement(case, "skipped", message=f"{path} could not be parsed; {policy_id} did not check it")
    if quiet:
        out = ET.SubElement(case, "system-out")
        out.text = clean("\n".join(_suppressed_line(f) for f in quiet))
    return case, outcome


def _suite_element(policy_id: str, tests: int, failed: int, skipped: int) -> ET.Element:
    suite = ET.Element("testsuite", name=policy_id)
    for name, value in (("tests", tests), ("failures", failed), ("errors", 0), ("skipped", skipped), ("time", 0)):
        suite.set(name, str(value))
    return suite


def _suite(policy_id: str, paths: list[str], by_case: dict[tuple[str, str], list[Finding]], parsed: set[str]) -> ET.Element:
    """One policy's `<testsuite>`, with its counts set."""
    built = [_case(policy_id, path, by_case.get((policy_id, path), []), parsed) for path in paths]
    outcomes = [outcome for _, outcome in built]
    suite = _suite_element(policy_id, len(paths), outcomes.count("failed"), outcomes.count("skipped"))
    suite.extend(case for case, _ in built)
    return suite


def _counts(policy_id: str, paths: list[str], failing: dict[tuple[str, str], bool], parsed: set[str]) -> tuple[int, int]:
    """Failed and skipped testcases of one suite, without building it."""
    failed = skipped = 0
    for path in paths:
        state = failing.get((policy_id, path))
        if state:
            failed += 1
        elif state is None and path not in parsed:
            skipped += 1
    return failed, skipped


def _totals(failing: dict[tuple[str, str], bool], cases: dict[str, list[str]], parsed: set[str]) -> tuple[int, int, int]:
    """Tests, failures and skipped over every suite, counted without building the suites."""
    total = failed = skipped = 0
    for policy_id, paths in cases.items():
        suite_failed, suite_skipped = _counts(policy_id, paths, failing, parsed)
        total, failed, skipped = total + len(paths), failed + suite_failed, skipped + suite_skipped
    return total, failed, skipped


def _root(total: int, failed: int, skipped: int) -> ET.Element:
    root = ET.Element("testsuites", name="policylint")
    for name, value in (("tests", total), ("failures", failed), ("errors", 0), ("skipped", skipped), ("time", 0)):
        root.set(name, str(value))
    return root


def build(report: RunReport) -> ET.Element:
    """The `<testsuites>` element."""
    failing, cases, parsed = _cases(report)
    by_case = _by_case(report)
    root = _root(*_totals(failing, cases, parsed))
    for policy_id in sorted(cases):
        if cases[policy_id]:
            root.append(_suite(policy_id, sorted(cases[policy_id]), by_case, parsed))
    return root


def _case_key(finding: Finding) -> tuple[str, str]:
    return (finding.policy_id, finding.path)


def _split(element: ET.Element) -> tuple[str, str]:
    """The start and end tags ElementTree writes for `element` (given no children yet)."""
    element.text = "\x00"
    head, tail = ET.tostring(element, encoding="unicode").split("\x00")
    element.text = None
    return head, tail


def write(report: RunReport, out: IO[str], color: bool = False) -> None:
    """Write the JUnit XML a testcase at a time.

    The bytes are those of `ET.indent` over the whole tree (tests/reporters/test_streaming.py):
    tags and whitespace come from ElementTree itself. A passing testcase, by far the most common
    (one per policy and file of its kind), is a fixed line whose attribute values ElementTree
    escaped once per path; the others are built, indented at their depth and written.

    Findings are read twice and never all held: once for the counts the suites' attributes need
    first, then regrouped by policy and path (a FindingStore, on disk for a large run)."""
    from policylint.core.findingstore import FindingStore

    failing, cases, parsed = _cases(report)
    root = _root(*_totals(failing, cases, parsed))
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    suites = [policy_id for policy_id in sorted(cases) if cases[policy_id]]
    if not suites:
        out.write(ET.tostring(root, encoding="unicode") + "\n")
        return
    head, tail = _split(root)
    out.write(head)
    attribute: dict[str, str] = {}

    def quoted(value: str) -> str:
        if value not in attribute:
            attribute[value] = ET.tostring(ET.Element("x", v=value), encoding="unicode")[5:-3]
        return attribute[value]

    regrouped = groupby(FindingStore(report.findings, key=_case_key), key=_case_key)
    waiting = next(regrouped, None)
    for policy_id in suites:
        paths = sorted(cases[policy_id])
        failed, skipped = _counts(policy_id, paths, failing, parsed)
        suite_head, suite_tail = _split(_suite_element(policy_id, len(paths), failed, skipped))
        out.write("\n  " + suite_head)
        classname = quoted(policy_id)
        for path in paths:
            findings: list[Finding] = []
            if waiting is not None and waiting[0] == (policy_id, path):
                findings = list(waiting[1])
                waiting = next(regrouped, None)
            if not findings and path in parsed:
                name = quoted(clean(path))
                out.write(f'\n    <testcase classname={classname} name={name} file={name} time="0" />')
                continue
            case, _ = _case(policy_id, path, findings, parsed)
            ET.indent(case, level=2)
            out.write("\n    " + ET.tostring(case, encoding="unicode"))
        out.write("\n  " + suite_tail)
    out.write("\n" + tail + "\n")


def render(report: RunReport, color: bool = False) -> str:
    """The JUnit XML document."""
    from io import StringIO

    buffer = StringIO()
    write(report, buffer)
    return buffer.getvalue()
