"""The auditors' compliance report: findings grouped by framework control, as data, JSON and markdown.

`build_audit` turns a finished run plus the framework data into an `Audit` (plain dataclasses);
`render_json`, `render_markdown` and `audit_html.render_html` only format it, so the three formats
carry the same content. Nothing here reads files: the CLI passes the git state and the date in.

Status of a control (one of `STATUSES`):
- `fail`: an unsuppressed finding of a rule mapped to the control;
- `pass`: the mapped rules ran on at least one document they apply to and found nothing;
- `not-applicable`: the mapped rules ran but no scanned document is of a kind they check;
- `manual`: no rule that ran checks the control (or every file it would check failed to parse),
  so the auditor needs evidence from elsewhere ("manual evidence needed").
Coverage (`automated` / `partial` / `manual`) comes from the framework file and is lowered when a
mapped rule did not run. Score of a framework = passed / (passed + failed) controls, in percent.
The JSON shape is documented in docs/report.md and versioned by `version`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from policylint import __version__
from policylint.core.findings import PARSE_ERROR, POLICY_ERROR, Finding

if TYPE_CHECKING:
    from policylint.frameworks import Control, Framework
    from policylint.gitinfo import GitState
    from policylint.runner import RunReport

SCHEMA_VERSION = 1
STATUSES = ("pass", "fail", "not-applicable", "manual")
STATUS_LABELS = {
    "pass": "Pass",
    "fail": "Fail",
    "not-applicable": "Not applicable",
    "manual": "Manual evidence needed",
}
COVERAGE_RANK = {"manual": 0, "partial": 1, "automated": 2}
UNVERIFIED_IDS = (PARSE_ERROR, POLICY_ERROR)
#: A file of any other kind (e.g. YAML too broken to classify) could have been any of these.
KNOWN_FILE_KINDS = ("kubernetes", "dockerfile", "compose", "github-actions", "gitlab-ci")


@dataclass(frozen=True)
class Scope:
    """The report header: what was scanned, with which tool and policies, when."""

    paths: tuple[str, ...]
    git: GitState | None
    tool_version: str
    policy_set: str
    date: str
    kube_version: str
    profile: str
    files: int
    policies_run: int


@dataclass(frozen=True)
class AuditFinding:
    """A finding as the appendix lists it; `ref` (F-1, F-2, ...) is how control rows point at it."""

    ref: str
    finding: Finding
    controls: tuple[str, ...]

    @property
    def where(self) -> str:
        """`path:line`, the form auditors search for."""
        return f"{self.finding.path}:{self.finding.line}"


@dataclass(frozen=True)
class Unverified:
    """A file (or document) that could not be evaluated: nothing in it counts as passing."""

    path: str
    line: int
    rule_id: str
    message: str
    file_kind: str
    policy_id: str = ""  # for policy-error: the policy that failed


@dataclass
class ControlResult:
    """One control row."""

    control: Control
    status: str
    coverage: str
    reason: str
    rules: list[str] = field(default_factory=list)
    rules_not_run: list[str] = field(default_factory=list)
    findings: list[AuditFinding] = field(default_factory=list)
    suppressed: list[AuditFinding] = field(default_factory=list)
    unverified: list[Unverified] = field(default_factory=list)
    superseded_by: str = ""

    @property
    def label(self) -> str:
        """The status as a reader sees it."""
        return STATUS_LABELS[self.status]


@dataclass
class FrameworkResult:
    """A framework's controls and its summary numbers."""

    framework: Framework
    controls: list[ControlResult]

    @property
    def counts(self) -> dict[str, int]:
        """Controls by status (every status present, in `STATUSES` order)."""
        found = Counter(row.status for row in self.controls)
        return {status: found[status] for status in STATUSES}

    @property
    def coverage_counts(self) -> dict[str, int]:
        """Controls by effective coverage."""
        found = Counter(row.coverage for row in self.controls)
        return {name: found[name] for name in ("automated", "partial", "manual")}

    @property
    def score(self) -> int | None:
        """Passed / (passed + failed) controls in percent (rounded down); None when nothing was assessed."""
        counts = self.counts
        assessed = counts["pass"] + counts["fail"]
        return None if assessed == 0 else counts["pass"] * 100 // assessed


