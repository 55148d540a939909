"""Where the vendored SchemaStore schemas (workflow, action) are stricter than GitHub itself, and
how we relax them.

`gha-schema-invalid` should report what GitHub rejects, not what one community schema forbids.
Each relaxation below names what GitHub accepts, the page of GitHub's documentation that says so
and, where the documentation only shows it by example, the definition in GitHub's own workflow
parser schema (actions/languageservices, `workflow-parser/src/workflow-v1.0.json`; a definition
with a `context` list accepts an expression in place of its whole value, and a null where a
string is expected reads as the empty string, `workflow-parser/src/templates/template-reader.ts`).
The relaxations edit a private copy of the schema when it is first read; tests/test_schema_relaxations.py
shows each one rejected by the vendored schema and accepted after relaxing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_PARSER_SCHEMA = (
    "https://github.com/actions/languageservices/blob/880ac43bc39b0fd7b735ff7976044289bbea3724/"
    "workflow-parser/src/workflow-v1.0.json"
)
_TEMPLATE_READER = (
    "https://github.com/actions/languageservices/blob/880ac43bc39b0fd7b735ff7976044289bbea3724/"
    "workflow-parser/src/templates/template-reader.ts"
)
_SYNTAX = "https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax"
_CONTEXTS = "https://docs.github.com/en/actions/reference/workflows-and-actions/contexts#context-availability"
_EXPRESSION = {"$ref": "#/definitions/expressionSyntax"}


@dataclass(frozen=True)
class Relaxation:
    """One place where GitHub accepts more than the vendored schema: what, where it says so, how."""

    id: str
    accepts: str
    sources: tuple[str, ...]
    apply: Callable[[dict[str, Any]], None]


def _job_properties(schema: dict[str, Any], job: str) -> dict[str, Any]:
    return schema["definitions"][job]["properties"]


def _strategy_without_matrix(schema: dict[str, Any]) -> None:
    for job in ("normalJob", "reusableWorkflowCallJob"):
        strategy = _job_properties(schema, job)["strategy"]
        strategy["required"] = [name for name in strategy.get("required", ()) if name != "matrix"]
        if not strategy["required"]:
            del strategy["required"]


def _filters_as_string(schema: dict[str, Any]) -> None:
    globs = schema["definitions"]["globs"]
    schema["definitions"]["globs"] = {"anyOf": [globs, {"type": "string", "minLength": 1}]}


def _null_input_values(schema: dict[str, Any]) -> None:
    values = schema["definitions"]["env"]["oneOf"][0]["additionalProperties"]
    values["oneOf"].append({"type": "null"})


def _or_expression(node: dict[str, Any], key: str) -> None:
    node[key] = {"anyOf": [node[key], _EXPRESSION]}


def _expressions_for_objects(schema: dict[str, Any]) -> None:
    for job in ("normalJob", "reusableWorkflowCallJob"):
        _or_expression(_job_properties(schema, job), "strategy")
    normal = _job_properties(schema, "normalJob")
    _or_expression(normal, "services")
    normal["services"]["anyOf"][0]["additionalProperties"] = {"anyOf": [{"$ref": "#/definitions/serviceContainer"}, _EXPRESSION]}
    # jobs.<job_id>.defaults.run takes an expression, the workflow's defaults.run does not
    job_defaults = copy.deepcopy(schema["definitions"]["defaults"])
    _or_expression(job_defaults["properties"], "run")
    normal["defaults"] = job_defaults
    for container in (schema["definitions"]["jobContainer"], schema["definitions"]["serviceContainer"]):
        _or_expression(container["properties"], "credentials")


def _scalar_step_name(schema: dict[str, Any]) -> None:
    name = schema["definitions"]["step"]["properties"]["name"]
    name["type"] = ["string", "number", "boolean", "null"]


def _action_inputs(schema: dict[str, Any]) -> dict[str, Any]:
    (input_schema,) = schema["properties"]["inputs"]["patternProperties"].values()
    return input_schema


def _input_description_optional(schema: dict[str, Any]) -> None:
    input_schema = _action_inputs(schema)
    input_schema["required"] = [name for name in input_schema.get("required", ()) if name != "description"]
    if not input_schema["required"]:
        del input_schema["required"]


def _scalar_input_default(schema: dict[str, Any]) -> None:
    _action_inputs(schema)["properties"]["default"]["type"] = ["string", "number", "boolean"]


_METADATA = "https://docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax"
_ACTION_PARSER_SCHEMA = (
    "https://github.com/actions/languageservices/blob/0fe7798548046bf55955549dba80e43161890a0c/"
    "workflow-parser/src/action-v1.0.json"
)

#: The relaxations of each vendored schema, by our name for it (policylint.core.external_schemas).
RELAXATIONS: dict[str, tuple[Relaxation, ...]] = {
    "github-workflow": (
        Relaxation(
            "strategy-without-matrix",
            "`strategy:` with only `fail-fast` or `max-parallel` (no `matrix`)",
            (f"{_SYNTAX}#jobsjob_idstrategyfail-fast", f"{_SYNTAX}#jobsjob_idstrategymax-parallel",
             f"{_PARSER_SCHEMA} (definition `strategy`: no property is required)"),
            _strategy_without_matrix,
        ),
        Relaxation(
            "filters-as-string",
            "`branches`, `branches-ignore`, `tags`, `tags-ignore`, `paths`, `paths-ignore` as one pattern string",
            (f"{_SYNTAX}#onpushbranchestagsbranches-ignoretags-ignore", f"{_SYNTAX}#onpushpull_requestpull_request_targetpathspaths-ignore",
             f"{_PARSER_SCHEMA} (definitions `event-branches`, `event-paths`, ...: one-of non-empty-string, sequence)"),
            _filters_as_string,
        ),
        Relaxation(
            "null-input-values",
            "an empty or null value in `with:`, `env:` or `secrets:` (read as the empty string)",
            (f"{_SYNTAX}#jobsjob_idstepswith", f"{_SYNTAX}#jobsjob_idwith",
             f"{_TEMPLATE_READER} (a null literal is converted to a string when the definition takes a string)"),
            _null_input_values,
        ),
        Relaxation(
            "expressions-for-objects",
            "an expression (`${{ fromJSON(...) }}`) in place of `strategy`, `services`, a service, "
            "`defaults.run` of a job or a container's `credentials`",
            (_CONTEXTS, f"{_SYNTAX}#jobsjob_idstrategymatrix",
             f"{_PARSER_SCHEMA} (definitions `strategy`, `services`, `services-container`, `job-defaults-run`, "
             "`container-registry-credentials` list allowed contexts)"),
            _expressions_for_objects,
        ),
        Relaxation(
            "scalar-step-name",
            "a step `name:` left empty, or written as a number or boolean (read as text)",
            (f"{_SYNTAX}#jobsjob_idstepsname",
             f"{_TEMPLATE_READER} (a null, number or boolean literal is converted to a string when the definition takes one)"),
            _scalar_step_name,
        ),
    ),
    "github-action": (
        Relaxation(
            "input-description-optional",
            "an action input without `description` (the docs call it required, GitHub runs the action without it)",
            (f"{_METADATA}#inputsinput_iddescription",
             f"{_ACTION_PARSER_SCHEMA} (definition `input`: no property is required)"),
            _input_description_optional,
        ),
        Relaxation(
            "scalar-input-default",
            "an action input `default:` written as a number or boolean (`default: 14`, `default: true`)",
            (f"{_METADATA}#inputsinput_iddefault",
             f"{_ACTION_PARSER_SCHEMA} (definition `input-default-context`: a string)",
             f"{_TEMPLATE_READER} (a number or boolean literal is converted to a string when the definition takes one)"),
            _scalar_input_default,
        ),
    ),
}


def relax(name: str, schema: Any) -> Any:
    """A copy of the named schema with its relaxations applied (the schema itself if it has none).

    A relaxation whose place the schema no longer has (a new SchemaStore version) is skipped:
    the schema then stays as strict as upstream made it.
    """
    relaxations = RELAXATIONS.get(name, ())
    if not relaxations:
        return schema
    relaxed = copy.deepcopy(schema)
    for relaxation in relaxations:
        try:
            relaxation.apply(relaxed)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue
    return relaxed
