"""The YAML layer: positions of keys and items, multi-document splitting, hostile shapes."""

from __future__ import annotations

import signal
import time

import pytest

from policylint.core.yamlnodes import MAX_DEPTH, Position, YamlDocument, YamlError, parse_yaml_stream, split_documents


def only(text: str) -> YamlDocument:
    docs = list(parse_yaml_stream(text))
    assert len(docs) == 1
    assert isinstance(docs[0], YamlDocument), docs[0]
    return docs[0]


def test_positions_point_at_keys_and_items():
    doc = only("a:\n  b: 1\n  list:\n    - x\n    - name: y\n      v: 2\n")
    assert doc.data == {"a": {"b": 1, "list": ["x", {"name": "y", "v": 2}]}}
    assert doc.positions[("a",)] == Position(1, 1)
    assert doc.positions[("a", "b")] == Position(2, 3)
    assert doc.positions[("a", "list", 0)] == Position(4, 7)
    assert doc.positions[("a", "list", 1)] == Position(5, 7)
    assert doc.positions[("a", "list", 1, "v")] == Position(6, 7)


def test_documents_keep_absolute_lines_after_split():
    docs = list(parse_yaml_stream("a: 1\n---\nb: 2\n---\n\nc:\n  d: 3\n"))
    assert [d.data for d in docs] == [{"a": 1}, {"b": 2}, {"c": {"d": 3}}]
    assert docs[2].positions[("c", "d")] == Position(7, 3)


def test_broken_document_spares_the_others():
    docs = list(parse_yaml_stream("a: 1\n---\nb: [unclosed\n---\nc: 3\n"))
    assert isinstance(docs[0], YamlDocument)
    assert isinstance(docs[1], YamlError)
    assert docs[1].line in (3, 4)
    assert isinstance(docs[2], YamlDocument) and docs[2].data == {"c": 3}


def test_split_ignores_dashes_inside_lines():
    assert len(split_documents("a: ---\nb: x---\n")) == 1
    assert len(split_documents("--- \na: 1\n...\n---\nb: 2\n")) == 2


def test_merge_keys_and_anchors_resolve():
    doc = only("base: &b {x: 1, y: 2}\nsvc:\n  <<: *b\n  y: 3\n")
    assert doc.data["svc"] == {"x": 1, "y": 3}
    assert doc.positions[("svc", "y")] == Position(4, 3)


def test_on_key_stays_a_string():
    doc = only("on:\n  push: {}\n")
    assert list(doc.data) == ["on"]


def test_scalars_are_json_friendly():
    doc = only("t: 2024-01-01\nn: null\nb: yes\ni: 0x10\nf: 1.0e+3\ns: '5'\ntag: !Ref x\n")
    assert doc.data == {"t": "2024-01-01", "n": None, "b": True, "i": 16, "f": 1000.0, "s": "5", "tag": "x"}


def test_block_scalar_value_position_is_recorded():
    doc = only("run: |\n  echo a\n  echo b\n")
    position, style = doc.value_positions[("run",)]
    assert style == "|"
    assert position.line == 1


def test_alias_bomb_fails_fast():
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    previous = "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    start = time.perf_counter()
    docs = list(parse_yaml_stream(text))
    assert time.perf_counter() - start < 5  # generous bound: the point is it does not hang
    assert isinstance(docs[0], YamlError)
    assert "alias bomb" in docs[0].reason


def test_deep_flow_nesting_is_refused_not_crashing():
    depth = 100_000
    docs = list(parse_yaml_stream("[" * depth + "]" * depth))
    assert isinstance(docs[0], YamlError)
    assert str(MAX_DEPTH) in docs[0].reason


def test_deep_block_nesting_is_refused():
    text = "".join("  " * i + "k:\n" for i in range(1500))
    docs = list(parse_yaml_stream(text))
    assert isinstance(docs[0], YamlError)


# A colon just before a flow indicator, inside a plain scalar in a flow collection: go-yaml (so
# Kubernetes, through sigs.k8s.io/yaml) keeps it in the scalar, libyaml refuses it.


