"""Validation against the schemas check-jsonschema vendors: found offline, errors as pointers."""

from __future__ import annotations

import sys

import pytest

from policylint.core.external_schemas import SchemaUnavailable, validate, vendored_schema_path


def test_schema_files_are_found_without_importing_check_jsonschema():
    sys.modules.pop("check_jsonschema", None)
    for name in ("github-workflow", "github-action", "compose-spec"):
        assert vendored_schema_path(name).is_file()
    assert "check_jsonschema" not in sys.modules
    with pytest.raises(SchemaUnavailable):
        vendored_schema_path("no-such-schema")


def test_errors_point_at_the_offending_key_of_the_closest_branch():
    workflow = {
        "on": "push",
        "jobs": {
            "test": {
                "runs-on": "ubuntu-latest",
                "runs_on": "x",
                "timeout-minutes": "ten",
                "steps": [{"run": "make", "shel": "bash"}],
            }
        },
    }
    found = [(error.pointer, error.message.split(":")[0]) for error in validate("github-workflow", workflow)]
    assert found == [
        (("jobs", "test", "runs_on"), "unexpected key 'runs_on'"),
        (("jobs", "test", "steps", 0, "shel"), "unexpected key 'shel'"),
        (("jobs", "test", "timeout-minutes"), "jobs/test/timeout-minutes"),
    ]


def test_missing_required_key_points_at_the_parent():
    errors = validate("github-workflow", {"on": "push"})
    assert [(error.pointer, error.message) for error in errors] == [((), "(top level): 'jobs' is a required property")]


def test_valid_documents_give_no_error():
    action = {"name": "a", "description": "d", "runs": {"using": "composite", "steps": [{"run": "x", "shell": "bash"}]}}
    assert validate("github-action", action) == []
