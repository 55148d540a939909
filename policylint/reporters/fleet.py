"""The fleet report (`policylint report --results`) as JSON, markdown and HTML.

`policylint.fleet.build_fleet` reads the results; these functions only format its aggregates, so
the three formats carry the same content. Repository names, branches and paths come from result
files, which CI jobs of other repositories wrote: Markdown and HTML escape them.
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

from policylint import __version__
from policylint.reporters import inert

if TYPE_CHECKING:
    from policylint.fleet import ControlRow, Fleet, Repository

SCHEMA_VERSION = 1
#: Failing repositories named per control in markdown and HTML (all of them are in the JSON).
NAMED = 20


def _repository_json(repository: Repository) -> dict[str, Any]:
    return {
        "name": repository.name,
        "file": repository.file,
        "commit": repository.commit,
        "branch": repository.branch,
        "time": repository.time,
        "policylint": repository.version,
        "policy_set": repository.policy_set,
        "different_policy_set": repository.different_policy_set,
        "findings": repository.findings,
        "unverified": repository.unverified,
        "controls": repository.counts,
        "statuses": repository.statuses,
    }


def render_json(fleet: Fleet) -> str:
    """The fleet report as JSON (`kind: fleet`, `version` 1)."""
    from policylint.fleet import STATUSES

    document = {
        "version": SCHEMA_VERSION,
        "kind": "fleet",
        "tool": {"name": "policylint", "version": __version__, "policy_set": fleet.policy_set},
        "date": fleet.date,
        "results": len(fleet.repositories),
        "different_policy_set": sum(1 for repository in fleet.repositories if repository.different_policy_set),
        "frameworks": [
            {
                "id": table.framework.id,
                "name": table.framework.name,
                "controls_by_status": table.counts,
                "controls": [
                    {
                        "ref": row.control.ref,
                        "id": row.control.id,
                        "title": row.control.title,
                        "policies": row.policies,
                        "status": row.status,
                        "repositories": {status: row.counts[status] for status in STATUSES},
                        "findings": row.findings,
                        "failing": [fleet.repositories[index].name for index in row.failing],
                    }
                    for row in table.rows
                ],
            }
            for table in fleet.frameworks
        ],
        "repositories": [_repository_json(repository) for repository in fleet.repositories],
        "unreadable": [{"file": file, "reason": reason} for file, reason in fleet.unreadable],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _md(text: str) -> str:
    """Text safe in a Markdown table cell."""
    return inert(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;") \
        .replace("[", "\\[").replace("]", "\\]").replace("`", "\\`").replace("*", "\\*").replace("_", "\\_")


def _failing_names(fleet: Fleet, row: ControlRow) -> list[str]:
    names = [fleet.repositories[index].name for index in row.failing[:NAMED]]
    if len(row.failing) > NAMED:
        names.append(f"and {len(row.failing) - NAMED} more")
    return names


def _flag(repository: Repository) -> str:
    return "different policy set" if repository.different_policy_set else ""


def render_markdown(fleet: Fleet) -> str:
    """The fleet report as Markdown."""
    from policylint.fleet import STATUS_LABELS, STATUSES

    flagged = sum(1 for repository in fleet.repositories if repository.different_policy_set)
    lines = [
        "# Fleet compliance report",
        "",
        f"{len(fleet.repositories)} results, policy set `{fleet.policy_set}`, policylint {__version__}, {fleet.date}.",
    ]
    if flagged:
        lines.append(f"**{flagged} result(s) were made with a different policy set**: their statuses may not "
                     "mean the same checks.")
    for table in fleet.frameworks:
        counts = _control_counts(table)
        lines += ["", f"## {_md(table.framework.name)} (`{table.framework.id}`)", "", f"Controls: {counts}.", "",
                  "| Control | Title | Fleet | Fail | Pass | N/A | Not run | Findings | Failing repositories |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for row in table.rows:
            lines.append(
                f"| {_md(row.control.ref)} | {_md(row.control.title)} | {STATUS_LABELS[row.status]} | "
                + " | ".join(str(row.counts[status]) for status in STATUSES)
                + f" | {row.findings} | {', '.join(_md(name) for name in _failing_names(fleet, row))} |"
            )
    lines += ["", "## Repositories", "",
              "| Repository | Branch | Commit | Time | policylint | Policy set | Findings | Failing controls | Unverified |",
              "|---|---|---|---|---|---|---|---|---|"]
    for repository in fleet.repositories:
        policy_set = f"{repository.policy_set} ({_flag(repository)})" if repository.different_policy_set else repository.policy_set
        lines.append(
            f"| {_md(repository.name)} | {_md(repository.branch)} | {_md(repository.commit[:12])} | {_md(repository.time)} | "
            f"{_md(repository.version)} | {_md(policy_set)} | {repository.findings} | {repository.counts['fail']} | "
            f"{repository.unverified} |"
        )
    if fleet.unreadable:
        lines += ["", "## Results that could not be read", ""]
        lines += [f"- {_md(file)}: {_md(reason)}" for file, reason in fleet.unreadable]
    return "\n".join(lines) + "\n"


def _h(text: str) -> str:
    return escape(inert(text))


def render_html(fleet: Fleet) -> str:
    """The fleet report as one self-contained HTML document."""
    from policylint.fleet import STATUS_LABELS, STATUSES
    from policylint.reporters.audit_html import CSS

    colors = {"fail": "#b3261e", "pass": "#1f7a3a", "not-applicable": "#7a7f87", "not-run": "#a05a00"}
    flagged = sum(1 for repository in fleet.repositories if repository.different_policy_set)
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<title>Fleet compliance report</title>",
        f"<style>{CSS}\n.flag {{ color: #b3261e; font-weight: 600; }}</style></head><body><div class=\"doc\">",
        "<h1>Fleet compliance report</h1>",
        f"<p>{len(fleet.repositories)} results &middot; policy set <code>{_h(fleet.policy_set)}</code> &middot; "
        f"policylint {_h(__version__)} &middot; {_h(fleet.date)}</p>",
    ]
    if flagged:
        parts.append(f"<p class=\"flag\" id=\"different-policy-set\">{flagged} result(s) were made with a different "
                     "policy set: their statuses may not mean the same checks.</p>")
    for table in fleet.frameworks:
        counts = _control_counts(table)
        parts += [f"<h2>{_h(table.framework.name)} <small>({_h(table.framework.id)})</small></h2>",
                  f"<p>Controls: {counts}.</p>",
                  f"<table id=\"fleet-{_h(table.framework.id)}\"><thead><tr><th>Control</th><th>Title</th><th>Fleet</th>"
                  + "".join(f"<th>{STATUS_LABELS[status]}</th>" for status in STATUSES)
                  + "<th>Findings</th><th>Failing repositories</th></tr></thead><tbody>"]
        for row in table.rows:
            parts.append(
                f"<tr><td>{_h(row.control.ref)}</td><td>{_h(row.control.title)}</td>"
                f"<td style=\"color:{colors[row.status]};font-weight:600\">{STATUS_LABELS[row.status]}</td>"
                + "".join(f"<td>{row.counts[status]}</td>" for status in STATUSES)
                + f"<td>{row.findings}</td><td>{', '.join(_h(name) for name in _failing_names(fleet, row))}</td></tr>"
            )
        parts.append("</tbody></table>")
    parts += ["<h2>Repositories</h2>",
              "<table id=\"repositories\"><thead><tr><th>Repository</th><th>Branch</th><th>Commit</th><th>Time</th>"
              "<th>policylint</th><th>Policy set</th><th>Findings</th><th>Failing controls</th><th>Unverified</th>"
              "</tr></thead><tbody>"]
    for repository in fleet.repositories:
        flag = f" <span class=\"flag\">{_flag(repository)}</span>" if repository.different_policy_set else ""
        parts.append(
            f"<tr><td>{_h(repository.name)}</td><td>{_h(repository.branch)}</td><td><code>{_h(repository.commit[:12])}</code></td>"
            f"<td>{_h(repository.time)}</td><td>{_h(repository.version)}</td><td><code>{_h(repository.policy_set)}</code>{flag}</td>"
            f"<td>{repository.findings}</td><td>{repository.counts['fail']}</td><td>{repository.unverified}</td></tr>"
        )
    parts.append("</tbody></table>")
    if fleet.unreadable:
        parts.append("<h2>Results that could not be read</h2><ul>")
        parts += [f"<li>{_h(file)}: {_h(reason)}</li>" for file, reason in fleet.unreadable]
        parts.append("</ul>")
    parts.append("</div></body></html>")
    return "\n".join(parts) + "\n"


def _control_counts(table: Any) -> str:
    """`N passing, N failing, ...` for one framework's controls (markdown and HTML say it alike)."""
    from policylint.fleet import STATUS_LABELS, STATUSES

    return ", ".join(f"{table.counts[status]} {STATUS_LABELS[status].lower()}" for status in STATUSES)
