"""Documentation rendered from policy metadata: `rules`, `explain`, and generated policy pages."""

from __future__ import annotations

import json
from collections.abc import Sequence

from policylint.examples import example_files, strip_markers
from policylint.policies import Policy


def _kinds(policy: Policy) -> str:
    kinds = policy.match.get("kinds")
    return f"{policy.file_kind}: {', '.join(kinds)}" if kinds else policy.file_kind


def rules_table(policies: Sequence[Policy], fmt: str = "table") -> str:
    """Every policy as a table (`table`), a markdown table, or JSON."""
    rows = [
        (p.id, p.severity, _kinds(p), "on" if p.enabled_by_default else "off", p.title)
        for p in sorted(policies, key=lambda p: p.id)
    ]
    if fmt == "json":
        data = [
            {"id": p.id, "severity": p.severity, "file_kind": p.file_kind, "kinds": p.match.get("kinds", []),
             "default": "enabled" if p.enabled_by_default else "disabled", "title": p.title,
             "frameworks": p.frameworks}
            for p in sorted(policies, key=lambda p: p.id)
        ]
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    headers = ("id", "severity", "applies to", "default", "title")
    if fmt == "markdown":
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        return "\n".join(lines) + "\n"
    widths = [max(len(str(row[i])) for row in (headers, *rows)) for i in range(len(headers) - 1)]
    lines = []
    for row in (headers, *rows):
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    lines.append(f"\n{len(rows)} policies")
    return "\n".join(lines) + "\n"


def _example_text(policy: Policy, example: object) -> str:
    parts = []
    for path, text in example_files(policy, example).items():
        clean, _ = strip_markers(text)
        parts.append(f"# {path}\n{clean.rstrip()}" if not isinstance(example, str) else clean.rstrip())
    return "\n".join(parts)


def explain_text(policy: Policy) -> str:
    """The terminal explanation of one policy (what, why, failing and passing example, references)."""
    frameworks = "; ".join(f"{key}: {', '.join(value)}" for key, value in sorted(policy.frameworks.items()))
    lines = [
        f"{policy.id} ({policy.severity}{'' if policy.enabled_by_default else ', off by default'})",
        f"  {policy.title}",
        "",
        f"Applies to: {_kinds(policy)} ({policy.target})",
        "",
        "Why it matters:",
        f"  {policy.rationale}",
        "",
        "How to fix it:",
        f"  {policy.remediation}",
        "",
        "Fails:",
        _indent(_example_text(policy, policy.examples["fail"][0])),
        "",
        "Passes:",
        _indent(_example_text(policy, policy.examples["pass"][0])),
    ]
    if policy.references:
        lines += ["", "References:", *(f"  {ref}" for ref in policy.references)]
    if frameworks:
        lines += ["", f"Controls: {frameworks}"]
    return "\n".join(lines) + "\n"


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())