@dataclass
class Audit:
    """Everything the three formats render."""

    scope: Scope
    frameworks: list[FrameworkResult]
    findings: list[AuditFinding]
    unverified: list[Unverified]
    skipped: list[tuple[str, str]]


def report_date() -> str:
    """Today's UTC date, or the date of `SOURCE_DATE_EPOCH` when set (reproducible reports)."""
    import os
    from datetime import datetime, timezone

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch.isdigit() else datetime.now(timezone.utc)
    return moment.strftime("%Y-%m-%d")


def _unverified(report: RunReport) -> list[Unverified]:
    items = []
    for finding in report.findings:
        if finding.policy_id in UNVERIFIED_IDS:
            policy_id = finding.logical.split("@", 1)[0] if finding.policy_id == POLICY_ERROR else ""
            items.append(Unverified(finding.path, finding.line, finding.policy_id, finding.message,
                                    finding.file_kind, policy_id))
    return sorted(items, key=lambda item: (item.path, item.line, item.rule_id, item.message))


def _applies(policy: Any, documents: Sequence[Any]) -> bool:
    kinds = policy.kinds
    return any(doc.file_kind == policy.file_kind and (kinds is None or doc.kind in kinds) for doc in documents)


def _kind_phrase(policies: Sequence[Any]) -> str:
    parts = []
    for policy in policies:
        kinds = policy.match.get("kinds")
        parts.append(f"{policy.file_kind} ({', '.join(kinds)})" if kinds else policy.file_kind)
    return ", ".join(sorted(set(parts)))


def _blocks(item: Unverified, ran: Sequence[str], file_kinds: set[str]) -> bool:
    """Does this unevaluated file leave the control unverified? A policy error only for its own policy."""
    if item.rule_id == POLICY_ERROR:
        return item.policy_id in ran
    return item.file_kind not in KNOWN_FILE_KINDS or item.file_kind in file_kinds


def _evaluate(
    control: Control,
    mapped: list[str],
    report: RunReport,
    refs: Mapping[str, AuditFinding],
    unverified: list[Unverified],
) -> ControlResult:
    """Status, effective coverage and evidence of one control."""
    run_ids = {policy.id: policy for policy in report.policies}
    ran = [policy_id for policy_id in mapped if policy_id in run_ids]
    not_run = [policy_id for policy_id in mapped if policy_id not in run_ids]
    coverage = control.coverage
    if not ran:
        coverage = "manual"
    elif (not_run and coverage == "automated") or coverage == "manual":
        # A rule that is missing lowers the coverage; a rule mapped to a control the framework file
        # calls manual is evidence for part of it, never for all of it.
        coverage = "partial"
    row = ControlResult(control, "manual", coverage, "", rules=mapped, rules_not_run=not_run)
    if not ran:
        if mapped:
            row.reason = f"the rules that check this control did not run ({', '.join(not_run)}); enable them"
        elif control.coverage == "manual":
            row.reason = "outside what the scanned files can show" if control.scope == "manual" else "no rule yet"
        else:
            row.reason = "no policy in this policy set checks this control"
        return row
    policies = [run_ids[policy_id] for policy_id in ran]
    for finding in [*report.findings, *report.superseded]:  # a superseded finding is evidence for its own control
        if finding.policy_id in ran:
            entry = refs[finding.fingerprint or f"{finding.path}:{finding.line}:{finding.policy_id}"]
            (row.findings if finding.suppression is None else row.suppressed).append(entry)
    kinds = {policy.file_kind for policy in policies}
    row.unverified = [item for item in unverified if _blocks(item, ran, kinds)]
    applicable = any(_applies(policy, report.documents) for policy in policies)
    if row.findings:
        row.status = "fail"
        row.reason = f"{len(row.findings)} finding{'s' if len(row.findings) != 1 else ''}"
    elif applicable:
        row.status = "pass"
        row.reason = "no finding in the scanned files"
        if row.suppressed:
            row.reason += f" ({len(row.suppressed)} suppressed)"
        if coverage == "partial":
            row.reason += "; the part the rules cannot see needs manual evidence"
    elif row.unverified:
        row.status = "manual"
        row.reason = "the files these rules check could not be evaluated"
    else:
        row.status = "not-applicable"
        row.reason = f"no scanned file is of a kind these rules check: {_kind_phrase(policies)}"
    if row.unverified and row.status == "pass":
        row.reason += "; some files could not be evaluated (unverified)"
    if not_run:
        row.reason += f"; not run: {', '.join(not_run)}"
    return row


