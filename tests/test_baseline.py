"""Baseline: record today's findings by a line-independent fingerprint, then report only new ones."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

DEPLOYMENT = textwrap.dedent(
    """\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: api
      namespace: shop
    spec:
      template:
        spec:
          containers:
            - name: app
              image: api:1.0
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: debug, namespace: shop}
    spec:
      containers:
        - name: shell
          image: busybox:1.36
          securityContext: {privileged: true}
    """
)
SELECT = ("--select", "k8s-run-as-root,k8s-privileged-container,k8s-privilege-escalation")


def active(document: dict) -> list[tuple[str, str, int]]:
    return [(f["rule_id"], f["path"], f["line"]) for f in document["findings"] if not f["suppressed"]]


def test_write_then_use_a_baseline(tmp_path, run_cli, run_json):
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "app.yaml").write_text(DEPLOYMENT)
    _, before = run_json("k8s", *SELECT, cwd=tmp_path)
    assert len(active(before)) == 5

    code, out, err = run_cli("check", "k8s", *SELECT, "--write-baseline", "baseline.json", "--format", "json",
                             cwd=tmp_path)
    assert code == 0
    assert "wrote 5 finding(s) to baseline baseline.json" in err
    written = json.loads(out)
    assert {f["suppression"]["kind"] for f in written["findings"]} == {"baseline"}
    recorded = json.loads((tmp_path / "baseline.json").read_text())
    assert recorded["version"] == 2
    assert sorted((e["rule_id"], e["resource"]) for e in recorded["findings"]) == [
        ("k8s-privilege-escalation", "Deployment/shop/api"),
        ("k8s-privilege-escalation", "Pod/shop/debug"),
        ("k8s-privileged-container", "Pod/shop/debug"),
        ("k8s-run-as-root", "Deployment/shop/api"),
        ("k8s-run-as-root", "Pod/shop/debug"),
    ]
    assert all("line" not in entry for entry in recorded["findings"])
    assert {e["fingerprint"] for e in recorded["findings"]} == {f["fingerprint"] for f in before["findings"]}

    code, document = run_json("k8s", *SELECT, "--baseline", "baseline.json", cwd=tmp_path)
    assert code == 0
    assert active(document) == []
    assert document["summary"]["suppressed"] == 5
    assert document["findings"][0]["suppression"]["justification"] == "recorded in baseline baseline.json"

    # Lines move (comments on top, documents swapped, keys reordered): nothing new is reported.
    pod_doc, deployment_doc = DEPLOYMENT.split("---\n")[1], DEPLOYMENT.split("---\n")[0]
    moved = "# owned by team shop\n# reviewed 2026\n\n" + pod_doc + "---\n" + deployment_doc.replace(
        "metadata:\n  name: api\n  namespace: shop\n", "metadata:\n  namespace: shop\n  labels: {app: api}\n  name: api\n")
    (tmp_path / "k8s" / "app.yaml").write_text(moved)
    code, document = run_json("k8s", *SELECT, "--baseline", "baseline.json", cwd=tmp_path)
    assert active(document) == []
    assert code == 0
    lines_now = sorted(f["line"] for f in document["findings"])
    assert lines_now != sorted(f["line"] for f in before["findings"])  # they really moved

    # A new container is new: only its findings are reported.
    grown = moved.replace("          image: api:1.0\n",
                          "          image: api:1.0\n        - name: worker\n          image: api:1.0\n")
    (tmp_path / "k8s" / "app.yaml").write_text(grown)
    code, document = run_json("k8s", *SELECT, "--baseline", "baseline.json", cwd=tmp_path)
    worker_line = grown.splitlines().index("        - name: worker") + 1
    assert active(document) == [("k8s-privilege-escalation", "k8s/app.yaml", worker_line),
                                ("k8s-run-as-root", "k8s/app.yaml", worker_line)]
    assert code == 1

    # An audit ignores the baseline.
    _, document = run_json("k8s", *SELECT, "--baseline", "baseline.json", "--no-suppressions", cwd=tmp_path)
    assert len(active(document)) == 7


def test_baseline_from_the_config_file(tmp_path, run_cli):
    (tmp_path / ".git").mkdir()
    (tmp_path / "app.yaml").write_text(DEPLOYMENT)
    assert run_cli("check", "app.yaml", *SELECT, "--write-baseline", "ci/baseline.json", cwd=tmp_path)[0] == 2
    (tmp_path / "ci").mkdir()
    assert run_cli("check", "app.yaml", *SELECT, "--write-baseline", "ci/baseline.json", cwd=tmp_path)[0] == 0
    (tmp_path / ".policylint.yaml").write_text("baseline: ci/baseline.json\n")
    assert run_cli("check", "app.yaml", *SELECT, cwd=tmp_path)[0] == 0


def test_rewriting_a_baseline_in_use_keeps_its_entries(tmp_path, run_cli):
    (tmp_path / "app.yaml").write_text(DEPLOYMENT)
    run_cli("check", "app.yaml", *SELECT, "--write-baseline", "one.json", cwd=tmp_path)
    _code, _, err = run_cli("check", "app.yaml", *SELECT, "--baseline", "one.json", "--write-baseline", "two.json",
                           cwd=tmp_path)
    assert "wrote 5 finding(s)" in err
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()


def test_baseline_output_is_deterministic(tmp_path, run_cli):
    (tmp_path / "app.yaml").write_text(DEPLOYMENT)
    run_cli("check", "app.yaml", *SELECT, "--write-baseline", "one.json", cwd=tmp_path)
    run_cli("check", "app.yaml", *SELECT, "--write-baseline", "two.json", cwd=tmp_path)
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()


def test_unusable_baseline_is_exit_2(tmp_path, run_cli):
    (tmp_path / "app.yaml").write_text(DEPLOYMENT)
    code, _, err = run_cli("check", "app.yaml", "--baseline", "missing.json", cwd=tmp_path)
    assert code == 2
    assert "cannot read baseline missing.json" in err
    (tmp_path / "bad.json").write_text('{"findings": []}')
    code, _, err = run_cli("check", "app.yaml", "--baseline", "bad.json", cwd=tmp_path)
    assert code == 2
    assert "bad.json: not a policylint baseline" in err


def test_parse_errors_are_never_baselined(tmp_path, run_cli, run_json):
    (tmp_path / "bad.yaml").write_text("kind: [Pod\n")
    code, _, _err = run_cli("check", "bad.yaml", "--write-baseline", "b.json", cwd=tmp_path)
    assert code == 1
    assert json.loads(Path(tmp_path / "b.json").read_text())["findings"] == []
    code, document = run_json("bad.yaml", "--baseline", "b.json", cwd=tmp_path)
    assert [(rule, path) for rule, path, _ in active(document)] == [("parse-error", "bad.yaml")]
