"""The compliance report as one self-contained HTML document (inline CSS and SVG, no external assets).

Laid out like a document handed to an auditor: a title block with the scope, a summary table and
chart, one section per framework with its control table (`<table id="controls-<framework>">`), and
appendices for findings and unverified files. Every piece of scanned or policy text is escaped.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from policylint.reporters import inert
from policylint.reporters.audit import (
    STATUS_LABELS,
    STATUSES,
    Audit,
    AuditFinding,
    ControlResult,
    FrameworkResult,
    commit_text,
)

if TYPE_CHECKING:
    from policylint.reporters.audit import Scope

STATUS_COLORS = {"pass": "#1f7a3a", "fail": "#b3261e", "not-applicable": "#7a7f87", "manual": "#a05a00"}

CSS = """
:root { --ink:#1b1f24; --muted:#5b636e; --rule:#d5d9de; --paper:#ffffff; --band:#f4f6f8; --accent:#1d3557; }
* { box-sizing: border-box; }
html { background: #e9ecef; }
body { margin: 0; color: var(--ink); font: 14px/1.5 "Segoe UI", "Helvetica Neue", Arial, "Noto Sans CJK JP",
       "Noto Sans", sans-serif; }
.doc { max-width: 1040px; margin: 24px auto; background: var(--paper); padding: 56px 64px;
       box-shadow: 0 1px 4px rgba(0,0,0,.12); }
h1, h2, h3 { font-family: Georgia, "Times New Roman", "Noto Serif CJK JP", serif; color: var(--accent);
             font-weight: 600; }
h1 { font-size: 32px; margin: 6px 0 4px; line-height: 1.2; }
h2 { font-size: 22px; margin: 40px 0 12px; padding-bottom: 6px; border-bottom: 2px solid var(--accent); }
h3 { font-size: 16px; margin: 20px 0 8px; }
.eyebrow { text-transform: uppercase; letter-spacing: .14em; font-size: 12px; color: var(--muted); margin: 0; }
.subtitle { font-size: 16px; color: var(--muted); margin: 0 0 24px; }
.title-page { border-top: 6px solid var(--accent); padding-top: 24px; }
dl.meta { display: grid; grid-template-columns: 190px 1fr; margin: 0; border-top: 1px solid var(--rule); }
dl.meta dt, dl.meta dd { margin: 0; padding: 7px 0; border-bottom: 1px solid var(--rule); }
dl.meta dt { color: var(--muted); font-weight: 600; }
.disclaimer { background: var(--band); border-left: 4px solid var(--accent); padding: 10px 14px; margin: 20px 0 0;
              color: #333; }
.warning { background: #fff4e5; border-left: 4px solid #a05a00; padding: 10px 14px; margin: 14px 0; }
code, .mono { font-family: "SFMono-Regular", Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; }
table { width: 100%; border-collapse: collapse; margin: 8px 0 16px; table-layout: fixed; }
td code { overflow-wrap: anywhere; }
th, td { text-align: left; vertical-align: top; padding: 7px 8px; border-bottom: 1px solid var(--rule); }
th { background: var(--band); font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted);
     border-bottom: 2px solid var(--rule); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.origin { display: block; font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
table.controls tr.status-fail td:first-child { box-shadow: inset 4px 0 0 #b3261e; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
         color: #fff; line-height: 1.45; }
.cov { display: inline-block; padding: 0 6px; border: 1px solid var(--rule); border-radius: 4px; font-size: 12px;
       color: var(--muted); white-space: nowrap; }
.evidence p { margin: 0 0 4px; }
.evidence ul { margin: 2px 0 4px; padding-left: 18px; }
.note { color: var(--muted); font-size: 12.5px; }
.score { font-size: 28px; font-weight: 700; color: var(--accent); }
.fw-head { display: flex; justify-content: space-between; gap: 24px; align-items: flex-start; }
.fw-meta { margin: 0; padding: 0; list-style: none; color: var(--muted); font-size: 13px; }
.fw-score { text-align: right; min-width: 160px; }
.chart { margin: 8px 0 4px; }
a { color: var(--accent); }
footer { margin-top: 40px; padding-top: 10px; border-top: 1px solid var(--rule); color: var(--muted); font-size: 12px; }
@page { size: A4; margin: 16mm 14mm; }
@media print {
  html { background: none; }
  .doc { box-shadow: none; margin: 0; max-width: none; padding: 0; }
  .framework, .appendix { break-before: page; }
  tr { break-inside: avoid; }
}
"""


CONTROL_COLUMNS = (
    '<colgroup><col style="width:20%"><col style="width:15%"><col style="width:17%"><col style="width:9%">'
    "<col></colgroup>"
)
FINDING_COLUMNS = (
    '<colgroup><col style="width:6%"><col style="width:16%"><col style="width:9%"><col style="width:20%">'
    '<col style="width:20%"><col style="width:17%"><col></colgroup>'
)


def _e(text: object) -> str:
    """HTML-escaped, with control and bidi characters from scanned files written as visible escapes."""
    return escape(inert(str(text), keep_lines=True), quote=True)


def _code(text: object) -> str:
    """Escaped code text with line-break opportunities after `/` and `:` (paths, control refs)."""
    escaped = _e(text).replace("/", "/<wbr>").replace(":", ":<wbr>")
    return f"<code>{escaped}</code>"


def _badge(status: str) -> str:
    return f'<span class="badge" style="background:{STATUS_COLORS[status]}">{_e(STATUS_LABELS[status])}</span>'


def _meta(scope: Scope) -> str:
    rows = [
        ("Scope (paths)", ", ".join(scope.paths)),
        ("Git commit", commit_text(scope)),
        ("Tool", f"policylint {scope.tool_version}"),
        ("Policy set", f"{scope.policy_set} — {scope.policies_run} policies run, profile “{scope.profile}”"),
        ("Date", scope.date),
        ("Kubernetes version", scope.kube_version),
        ("Files scanned", str(scope.files)),
    ]
    cells = "".join(f"<dt>{_e(name)}</dt><dd>{_e(value)}</dd>" for name, value in rows)
    return f'<dl class="meta">{cells}</dl>'


def _chart(results: list[FrameworkResult]) -> str:
    """Horizontal stacked bars: controls by status for each framework, with a legend."""
    label_width, bar_width, row_height, top = 130, 560, 34, 8
    height = top + row_height * len(results) + 40
    width = label_width + bar_width + 60
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title">',
        '<title id="chart-title">Controls by status for each framework</title>',
    ]
    for position, result in enumerate(results):
        y = top + position * row_height
        total = len(result.controls) or 1
        parts.append(
            f'<text x="{label_width - 10}" y="{y + 17}" text-anchor="end" font-size="13" fill="#1b1f24" '
            f'font-family="Consolas, monospace">{_e(result.framework.id)}</text>'
        )
        x = float(label_width)
        for status in STATUSES:
            count = result.counts[status]
            if not count:
                continue
            span = bar_width * count / total
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{span:.1f}" height="24" fill="{STATUS_COLORS[status]}">'
                f"<title>{_e(STATUS_LABELS[status])}: {count}</title></rect>"
            )
            if span >= 18:
                parts.append(
                    f'<text x="{x + span / 2:.1f}" y="{y + 17}" text-anchor="middle" font-size="12" '
                    f'font-weight="600" fill="#fff">{count}</text>'
                )
            x += span
        parts.append(
            f'<text x="{label_width + bar_width + 8}" y="{y + 17}" font-size="12" fill="#5b636e">'
            f"{len(result.controls)}</text>"
        )
    legend_y = top + row_height * len(results) + 14
    x = float(label_width)
    for status in STATUSES:
        parts.append(f'<rect x="{x:.0f}" y="{legend_y}" width="12" height="12" fill="{STATUS_COLORS[status]}"/>')
        parts.append(
            f'<text x="{x + 17:.0f}" y="{legend_y + 10}" font-size="12" fill="#1b1f24">{_e(STATUS_LABELS[status])}</text>'
        )
        x += 40 + 6.6 * len(STATUS_LABELS[status])
    parts.append("</svg>")
    return "".join(parts)


def _summary(audit: Audit) -> str:
    rows = []
    for result in audit.frameworks:
        counts = result.counts
        score = "n/a" if result.score is None else f"{result.score}%"
        rows.append(
            f'<tr><td><a href="#fw-{_e(result.framework.id)}">{_e(result.framework.name)}</a>'
            f'<br><code>{_e(result.framework.id)}</code></td>'
            f'<td class="num">{len(result.controls)}</td>'
            + "".join(f'<td class="num">{counts[status]}</td>' for status in STATUSES)
            + f'<td class="num"><strong>{_e(score)}</strong></td></tr>'
        )
    head = "".join(f'<th class="num">{_e(STATUS_LABELS[status])}</th>' for status in STATUSES)
    table = (
        '<table id="summary-table"><colgroup><col style="width:36%"><col><col><col><col><col><col></colgroup>'
        f'<thead><tr><th>Framework</th><th class="num">Controls</th>{head}'
        f'<th class="num">Score</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )
    note = (
        '<p class="note">Score = controls passed / (passed + failed). Controls that need manual evidence or do not '
        "apply to the scanned files are not scored.</p>"
    )
    warning = ""
    if audit.unverified:
        warning = (
            f'<p class="warning"><strong>{len(audit.unverified)} file(s) could not be evaluated.</strong> They are '
            'unverified for every control that would check them; see <a href="#appendix-unverified">Appendix B</a>.</p>'
        )
    return f"{table}{note}{warning}{_chart(audit.frameworks)}"


def _finding_item(entry: AuditFinding, suppressed: bool = False) -> str:
    finding = entry.finding
    text = (
        f'<li><a href="#{_e(entry.ref)}">{_e(entry.ref)}</a> <code>{_e(finding.policy_id)}</code> at '
        f"{_code(entry.where)}"
    )
    if suppressed and finding.suppression is not None:
        suppression = finding.suppression
        expiry = f"expires {suppression.expires}" if suppression.expires else "no expiry"
        text += f" — suppressed ({_e(suppression.kind)}): “{_e(suppression.justification)}”, {_e(expiry)}"
    return text + "</li>"


def _finding_groups(entries: list[AuditFinding]) -> list[str]:
    """One item per (rule, file): the lines, each linked to its appendix row (long lists stay readable)."""
    groups: dict[tuple[str, str], list[AuditFinding]] = {}
    for entry in entries:
        groups.setdefault((entry.finding.policy_id, entry.finding.path), []).append(entry)
    items = []
    for (rule, path), group in groups.items():
        if len(group) == 1:
            items.append(_finding_item(group[0]))
            continue
        lines = ", ".join(f'<a href="#{_e(e.ref)}" title="{_e(e.ref)}">{e.finding.line}</a>' for e in group)
        items.append(f"<li><code>{_e(rule)}</code> in {_code(path)}, lines {lines} "
                     f"({_e(group[0].ref)}–{_e(group[-1].ref)})</li>")
    return items


def _evidence(row: ControlResult) -> str:
    parts = [f"<p>{_e(row.reason[:1].upper() + row.reason[1:])}.</p>"]
    if row.findings:
        parts.append("<ul>" + "".join(_finding_groups(row.findings)) + "</ul>")
    if row.suppressed:
        parts.append("<p>Suppressed:</p><ul>" + "".join(_finding_item(e, True) for e in row.suppressed) + "</ul>")
    if row.unverified:
        paths = sorted({item.path for item in row.unverified})
        parts.append("<p><strong>Unverified:</strong> " + ", ".join(_code(path) for path in paths) + "</p>")
    if row.rules:
        parts.append('<p class="note">Rules: ' + ", ".join(f"<code>{_e(rule)}</code>" for rule in row.rules) + "</p>")
    if row.superseded_by:
        parts.append(f'<p class="note">Replaced by <code>{_e(row.superseded_by)}</code> in this profile.</p>')
    if row.control.note:
        parts.append(f'<p class="note">{_e(row.control.note)}</p>')
    return "".join(parts)


def _framework_section(number: int, result: FrameworkResult) -> str:
    framework = result.framework
    coverage = result.coverage_counts
    score = "n/a" if result.score is None else f"{result.score}%"
    sources = "; ".join(_e(item) for item in framework.source)
    counts = result.counts
    assessed = f"{counts['pass']} of {counts['pass'] + counts['fail']} assessed controls pass"
    rows = []
    for row in result.controls:
        control = row.control
        origin = f'<span class="origin">from {_e(control.framework)}</span>' if control.framework != framework.id else ""
        rows.append(
            f'<tr class="status-{row.status}" data-control="{_e(control.ref)}"><td><code>{_e(control.id)}</code>{origin}</td>'
            f"<td>{_e(control.title)}</td><td>{_badge(row.status)}</td>"
            f'<td><span class="cov">{_e(row.coverage)}</span></td><td class="evidence">{_evidence(row)}</td></tr>'
        )
    notes = f"<li>{_e(framework.notes)}</li>" if framework.notes else ""
    return (
        f'<section class="framework" id="fw-{_e(framework.id)}"><h2>{number}. {_e(framework.name)}</h2>'
        f'<div class="fw-head"><ul class="fw-meta"><li>Framework id: <code>{_e(framework.id)}</code></li>'
        f"<li>Version: {_e(framework.version)}</li><li>Source: {sources}</li>{notes}</ul>"
        f'<div class="fw-score"><div class="score">{_e(score)}</div><div class="note">{_e(assessed)}<br>coverage: '
        f"{coverage['automated']} automated, {coverage['partial']} partial, {coverage['manual']} manual</div></div>"
        f"</div>{_chart([result])}"
        f'<table class="controls" id="controls-{_e(framework.id)}">{CONTROL_COLUMNS}<thead><tr><th>Control</th><th>Title</th>'
        f'<th>Status</th><th>Coverage</th><th>Evidence</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
        "</section>"
    )


def _findings_appendix(audit: Audit) -> str:
    if not audit.findings:
        body = "<p>No finding of a rule mapped to these frameworks.</p>"
    else:
        rows = []
        for entry in audit.findings:
            finding = entry.finding
            suppression = "—"
            if finding.suppression is not None:
                item = finding.suppression
                expiry = f"expires {item.expires}" if item.expires else "no expiry"
                suppression = f"{_e(item.kind)}: “{_e(item.justification)}” ({_e(expiry)})"
            rows.append(
                f'<tr id="{_e(entry.ref)}"><td>{_e(entry.ref)}</td><td><code>{_e(finding.policy_id)}</code></td>'
                f"<td>{_e(finding.severity)}</td><td>{_code(entry.where)}</td><td>{_e(finding.message)}</td>"
                f"<td>{'<br>'.join(_code(ref) for ref in entry.controls)}</td><td>{suppression}</td></tr>"
            )
        body = (
            f'<table id="findings-table">{FINDING_COLUMNS}<thead><tr><th>Ref</th><th>Rule</th><th>Severity</th><th>Location</th>'
            f'<th>Message</th><th>Controls</th><th>Suppression</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
        )
    return f'<section class="appendix" id="appendix-findings"><h2>Appendix A. Findings</h2>{body}</section>'


def _unverified_appendix(audit: Audit) -> str:
    if not audit.unverified:
        body = "<p>Every scanned file was evaluated.</p>"
    else:
        rows = "".join(
            f"<tr><td>{_code(item.path)}</td><td class=\"num\">{item.line}</td>"
            f"<td><code>{_e(item.rule_id)}</code></td><td>{_e(item.message)}</td></tr>"
            for item in audit.unverified
        )
        body = (
            "<p>These files (or documents) could not be evaluated. No control is verified for them.</p>"
            '<table id="unverified-table"><colgroup><col style="width:34%"><col style="width:8%"><col style="width:14%">'
            '<col></colgroup><thead><tr><th>File</th><th class="num">Line</th><th>Reason</th>'
            f"<th>Detail</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    return f'<section class="appendix" id="appendix-unverified"><h2>Appendix B. Unverified files</h2>{body}</section>'


def render_html(audit: Audit) -> str:
    """The whole report as one HTML string."""
    names = " · ".join(result.framework.id for result in audit.frameworks)
    sections = "".join(_framework_section(number, result) for number, result in enumerate(audit.frameworks, start=2))
    title = f"Compliance assessment report — {names}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main class=\"doc\">"
        '<section class="title-page"><p class="eyebrow">Compliance assessment</p>'
        "<h1>Configuration compliance report</h1>"
        f'<p class="subtitle">Frameworks: {_e(names)}</p>{_meta(audit.scope)}'
        '<p class="disclaimer">This report comes from static analysis of configuration files (Kubernetes manifests, '
        "Dockerfiles, compose files, CI workflows). It is not a certification. A <em>pass</em> covers only what the "
        "rules can see in the scanned files; controls with <em>partial</em> or <em>manual</em> coverage need "
        "further evidence.</p></section>"
        f'<section id="summary"><h2>1. Summary</h2>{_summary(audit)}</section>'
        f"{sections}{_findings_appendix(audit)}{_unverified_appendix(audit)}"
        f"<footer>Generated by policylint {_e(audit.scope.tool_version)} on {_e(audit.scope.date)} · policy set "
        f"{_e(audit.scope.policy_set)}</footer></main></body></html>\n"
    )
