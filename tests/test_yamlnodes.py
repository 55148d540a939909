"""The YAML layer: positions of keys and items, multi-document splitting, hostile shapes."""

from __future__ import annotations

import time

from policylint.yamlnodes import MAX_DEPTH, Position, YamlDocument, YamlError, parse_yaml_stream, split_documents


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
