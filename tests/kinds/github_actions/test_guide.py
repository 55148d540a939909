"""The guide's CI pipeline (fixtures/guide/.github/workflows/ci.yml) as the acceptance test:
the exact (rule, line) list policylint reports for it, with every finding the catalog requires."""

from __future__ import annotations

from support import ROOT

from policylint.options import RunOptions
from policylint.runner import check

CI = "fixtures/guide/.github/workflows/ci.yml"

#: The catalog ("The guide as a fixture"): these must be among the findings on ci.yml.
REQUIRED = {
    "gha-action-not-pinned",
    "gha-deprecated-action",
    "gha-permissions-missing",
    "gha-secret-in-run",
    "gha-deploy-without-environment",
    "gha-dependency-audit-missing",
    "gha-hardcoded-credentials",
}

EXPECTED = [
    ("gha-dependency-audit-missing", 1),  # once per run, at the first workflow; no dependabot.yml
    ("gha-job-timeout-missing", 13),  # test
    ("gha-permissions-missing", 13),
    ("gha-hardcoded-credentials", 19),  # services.postgres.env.POSTGRES_PASSWORD: postgres
    ("gha-action-not-pinned", 26),  # actions/checkout@v3
    ("gha-checkout-persist-credentials", 26),  # actions-rs/toolchain and rust-cache run after it
    ("gha-deprecated-action", 26),  # actions/checkout@v3: Node 16
    ("gha-action-not-pinned", 27),  # actions-rs/toolchain@v1
    ("gha-deprecated-action", 27),  # actions-rs/*: archived
    ("gha-action-not-pinned", 30),  # Swatinem/rust-cache@v2
    ("gha-hardcoded-credentials", 35),  # DATABASE_URL with the password in the URL
    ("gha-deploy-without-environment", 43),  # build: docker push
    ("gha-job-timeout-missing", 43),
    ("gha-permissions-missing", 43),
    ("gha-action-not-pinned", 48),
    ("gha-deprecated-action", 48),
    ("gha-secret-in-run", 52),  # secrets.REGISTRY in docker build
    ("gha-secret-in-run", 53),
    ("gha-secret-in-run", 54),
    ("gha-secret-in-run", 58),  # echo ${{ secrets.REGISTRY_PASSWORD }} | docker login
    ("gha-secret-in-run", 58),  # -u ${{ secrets.REGISTRY_USERNAME }}
    ("gha-secret-in-run", 59),
    ("gha-secret-in-run", 60),
    ("gha-deploy-without-environment", 62),  # deploy: kubectl set image
    ("gha-job-timeout-missing", 62),
    ("gha-permissions-missing", 62),
    ("gha-action-not-pinned", 67),
    ("gha-deprecated-action", 67),
    ("gha-secret-in-run", 72),  # inside the continued kubectl command
]


def ci_findings(monkeypatch):
    monkeypatch.chdir(ROOT)
    report = check(RunOptions(paths=["fixtures/guide"]))
    return [finding for finding in report.findings if finding.path == CI]


def test_guide_ci_exact_findings(monkeypatch):
    found = sorted((finding.policy_id, finding.line) for finding in ci_findings(monkeypatch))
    assert found == sorted(EXPECTED)


def test_guide_ci_has_every_finding_the_catalog_requires(monkeypatch):
    ids = {finding.policy_id for finding in ci_findings(monkeypatch)}
    assert ids >= REQUIRED


def test_guide_ci_deprecations_name_both_actions(monkeypatch):
    messages = [f.message for f in ci_findings(monkeypatch) if f.policy_id == "gha-deprecated-action"]
    assert sum("actions/checkout@v3" in message for message in messages) == 3
    assert sum("actions-rs/toolchain@v1" in message and "archived" in message for message in messages) == 1


def test_guide_ci_is_schema_valid_and_has_no_injection(monkeypatch):
    ids = {finding.policy_id for finding in ci_findings(monkeypatch)}
    # github.sha is not attacker-controlled; the file follows GitHub's workflow schema.
    assert not ids & {"gha-script-injection", "gha-schema-invalid", "parse-error", "policy-error"}


def test_secret_in_run_points_at_each_expression_column(monkeypatch):
    columns = sorted((f.line, f.column) for f in ci_findings(monkeypatch) if f.policy_id == "gha-secret-in-run" and f.line == 58)
    assert columns == [(58, 14), (58, 65)]
