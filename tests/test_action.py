"""The composite GitHub Action: pinned upload, no inputs interpolated into scripts, clean under its own checks."""

from __future__ import annotations

import re

import yaml
from support import ROOT


def load_action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text())


def test_composite_action_runs_policylint_and_uploads_sarif():
    action = load_action()
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    run_step = next(step for step in steps if step.get("id") == "check")
    assert ('policylint check $PATHS $ARGS "${diff_base[@]}" --format sarif --output "$SARIF_FILE" --format github'
            in run_step["run"])
    assert 'diff_base=(--diff-base "$DIFF_BASE")' in run_step["run"]
    assert run_step["env"]["DIFF_BASE"] == "${{ inputs.diff-base }}"
    upload = next(step for step in steps if "upload-sarif" in step.get("uses", ""))
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    assert "always()" in upload["if"]
    assert set(action["inputs"]) == {"paths", "args", "version", "extras", "sarif-file", "upload-sarif", "category", "fail",
                                       "diff-base"}
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.check.outputs.exit-code }}"


def test_upload_action_is_pinned_by_commit_with_a_version_comment():
    text = (ROOT / "action.yml").read_text()
    uses = re.findall(r"^\s*uses:\s*(\S+)(.*)$", text, re.MULTILINE)
    assert uses, "the action uses no other action?"
    for reference, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", reference), reference
        assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", comment), comment


def test_inputs_reach_scripts_only_through_the_environment():
    for step in load_action()["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]


def test_policylint_finds_nothing_in_its_own_action(run_json):
    code, document = run_json("action.yml")
    assert [(f["rule_id"], f["line"]) for f in document["findings"]] == []
    assert document["findings"] == [] and code == 0
