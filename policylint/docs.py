"""Documentation rendered from policy metadata: `rules`, `explain`, and generated policy pages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from policylint.catalog import load_policies
from policylint.core.policies import Policy
from policylint.examples import example_files, strip_markers


def _kinds(policy: Policy) -> str:
    kinds = policy.match.get("kinds")
    return f"{policy.file_kind}: {', '.join(kinds)}" if kinds else policy.file_kind


def rules_table(policies: Sequence[Policy], fmt: str = "table") -> str:
    """Every policy as a table (`table`), a markdown table, or JSON."""
    rows = [
        (p.id, p.severity, _kinds(p), "on" if p.enabled_by_default else "off", p.fix_applicability or "-",
         p.title + _own_source(p, " ") + _inactive(p))
        for p in sorted(policies, key=lambda p: p.id)
    ]
    if fmt == "json":
        data = [
            {"id": p.id, "severity": p.severity, "file_kind": p.file_kind, "kinds": p.match.get("kinds", []),
             "default": "enabled" if p.enabled_by_default else "disabled", "fix": p.fix_applicability or None,
             "title": p.title, "frameworks": p.frameworks, "params": dict(sorted(p.params.items())),
             **({"source": _own_source(p)} if p.language else {})}
            for p in sorted(policies, key=lambda p: p.id)
        ]
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    headers = ("id", "severity", "applies to", "default", "fix", "title")
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


def _inactive(policy: Policy) -> str:
    """Why a policy reports nothing in this installation (the ShellCheck policies without their runtime)."""
    if policy.relation != "shellcheck":
        return ""
    from policylint.core.shellcheck import runtime

    return "" if runtime() is not None else " [inactive: needs policylint[shell], the ShellCheck runtime]"


def _own_source(policy: Policy, before: str = "") -> str:
    """`[Rego: path:line]` for a user's CEL or Rego policy (policylint.ownpolicies); "" for the others."""
    if not policy.language:
        return ""
    return f"{before}[{policy.language}: {policy.source}:{policy.source_line}]"


def _example_text(policy: Policy, example: object) -> str:
    parts = []
    for path, text in example_files(policy, example).items():
        clean, _ = strip_markers(text)
        parts.append(f"# {path}\n{clean.rstrip()}" if not isinstance(example, str) else clean.rstrip())
    return "\n".join(parts)


def explain_builtin(finding_id: str) -> str:
    """The explanation of a finding the run makes itself (parse-error, suppression-invalid, ...)."""
    from policylint.catalog import BUILTIN_FINDINGS

    severity, title, rationale, remediation = BUILTIN_FINDINGS[finding_id]
    return "\n".join([
        f"{finding_id} ({severity}; made by policylint itself, not by a policy file)",
        f"  {title}",
        "",
        "Why it matters:",
        f"  {rationale}",
        "",
        "How to fix it:",
        f"  {remediation}",
    ]) + "\n"


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
    ]
    if policy.fix:
        lines += [f"Fix ({policy.fix['applicability']}, `policylint check --fix{_fix_flag(policy)}`):",
                  f"  {policy.fix['description']}", f"  {' '.join(str(policy.fix['why']).split())}", ""]
        for example in (policy.fix.get("examples") or [])[:1]:
            lines += ["Before:", _indent(example["before"].rstrip()), "", "After:", _indent(example["after"].rstrip()), ""]
    if policy.examples.get("fail") and policy.examples.get("pass"):
        lines += [
            "Fails:",
            _indent(_example_text(policy, policy.examples["fail"][0])),
            "",
            "Passes:",
            _indent(_example_text(policy, policy.examples["pass"][0])),
        ]
    if policy.language:
        lines += ["Source:" if not policy.examples else "\nSource:", f"  {_own_source(policy)[1:-1]}"]
    if policy.params:
        lines += ["", "Parameters (defaults; set them under `params:` in .policylint.yaml):",
                  *(f"  {name}: {json.dumps(value, ensure_ascii=False)}" for name, value in sorted(policy.params.items()))]
    if policy.references:
        lines += ["", "References:", *(f"  {ref}" for ref in policy.references)]
    if frameworks:
        lines += ["", f"Controls: {frameworks}"]
    return "\n".join(lines) + "\n"


def _fix_flag(policy: Policy) -> str:
    return " --unsafe-fixes" if policy.fix_applicability == "unsafe" else ""


def _fix_markdown(policy: Policy) -> list[str]:
    """The `## Fix` section: what `--fix` changes, whether it is safe and why, before and after."""
    assert policy.fix is not None
    fix = policy.fix
    lines = ["", "## Fix", "",
             f"`policylint check --fix{_fix_flag(policy)}` {fix['description']} ({fix['applicability']}).", "",
             " ".join(str(fix["why"]).split())]
    for example in fix.get("examples") or []:
        language = _language(next(iter(example_files(policy, ""))), policy.file_kind)
        lines += ["", "Before:", "", _fence(example["before"].rstrip(), language), "", "After:", "",
                  _fence(example["after"].rstrip(), language)]
    return lines


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())


