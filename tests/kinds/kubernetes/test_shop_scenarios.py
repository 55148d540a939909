"""Multi-file scenarios under fixtures/scenarios: every relational rule on a realistic set, pinned."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import K8S_RELATIONAL, ROOT

from policylint.options import RunOptions
from policylint.runner import check

SHOP = "fixtures/scenarios/k8s-shop"
DANGLING = {
    "k8s-hpa-target-missing", "k8s-pdb-selects-nothing", "k8s-networkpolicy-selects-nothing",
    "k8s-service-selector-mismatch",
}


@pytest.fixture(autouse=True)
def _from_repository_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def relational(*paths: str, context_scope: bool = True) -> list[tuple[str, int, str]]:
    report = check(RunOptions(paths=paths, context_scope=context_scope))
    return sorted(
        (Path(f.path).name, f.line, f.policy_id) for f in report.active if f.policy_id in K8S_RELATIONAL
    )


def test_shop_scenario_findings_are_exactly_these():
    assert relational(SHOP) == [
        ("autoscaling.yaml", 23, "k8s-hpa-max-not-above-min"),  # worker: min 2, max 2
        ("autoscaling.yaml", 25, "k8s-hpa-metric-without-request"),  # worker has no cpu request
        ("autoscaling.yaml", 35, "k8s-hpa-target-missing"),  # Deployment frontend does not exist
        ("availability.yaml", 19, "k8s-pdb-blocks-eviction"),  # minAvailable 1 of a single replica
        ("availability.yaml", 30, "k8s-pdb-selects-nothing"),  # app=search runs nowhere
        ("backoffice.yaml", 5, "k8s-networkpolicy-missing"),  # backoffice has no NetworkPolicy
        ("backoffice.yaml", 5, "k8s-pdb-missing"),
        ("backoffice.yaml", 25, "k8s-schema-invalid"),  # readinessprobe
        ("backoffice.yaml", 28, "k8s-deprecated-api"),  # networking.k8s.io/v1beta1 Ingress
        ("backoffice.yaml", 33, "k8s-ingress-no-tls"),
        ("backoffice.yaml", 47, "k8s-networkpolicy-selects-nothing"),
        ("gateway.yaml", 38, "k8s-ingress-no-tls"),  # HTTPRoute on the Gateway's HTTP listener
        ("network.yaml", 8, "k8s-networkpolicy-egress-no-dns"),  # the cache has no `tier` label
        ("network.yaml", 43, "k8s-networkpolicy-port-mismatch"),  # no container declares a port named metrics
        ("network.yaml", 55, "k8s-networkpolicy-allow-all"),  # ingress: [{}]
        ("services.yaml", 23, "k8s-service-target-port-mismatch"),  # redis-tls: no such named port on the cache
        ("services.yaml", 31, "k8s-service-selector-mismatch"),
        ("workloads.yaml", 35, "k8s-hpa-replicas-conflict"),
        ("workloads.yaml", 41, "k8s-anti-affinity-missing"),
        ("workloads.yaml", 54, "k8s-single-replica"),  # the cache StatefulSet
    ]


def test_every_relational_rule_is_exercised_by_the_scenario():
    exercised = {policy_id for _, _, policy_id in relational(SHOP)}
    assert exercised == K8S_RELATIONAL - {"k8s-hpa-min-replicas-low"}  # all HPAs keep at least 2 replicas


@pytest.mark.parametrize("name", sorted(path.name for path in (ROOT / SHOP).glob("*.yaml")))
def test_each_file_alone_reports_nothing_dangling_without_context_scope(name):
    """--no-context-scope: only the named files are read; references to objects outside them are not errors."""
    assert [item for item in relational(f"{SHOP}/{name}", context_scope=False) if item[2] in DANGLING] == []


@pytest.mark.parametrize("name", sorted(path.name for path in (ROOT / SHOP).glob("*.yaml")))
def test_each_file_alone_is_judged_against_its_folder_as_the_whole_scan_judges_it(name):
    """A file named alone (pre-commit) reads the rest of its relation scope: the same findings as the whole folder."""
    whole = [item for item in relational(SHOP) if item[0] == name]
    assert relational(f"{SHOP}/{name}") == whole


def test_findings_are_the_same_whatever_the_order_of_the_paths():
    files = sorted(str(path.relative_to(ROOT)) for path in (ROOT / SHOP).glob("*.yaml"))
    assert relational(*files) == relational(*reversed(files)) == relational(SHOP)
