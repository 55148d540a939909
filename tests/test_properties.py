"""Property-based tests: whatever the bytes, the tool answers with findings, never an exception.

Arbitrary bytes and arbitrary YAML (random JSON-like trees, and trees shaped like Kubernetes
objects, compose files and workflows with random values in the places policies look at) go
through the loaders and every policy. Nothing may raise, no policy may crash (`policy-error`),
and every finding's line must be a line of the file.
"""

from __future__ import annotations

import os
import re
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from policylint.catalog import load_policies
from policylint.core.documents import LoadResult
from policylint.core.engine import run
from policylint.core.kinds import detect_by_name
from policylint.core.loading import load_bytes
from policylint.core.sensitive import credential_url_password

POLICIES = list(load_policies())
PATHS = ("manifest.yaml", "Dockerfile", "docker-compose.yml", ".github/workflows/ci.yml", "data.json")
#: POLICYLINT_HYPOTHESIS_EXAMPLES=2000 for a deeper local search.
SETTINGS = settings(
    max_examples=int(os.environ.get("POLICYLINT_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _lines(raw: bytes) -> int:
    text = raw.decode("utf-8", "replace")
    return max(1, len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")))


def check_bytes(path: str, raw: bytes) -> None:
    """Load and evaluate one file; assert the properties."""
    load = LoadResult()
    load.extend(load_bytes(path, raw, detect_by_name(path) or "yaml"))
    findings = run(load, POLICIES)
    last = _lines(raw)
    for finding in findings:
        assert finding.policy_id != "policy-error", finding.message
        assert 1 <= finding.line <= last, (finding.policy_id, finding.line, last, finding.message)
        assert finding.column >= 1
        for related in finding.related:
            assert 1 <= related.line <= last


@SETTINGS
@given(path=st.sampled_from(PATHS), raw=st.binary(max_size=600))
def test_arbitrary_bytes(path: str, raw: bytes) -> None:
    check_bytes(path, raw)


@SETTINGS
@given(path=st.sampled_from(PATHS), text=st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
@example(path="manifest.yaml", text="[")  # libyaml put the error one line past the file's only line
@example(path="docker-compose.yml", text="\x850")  # NEL is a YAML line break, not an editor's
@example(path="manifest.yaml", text='a: "\u2028"\nb: [\n')
def test_arbitrary_text(path: str, text: str) -> None:
    check_bytes(path, text.encode("utf-8", "surrogatepass"))


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["0", "1000m", "64Mi", "latest", "nginx:latest", "alpine@sha256:" + "a" * 64, "RuntimeDefault",
                     "ALL", "NET_ADMIN", "true", "/var/run/docker.sock", "${{ github.event.issue.title }}",
                     "postgres://u:pw@db/x", "changeme", "0.0.0.0:5432:5432", "http", "TCP", "8080"]),
)
FIELDS = st.sampled_from([
    "containers", "initContainers", "securityContext", "image", "ports", "resources", "requests", "limits", "cpu",
    "memory", "env", "name", "value", "valueFrom", "runAsNonRoot", "runAsUser", "privileged", "capabilities", "add",
    "drop", "hostPath", "volumes", "template", "spec", "metadata", "labels", "selector", "matchLabels", "replicas",
    "livenessProbe", "readinessProbe", "httpGet", "port", "containerPort", "scaleTargetRef", "minReplicas",
    "maxReplicas", "metrics", "podSelector", "ingress", "egress", "policyTypes", "services", "environment", "jobs",
    "steps", "uses", "run", "with", "permissions", "on", "runs-on", "build", "volumes", "privileged", "network_mode",
    "data", "stringData", "annotations", "namespace", "hostNetwork", "automountServiceAccountToken", "seccompProfile",
])
TREES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.one_of(FIELDS, st.text(max_size=8)), children, max_size=5)
    ),
    max_leaves=25,
)
KINDS = st.sampled_from([
    "Pod", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Service", "HorizontalPodAutoscaler",
    "NetworkPolicy", "PodDisruptionBudget", "ConfigMap", "Secret", "Ingress", "List", "Namespace", "Role",
])
K8S_OBJECTS = st.fixed_dictionaries(
    {"apiVersion": st.sampled_from(["v1", "apps/v1", "batch/v1", "autoscaling/v2", "networking.k8s.io/v1", "policy/v1"]),
     "kind": KINDS, "metadata": TREES, "spec": TREES},
    optional={"data": TREES, "items": st.lists(TREES, max_size=3)},
)
COMPOSE = st.fixed_dictionaries({"services": st.dictionaries(st.text(min_size=1, max_size=6), TREES, max_size=3)})
WORKFLOWS = st.fixed_dictionaries({"on": TREES, "jobs": st.dictionaries(st.text(min_size=1, max_size=6), TREES, max_size=3)})
STYLES = st.sampled_from([{"default_flow_style": False}, {"default_flow_style": True}, {"default_flow_style": None,
                                                                                          "default_style": '"'}])


@SETTINGS
@given(documents=st.lists(st.one_of(K8S_OBJECTS, TREES), min_size=1, max_size=3), style=STYLES)
def test_arbitrary_kubernetes_yaml(documents: list[Any], style: dict[str, Any]) -> None:
    check_bytes("manifest.yaml", yaml.safe_dump_all(documents, **style).encode())


@SETTINGS
@given(document=COMPOSE, style=STYLES)
def test_arbitrary_compose_yaml(document: Any, style: dict[str, Any]) -> None:
    check_bytes("docker-compose.yml", yaml.safe_dump(document, **style).encode())


@SETTINGS
@given(document=WORKFLOWS, style=STYLES)
def test_arbitrary_workflow_yaml(document: Any, style: dict[str, Any]) -> None:
    check_bytes(".github/workflows/ci.yml", yaml.safe_dump(document, **style).encode())


INSTRUCTIONS = st.sampled_from(["FROM", "RUN", "USER", "COPY", "ADD", "ARG", "ENV", "EXPOSE", "HEALTHCHECK", "CMD",
                                "ENTRYPOINT", "WORKDIR", "LABEL", "# syntax=docker/dockerfile:1", "# escape=`", ""])


@SETTINGS
@given(lines=st.lists(st.tuples(INSTRUCTIONS, st.text(max_size=30), st.sampled_from(["", " \\", " <<EOF"])), max_size=12))
def test_arbitrary_dockerfiles(lines: list[tuple[str, str, str]]) -> None:
    text = "\n".join(f"{keyword} {argument}{tail}" for keyword, argument, tail in lines)
    check_bytes("Dockerfile", text.encode("utf-8", "surrogatepass"))


_OLD_CREDENTIAL_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:([^@\s/]+)@[^\s]+")


@settings(max_examples=500, deadline=None)
@given(value=st.text(alphabet=st.sampled_from("ab1+.-:/@ $x{}P"), max_size=40))
def test_linear_credential_url_search_matches_the_regex(value: str) -> None:
    """The hand-written scan finds what the (quadratic) regex found."""
    from policylint.core.sensitive import is_placeholder

    expected = next((m.group(1) for m in _OLD_CREDENTIAL_URL.finditer(value) if not is_placeholder(m.group(1))), None)
    assert credential_url_password(value) == expected