# --- Generated policy pages (docs/policies/<id>.md + README.md) ------------------------------------

DOCS_COMMAND = "python -m policylint.docs --output docs/policies"
_GENERATED = "<!-- Generated from the policy file by `{command}`; do not edit. -->"
_FENCE_LANGUAGE = {"kubernetes": "yaml", "compose": "yaml", "github-actions": "yaml", "gitlab-ci": "yaml",
                   "dockerfile": "dockerfile"}
_DOMAIN_TITLES = (
    ("k8s", "Kubernetes"), ("docker", "Dockerfile"), ("compose", "docker-compose"), ("gha", "GitHub Actions"),
    ("gitlab", "GitLab CI"),
    ("helm", "Helm charts"),
)


def _fence(text: str, language: str) -> str:
    """A fenced block long enough that backticks inside the text cannot close it."""
    longest, run = 0, 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{text}\n{ticks}"


def _language(path: str, file_kind: str) -> str:
    name = path.rsplit("/", 1)[-1]
    if name.startswith("Dockerfile") or name.endswith(".dockerfile"):
        return "dockerfile"
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    return _FENCE_LANGUAGE.get(file_kind, "")


def _example_markdown(policy: Policy, example: object, failing: bool) -> str:
    """One example as fenced code (a heading per file when it has several), with the reported lines."""
    files = example_files(policy, example)
    parts = []
    for path, text in files.items():
        clean, marks = strip_markers(text)
        body = "\n".join(line.rstrip() for line in clean.rstrip().splitlines())
        if len(files) > 1 or not isinstance(example, str):
            parts.append(f"`{path}`:")
        parts.append(_fence(body, _language(path, policy.file_kind)))
        lines = sorted({line for line, rule in marks if rule == policy.id})
        if failing and lines:
            where = ", ".join(str(line) for line in lines)
            parts.append(f"Reported at line{'s' if len(lines) > 1 else ''} {where}.")
    return "\n\n".join(parts)


_FILE_KIND_NAMES = {"kubernetes": "Kubernetes manifests", "dockerfile": "Dockerfiles", "compose": "docker-compose files",
                    "github-actions": "GitHub Actions workflows", "gitlab-ci": "GitLab CI pipelines",
                    "helm": "Helm chart values"}


def _what_it_does(policy: Policy) -> str:
    where = _FILE_KIND_NAMES.get(policy.file_kind, policy.file_kind)
    kinds = policy.match.get("kinds")
    if kinds:
        where += f" (kinds: {', '.join(kinds)})"
    containers = policy.match.get("containers")
    target = f"`{policy.target}`"
    if containers == "all":
        target += " (init and ephemeral containers included)"
    elif containers:
        target += f" (`{containers}` containers)"
    count = "a finding for every offending field" if policy.report == "each" else f"one finding per {policy.target}"
    text = f"Looks at each {target} in {where} and reports {count} when: {policy.title[:1].lower()}{policy.title[1:]}."
    text += f"\n\nThe finding reads: `{policy.message}`"
    if policy.description:
        text += f"\n\n{policy.description}"
    if policy.relation:
        text += f"\n\nIt reads other documents through the `{policy.relation}` relation."
    return text


def _default_text(policy: Policy) -> str:
    if policy.enabled_by_default:
        return "enabled"
    profiles = ", ".join(f"`{name}`" for name in policy.profiles)
    return "disabled" + (f" (turned on by the {profiles} profile)" if profiles else " (turn on with `--enable`)")


def _controls_markdown(policy: Policy, frameworks: dict[str, Any]) -> str:
    if not policy.frameworks:
        return "None of the supported frameworks has a control for this rule."
    rows = ["| Framework | Control | Title | Coverage |", "|---|---|---|---|"]
    for framework_id in sorted(policy.frameworks):
        framework = frameworks.get(framework_id)
        for control_id in policy.frameworks[framework_id]:
            control = framework.control(str(control_id)) if framework is not None else None
            title = control.title if control is not None else "(unknown control)"
            coverage = control.coverage if control is not None else ""
            name = framework.name if framework is not None else framework_id
            rows.append(f"| {name} (`{framework_id}`) | `{control_id}` | {title} | {coverage} |")
    return "\n".join(rows)


def _severity_text(policy: Policy) -> str:
    """The severity, with the cases that report another one (`severity_when`)."""
    cases = "; ".join(f"{case['severity']} when {case['reason']}" for case in policy.severity_when)
    return f"{policy.severity} ({cases})" if cases else policy.severity


