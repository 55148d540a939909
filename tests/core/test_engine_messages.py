"""Message templates: `{item}` names the list entry a violation sits in, `{key}` the last mapping key."""

from __future__ import annotations

from policylint.core.engine import render_message
from policylint.options import RunOptions
from policylint.runner import check

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: app
      image: app:1.0
      env:
        - name: RUST_LOG
          value: info
        - name: DB_PASSWORD
          value: hunter2
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  LOG_LEVEL: info
  api-token: s3cr3t-value
"""


def test_messages_name_the_variable_and_key_but_not_the_secret(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.yaml").write_text(POD)
    report = check(RunOptions(paths=["m.yaml"], select=["k8s-secret-in-env", "k8s-secret-in-configmap"]))
    messages = [(f.line, f.message) for f in report.findings]
    assert messages == [
        (12, "container app: env var DB_PASSWORD holds a literal secret or credential URL; use valueFrom.secretKeyRef"),
        (19, "ConfigMap cfg: key api-token holds a literal secret or credential URL"),
    ]
    assert all("hunter2" not in message and "s3cr3t" not in message for _, message in messages)


def test_unknown_fields_stay_as_written():
    assert render_message("{container} uses {nothing[here]}", {"container": "app"}) == "app uses {nothing[here]}"
