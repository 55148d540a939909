"""Scenario pipelines (fixtures/scenarios/gitlab: a Node app split over a local include, a Docker
build with dind, a Kubernetes deploy through `extends:` and `!reference`): the exact findings."""

from __future__ import annotations

from support import ROOT

from policylint.options import RunOptions
from policylint.runner import check

BASE = "fixtures/scenarios/gitlab/"

EXPECTED = [
    ("docker-dind/.gitlab-ci.yml", "gitlab-docker-in-docker", 5),  # DOCKER_TLS_CERTDIR: ""
    ("docker-dind/.gitlab-ci.yml", "gitlab-image-tag-latest", 10),  # .docker's image, run by build and release
    ("docker-dind/.gitlab-ci.yml", "gitlab-docker-in-docker", 12),  # docker:27.3-dind
    ("docker-dind/.gitlab-ci.yml", "gitlab-deploy-without-environment", 31),  # release pushes :stable
    ("docker-dind/.gitlab-ci.yml", "gitlab-curl-pipe-shell", 46),
    ("docker-dind/.gitlab-ci.yml", "gitlab-script-injection", 47),  # eval with $CI_COMMIT_TAG
    ("k8s-deploy/.gitlab-ci.yml", "gitlab-include-not-pinned", 4),  # remote: without integrity
    ("k8s-deploy/.gitlab-ci.yml", "gitlab-deploy-without-environment", 23),  # deploy-production
    ("k8s-deploy/.gitlab/ci/deploy.yml", "gitlab-image-tag-latest", 8),  # inherited through extends
    ("k8s-deploy/.gitlab/ci/deploy.yml", "gitlab-script-injection", 14),  # sh -c with $CI_COMMIT_REF_NAME
    ("node-app/.gitlab-ci.yml", "gitlab-dependency-scanning-missing", 2),
    ("node-app/.gitlab-ci.yml", "gitlab-include-not-pinned", 4),  # project: without ref
    ("node-app/.gitlab-ci.yml", "gitlab-secret-in-variables", 11),  # NPM_TOKEN
    ("node-app/.gitlab-ci.yml", "gitlab-deprecated-keyword", 38),  # only:
    ("node-app/.gitlab/ci/test.yml", "gitlab-image-tag-latest", 11),  # service postgres, no tag
    ("node-app/.gitlab/ci/test.yml", "gitlab-secret-in-variables", 14),  # POSTGRES_PASSWORD: postgres
    ("node-app/.gitlab/ci/test.yml", "gitlab-secret-in-variables", 16),  # DATABASE_URL with a password
]


def _found(report):
    return sorted((f.path.removeprefix(BASE), f.policy_id, f.line) for f in report.findings)


def test_scenario_pipelines_exact_findings(monkeypatch):
    monkeypatch.chdir(ROOT)
    report = check(RunOptions(paths=[BASE]))
    assert _found(report) == sorted(EXPECTED)
    assert report.exit_code() == 1
    assert not report.skipped


def test_included_files_named_too_are_judged_once_in_their_pipeline(monkeypatch):
    """An included file found on its own (a walk into .gitlab/, pre-commit naming it) is not judged a
    second time, alone and without the templates of the pipeline that includes it."""
    monkeypatch.chdir(ROOT)
    paths = [BASE, f"{BASE}node-app/.gitlab/ci/test.yml", f"{BASE}k8s-deploy/.gitlab/ci/deploy.yml"]
    assert _found(check(RunOptions(paths=paths))) == sorted(EXPECTED)


def test_job_timeouts_when_enabled(monkeypatch):
    monkeypatch.chdir(ROOT)
    report = check(RunOptions(paths=[BASE], select=["gitlab-job-timeout-missing"]))
    jobs = sorted((f.path.removeprefix(BASE), f.line) for f in report.findings)
    # node-app sets default: timeout; deploy-staging and deploy-production inherit none
    assert jobs == [
        ("docker-dind/.gitlab-ci.yml", 16), ("docker-dind/.gitlab-ci.yml", 23), ("docker-dind/.gitlab-ci.yml", 31),
        ("docker-dind/.gitlab-ci.yml", 41), ("k8s-deploy/.gitlab-ci.yml", 9), ("k8s-deploy/.gitlab-ci.yml", 15),
        ("k8s-deploy/.gitlab-ci.yml", 23),
    ]
