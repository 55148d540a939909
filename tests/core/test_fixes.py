"""The splicer: declarative operations become edits of exactly the intended characters."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from policylint.core.fixes import (
    Edit,
    Fix,
    FixPlan,
    Unfixable,
    choose,
    on_raw_text,
    resolve,
    resolve_or_reason,
    splice,
)


def _plan(pointer: tuple[Any, ...], operations: list[dict[str, Any]], doc_line: int = 1, **extra: Any) -> FixPlan:
    return FixPlan(policy_id="p", applicability="safe", description="d", path="f.yaml", file_kind="kubernetes",
                   doc_line=doc_line, pointer=pointer, operations=tuple(operations), **extra)


def _fixed(text: str, pointer: tuple[Any, ...], operations: list[dict[str, Any]], doc_line: int = 1) -> str:
    fix = resolve(_plan(pointer, operations, doc_line), text)
    result = splice(text, fix.edits)
    yaml.safe_load_all(result)  # still YAML
    return result


SET_APE = [{"set": "securityContext/allowPrivilegeEscalation", "value": False}]
CONTAINER = ("spec", "containers", 0)


def test_block_insert_follows_the_indentation_and_keeps_comments() -> None:
    text = "spec:\n    containers:\n        -   name: app   # main\n            image: x:1\n# end\n"
    assert _fixed(text, CONTAINER, SET_APE) == (
        "spec:\n    containers:\n        -   name: app   # main\n            image: x:1\n"
        "            securityContext:\n                allowPrivilegeEscalation: false\n# end\n")


def test_flow_mapping_stays_flow() -> None:
    text = "spec:\n  containers: [{name: app, image: 'x:1'}]\n"
    assert _fixed(text, CONTAINER, SET_APE) == (
        "spec:\n  containers: [{name: app, image: 'x:1', securityContext: {allowPrivilegeEscalation: false}}]\n")


def test_existing_value_is_replaced_in_place_with_its_comment() -> None:
    text = "spec:\n  containers:\n  - name: app\n    securityContext:\n      allowPrivilegeEscalation: true # no\n      x: 1\n"
    assert _fixed(text, CONTAINER, SET_APE) == text.replace("true # no", "false # no")


def test_empty_value_gets_the_nested_entry() -> None:
    text = "spec:\n  containers:\n  - name: app\n    securityContext:\n  - name: b\n"
    assert _fixed(text, CONTAINER, SET_APE) == (
        "spec:\n  containers:\n  - name: app\n    securityContext:\n      allowPrivilegeEscalation: false\n  - name: b\n")


def test_no_final_newline_stays_absent() -> None:
    text = "spec:\n  containers:\n  - name: app\n    image: x"
    assert _fixed(text, CONTAINER, SET_APE).endswith("allowPrivilegeEscalation: false")


def test_after_a_block_scalar() -> None:
    text = "spec:\n  containers:\n  - name: app\n    args: |\n      run\n\n  - name: b\n"
    result = _fixed(text, CONTAINER, SET_APE)
    assert yaml.safe_load(result)["spec"]["containers"][0]["args"] == "run\n"
    assert yaml.safe_load(result)["spec"]["containers"][0]["securityContext"] == {"allowPrivilegeEscalation": False}


def test_second_document_of_a_stream() -> None:
    text = "a: 1\n---\n# two\nspec:\n  containers:\n  - name: app\n"
    result = _fixed(text, CONTAINER, SET_APE, doc_line=4)
    assert result.startswith("a: 1\n---\n# two\n")
    assert list(yaml.safe_load_all(result))[1]["spec"]["containers"][0]["securityContext"]


def test_a_node_reached_through_an_alias_is_not_edited() -> None:
    text = "base: &c {name: app}\nspec:\n  containers:\n  - *c\n"
    with pytest.raises(Unfixable, match="alias"):
        resolve(_plan(CONTAINER, SET_APE), text)


def test_a_key_from_a_merge_key_is_not_edited() -> None:
    text = "base: &c\n  securityContext: {}\nspec:\n  containers:\n  - <<: *c\n    name: app\n"
    with pytest.raises(Unfixable, match="merge key"):
        resolve(_plan((*CONTAINER, "securityContext"), [{"set": "allowPrivilegeEscalation", "value": False}]), text)


def test_the_anchored_node_itself_is_edited() -> None:
    text = "spec:\n  containers:\n  - &c\n    name: app\n  - *c\n"
    result = _fixed(text, CONTAINER, SET_APE)
    assert "&c" in result and "*c" in result


def test_merge_into_block_and_flow_lists() -> None:
    merge = [{"merge": "securityContext/capabilities/drop", "value": ["ALL"]}]
    block = "spec:\n  containers:\n  - securityContext:\n      capabilities:\n        drop:\n          - NET_RAW\n"
    assert _fixed(block, CONTAINER, merge) == block + "          - ALL\n"
    flow = "spec:\n  containers:\n  - securityContext: {capabilities: {drop: [NET_RAW]}}\n"
    assert _fixed(flow, CONTAINER, merge) == flow.replace("[NET_RAW]", "[NET_RAW, ALL]")
    missing = "spec:\n  containers:\n  - name: a\n"
    assert yaml.safe_load(_fixed(missing, CONTAINER, merge))["spec"]["containers"][0]["securityContext"] == {
        "capabilities": {"drop": ["ALL"]}}


def test_remove_takes_the_whole_lines() -> None:
    text = "version: '3'   # old\nservices:\n  a: {image: x}\n"
    assert _fixed(text, (), [{"remove": "version"}]) == "services:\n  a: {image: x}\n"
    flow = "spec: {replicas: 3, template: {}}\n"
    assert _fixed(flow, (), [{"remove": "spec/replicas"}]) == "spec: {template: {}}\n"


def test_replace_keeps_quotes() -> None:
    text = 'apiVersion: "autoscaling/v2beta2"\nkind: HorizontalPodAutoscaler\n'
    assert _fixed(text, (), [{"replace": "apiVersion", "value": "autoscaling/v2"}]).startswith('apiVersion: "autoscaling/v2"\n')


def test_insert_before_a_key() -> None:
    text = "on: push\njobs:\n  a: {runs-on: x}\n"
    result = _fixed(text, (), [{"set": "permissions", "value": {"contents": "read"}, "before": "jobs"}])
    assert result == "on: push\npermissions:\n  contents: read\njobs:\n  a: {runs-on: x}\n"


def test_crlf_offsets_and_inserted_breaks_follow_the_file() -> None:
    raw = "spec:\r\n  containers:\r\n  - name: app\r\n    image: x\r\n"
    normalised = raw.replace("\r\n", "\n")
    fix = resolve(_plan(CONTAINER, SET_APE), normalised)
    result = splice(raw, on_raw_text(raw, fix.edits))
    assert result == raw + "    securityContext:\r\n      allowPrivilegeEscalation: false\r\n"
    assert "\n" not in result.replace("\r\n", "")


def test_overlapping_fixes_first_wins() -> None:
    first = Fix("a", "safe", "", "f", (Edit(3, 3, "x"),))
    second = Fix("b", "safe", "", "f", (Edit(3, 3, "y"),))
    same = Fix("c", "safe", "", "f", (Edit(3, 3, "x"),))
    apart = Fix("d", "safe", "", "f", (Edit(5, 6, ""),))
    assert choose([first, second, same, apart]) == [first, same, apart]


def test_unparsable_document_gives_a_reason_not_a_crash() -> None:
    fix = resolve_or_reason(_plan(CONTAINER, SET_APE), "spec: [\n")
    assert not fix.edits and "does not parse" in fix.reason


def test_remove_the_node_itself_and_an_emptied_mapping_with_it() -> None:
    text = "steps:\n  - run: x\n    env:\n      A: 1\n      B: 2\n"
    assert _fixed(text, ("steps", 0, "env", "A"), [{"remove": ""}]) == "steps:\n  - run: x\n    env:\n      B: 2\n"
    text = "steps:\n  - run: x\n    env:\n      A: 1\n"
    assert _fixed(text, ("steps", 0, "env", "A"), [{"remove": ""}]) == "steps:\n  - run: x\n"


def test_an_entry_after_a_block_scalar_goes_before_its_trailing_blank_lines() -> None:
    text = "steps:\n  - run: |\n      echo hi\n\n  - run: b\n"
    result = _fixed(text, ("steps", 0), [{"set": "env/A", "value": "1"}])
    assert result == "steps:\n  - run: |\n      echo hi\n    env:\n      A: '1'\n\n  - run: b\n"
    kept = "steps:\n  - run: |+\n      echo hi\n\n  - run: b\n"
    assert yaml.safe_load(_fixed(kept, ("steps", 0), [{"set": "env/A", "value": "1"}]))["steps"][0]["run"] == "echo hi\n\n"


def test_insert_before_a_key_goes_above_its_comment() -> None:
    text = "on: push\n\n# the jobs\n# all of them\njobs:\n  a: {runs-on: x}\n"
    result = _fixed(text, (), [{"set": "permissions", "value": {"contents": "read"}, "before": "jobs"}])
    assert result == "on: push\n\npermissions:\n  contents: read\n# the jobs\n# all of them\njobs:\n  a: {runs-on: x}\n"


def test_a_json_document_gets_json() -> None:
    text = ('{\n  "kind": "Pod",\n  "spec": {\n    "containers": [\n      {\n        "name": "app",\n'
            '        "securityContext": {"capabilities": {"drop": ["NET_RAW"]}}\n      }\n    ]\n  }\n}\n')
    result = _fixed(text, CONTAINER, [*SET_APE, {"merge": "securityContext/capabilities/drop", "value": ["ALL"]}])
    __import__("json").loads(result)
    assert '"drop": ["NET_RAW", "ALL"]' in result
    assert '{"capabilities": {"drop": ["NET_RAW", "ALL"]}, "allowPrivilegeEscalation": false}' in result
    added = _fixed(text, ("spec",), [{"set": "automountServiceAccountToken", "value": False}])
    assert '    ],\n    "automountServiceAccountToken": false\n  }' in added
    __import__("json").loads(added)


def test_findings_with_fix_plans_cross_processes() -> None:
    """Worker processes send findings back pickled (policylint.parallel): frozen records and their plans survive."""
    import pickle

    from policylint.core.findings import Finding

    plan = _plan(CONTAINER, SET_APE)
    finding = Finding("p", "high", "f.yaml", 1, 1, "m", fix=plan)
    copy = pickle.loads(pickle.dumps(finding))
    assert copy == finding and copy.fix.pointer == CONTAINER and copy.fix.operations == plan.operations


def test_merge_keys_and_trailing_aliases_are_left_alone() -> None:
    text = ("spec:\n  containers:\n    - &app\n      name: app\n      securityContext: {runAsUser: 1}\n"
            "      env: &env\n        - {name: A, value: '1'}\n"
            "    - <<: *app\n      name: side\n    - name: other\n      env: *env\n")
    with pytest.raises(Unfixable, match="merge key"):  # a securityContext written here would replace the merged one
        resolve(_plan(("spec", "containers", 1), SET_APE), text)
    with pytest.raises(Unfixable, match="ends with a YAML alias"):  # where `*env` ends is not known
        resolve(_plan(("spec", "containers", 2), SET_APE), text)
    fixed = _fixed(text, ("spec", "containers", 0), SET_APE)  # the anchored container itself
    assert "securityContext: {runAsUser: 1, allowPrivilegeEscalation: false}" in fixed
