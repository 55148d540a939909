"""Helpers shared by test modules in every folder (fixtures live in conftest.py).

`pythonpath = ["tests"]` in pyproject.toml makes this importable as `support` from any test folder.
"""

from __future__ import annotations

from pathlib import Path

#: The repository root and its fixtures, wherever the test module sits.
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

#: The built-in Kubernetes policies that join several documents (relations, schema and deprecations).
K8S_RELATIONAL = frozenset({
    "k8s-anti-affinity-missing", "k8s-deprecated-api", "k8s-hpa-max-not-above-min", "k8s-hpa-metric-without-request",
    "k8s-hpa-min-replicas-low", "k8s-hpa-replicas-conflict", "k8s-hpa-target-missing", "k8s-ingress-no-tls",
    "k8s-networkpolicy-allow-all", "k8s-networkpolicy-egress-no-dns", "k8s-networkpolicy-missing",
    "k8s-networkpolicy-port-mismatch", "k8s-networkpolicy-selects-nothing", "k8s-pdb-blocks-eviction",
    "k8s-pdb-missing", "k8s-pdb-selects-nothing", "k8s-schema-invalid", "k8s-service-selector-mismatch",
    "k8s-service-target-port-mismatch", "k8s-single-replica",
})
