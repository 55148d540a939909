"""Property test: on generated YAML of many styles, a fix changes only its own spans, the result
parses, and it means exactly the original plus the intended change.

Styles drawn: indentation width, indented or flush sequences, flow or block containers, quoting,
comments, an empty or flow or block securityContext, block scalars with tabs, anchors and aliases,
a document before the one fixed, CRLF line breaks, a final newline or none.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policylint.core.fixes import Edit, FixPlan, Unfixable, on_raw_text, resolve, splice

SETTINGS = settings(max_examples=int(os.environ.get("POLICYLINT_HYPOTHESIS_EXAMPLES", "150")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

QUOTES = ("plain", "single", "double")


def _quoted(value: str, style: str) -> str:
    return {"plain": value, "single": f"'{value}'", "double": f'"{value}"'}[style]


@st.composite
def manifests(draw: Any) -> tuple[str, int, int, set[int]]:
    """(text, line of the fixed document's root, number of containers, indexes reached through an alias)."""
    width = draw(st.sampled_from([2, 4]))
    flush = draw(st.booleans())  # `- name` at the key's column (kubectl style) or indented
    pad = " " * width
    lines = []
    before = draw(st.sampled_from(["", "apiVersion: v1\nkind: ConfigMap\ndata: {a: '1'}\n---\n", "---\n",
                                   "# leading comment\n"]))
    lines.append("apiVersion: v1")
    lines.append("kind: Pod   # the pod")
    lines.append("metadata: {name: web}")
    lines.append("spec:")
    lines.append(f"{pad}containers:")
    count = draw(st.integers(1, 3))
    aliased: set[int] = set()
    item_indent = pad if flush else pad * 2
    for index in range(count):
        image = _quoted(f"app{index}:1.0", draw(st.sampled_from(QUOTES)))
        security = draw(st.sampled_from(["none", "empty-flow", "flow", "block", "null", "true"]))
        anchor = " &first" if index == 0 and draw(st.booleans()) else ""
        if draw(st.booleans()):  # a flow mapping
            extra = {"none": "", "empty-flow": ", securityContext: {}", "flow": ", securityContext: {runAsUser: 1}",
                     "block": ", securityContext: {runAsUser: 1}", "null": ", securityContext: null",
                     "true": ", securityContext: {allowPrivilegeEscalation: true}"}[security]
            comment = draw(st.sampled_from(["", "  # c"]))
            lines.append(f"{item_indent}-{anchor} {{name: c{index}, image: {image}{extra}}}{comment}")
            continue
        inner = item_indent + "  "
        if anchor:
            lines.append(f"{item_indent}-{anchor}")
            lines.append(f"{inner}name: c{index}")
        else:
            lines.append(f"{item_indent}- name: c{index}" + draw(st.sampled_from(["", "  # main"])))
        lines.append(f"{inner}image: {image}")
        if draw(st.booleans()):
            lines.append(f"{inner}args:")
            lines.append(f"{inner}{pad}- |")
            lines.append(f"{inner}{pad}{pad}echo 'a\tb'   # not a comment")
            lines.append(f"{inner}{pad}{pad}done")
        if security == "empty-flow":
            lines.append(f"{inner}securityContext: {{}}")
        elif security == "flow":
            lines.append(f"{inner}securityContext: {{runAsUser: 1}}  # flow")
        elif security == "block":
            lines.append(f"{inner}securityContext:")
            lines.append(f"{inner}{pad}runAsUser: 1")
        elif security == "null":
            lines.append(f"{inner}securityContext:")
        elif security == "true":
            lines.append(f"{inner}securityContext:")
            lines.append(f"{inner}{pad}allowPrivilegeEscalation: true   # was on")
        if draw(st.booleans()):
            lines.append("")  # a blank line between containers
        if draw(st.booleans()):
            lines.append(f"{inner}# trailing comment")
    if any("&first" in line for line in lines) and draw(st.booleans()):
        lines.append(f"{pad}initContainers:")
        lines.append(f"{item_indent}- *first")
        aliased.add(count)  # pointer ("spec", "initContainers", 0) below
    text = before + "\n".join(lines) + draw(st.sampled_from(["\n", ""]))
    root_line = before.count("\n") + 1
    return text, root_line, count, aliased


def _plan(pointer: tuple[Any, ...], doc_line: int) -> FixPlan:
    return FixPlan(policy_id="p", applicability="safe", description="d", path="f.yaml", file_kind="kubernetes",
                   doc_line=doc_line, pointer=pointer,
                   operations=({"set": "securityContext/allowPrivilegeEscalation", "value": False},))


def _last_document(text: str) -> Any:
    return list(yaml.safe_load_all(text))[-1]


@SETTINGS
@given(manifests(), st.booleans())
def test_a_fix_changes_only_its_spans_and_means_what_it_says(case: tuple[str, int, int, set[int]], crlf: bool) -> None:
    text, root_line, count, aliased = case
    original = _last_document(text)
    edits: list[Edit] = []
    for index in range(count):
        try:
            edits.extend(resolve(_plan(("spec", "containers", index), root_line), text).edits)
        except Unfixable as exc:  # the one shape refused: nothing can follow it without changing it
            assert "block scalar ends the file" in str(exc) and not text.endswith("\n")
            return
    if aliased:
        try:
            resolve(_plan(("spec", "initContainers", 0), root_line), text)
        except Unfixable as exc:
            assert "alias" in str(exc)
        else:
            raise AssertionError("a container reached through an alias was edited")
    # Only the edited spans differ: what lies between them is the original, character for character.
    result = splice(text, edits)
    position = shift = 0
    for edit in sorted(edits, key=lambda edit: edit.start):
        assert result[position + shift : edit.start + shift] == text[position : edit.start]
        shift += len(edit.content) - (edit.end - edit.start)
        position = edit.end
    assert result[position + shift :] == text[position:]
    # It parses, and means the original with allowPrivilegeEscalation: false in every container.
    expected = copy.deepcopy(original)
    for container in expected["spec"]["containers"]:
        if not isinstance(container.get("securityContext"), dict):
            container["securityContext"] = {}
        container["securityContext"]["allowPrivilegeEscalation"] = False
    fixed = _last_document(result)
    assert fixed["spec"]["containers"] == expected["spec"]["containers"]
    assert {key: value for key, value in fixed.items() if key != "spec"} == {
        key: value for key, value in original.items() if key != "spec"}
    assert result.endswith("\n") == text.endswith("\n")
    if crlf:  # the same edits on the file's own CRLF text give the same result, with CRLF breaks
        raw = text.replace("\n", "\r\n")
        fixed_raw = splice(raw, on_raw_text(raw, edits))
        assert fixed_raw == result.replace("\n", "\r\n")


@SETTINGS
@given(st.lists(st.fixed_dictionaries({"name": st.text("abc", min_size=1, max_size=3),
                                       "image": st.sampled_from(["a:1", "b\tc", "d \"q\""])},
                                      optional={"securityContext": st.sampled_from([{}, {"runAsUser": 1},
                                                                                    {"allowPrivilegeEscalation": True}])}),
                min_size=1, max_size=3),
       st.sampled_from([None, 2, 4]))
def test_json_manifests_stay_json(containers: list[dict[str, Any]], indent: int | None) -> None:
    import json

    text = json.dumps({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": containers}}, indent=indent) + "\n"
    edits: list[Edit] = []
    for index in range(len(containers)):
        edits.extend(resolve(_plan(("spec", "containers", index), 1), text).edits)
    fixed = json.loads(splice(text, edits))
    expected = copy.deepcopy(containers)
    for container in expected:
        container.setdefault("securityContext", {})["allowPrivilegeEscalation"] = False
    assert fixed["spec"]["containers"] == expected


@SETTINGS
@given(manifests())
def test_merge_and_remove_change_only_what_they_say(case: tuple[str, int, int, set[int]]) -> None:
    text, root_line, count, _ = case
    original = _last_document(text)
    merge = ({"merge": "securityContext/capabilities/drop", "value": ["ALL"]},)
    edits: list[Edit] = []
    for index in range(count):
        plan = FixPlan(policy_id="p", applicability="safe", description="d", path="f.yaml", file_kind="kubernetes",
                       doc_line=root_line, pointer=("spec", "containers", index), operations=merge)
        try:
            edits.extend(resolve(plan, text).edits)
        except Unfixable as exc:
            assert "block scalar ends the file" in str(exc)
            return
    merged = _last_document(splice(text, edits))
    expected = copy.deepcopy(original)
    for container in expected["spec"]["containers"]:
        if not isinstance(container.get("securityContext"), dict):
            container["securityContext"] = {}
        container["securityContext"].setdefault("capabilities", {}).setdefault("drop", []).append("ALL")
    assert merged == expected
    removal = FixPlan(policy_id="p", applicability="safe", description="d", path="f.yaml", file_kind="kubernetes",
                      doc_line=root_line, pointer=(), operations=({"remove": "metadata"},))
    removed = splice(text, resolve(removal, text).edits)
    assert _last_document(removed) == {key: value for key, value in original.items() if key != "metadata"}
    assert removed.replace("metadata: {name: web}\n", "", 1) == text.replace("metadata: {name: web}\n", "", 1)