def policy_page(policy: Policy, frameworks: dict[str, Any]) -> str:
    """The markdown page of one policy, in ruff's section order."""
    source = f"policies/{policy.source.parent.name}/{policy.source.name}"
    lines = [
        _GENERATED.format(command=DOCS_COMMAND),
        "",
        f"# {policy.id}",
        "",
        f"**{policy.title}**",
        "",
        "| | |",
        "|---|---|",
        f"| Severity | {_severity_text(policy)} |",
        f"| Applies to | {_kinds(policy)} |",
        f"| Default | {_default_text(policy)} |",
        f"| Status | {policy.status} |",
        f"| Policy file | `{source}` |",
    ]
    if policy.fix:
        lines.insert(-2, f"| Fix | {policy.fix_applicability} (`--fix{_fix_flag(policy)}`) |")
    if policy.aliases:
        lines.append(f"| Former ids | {', '.join(f'`{alias}`' for alias in policy.aliases)} |")
    if policy.supersedes:
        hidden = ", ".join(f"[`{other}`]({other}.md)" for other in policy.supersedes)
        lines.append(f"| Supersedes | {hidden}: where both report the same place, only this finding is shown |")
    lines += ["", "## What it does", "", _what_it_does(policy), "", "## Why is this bad?", "", policy.rationale]
    for heading, key, failing in (("Example (failing)", "fail", True), ("Use instead (passing)", "pass", False)):
        lines += ["", f"## {heading}", ""]
        examples = policy.examples.get(key, [])
        for number, example in enumerate(examples, start=1):
            if len(examples) > 1:
                lines += [f"Example {number}:", ""]
            lines += [_example_markdown(policy, example, failing), ""]
        lines.pop()
    lines += ["", "## Remediation", "", policy.remediation]
    if policy.fix:
        lines += _fix_markdown(policy)
    if policy.params:
        lines += ["", "## Parameters", "", "| Name | Default |", "|---|---|"]
        lines += [f"| `{name}` | `{json.dumps(value, ensure_ascii=False)}` |" for name, value in sorted(policy.params.items())]
        lines += ["", "Set them under `params:` in `.policylint.yaml`."]
    lines += ["", "## References", ""]
    lines += [f"- <{ref}>" for ref in policy.references] or ["None."]
    lines += ["", "## Controls", "", _controls_markdown(policy, frameworks)]
    return "\n".join(lines) + "\n"


def index_page(policies: Sequence[Policy]) -> str:
    """docs/policies/README.md: every policy by domain, linking to its page."""
    lines = [
        _GENERATED.format(command=DOCS_COMMAND),
        "",
        "# Policies",
        "",
        f"{len(policies)} built-in policies. Each page says what the policy checks, why it matters, a failing and a "
        "passing example, how to fix it, and the framework controls it gives evidence for.",
    ]
    for prefix, title in _DOMAIN_TITLES:
        group = [policy for policy in policies if policy.domain == prefix]
        if not group:
            continue
        lines += ["", f"## {title}", "", "| Policy | Severity | Default | Title |", "|---|---|---|---|"]
        lines += [
            f"| [`{p.id}`]({p.id}.md) | {p.severity} | {'on' if p.enabled_by_default else 'off'} | "
            f"{p.title.replace('|', chr(92) + '|')} |"
            for p in group
        ]
    return "\n".join(lines) + "\n"


def render_policy_docs() -> dict[str, str]:
    """File name → content for every generated page of the built-in policies."""
    from policylint.frameworks import load_frameworks

    policies = list(load_policies())
    frameworks = load_frameworks()
    pages = {f"{policy.id}.md": policy_page(policy, frameworks) for policy in policies}
    pages["README.md"] = index_page(policies)
    return dict(sorted(pages.items()))


def stale_pages(directory: Path) -> list[str]:
    """Names of pages that differ from what the policies generate (missing, changed or left over)."""
    expected = render_policy_docs()
    present = {path.name for path in directory.glob("*.md")} if directory.is_dir() else set()
    stale = [name for name, text in expected.items()
             if name not in present or (directory / name).read_text(encoding="utf-8") != text]
    stale += sorted(present - set(expected))
    return sorted(stale)


def write_policy_docs(directory: Path) -> int:
    """Write every page (and remove pages of policies that no longer exist); returns the number written."""
    pages = render_policy_docs()
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.md"):
        if old.name not in pages:
            old.unlink()
    for name, text in pages.items():
        target = directory / name
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    return len(pages)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m policylint.docs [--output DIR] [--check]`: regenerate or check the policy pages."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m policylint.docs", description=main.__doc__)
    parser.add_argument("--output", type=Path, default=Path("docs/policies"))
    parser.add_argument("--check", action="store_true", help="exit 1 when the pages are stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_pages(args.output)
        for name in stale:
            print(f"stale: {args.output / name}")
        return 1 if stale else 0
    print(f"wrote {write_policy_docs(args.output)} page(s) to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