def build_audit(
    report: RunReport,
    frameworks: Mapping[str, Framework],
    selected: Sequence[str],
    git: GitState | None,
    date: str,
    kube_version: str = "",
) -> Audit:
    """Evaluate every control of the selected frameworks against a finished run.

    `kube_version` is the header's text for the Kubernetes version (the CLI says which version an
    unset one defaults to); empty means the run's `kube_version` option as given.
    """
    from policylint.frameworks import control_index, report_controls

    index = control_index(report.policy_set)
    chosen = [frameworks[framework_id] for framework_id in dict.fromkeys(selected)]
    rows_controls = {framework.id: report_controls(framework, frameworks) for framework in chosen}
    mapped_ids = {policy_id for controls in rows_controls.values() for c in controls for policy_id in index.get(c.ref, [])}

    # Number every finding a control row points at, in the report's stable order.
    by_rule: dict[str, list[str]] = {}
    for controls in rows_controls.values():
        for control in controls:
            for policy_id in index.get(control.ref, []):
                by_rule.setdefault(policy_id, []).append(control.ref)
    refs: dict[str, AuditFinding] = {}
    listed: list[AuditFinding] = []
    for finding in sorted([*report.findings, *report.superseded], key=lambda f: f.sort_key):
        if finding.policy_id not in mapped_ids:
            continue
        key = finding.fingerprint or f"{finding.path}:{finding.line}:{finding.policy_id}"
        entry = AuditFinding(f"F-{len(listed) + 1}", finding, tuple(dict.fromkeys(by_rule[finding.policy_id])))
        refs[key] = entry
        listed.append(entry)

    unverified = _unverified(report)
    results = []
    for framework in chosen:
        controls = rows_controls[framework.id]
        replaced = {c.replaces: c.id for c in controls if c.replaces}
        rows = []
        for control in controls:
            row = _evaluate(control, index.get(control.ref, []), report, refs, unverified)
            if control.framework != framework.id and control.id in replaced:
                row.superseded_by = replaced[control.id]
            rows.append(row)
        results.append(FrameworkResult(framework, rows))
    options = report.options
    scope = Scope(
        paths=tuple(options.paths),
        git=git,
        tool_version=__version__,
        policy_set=report.policy_set.digest,
        date=date,
        kube_version=kube_version or options.kube_version or "not set",
        profile=options.profile,
        files=len(report.files),
        policies_run=len(report.policies),
    )
    skipped = [(item.path, item.reason) for item in report.skipped]
    return Audit(scope, results, listed, unverified, skipped)


# --- JSON ---------------------------------------------------------------------------------------


def _finding_json(entry: AuditFinding) -> dict[str, Any]:
    finding = entry.finding
    suppression = None
    if finding.suppression is not None:
        suppression = {
            "kind": finding.suppression.kind,
            "justification": finding.suppression.justification,
            "expires": finding.suppression.expires or None,
        }
    return {
        "ref": entry.ref,
        "rule_id": finding.policy_id,
        "severity": finding.severity,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "message": finding.message,
        "resource": {"kind": finding.resource_kind, "namespace": finding.resource_namespace,
                     "name": finding.resource_name},
        "controls": list(entry.controls),
        "suppression": suppression,
    }


