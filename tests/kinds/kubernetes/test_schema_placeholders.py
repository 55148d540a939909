"""k8s-schema-invalid on real-world shapes: null means unset, and envsubst placeholders where a
number or boolean belongs give one notice per file instead of schema errors."""

from __future__ import annotations

import pytest

from policylint.core.loading import load_bytes
from policylint.kinds.kubernetes.placeholders import NOTICE
from policylint.kinds.kubernetes.schema import ENVSUBST_PLACEHOLDER, schema_set, without_nulls
from policylint.kinds.kubernetes.versions import schema_version, target_version

ENVSUBST_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: ${REPLICAS}
  revisionHistoryLimit: "##HISTORY##"
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      automountServiceAccountToken: "#{AUTOMOUNT}#"
      containers:
        - name: app
          image: api:${TAG}
          livenessprobe: {}
          ports: [{containerPort: $PORT}]
"""


def _errors(data):
    schemas = schema_set(schema_version(target_version(None)))
    assert schemas is not None
    return [(error.pointer, error.message) for error in schemas.errors(data)]


def _load(text: str, path: str = "m.yaml"):
    return load_bytes(path, text.encode(), "yaml")


def test_null_is_unset_also_in_int_or_string_fields():
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "api", "labels": None},
        "spec": {"minAvailable": None, "maxUnavailable": 1, "selector": {"matchLabels": {"app": "api"}}},
    }
    assert _errors(pdb) == []


def test_a_null_required_field_is_missing_and_reported_at_its_key():
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"port": None}]}}
    assert _errors(service) == [(("spec", "ports", 0, "port"), "spec/ports/0: 'port' is a required property (null means unset)")]


def test_without_nulls_keeps_list_items():
    assert without_nulls({"a": None, "b": [None, {"c": None, "d": 1}]}) == {"b": [None, {"d": 1}]}


def test_envsubst_placeholders_give_one_notice_and_only_real_errors():
    result = _load(ENVSUBST_DEPLOYMENT)
    assert [item.reason for item in result.skipped] == [NOTICE]
    (document,) = result.documents
    assert _errors(document.data) == [(("spec", "template", "spec", "containers", 0, "livenessprobe"),
                                       "unknown field 'livenessprobe' (did you mean 'livenessProbe'?)")]


def test_placeholders_in_string_fields_give_no_notice():
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: 'app:${TAG}'}]\n"
    assert _load(text).skipped == []


def test_a_placeholder_where_an_array_belongs_is_still_an_error():
    text = ENVSUBST_DEPLOYMENT.replace("livenessprobe: {}", "args: ${ARGS}")
    (document,) = _load(text).documents
    assert [pointer[-1] for pointer, _ in _errors(document.data)] == ["args"]


def test_the_notice_names_the_file_once_for_many_documents():
    text = ENVSUBST_DEPLOYMENT + "---\n" + ENVSUBST_DEPLOYMENT.replace("name: api}", "name: web}")
    assert len(_load(text).skipped) == 1


@pytest.mark.parametrize("value", ["${REPLICAS}", "${PORT:-8080}", "$PORT", "##PORT##", "#{Port}#", "__PORT__"])
def test_envsubst_placeholder_shapes(value):
    assert ENVSUBST_PLACEHOLDER.match(value)


@pytest.mark.parametrize("value", ["8080", "three", "${{ secrets.X }}", "$(PORT)", "{{ .Values.port }}", "a${B}"])
def test_not_envsubst_placeholders(value):
    assert not ENVSUBST_PLACEHOLDER.match(value)
