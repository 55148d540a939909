"""SARIF 2.1.0 for code scanning: every policy that ran is listed as a rule, with help text."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

from policylint import __version__
from policylint.core.findings import PARSE_ERROR, POLICY_ERROR, Finding, Location

if TYPE_CHECKING:
    from policylint.core.policies import Policy
    from policylint.runner import RunReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
#: GitHub code scanning ranks alerts by this property (CVSS-like scale).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
INFORMATION_URI = "https://github.com/policylint/policylint"

_BUILTIN_RULES = {
    PARSE_ERROR: ("File could not be parsed", "The file, or one document of it, could not be parsed, so no policy checked it.",
                  "Fix the syntax error at the reported line."),
    POLICY_ERROR: ("Policy failed while evaluating a document", "A policy raised an error on one document; the run went on without it.",
                   "Fix the policy, or report the document that triggers the failure."),
}


#: Findings about suppressions themselves (policylint.suppressions), listed only when they occur.
_SUPPRESSION_RULES = {
    "suppression-invalid": ("Suppression refused", "A suppression names no policy, an unknown policy, no reason or a bad "
                            "date, so it was not applied.", "Write ignore[<policy-id>] -- <reason>."),
    "suppression-expired": ("Suppression expired", "A suppression is past its until=/expires date, so the finding it hid "
                            "is reported again.", "Fix the finding, or renew the suppression with a new date and reason."),
    "suppression-unused": ("Suppression matches no finding", "A suppression no longer hides anything.",
                           "Remove the suppression."),
}


def _tool_rule(rule_id: str, texts: tuple[str, str, str], severity: str) -> dict[str, Any]:
    """A rule for the tool's own findings (parse errors, policy errors, suppression problems)."""
    title, rationale, remediation = texts
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": rationale},
        "help": {"text": f"{rationale}\nRemediation: {remediation}", "markdown": f"**{title}**\n\n{rationale}\n\n{remediation}"},
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": {"tags": ["policylint"], "security-severity": SECURITY_SEVERITY[severity], "severity": severity},
    }


def _suppression_rule(rule_id: str) -> dict[str, Any]:
    return _tool_rule(rule_id, _SUPPRESSION_RULES[rule_id], "low")


@lru_cache(maxsize=65536)
def uri(path: str) -> str:
    """A relative URI reference with forward slashes (percent-encoded where needed)."""
    return quote(path.replace("\\", "/"), safe="/._-~")


def _rule(policy: Policy) -> dict[str, Any]:
    references = "".join(f"\n- <{ref}>" for ref in policy.references)
    markdown = (
        f"**{policy.title}**\n\n{policy.rationale}\n\n**Remediation:** {policy.remediation}"
        + (f"\n\n**References:**{references}" if references else "")
    )
    rule: dict[str, Any] = {
        "id": policy.id,
        "name": "".join(part.capitalize() for part in policy.id.split("-")),
        "shortDescription": {"text": policy.title},
        "fullDescription": {"text": policy.rationale},
        "help": {"text": f"{policy.rationale}\nRemediation: {policy.remediation}", "markdown": markdown},
        "defaultConfiguration": {"level": LEVELS[policy.severity]},
        "properties": {
            "tags": ["security", policy.file_kind],
            "security-severity": SECURITY_SEVERITY[policy.severity],
            "severity": policy.severity,
            "frameworks": {key: list(value) for key, value in sorted(policy.frameworks.items())},
        },
    }
    if policy.references:
        rule["helpUri"] = policy.references[0]
    return rule


def _builtin_rule(rule_id: str) -> dict[str, Any]:
    return _tool_rule(rule_id, _BUILTIN_RULES[rule_id], "high")