def test_flow_scalar_ending_in_colon_reads_as_go_yaml_does():
    doc = only("apiVersion: v1\nspec:\n  externalIPs: [1.2.3.4, 2001:db8::]\n  other: {ip: fe80::, v6: '::1'}\n")
    assert doc.data == {"apiVersion": "v1", "spec": {"externalIPs": ["1.2.3.4", "2001:db8::"], "other": {"ip": "fe80::", "v6": "::1"}}}
    assert doc.positions[("spec", "externalIPs", 0)] == Position(3, 17)
    assert doc.positions[("spec", "externalIPs", 1)] == Position(3, 26)
    assert doc.positions[("spec", "other", "ip")] == Position(4, 11)
    assert doc.positions[("spec", "other", "v6")] == Position(4, 23)
    assert (doc.start_line, doc.end_line) == (1, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[a:]", ["a:"]),
        ("[a::]", ["a::"]),
        ("[a:,b:, c]", ["a:", "b:", "c"]),
        ("{a:}", {"a:": None}),
        ("{a:: b:}", {"a:": "b:"}),  # `: ` still separates key and value
        ("[a: b:]", [{"a": "b:"}]),
        ('[fe80::1, "x"]', ["fe80::1", "x"]),  # libyaml reads this one already
        ("[1:, 0:, null:, true:]", ["1:", "0:", "null:", "true:"]),  # ends in `:`: a string, never a number
        ("k: [\n  a:,\n  b::\n]\n", {"k": ["a:", {"b:": None}]}),
        ('["\\ue000", a:]', ["\ue000", "a:"]),  # a stand-in character escaped in quotes stays itself
        ("[\ue000, a:]", ["\ue000", "a:"]),  # ... and written as itself too
        ("- &x [a:]\n- *x\n", [["a:"], ["a:"]]),
    ],
)
def test_colon_before_flow_indicator_values(text: str, expected: object):
    assert only(text).data == expected


def test_colon_before_flow_indicator_keeps_exact_positions_through_bom_crlf_and_odd_breaks():
    doc = only("\ufeffk: [a:, b:]\r\n")
    assert doc.data == {"k": ["a:", "b:"]}
    assert [doc.positions[("k", i)] for i in (0, 1)] == [Position(1, 5), Position(1, 9)]
    doc = only("k:\r\n  - [a:, 'b\u2028c', d:]\r\n  - x\r\n")
    assert doc.data == {"k": [["a:", "b\u2028c", "d:"], "x"]}
    assert doc.positions[("k", 0, 0)] == Position(2, 6)
    assert doc.positions[("k", 0, 2)] == Position(2, 17)
    assert doc.positions[("k", 1)] == Position(3, 5)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("[a:[b]]\n", 1, 3),  # go-yaml: `a:` then a collection where `,` or `]` must come
        ("k: [a:}\n", 1, 6),  # mismatched bracket
        ("[a:?]\n", 1, 3),  # go-yaml ends the scalar at `?` and then fails too
        ("k: v\nl: [x, y:]\nm: [z:, [\n", 2, 9),  # a later, real error: the first colon is reported, as today
    ],
)
def test_still_invalid_input_keeps_libyamls_first_error(text: str, line: int, column: int):
    assert list(parse_yaml_stream(text)) == [YamlError(line, column, "while scanning a plain scalar found unexpected ':'")]


def test_one_broken_document_does_not_stop_the_colon_reading_in_others():
    docs = list(parse_yaml_stream("[a:]\n---\n[b:, c\n---\n[d::]\n"))
    assert isinstance(docs[0], YamlDocument) and docs[0].data == ["a:"]
    assert docs[1] == YamlError(3, 3, "while scanning a plain scalar found unexpected ':'")
    assert isinstance(docs[2], YamlDocument) and docs[2].data == ["d::"]
    assert docs[2].positions[(0,)] == Position(5, 2)


def test_many_such_colons_stay_fast_and_a_flood_is_refused():
    many = "ips: [" + ", ".join(f"2001:db8::{i:x}:" for i in range(300)) + "]\n"
    start = time.perf_counter()
    assert only(many).data["ips"][299] == "2001:db8::12b:"
    flood = "x: [" + "a:," * 200_000 + "]\n"
    (error,) = parse_yaml_stream(flood)
    assert isinstance(error, YamlError) and error.line == 1
    assert time.perf_counter() - start < 10  # generous bound: a flood of swaps must not turn quadratic


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("&a [x, *a]\n", 1),
        ("k: v\nm: &a {b: *a}\n", 1),
        ("- &a\n  - [x, &b [*a]]\n- 1\n", 1),
        ("---\nx: 1\n---\nl: &a\n  - *a\n", 4),
    ],
)
def test_alias_inside_its_own_anchor_is_refused_not_hanging(text: str, line: int):
    def give_up(signum: int, frame: object) -> None:
        raise TimeoutError("parsing a recursive alias did not stop")  # it used to loop, growing a list

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(5)
    try:
        docs = list(parse_yaml_stream(text))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert docs[-1] == YamlError(line, 1, "document expands to too many nodes through aliases (alias bomb?)")


def test_shared_but_not_recursive_aliases_still_expand():
    doc = only("a: &a [1, 2]\nb: [*a, *a, {c: *a}]\n")
    assert doc.data == {"a": [1, 2], "b": [[1, 2], [1, 2], {"c": [1, 2]}]}
