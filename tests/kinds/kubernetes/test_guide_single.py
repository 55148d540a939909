"""The guide's own Kubernetes files: the full list of single-object findings, pinned.

rules.md ("The guide as a fixture") says what must fire on deployment.yaml (image tag latest, run
as root, privilege escalation, read-only root fs, capabilities not dropped) and what must not
(cpu request, memory limit, liveness probe, secret in env: the guide uses secretKeyRef). The
relational rules (HPA, PDB, NetworkPolicy, ...) are pinned by their own tests.
"""

from __future__ import annotations

import pytest
from support import ROOT

from policylint.options import RunOptions
from policylint.runner import check

DEPLOYMENT = "fixtures/guide/k8s/base/deployment.yaml"
HPA = "fixtures/guide/k8s/base/hpa.yaml"
NETWORKPOLICY = "fixtures/guide/k8s/base/networkpolicy.yaml"

#: The Kubernetes single-object policies (issue 2, item 4), relational ones excluded.
SINGLE_OBJECT_IDS = frozenset(
    {
        "k8s-cpu-request-missing",
        "k8s-memory-request-missing",
        "k8s-cpu-limit-missing",
        "k8s-memory-limit-missing",
        "k8s-request-exceeds-limit",
        "k8s-liveness-probe-missing",
        "k8s-readiness-probe-missing",
        "k8s-probe-port-mismatch",
        "k8s-liveness-equals-readiness",
        "k8s-image-tag-latest",
        "k8s-image-not-pinned-by-digest",
        "k8s-run-as-root",
        "k8s-privilege-escalation",
        "k8s-privileged-container",
        "k8s-read-only-root-fs",
        "k8s-capabilities-not-dropped",
        "k8s-dangerous-capability",
        "k8s-seccomp-profile-missing",
        "k8s-host-namespace",
        "k8s-host-path-volume",
        "k8s-host-port",
        "k8s-service-account-token-mounted",
        "k8s-secret-in-env",
        "k8s-secret-in-configmap",
        "k8s-secret-manifest-committed",
        "k8s-default-namespace",
        "k8s-windows-host-process",
        "k8s-host-probe-or-lifecycle",
        "k8s-apparmor-unconfined",
        "k8s-selinux-options",
        "k8s-proc-mount",
        "k8s-unsafe-sysctl",
        "k8s-restricted-volume-type",
        "k8s-added-capability",
        "k8s-run-as-user-root",
    }
)

#: (rule id, path, line) with the default policy selection. Line 14 is the pod template's `spec:`,
#: 16 the container `- name: app` (no securityContext at all), 17 its `image:`.
EXPECTED_DEFAULT = [
    ("k8s-service-account-token-mounted", DEPLOYMENT, 14),
    ("k8s-capabilities-not-dropped", DEPLOYMENT, 16),
    ("k8s-privilege-escalation", DEPLOYMENT, 16),
    ("k8s-read-only-root-fs", DEPLOYMENT, 16),
    ("k8s-run-as-root", DEPLOYMENT, 16),
    ("k8s-seccomp-profile-missing", DEPLOYMENT, 16),
    ("k8s-image-tag-latest", DEPLOYMENT, 17),
]

#: The restricted profile adds the two off-by-default single-object rules.
EXPECTED_RESTRICTED = sorted(
    [
        *EXPECTED_DEFAULT,
        ("k8s-default-namespace", DEPLOYMENT, 3),
        ("k8s-image-not-pinned-by-digest", DEPLOYMENT, 17),
        ("k8s-default-namespace", HPA, 3),
        ("k8s-default-namespace", NETWORKPOLICY, 4),
    ],
    key=lambda item: (item[1], item[2], item[0]),
)


def _single_object_findings(monkeypatch: pytest.MonkeyPatch, profile: str) -> list[tuple[str, str, int]]:
    monkeypatch.chdir(ROOT)
    report = check(RunOptions(paths=["fixtures/guide"], profile=profile))
    found = [
        (finding.policy_id, finding.path, finding.line)
        for finding in report.findings
        if finding.policy_id in SINGLE_OBJECT_IDS and finding.path.startswith("fixtures/guide/k8s/")
    ]
    return sorted(found, key=lambda item: (item[1], item[2], item[0]))


def test_guide_single_object_findings_default(monkeypatch):
    assert _single_object_findings(monkeypatch, "default") == EXPECTED_DEFAULT


def test_guide_single_object_findings_restricted_profile(monkeypatch):
    assert _single_object_findings(monkeypatch, "restricted") == EXPECTED_RESTRICTED


def test_guide_must_not_fire(monkeypatch):
    """The catalog's explicit "Not:" list: the guide sets requests, limits and probes, and reads
    DATABASE_URL through secretKeyRef."""
    ids = {rule for rule, _, _ in _single_object_findings(monkeypatch, "restricted")}
    assert not ids & {
        "k8s-cpu-request-missing",
        "k8s-memory-request-missing",
        "k8s-cpu-limit-missing",
        "k8s-memory-limit-missing",
        "k8s-request-exceeds-limit",
        "k8s-liveness-probe-missing",
        "k8s-readiness-probe-missing",
        "k8s-probe-port-mismatch",
        "k8s-liveness-equals-readiness",
        "k8s-secret-in-env",
    }


def test_no_policy_errors_on_the_guide(monkeypatch):
    monkeypatch.chdir(ROOT)
    report = check(RunOptions(paths=["fixtures/guide/k8s"], profile="restricted"))
    assert [finding.message for finding in report.findings if finding.policy_id in ("policy-error", "parse-error")] == []


def test_every_single_object_id_is_a_shipped_policy():
    """Guards the filter above: a misspelt id would silently drop its findings from the pin."""
    from policylint.catalog import load_policies

    policies = load_policies()
    assert sorted(rule for rule in SINGLE_OBJECT_IDS if policies.get(rule) is None) == []
