"""gha-schema-invalid accepts what GitHub accepts where the vendored SchemaStore schema is stricter.

Each relaxation is listed with the shape GitHub accepts and its source (GitHub's documentation,
and GitHub's own workflow parser schema where the documentation only shows it by example). Every
case is rejected by the schema as vendored and accepted once relaxed, so a new check-jsonschema
that fixes the schema upstream shows up here; shapes GitHub rejects stay errors.
"""

from __future__ import annotations

import json

import pytest

from policylint.core.external_schemas import _schema, validate, vendored_schema_path
from policylint.core.schema_relaxations import RELAXATIONS, relax

JOB = {"runs-on": "ubuntu-latest", "steps": [{"run": "make"}]}

#: relaxation id -> workflows GitHub runs that the vendored schema rejects.
ACCEPTED = {
    "strategy-without-matrix": [
        {"on": "push", "jobs": {"t": {**JOB, "strategy": {"fail-fast": False}}}},
        {"on": "push", "jobs": {"t": {"uses": "o/r/.github/workflows/x.yml@v1", "strategy": {"max-parallel": 1}}}},
    ],
    "filters-as-string": [
        {"on": {"push": {"branches": "main", "paths": "src/**"}}, "jobs": {"t": JOB}},
        {"on": {"pull_request": {"branches-ignore": "dependabot/**", "paths-ignore": "docs/**"}}, "jobs": {"t": JOB}},
        {"on": {"push": {"tags": "v*"}}, "jobs": {"t": JOB}},
    ],
    "null-input-values": [
        {"on": "push", "jobs": {"t": {"runs-on": "x", "steps": [{"uses": "a/b@v1", "with": {"ref": None, "token": None}}]}}},
        {"on": "push", "jobs": {"t": {"uses": "o/r/.github/workflows/x.yml@v1", "with": {"target": None}}}},
    ],
    "expressions-for-objects": [
        {"on": "push", "jobs": {"t": {**JOB, "strategy": "${{ fromJSON(needs.plan.outputs.strategy) }}"}}},
        {"on": "push", "jobs": {"t": {"uses": "o/r/.github/workflows/x.yml@v1", "strategy": "${{ fromJSON(inputs.s) }}"}}},
        {"on": "push", "jobs": {"t": {**JOB, "services": "${{ fromJSON(needs.plan.outputs.services) }}"}}},
        {"on": "push", "jobs": {"t": {**JOB, "services": {"db": "${{ fromJSON(needs.plan.outputs.db) }}"}}}},
        {"on": "push", "jobs": {"t": {**JOB, "defaults": {"run": "${{ fromJSON(needs.plan.outputs.run) }}"}}}},
        {"on": "push", "jobs": {"t": {**JOB, "container": {"image": "x", "credentials": "${{ fromJSON(secrets.c) }}"}}}},
    ],
}

ACCEPTED["scalar-step-name"] = [
    {"on": "push", "jobs": {"t": {"runs-on": "x", "steps": [{"name": None, "run": "make"}, {"name": 2, "run": "make"}]}}},
]
ACTION_STEPS = {"using": "composite", "steps": [{"run": "make", "shell": "bash"}]}
#: relaxation id -> action metadata files GitHub runs that the vendored action schema rejects.
ACCEPTED_ACTIONS = {
    "input-description-optional": [
        {"name": "a", "description": "d", "inputs": {"token": {"required": False}}, "runs": ACTION_STEPS},
    ],
    "scalar-input-default": [
        {"name": "a", "description": "d", "inputs": {"n": {"description": "n", "default": 14}}, "runs": ACTION_STEPS},
        {"name": "a", "description": "d", "inputs": {"b": {"description": "b", "default": True}}, "runs": ACTION_STEPS},
    ],
}

#: What GitHub rejects too: still errors after relaxing.
STILL_REJECTED = [
    {"on": {"push": {"branches": ""}}, "jobs": {"t": JOB}},
    {"on": "push", "jobs": {"t": {**JOB, "strategy": 3}}},
    {"on": "push", "jobs": {"t": {**JOB, "strategy": {"matrix": {"os": ["a"]}, "fail_fast": True}}}},
    {"on": "push", "defaults": {"run": "${{ fromJSON(vars.run) }}"}, "jobs": {"t": JOB}},  # not at workflow level
    {"on": "push", "jobs": {"t": {**JOB, "services": {"db": {"image": "x", "bogus": 1}}}}},
    {"on": "push", "jobs": {"t": {**JOB, "env": {"A": ["not", "a", "string"]}}}},
    {"on": "push", "jobs": {"t": {"runs-on": "x", "steps": [{"name": ["a"], "run": "make"}]}}},
]


CASES = {"github-workflow": ACCEPTED, "github-action": ACCEPTED_ACTIONS}
RELAXATION_CASES = [(name, relaxation) for name in CASES for relaxation in RELAXATIONS[name]]


def _vendored(name: str = "github-workflow") -> dict:
    return json.loads(vendored_schema_path(name).read_text(encoding="utf-8"))


def test_every_relaxation_names_what_github_accepts_and_cites_githubs_docs():
    assert set(RELAXATIONS) == set(CASES)
    for name, relaxations in RELAXATIONS.items():
        assert [relaxation.id for relaxation in relaxations] == list(CASES[name])
        for relaxation in relaxations:
            assert relaxation.accepts
            assert any(source.startswith("https://docs.github.com/en/actions/") for source in relaxation.sources), relaxation.id


@pytest.mark.parametrize(("name", "relaxation"), RELAXATION_CASES, ids=lambda value: getattr(value, "id", value))
def test_each_relaxation_applies_to_the_vendored_schema_and_accepts_its_cases(name, relaxation):
    from jsonschema.validators import validator_for

    strict = _vendored(name)
    relaxed = _vendored(name)
    relaxation.apply(relaxed)  # raises if the vendored schema no longer has the place it relaxes
    for document in CASES[name][relaxation.id]:
        assert not validator_for(strict)(strict).is_valid(document), f"vendored schema accepts {document}: drop the relaxation?"
        assert validator_for(relaxed)(relaxed).is_valid(document), document


@pytest.mark.parametrize(
    ("name", "document"), [(name, case) for name, cases in CASES.items() for group in cases.values() for case in group]
)
def test_policylint_accepts_every_case(name, document):
    assert validate(name, document) == []


@pytest.mark.parametrize("workflow", STILL_REJECTED)
def test_what_github_rejects_stays_an_error(workflow):
    assert validate("github-workflow", workflow)


def test_what_github_rejects_in_an_action_stays_an_error():
    misspelt = {"name": "a", "description": "d", "inputs": {"n": {"defualt": "1"}}, "runs": ACTION_STEPS}
    listed = {"name": "a", "description": "d", "inputs": {"n": {"default": ["1"]}}, "runs": ACTION_STEPS}
    assert validate("github-action", misspelt) and validate("github-action", listed)


def test_the_schema_in_use_is_the_relaxed_one_and_other_schemas_are_untouched():
    assert _schema("github-workflow") == relax("github-workflow", _vendored())
    assert _schema("github-workflow") != _vendored()
    compose = json.loads(vendored_schema_path("compose-spec").read_text(encoding="utf-8"))
    assert relax("compose-spec", compose) is compose
