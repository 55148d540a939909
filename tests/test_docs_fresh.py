"""Generated policy docs: committed pages match the policies, and pages have ruff's sections."""

from __future__ import annotations

from support import ROOT

from policylint.catalog import load_policies
from policylint.cli import main
from policylint.docs import DOCS_COMMAND, render_policy_docs, stale_pages

DOCS = ROOT / "docs" / "policies"
SECTIONS = [
    "## What it does", "## Why is this bad?", "## Example (failing)", "## Use instead (passing)", "## Remediation",
    "## References", "## Controls",
]


def test_committed_policy_docs_are_fresh():
    stale = stale_pages(DOCS)
    assert not stale, (
        f"docs/policies is stale ({len(stale)} page(s): {', '.join(stale[:8])}{' …' if len(stale) > 8 else ''}); "
        f"refresh with: {DOCS_COMMAND}"
    )


def test_every_policy_has_a_page_with_all_sections_in_order():
    pages = render_policy_docs()
    policies = list(load_policies())
    assert set(pages) == {f"{policy.id}.md" for policy in policies} | {"README.md"}
    for policy in policies:
        page = pages[f"{policy.id}.md"]
        positions = [page.index(section) for section in SECTIONS]
        assert positions == sorted(positions), policy.id
        assert page.count(f"# {policy.id}\n") == 1
        assert "# expect:" not in page, f"{policy.id}: markers must be stripped from examples"
        assert policy.remediation in page and policy.rationale in page
        assert f"[`{policy.id}`]({policy.id}.md)" in pages["README.md"]


def test_run_as_root_page_content():
    page = render_policy_docs()["k8s-run-as-root.md"]
    assert "| Severity | high |" in page
    assert "```yaml\napiVersion: apps/v1\n" in page
    assert "Reported at line" in page
    assert "| Kubernetes Pod Security Standards — Restricted profile (`pss-restricted`) | `runAsNonRoot` | " \
           "Running as Non-root | partial |" in page
    assert "- <https://kubernetes.io/docs/concepts/security/pod-security-standards/>" in page


def test_docs_command_writes_and_checks(tmp_path, capsys):
    target = tmp_path / "pages"
    assert main(["docs", "--output", str(target), "--check"]) == 1
    (target).mkdir()
    (target / "k8s-removed-long-ago.md").write_text("old\n", encoding="utf-8")
    assert main(["docs", "--output", str(target)]) == 0
    assert not (target / "k8s-removed-long-ago.md").exists()
    assert main(["docs", "--output", str(target), "--check"]) == 0
    (target / "k8s-run-as-root.md").write_text("edited by hand\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["docs", "--output", str(target), "--check"]) == 1
    assert "stale: " in capsys.readouterr().out
