"""The guide's Dockerfile and docker-compose.yml as the acceptance test: the exact (rule, line)
list policylint reports for each, every finding the catalog requires, and none it rules out."""

from __future__ import annotations

import pytest
from support import ROOT

from policylint.options import RunOptions
from policylint.runner import check

DOCKERFILE = "fixtures/guide/Dockerfile"
COMPOSE = "fixtures/guide/docker-compose.yml"

DOCKERFILE_EXPECTED = [
    ("docker-healthcheck-missing", 9),  # final stage FROM debian:bookworm-slim
    ("docker-user-root", 9),  # no USER in the final stage
    ("docker-apt-no-install-recommends", 10),  # apt-get install -y
]

COMPOSE_EXPECTED = [
    ("compose-obsolete-version", 1),  # version: '3.8'
    ("compose-no-resource-limits", 4),  # app
    ("compose-secret-in-environment", 9),  # DATABASE_URL=postgres://postgres:password@...
    ("compose-healthcheck-missing", 17),  # postgres: app depends_on it, no healthcheck
    ("compose-no-resource-limits", 17),
    ("compose-default-credentials", 21),  # POSTGRES_PASSWORD: password (supersedes compose-secret-in-environment)
    ("compose-database-port-published", 27),  # "5432:5432"
    ("compose-healthcheck-missing", 31),  # keycloak: app depends_on it, no healthcheck
    ("compose-no-resource-limits", 31),
    ("compose-default-credentials", 35),  # KEYCLOAK_ADMIN / KEYCLOAK_ADMIN_PASSWORD = admin/admin
    ("compose-dev-mode", 36),  # command: start-dev
]

#: "The guide as a fixture" in rules.md: these must be among the findings (a superseded one is not
#: shown, being the same place as a more specific finding, but the run still found it).
DOCKERFILE_REQUIRED = {"docker-user-root", "docker-apt-no-install-recommends", "docker-healthcheck-missing"}
COMPOSE_REQUIRED = {
    ("compose-secret-in-environment", 9),  # DATABASE_URL
    ("compose-secret-in-environment", 21),  # POSTGRES_PASSWORD
    ("compose-default-credentials", 35),  # keycloak admin/admin
    ("compose-database-port-published", 27),  # 5432
    ("compose-dev-mode", 36),  # start-dev
    ("compose-obsolete-version", 1),
}


@pytest.fixture(scope="module")
def guide_findings():
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        report = check(RunOptions(paths=[DOCKERFILE, COMPOSE]))
    finally:
        os.chdir(cwd)
    return report


def pairs(findings, path):
    return sorted((finding.policy_id, finding.line) for finding in findings if finding.path == path)


def test_guide_dockerfile_exact_findings(guide_findings):
    assert pairs(guide_findings.findings, DOCKERFILE) == sorted(DOCKERFILE_EXPECTED)


def test_guide_compose_exact_findings(guide_findings):
    assert pairs(guide_findings.findings, COMPOSE) == sorted(COMPOSE_EXPECTED)
    assert pairs(guide_findings.superseded, COMPOSE) == [("compose-secret-in-environment", 21),
                                                        ("compose-secret-in-environment", 35)]


def test_guide_catalog_requirements(guide_findings):
    found = [*guide_findings.findings, *guide_findings.superseded]
    assert {rule for rule, _ in pairs(found, DOCKERFILE)} >= DOCKERFILE_REQUIRED
    assert set(pairs(found, COMPOSE)) >= COMPOSE_REQUIRED


def test_guide_rules_that_must_stay_quiet(guide_findings):
    ids = {finding.policy_id for finding in guide_findings.findings}
    # the final stage cleans apt lists in the same RUN; both images carry version tags; the
    # compose file follows the compose-spec schema; the app service has no image to judge.
    quiet = {
        "docker-apt-lists-not-cleaned",
        "docker-image-tag-latest",
        "docker-syntax-error",
        "docker-shell-form-entrypoint",
        "docker-curl-pipe-shell",
        "compose-schema-invalid",
        "compose-image-tag-latest",
        "compose-privileged",
        "compose-docker-socket",
        "parse-error",
        "policy-error",
    }
    assert not ids & quiet


def test_guide_messages_name_the_service(guide_findings):
    by_line = {(f.policy_id, f.line): f.message for f in guide_findings.findings if f.path == COMPOSE}
    assert "keycloak" in by_line[("compose-default-credentials", 35)]
    assert "postgres" in by_line[("compose-database-port-published", 27)]
    related = [f.related for f in guide_findings.findings if f.policy_id == "compose-healthcheck-missing" and f.line == 17]
    assert [(location.path, location.line) for location in related[0]] == [(COMPOSE, 12)]
