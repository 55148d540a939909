"""One report per place: a policy's `supersedes:` hides a less specific finding on the same node,
which stays evidence for its own control in the compliance report."""

from __future__ import annotations

import json
from pathlib import Path

from policylint.catalog import load_policies
from policylint.cli import main
from policylint.core.findings import Finding, split_superseded

HOST_PATH_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: agent
spec:
  containers:
    - name: agent
      image: agent:1.0
  volumes:
    - name: logs
      hostPath:
        path: /var/log
"""

COMPOSE = """\
services:
  db:
    image: postgres:16
    environment:
      - POSTGRES_USER=app
      - POSTGRES_PASSWORD=postgres
      - API_TOKEN=d8f3b1c9a7e24f6b
"""


def finding(policy_id: str, line: int, column: int = 1) -> Finding:
    return Finding(policy_id, "high", "a.yaml", line, column, "m")


def test_split_hides_only_the_named_policy_on_the_same_node():
    findings = [finding("broad", 3), finding("specific", 3), finding("broad", 4), finding("specific", 5, 2),
                finding("broad", 5, 3), finding("other", 3)]
    shown, hidden = split_superseded(findings, {"specific": ("broad",)})
    assert [(f.policy_id, f.line, f.column) for f in hidden] == [("broad", 3, 1)]
    assert [(f.policy_id, f.line) for f in shown] == [("specific", 3), ("broad", 4), ("specific", 5), ("broad", 5),
                                                      ("other", 3)]
    assert split_superseded(findings, {}) == (findings, [])


def test_every_supersedes_names_a_known_policy_of_the_same_file_kind():
    policies = load_policies()
    pairs = [(policy, other) for policy in policies for other in policy.supersedes]
    assert {(policy.id, other) for policy, other in pairs} >= {
        ("compose-default-credentials", "compose-secret-in-environment"),
        ("k8s-host-path-volume", "k8s-restricted-volume-type"),
        ("k8s-run-as-user-root", "k8s-run-as-root"),
    }
    for policy, other in pairs:
        assert policies.get(other) is not None and policies.get(other).file_kind == policy.file_kind


def check_json(path: Path, capsys, *extra: str) -> list[tuple[str, int]]:
    main(["check", str(path), "--format", "json", "-j", "1", *extra])
    return [(f["rule_id"], f["line"]) for f in json.loads(capsys.readouterr().out)["findings"]]


def test_host_path_is_reported_once(tmp_path, capsys):
    (tmp_path / "pod.yaml").write_text(HOST_PATH_POD)
    found = check_json(tmp_path / "pod.yaml", capsys)
    assert ("k8s-host-path-volume", 11) in found
    assert not any(rule == "k8s-restricted-volume-type" for rule, _ in found)
    # run alone, the less specific policy still reports the place
    assert check_json(tmp_path / "pod.yaml", capsys, "--select", "k8s-restricted-volume-type") == [
        ("k8s-restricted-volume-type", 11)]


def test_default_credential_hides_the_generic_secret_finding_on_its_line_only(tmp_path, capsys):
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    found = [item for item in check_json(tmp_path / "compose.yaml", capsys) if item[0].startswith("compose-secret")
             or item[0] == "compose-default-credentials"]
    assert found == [("compose-default-credentials", 6), ("compose-secret-in-environment", 7)]


def test_compliance_report_counts_the_superseded_finding_for_its_control(tmp_path):
    (tmp_path / "pod.yaml").write_text(HOST_PATH_POD)
    output = tmp_path / "report.json"
    assert main(["report", str(tmp_path / "pod.yaml"), "--framework", "pss-restricted", "--format", "json",
                 "-o", str(output)]) == 0
    document = json.loads(output.read_text())
    listed = {entry["ref"]: entry["rule_id"] for entry in document["findings"]}
    assert {"k8s-host-path-volume", "k8s-restricted-volume-type"} <= set(listed.values())
    framework = document["frameworks"][0]
    failing = {row["id"]: row["findings"] for row in framework["controls"] if row["status"] == "fail"}
    restricted = failing["restrictedVolumes"]
    assert {listed[ref] for ref in restricted} == {"k8s-host-path-volume", "k8s-restricted-volume-type"}


def test_messages_are_shortened_to_the_limit_keeping_the_origin():
    from policylint.core.findings import MESSAGE_LIMIT, shortened, with_short_messages

    origin = " (helm chart charts/web (values ci/debug-values.yaml))"
    long = Finding("k8s-x", "high", "a.yaml", 1, 1, "word " * 100 + origin)
    short = Finding("k8s-x", "high", "a.yaml", 2, 1, "fine" + origin)
    cut, kept = with_short_messages([long, short], (" (helm chart ",))
    assert MESSAGE_LIMIT - 2 <= len(cut.message) <= MESSAGE_LIMIT and cut.message.endswith("…" + origin) and kept == short
    assert len(shortened("x" * 500)) == MESSAGE_LIMIT
    assert len(shortened("x" * 50, " (" + "y" * 400 + ")")) == MESSAGE_LIMIT