def _location(location: Location | Finding, index: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": uri(location.path)},
            "region": {"startLine": max(location.line, 1), "startColumn": max(location.column, 1)},
        }
    }
    if index is not None:
        data["id"] = index
    if isinstance(location, Location) and location.message:
        data["message"] = {"text": location.message}
    return data


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.policy_id,
        "ruleIndex": rule_index,
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": finding.message},
        "locations": [_location(finding)],
        "partialFingerprints": {"policylint/v1": finding.fingerprint},
        "properties": {"severity": finding.severity},
    }
    if finding.resource_kind:
        result["properties"]["resource"] = "/".join(
            part for part in (finding.resource_kind, finding.resource_namespace, finding.resource_name) if part
        )
    if finding.related:
        result["relatedLocations"] = [_location(related, index) for index, related in enumerate(finding.related, 1)]
    fixes = _fixes(finding)
    if fixes:
        result["fixes"] = fixes
    if finding.suppression is not None:
        suppression: dict[str, Any] = {
            "kind": "external" if finding.suppression.kind in ("config", "baseline") else "inSource",
            "status": "accepted",
            "justification": finding.suppression.justification,
        }
        if finding.suppression.location is not None:
            suppression["location"] = _location(finding.suppression.location)
        result["suppressions"] = [suppression]
    return result


def _indexed(result: dict[str, Any]) -> dict[str, Any]:
    if result["ruleIndex"] < 0:  # a rule the log does not list
        del result["ruleIndex"]
    return result


def _fixes(finding: Finding) -> list[dict[str, Any]]:
    """SARIF `fixes`: one artifactChange of replacements (deleted region, inserted text) per fix."""
    from policylint.core.fixes import Fix

    fix = finding.fix
    if not isinstance(fix, Fix) or not fix.edits:
        return []
    replacements = []
    for edit, (start_line, start_column, end_line, end_column) in zip(fix.edits, fix.ranges, strict=True):
        replacement: dict[str, Any] = {"deletedRegion": {"startLine": start_line, "startColumn": start_column,
                                                         "endLine": end_line, "endColumn": end_column}}
        if edit.content:
            replacement["insertedContent"] = {"text": edit.content}
        replacements.append(replacement)
    return [{
        "description": {"text": f"{fix.description} ({fix.applicability})"},
        "artifactChanges": [{"artifactLocation": {"uri": uri(fix.path)}, "replacements": replacements}],
    }]


def build(report: RunReport) -> dict[str, Any]:
    """The SARIF log as data; `results` is a generator, consumed once while writing."""
    policy_rules = [_rule(policy) for policy in sorted(report.policies, key=lambda p: p.id)]
    used = {finding.policy_id for finding in report.findings}
    return log(policy_rules, used, report.findings, report.exit_code(), report.policy_set.digest)


def log(policy_rules: list[dict[str, Any]], used: set[str], findings: Iterable[Finding], exit_code: int,
        policy_set: str, version: str = __version__) -> dict[str, Any]:
    """The SARIF log of these rules and findings (`used`: the rule ids among them); also what
    `policylint merge` writes from the shards' JSON (policylint.merge)."""
    rules = [*policy_rules, *(_builtin_rule(rule_id) for rule_id in (PARSE_ERROR, POLICY_ERROR))]
    rules += [_suppression_rule(rule_id) for rule_id in sorted(_SUPPRESSION_RULES) if rule_id in used]
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    results = (_indexed(_result(finding, index.get(finding.policy_id, -1))) for finding in findings)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "policylint",
                        "version": version,
                        "semanticVersion": version,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "invocations": [{"executionSuccessful": True, "exitCode": exit_code}],
                "results": results,
                "columnKind": "unicodeCodePoints",
                "properties": {"policySet": policy_set},
            }
        ],
    }


#: Lists written one compact record per line (policylint.reporters.jsonstream).
RECORDS = frozenset({"results"})


def write(report: RunReport, out: IO[str], color: bool = False) -> None:
    """Write the SARIF log to `out`, one result per line, as each is encoded."""
    from policylint.reporters import jsonstream

    jsonstream.write(build(report), out, RECORDS)
    out.write("\n")


def render(report: RunReport, color: bool = False) -> str:
    """The SARIF log as JSON text."""
    from io import StringIO

    buffer = StringIO()
    write(report, buffer)
    return buffer.getvalue()
