"""What the API server or the kubelet rejects in one object (policylint.kinds.kubernetes.rejects)."""

from __future__ import annotations

import textwrap

import pytest

from policylint.core.loading import load_bytes
from policylint.kinds.kubernetes.rejects import (
    configmap_key_refs,
    duplicate_env,
    iana_name_problem,
    invalid_port_names,
    selector_misses_template,
)


def doc(text: str):
    [loaded] = load_bytes("x.yaml", textwrap.dedent(text).encode(), "kubernetes").documents
    return loaded


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("http", ""),
        ("http-metrics", ""),
        ("h2c", ""),
        ("a", ""),
        ("metrics-port-123", "it is 16 characters long (at most 15)"),
        ("", "it is empty"),
        ("HTTP", "it has upper-case letters"),
        ("web--http", "it has two '-' in a row"),
        ("-http", "it starts or ends with '-'"),
        ("http_metrics", "it has characters other than a-z, 0-9 and '-'"),
        ("8080", "it has no letter"),
        ("80-80", "it has no letter"),
    ],
)
def test_iana_service_names(name, problem):
    assert iana_name_problem(name) == problem


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: LABEL}}
    spec:
      containers:
        - name: app
          image: api:1.0
          ports: [{name: PORT, containerPort: 8080}]
          env:
            - {name: A, value: "1"}
            - {name: B, valueFrom: {configMapKeyRef: {name: cfg, key: b}}}
            - {name: A, value: "2"}
            - {name: C, valueFrom: {configMapKeyRef: {name: cfg, key: c, optional: true}}}
      volumes:
        - name: files
          configMap: {name: cfg, items: [{key: f.conf, path: f.conf}]}
        - name: maybe
          configMap: {name: other, optional: true, items: [{key: x, path: x}]}
        - name: combined
          projected:
            sources:
              - configMap: {name: cfg, items: [{key: p.conf, path: p.conf}]}
              - secret: {name: tls}
"""


def test_selector_judged_against_own_template():
    assert selector_misses_template(doc(DEPLOYMENT.replace("LABEL", "api"))) == ""
    assert selector_misses_template(doc(DEPLOYMENT.replace("LABEL", "web"))) == "app=api (template: web)"
    assert selector_misses_template(doc(DEPLOYMENT.replace("LABEL", '"${APP}"'))) == ""


def test_selector_of_kustomize_commonlabels_file_is_left_to_its_build():
    loaded = doc(DEPLOYMENT.replace("LABEL", "web"))
    loaded.selector_labels = True
    assert selector_misses_template(loaded) == ""


def test_port_names_and_env_and_configmap_refs():
    loaded = doc(DEPLOYMENT.replace("LABEL", "api").replace("PORT", "Http"))
    assert [(name, problem) for _, name, problem in invalid_port_names(loaded)] == [("Http", "it has upper-case letters")]
    container = loaded.get(("spec", "template", "spec", "containers", 0))
    assert list(duplicate_env(container)) == [(2, "A")]
    refs = [(name, key, where) for _, name, key, where in configmap_key_refs(loaded)]
    assert refs == [
        ("cfg", "b", "env var B of container app"),
        ("cfg", "f.conf", "volume files"),
        ("cfg", "p.conf", "volume combined"),
    ]
