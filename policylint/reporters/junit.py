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
from typing import TYPE_CHECKING

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


def build(report: RunReport) -> ET.Element:
    """The `<testsuites>` element."""
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
    root = ET.Element("testsuites", name="policylint")
    total = failed = skipped = 0
    for policy_id in sorted(cases):
        paths = sorted(cases[policy_id])
        if not paths:
            continue
        suite = ET.SubElement(root, "testsuite", name=policy_id)
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
        total += len(paths)
        failed += suite_failed
        skipped += suite_skipped
    root.set("tests", str(total))
    root.set("failures", str(failed))
    root.set("errors", "0")
    root.set("skipped", str(skipped))
    root.set("time", "0")
    return root


def render(report: RunReport, color: bool = False) -> str:
    """The JUnit XML document."""
    root = build(report)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=False).join(
        ('<?xml version="1.0" encoding="UTF-8"?>\n', "\n")
    )
