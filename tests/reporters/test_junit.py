"""JUnit XML: one testcase per policy × file, passes included, parseable, deterministic."""

from __future__ import annotations

import xml.etree.ElementTree as ET

SELECT = ("--select", "k8s-privilege-escalation,k8s-privileged-container,k8s-run-as-root")


def cases(root: ET.Element) -> dict[tuple[str, str], ET.Element]:
    return {(case.get("classname"), case.get("name")): case for case in root.iter("testcase")}


def test_one_testcase_per_policy_and_file(tree, run_cli):
    code, out, _ = run_cli("check", ".", *SELECT, "--format", "junit", cwd=tree)
    assert code == 1
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    assert [suite.get("name") for suite in root.iter("testsuite")] == [
        "k8s-privilege-escalation", "k8s-privileged-container", "k8s-run-as-root"]
    found = cases(root)
    assert sorted(found) == sorted((policy, path) for policy in SELECT[1].split(",")
                                   for path in ("bad.yaml", "clean.yaml", "quiet.yaml"))
    failing = {key for key, case in found.items() if case.find("failure") is not None}
    assert failing == {("k8s-privilege-escalation", "bad.yaml"), ("k8s-privileged-container", "bad.yaml"),
                       ("k8s-privileged-container", "quiet.yaml")}
    failure = found[("k8s-privileged-container", "bad.yaml")].find("failure")
    assert failure.get("type") == "critical"
    assert failure.get("message") == "1 finding of k8s-privileged-container in bad.yaml"
    assert failure.text == ("bad.yaml:11:9 critical k8s-privileged-container "
                            "container app sets securityContext.privileged: true")
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("9", "3", "0")
    escalation = next(s for s in root.iter("testsuite") if s.get("name") == "k8s-privilege-escalation")
    assert (escalation.get("tests"), escalation.get("failures")) == ("3", "1")


def test_suppressed_findings_pass_and_are_listed(tree, run_cli):
    _, out, _ = run_cli("check", ".", *SELECT, "--format", "junit", cwd=tree)
    case = cases(ET.fromstring(out))[("k8s-privilege-escalation", "quiet.yaml")]
    assert case.find("failure") is None
    assert case.find("system-out").text == "quiet.yaml:10 suppressed (inline): debugger"


def test_parse_errors_are_failing_cases_and_policies_are_skipped(tree, run_cli):
    (tree / "broken.yaml").write_text("apiVersion: v1\nkind: [Pod\n")
    _, out, _ = run_cli("check", ".", *SELECT, "--format", "junit", cwd=tree)
    root = ET.fromstring(out)
    found = cases(root)
    assert found[("parse-error", "broken.yaml")].find("failure") is not None
    assert found[("k8s-run-as-root", "broken.yaml")].find("skipped") is not None
    assert root.get("skipped") == "3"


def test_output_is_deterministic_and_xml_safe(tree, run_cli):
    (tree / "odd.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: \"a\\x01b\"}\nspec:\n  containers: [{name: \"c\\x02\", image: x:1}]\n")
    first = run_cli("check", ".", *SELECT, "--format", "junit", cwd=tree)[1]
    second = run_cli("check", ".", *SELECT, "--format", "junit", cwd=tree)[1]
    assert first == second
    root = ET.fromstring(first)  # control characters from the input do not break the XML
    texts = [case.find("failure").text for case in root.iter("testcase")
             if case.get("name") == "odd.yaml" and case.find("failure") is not None]
    assert any("c\\x02" in text for text in texts)