def audit_to_dict(audit: Audit) -> dict[str, Any]:
    """The JSON document (see docs/report.md for the shape)."""
    scope = audit.scope
    git = None
    if scope.git is not None:
        git = {"commit": scope.git.commit or None, "ref": scope.git.ref or None,
               "working_tree": "not inspected (git is never run)"}
    frameworks = []
    for result in audit.frameworks:
        framework = result.framework
        frameworks.append({
            "id": framework.id,
            "name": framework.name,
            "version": framework.version,
            "source": list(framework.source),
            "notes": framework.notes,
            "includes": list(framework.includes),
            "summary": {
                "controls": len(result.controls),
                "status": result.counts,
                "coverage": result.coverage_counts,
                "score": result.score,
            },
            "controls": [
                {
                    "framework": row.control.framework,
                    "id": row.control.id,
                    "title": row.control.title,
                    "scope": row.control.scope,
                    "declared_coverage": row.control.coverage,
                    "coverage": row.coverage,
                    "status": row.status,
                    "reason": row.reason,
                    "note": row.control.note,
                    "superseded_by": row.superseded_by or None,
                    "rules": row.rules,
                    "rules_not_run": row.rules_not_run,
                    "findings": [entry.ref for entry in row.findings],
                    "suppressed": [entry.ref for entry in row.suppressed],
                    "unverified": sorted({item.path for item in row.unverified}),
                }
                for row in result.controls
            ],
        })
    return {
        "schema": "policylint-audit",
        "version": SCHEMA_VERSION,
        "scope": {
            "paths": list(scope.paths),
            "git": git,
            "tool": {"name": "policylint", "version": scope.tool_version},
            "policy_set": scope.policy_set,
            "date": scope.date,
            "kube_version": scope.kube_version,
            "profile": scope.profile,
            "files": scope.files,
            "policies_run": scope.policies_run,
        },
        "frameworks": frameworks,
        "findings": [_finding_json(entry) for entry in audit.findings],
        "unverified": [
            {"path": item.path, "line": item.line, "rule_id": item.rule_id, "message": item.message}
            for item in audit.unverified
        ],
        "skipped": [{"path": path, "reason": reason} for path, reason in audit.skipped],
    }


def render_json(audit: Audit) -> str:
    """The audit as stable, indented JSON."""
    return json.dumps(audit_to_dict(audit), indent=2, ensure_ascii=False) + "\n"


# --- Markdown -----------------------------------------------------------------------------------


def _md(text: object) -> str:
    """A table-cell-safe markdown fragment (pipes, newlines and HTML-significant characters escaped)."""
    from policylint.reporters import inert

    value = inert(str(text).replace("\n", " ")).replace("\\", "\\\\").replace("|", "\\|")
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "\\`")


def commit_text(scope: Scope) -> str:
    """The commit line of the header, honest about what is not known."""
    if scope.git is None:
        return "not in a git repository"
    ref = scope.git.ref.removeprefix("refs/heads/")
    if not scope.git.commit:
        return f"{ref} (no commit yet)"
    where = f" on {ref}" if ref else " (detached HEAD)"
    return f"{scope.git.commit}{where}; uncommitted changes not inspected"


def suppression_text(finding: Finding) -> str:
    """`kind: justification (expires ...)`."""
    if finding.suppression is None:
        return ""
    suppression = finding.suppression
    text = f"{suppression.kind}: {suppression.justification or '(no reason given)'}"
    return text + (f" (expires {suppression.expires})" if suppression.expires else " (no expiry)")


