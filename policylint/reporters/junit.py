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


def _cases(report: RunReport) -> tuple[dict[tuple[str, str], list[Finding]], dict[str, list[str]], set[str]]:
    """Findings by (policy, path), the paths each policy's suite lists, and the paths that parsed."""
    by_case: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_case[(finding.policy_id, finding.path)].append(finding)
    documents = getattr(report, "documents", None)
    parsed = {doc.path for doc in documents} if documents is not None else set(report.file_kinds)
    cases: dict[str, list[str]] = defaultdict(list)
    for policy in sorted(report.policies, key=lambda p: p.id):
        cases[policy.id] = [path for path in report.files if report.file_kinds.get(path) == policy.file_kind]
    for policy_id, path in sorted(by_case):
        if path not in cases[policy_id]:
            cases[policy_id].append(path)
    return by_case, cases, parsed


def _suite(policy_id: str, paths: list[str], by_case: dict[tuple[str, str], list[Finding]], parsed: set[str]) -> ET.Element:
    """One policy's `<testsuite>`, with its counts set."""
    suite = ET.Element("testsuite", name=policy_id)
    suite_failed = suite_skipped = 0
    for path in paths:
        case = ET.SubElement(suite, "testcase", classname=policy_id, name=clean(path), file=clean(path), time="0")
        findings = by_case.get((policy_id, path), [])
        active = [f for f in findings if f.suppression is None]
        quiet = [f for f in findings if f.suppression is not None]
        if active:
            suite_failed += 1
            worst = max(active, key=lambda f: SEVERITY_RANK.get(f.severity, 0)).severity
            noun = "finding" if len(active) == 1 else "findings"
            failure = ET.SubElement(case, "failure", message=clean(f"{len(active)} {noun} of {policy_id} in {path}"),
                                    type=worst)
            failure.text = clean("\n".join(_finding_line(f) for f in active))
        elif path not in parsed and not findings:
            suite_skipped += 1
            ET.SubElement(case, "skipped", message=f"{path} could not be parsed; {policy_id} did not check it")
        if quiet:
            out = ET.SubElement(case, "system-out")
            out.text = clean("\n".join(_suppressed_line(f) for f in quiet))
    suite.set("tests", str(len(paths)))
    suite.set("failures", str(suite_failed))
    suite.set("errors", "0")
    suite.set("skipped", str(suite_skipped))
    suite.set("time", "0")
    return suite


def _totals(by_case: dict[tuple[str, str], list[Finding]], cases: dict[str, list[str]], parsed: set[str]) -> tuple[int, int, int]:
    """Tests, failures and skipped over every suite, counted without building the suites."""
    total = failed = skipped = 0
    for policy_id, paths in cases.items():
        for path in paths:
            findings = by_case.get((policy_id, path), [])
            if any(f.suppression is None for f in findings):
                failed += 1
            elif path not in parsed and not findings:
                skipped += 1
        total += len(paths)
    return total, failed, skipped


def _root(total: int, failed: int, skipped: int) -> ET.Element:
    root = ET.Element("testsuites", name="policylint")
    for name, value in (("tests", total), ("failures", failed), ("errors", 0), ("skipped", skipped), ("time", 0)):
        root.set(name, str(value))
    return root


def build(report: RunReport) -> ET.Element:
    """The `<testsuites>` element."""
    by_case, cases, parsed = _cases(report)
    root = _root(*_totals(by_case, cases, parsed))
    for policy_id in sorted(cases):
        if cases[policy_id]:
            root.append(_suite(policy_id, sorted(cases[policy_id]), by_case, parsed))
    return root


def write(report: RunReport, out: IO[str], color: bool = False) -> None:
    """Write the JUnit XML one suite at a time (built, indented and written, then dropped).

    The bytes are those of `ET.indent` over the whole tree: each suite is indented as a child of
    the root (level 1) and joined with the whitespace the root's indentation would give."""
    by_case, cases, parsed = _cases(report)
    root = _root(*_totals(by_case, cases, parsed))
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    suites = [policy_id for policy_id in sorted(cases) if cases[policy_id]]
    if not suites:
        out.write(ET.tostring(root, encoding="unicode") + "\n")
        return
    root.text = "\x00"
    head, tail = ET.tostring(root, encoding="unicode").split("\x00")
    out.write(head)
    for policy_id in suites:
        suite = _suite(policy_id, sorted(cases[policy_id]), by_case, parsed)
        ET.indent(suite, level=1)
        out.write("\n  " + ET.tostring(suite, encoding="unicode"))
    out.write("\n" + tail + "\n")


def render(report: RunReport, color: bool = False) -> str:
    """The JUnit XML document."""
    from io import StringIO

    buffer = StringIO()
    write(report, buffer)
    return buffer.getvalue()
