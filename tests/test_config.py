"""Configuration: discovery, validation errors with suggestions, layering, profiles, init."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from policylint.catalog import load_policies
from policylint.config import Config, ConfigError, apply_config, find_config, read_config, rebase_glob
from policylint.options import RunOptions
from policylint.runner import select_policies

ROOT_POD = textwrap.dedent(
    """\
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
      namespace: shop
    spec:
      containers:
        - name: app
          image: nginx:1.27
    """
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def rule_ids(document: dict) -> set[str]:
    return {f["rule_id"] for f in document["findings"] if not f["suppressed"]}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the walk stops here
    write(tmp_path / "deploy" / "app" / "pod.yaml", ROOT_POD)
    return tmp_path


def test_config_found_by_walking_up_from_the_scanned_path(project, run_json):
    _, before = run_json("deploy/app/pod.yaml", cwd=project)
    assert "k8s-run-as-root" in rule_ids(before)
    write(project / ".policylint.yaml", "disable: [k8s-run-as-root]\n")
    _, after = run_json("deploy/app/pod.yaml", cwd=project)
    assert rule_ids(after) == rule_ids(before) - {"k8s-run-as-root"}
    # also when run from below the config file's folder
    _code, nested = run_json("pod.yaml", cwd=project / "deploy" / "app")
    assert rule_ids(nested) == rule_ids(after)


def test_walk_stops_at_the_repository_root(tmp_path):
    write(tmp_path / ".policylint.yaml", "fail-on: never\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo / "k8s" / "pod.yaml", ROOT_POD)
    assert find_config(repo / "k8s" / "pod.yaml") is None
    assert find_config(tmp_path / "x.yaml") == tmp_path / ".policylint.yaml"


def test_pyproject_table_is_used(project, run_cli):
    write(project / "pyproject.toml", """\
        [project]
        name = "demo"

        [tool.policylint]
        fail-on = "never"
        severity = {k8s-run-as-root = "critical"}
        """)
    code, out, _err = run_cli("check", "deploy", "--format", "json", cwd=project)
    document = json.loads(out)
    assert code == 0
    assert {f["severity"] for f in document["findings"] if f["rule_id"] == "k8s-run-as-root"} == {"critical"}


def test_pyproject_without_table_is_skipped(project):
    write(project / "pyproject.toml", "[project]\nname = 'demo'\n")
    assert find_config(project / "deploy" / "app" / "pod.yaml") is None


def test_pyproject_table_mentioned_in_a_comment_is_not_a_config(project):
    write(project / "pyproject.toml", "[project]\nname = 'demo'\n# settings would go in [tool.policylint]\n")
    assert find_config(project / "deploy" / "app" / "pod.yaml") is None
    write(project / "pyproject.toml", "[project]\nname = 'demo'\n\n[tool.policylint.params]\n")
    assert find_config(project / "deploy" / "app" / "pod.yaml") == project / "pyproject.toml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fail_on: high\n", ".policylint.yaml:1: fail_on: unknown key 'fail_on' (did you mean 'fail-on'?)"),
        ("fail-on: hgih\n", ".policylint.yaml:1: fail-on: 'hgih' is not one of critical, high, medium, low, never "
                            "(did you mean 'high'?)"),
        ("profile: restricted\nprofle: default\n", ".policylint.yaml:2: profle: unknown key 'profle' "
                                                    "(did you mean 'profile'?)"),
        ("severity:\n  k8s-run-as-root: hihg\n", ".policylint.yaml:2: severity.k8s-run-as-root: 'hihg' is not one of "
                                                 "critical, high, medium, low (did you mean 'high'?)"),
        ("ignore:\n  - policies: [k8s-run-as-root]\n    reasn: legacy\n",
         ".policylint.yaml:3: ignore[0].reasn: unknown key 'reasn' (did you mean 'reason'?)"),
        ("ignore:\n  - policies: [k8s-run-as-root]\n    reason: x\n    expires: 2026-13-45\n",
         ".policylint.yaml:4: ignore[0].expires: '2026-13-45' is not a date (YYYY-MM-DD)"),
        ("kube-version: 1.30\n", "kube-version: 1.3 is a number: quote it"),
        ("disable: k8s-run-as-root\n", ".policylint.yaml:1: disable: 'k8s-run-as-root' is not of type 'array'"),
    ],
)
def test_invalid_config_is_exit_2_with_path_and_suggestion(project, run_cli, text, expected):
    write(project / ".policylint.yaml", text)
    code, out, err = run_cli("check", "deploy", cwd=project)
    assert code == 2
    assert out == ""
    assert expected in err, err


def test_unknown_policy_id_warns_with_suggestion_and_run_goes_on(project, run_cli):
    write(project / ".policylint.yaml", "disable: [k8s-run-as-rot, k8s-privilege-escalation]\n")
    code, out, err = run_cli("check", "deploy", "--format", "json", cwd=project)
    assert code == 1
    assert ".policylint.yaml:1: disable[0]: unknown policy 'k8s-run-as-rot' (did you mean 'k8s-run-as-root'?)" in err
    ids = rule_ids(json.loads(out))
    assert "k8s-run-as-root" in ids
    assert "k8s-privilege-escalation" not in ids


def test_params_reach_the_policy_and_unknown_params_are_refused(tmp_path, run_json, run_cli):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "hpa.yaml", """\
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: web, namespace: shop}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
          minReplicas: 2
          maxReplicas: 6
        """)
    code, document = run_json("hpa.yaml", "--select", "k8s-hpa-min-replicas-low", cwd=tmp_path)
    assert rule_ids(document) == set()
    write(tmp_path / ".policylint.yaml", "params:\n  k8s-hpa-min-replicas-low: {min: 3}\n")
    code, document = run_json("hpa.yaml", "--select", "k8s-hpa-min-replicas-low", cwd=tmp_path)
    assert [(f["rule_id"], f["line"]) for f in document["findings"]] == [("k8s-hpa-min-replicas-low", 6)]
    write(tmp_path / ".policylint.yaml", "params:\n  k8s-hpa-min-replicas-low: {minimum: 3}\n")
    code, _, err = run_cli("check", "hpa.yaml", cwd=tmp_path)
    assert code == 2
    assert "params.k8s-hpa-min-replicas-low.minimum: unknown parameter (did you mean 'min'?)" in err
    write(tmp_path / ".policylint.yaml", "params:\n  k8s-hpa-min-replicas-low: {min: three}\n")
    code, _out, err = run_cli("check", "hpa.yaml", cwd=tmp_path)
    assert code == 2
    assert "params.k8s-hpa-min-replicas-low.min: expected number, got 'three'" in err


def test_command_line_wins_over_the_file(project, run_cli):
    write(project / ".policylint.yaml", "fail-on: never\ndisable: [k8s-run-as-root]\n")
    code, out, _ = run_cli("check", "deploy", "--format", "json", cwd=project)
    assert code == 0
    assert "k8s-run-as-root" not in rule_ids(json.loads(out))
    code, out, _ = run_cli("check", "deploy", "--format", "json", "--fail-on", "low", "--enable", "k8s-run-as-root",
                           cwd=project)
    assert code == 1
    assert "k8s-run-as-root" in rule_ids(json.loads(out))


def test_file_enable_and_cli_ignore(project, run_cli):
    write(project / ".policylint.yaml", "enable: [k8s-image-not-pinned-by-digest]\n")
    _, out, _ = run_cli("check", "deploy", "--format", "json", cwd=project)
    assert "k8s-image-not-pinned-by-digest" in rule_ids(json.loads(out))
    _code, out, _ = run_cli("check", "deploy", "--format", "json", "--ignore", "k8s-image-not-pinned-by-digest",
                           cwd=project)
    assert "k8s-image-not-pinned-by-digest" not in rule_ids(json.loads(out))


def test_excludes_and_policy_dirs_are_relative_to_the_config_file(project, run_cli, tmp_path):
    write(project / "deploy" / "legacy" / "old.yaml", ROOT_POD)
    write(project / "org" / "k8s-org-label-missing.yaml", """\
        id: k8s-org-label-missing
        title: Object has no team label
        severity: low
        rationale: Every object needs an owner.
        remediation: Add a team label.
        match: {target: document}
        condition: {properties: {metadata: {required: [labels]}}}
        message: "{kind} {name} has no labels"
        examples:
          fail: ["apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: x}  # expect: k8s-org-label-missing\\n"]
          pass: ["apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: x, labels: {team: a}}\\n"]
        """)
    write(project / ".policylint.yaml", "exclude: [deploy/legacy/**]\npolicy-dirs: [org]\n")
    code, out, err = run_cli("check", ".", "--format", "json", cwd=project / "deploy")
    assert code == 1, err
    document = json.loads(out)
    assert {f["path"] for f in document["findings"]} == {"app/pod.yaml"}
    assert ("k8s-org-label-missing", 3) in {(f["rule_id"], f["line"]) for f in document["findings"]}


def test_explicit_config_file_overrides_discovery(project, run_cli, tmp_path):
    write(project / ".policylint.yaml", "fail-on: never\n")
    other = write(project / "strict.yaml", "fail-on: low\n")
    assert run_cli("check", "deploy", cwd=project)[0] == 0
    assert run_cli("check", "deploy", "--config", str(other), cwd=project)[0] == 1
    code, _, err = run_cli("check", "deploy", "--config", "missing.yaml", cwd=project)
    assert code == 2
    assert "missing.yaml: configuration file not found" in err


def test_restricted_profile_turns_on_exactly_the_policies_that_list_it():
    policy_set = load_policies()
    listed = {policy.id for policy in policy_set if "restricted" in policy.profiles}
    assert {"k8s-image-not-pinned-by-digest", "k8s-default-namespace"} <= listed
    default = {policy.id: policy for policy in select_policies(policy_set, RunOptions())}
    config = Config({"profile": "restricted"}, Path(".policylint.yaml"), Path.cwd())
    restricted = {policy.id: policy for policy in select_policies(policy_set, apply_config(RunOptions(), config))}
    assert set(restricted) - set(default) == listed - set(default)
    assert set(default) <= set(restricted)
    # "raises nothing else": severities stay as the policy files say
    assert all(restricted[pid].severity == default[pid].severity for pid in default)


def test_severity_and_namespace_and_kube_version_merge():
    config = Config({"severity": {"k8s-run-as-root": "critical"}, "namespace": "shop", "kube-version": "v1.31",
                     "fail-on": "high"}, Path(".policylint.yaml"), Path.cwd())
    options = apply_config(RunOptions(fail_on="medium"), config, explicit={"fail_on"})
    assert options.severity_overrides == {"k8s-run-as-root": "critical"}
    assert options.default_namespace == "shop"
    assert options.kube_version == "1.31"
    assert options.fail_on == "medium"


def test_rebase_glob(tmp_path):
    sub = tmp_path / "a"
    sub.mkdir()
    assert rebase_glob("charts/**", tmp_path, cwd=tmp_path) == "charts/**"
    assert rebase_glob("charts/**", sub, cwd=tmp_path) == "a/charts/**"
    assert rebase_glob("a/charts/*.yaml", tmp_path, cwd=sub) == "charts/*.yaml"
    assert rebase_glob("b/charts/*.yaml", tmp_path, cwd=sub) is None
    assert rebase_glob("*.tmp.yaml", sub, cwd=tmp_path) == "*.tmp.yaml"


def test_init_writes_a_valid_commented_file_and_never_overwrites(tmp_path, run_cli):
    code, _out, _ = run_cli("init", cwd=tmp_path)
    assert code == 0
    text = (tmp_path / ".policylint.yaml").read_text()
    assert text.count("\n#") >= 10
    config = read_config(tmp_path / ".policylint.yaml")
    assert config.values["profile"] == "default"
    assert config.values["fail-on"] == "low"
    (tmp_path / ".policylint.yaml").write_text("fail-on: high\n")
    code, _, err = run_cli("init", cwd=tmp_path)
    assert code == 2
    assert "already exists" in err
    assert (tmp_path / ".policylint.yaml").read_text() == "fail-on: high\n"


def test_invalid_yaml_config(tmp_path):
    path = write(tmp_path / ".policylint.yaml", "fail-on: [high\n")
    with pytest.raises(ConfigError, match=r"\.policylint\.yaml:\d+: invalid YAML"):
        read_config(path)