def render_markdown(audit: Audit) -> str:
    """The audit as a markdown document with the same sections as the HTML."""
    scope = audit.scope
    lines = [
        "# Compliance assessment report",
        "",
        "Static analysis of configuration files by policylint. Not a certification: controls marked "
        "*partial* or *manual* need evidence beyond this scan.",
        "",
        "| Scope | |",
        "|---|---|",
        f"| Paths | {_md(', '.join(scope.paths))} |",
        f"| Git commit | {_md(commit_text(scope))} |",
        f"| Tool | policylint {_md(scope.tool_version)} |",
        f"| Policy set | {_md(scope.policy_set)} ({scope.policies_run} policies run, profile {_md(scope.profile)}) |",
        f"| Date | {_md(scope.date)} |",
        f"| Kubernetes version | {_md(scope.kube_version)} |",
        f"| Files scanned | {scope.files} |",
        "",
        "## Summary",
        "",
        "| Framework | Version | Controls | Pass | Fail | Not applicable | Manual evidence needed | Score |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in audit.frameworks:
        counts = result.counts
        score = "n/a" if result.score is None else f"{result.score}%"
        lines.append(
            f"| {_md(result.framework.name)} (`{result.framework.id}`) | {_md(result.framework.version)} | "
            f"{len(result.controls)} | {counts['pass']} | {counts['fail']} | {counts['not-applicable']} | "
            f"{counts['manual']} | {score} |"
        )
    lines += ["", "Score = controls passed / (passed + failed). Controls needing manual evidence are not scored."]
    if audit.unverified:
        lines += ["", f"**{len(audit.unverified)} file(s) could not be evaluated** and are unverified for every "
                  "control that checks them (see *Unverified files*)."]
    for result in audit.frameworks:
        framework = result.framework
        lines += [
            "",
            f"## {_md(framework.name)}",
            "",
            f"- Framework id: `{framework.id}`",
            f"- Version: {_md(framework.version)}",
            f"- Source: {', '.join(_md(item) for item in framework.source)}",
        ]
        if framework.notes:
            lines.append(f"- Notes: {_md(framework.notes)}")
        coverage = result.coverage_counts
        score = "n/a" if result.score is None else f"{result.score}%"
        lines += [
            f"- Score: {score}; coverage: {coverage['automated']} automated, {coverage['partial']} partial, "
            f"{coverage['manual']} manual",
            "",
            "| Control | Title | Status | Coverage | Evidence |",
            "|---|---|---|---|---|",
        ]
        for row in result.controls:
            lines.append(
                f"| `{_md(row.control.ref if row.control.framework != framework.id else row.control.id)}` | "
                f"{_md(row.control.title)} | **{row.label}** | {row.coverage} | {_md(_evidence_text(row))} |"
            )
    lines += ["", "## Findings", ""]
    if audit.findings:
        lines += ["| Ref | Rule | Severity | Location | Message | Controls | Suppression |", "|---|---|---|---|---|---|---|"]
        for entry in audit.findings:
            finding = entry.finding
            lines.append(
                f"| {entry.ref} | `{finding.policy_id}` | {finding.severity} | `{_md(entry.where)}` | "
                f"{_md(finding.message)} | {_md(', '.join(entry.controls))} | {_md(suppression_text(finding))} |"
            )
    else:
        lines.append("No finding of a rule mapped to these frameworks.")
    lines += ["", "## Unverified files", ""]
    if audit.unverified:
        lines += ["| File | Line | Reason |", "|---|---|---|"]
        lines += [f"| `{_md(item.path)}` | {item.line} | {_md(item.message)} |" for item in audit.unverified]
    else:
        lines.append("Every scanned file was evaluated.")
    return "\n".join(lines) + "\n"


def _evidence_text(row: ControlResult) -> str:
    """The evidence cell: reason, findings with file:line, suppressions, unverified files, note."""
    parts = [row.reason]
    if row.findings:
        parts.append("findings: " + "; ".join(f"{e.ref} {e.finding.policy_id} at {e.where}" for e in row.findings))
    if row.suppressed:
        parts.append("suppressed: " + "; ".join(
            f"{e.ref} {e.finding.policy_id} at {e.where} — {suppression_text(e.finding)}" for e in row.suppressed))
    if row.unverified:
        parts.append("unverified: " + ", ".join(sorted({item.path for item in row.unverified})))
    if row.rules:
        parts.append("rules: " + ", ".join(row.rules))
    if row.superseded_by:
        parts.append(f"replaced by {row.superseded_by} in this profile")
    if row.control.note:
        parts.append(row.control.note)
    return ". ".join(part.rstrip(".") for part in parts if part) + "."
