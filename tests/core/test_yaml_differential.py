"""The tuned YAML layer gives what plain PyYAML gives: same values, positions and errors.

`policylint.core.yamlnodes` memoises tag resolution, walks nodes with inlined fast paths and counts
alias expansion only when a `*` can start an alias. Each is a speed choice, never a semantic one:
every fixture file and every policy example (the texts whose values, lines and columns the rest of
the suite pins) is parsed twice, once as shipped and once with PyYAML's unmemoised loader and the
alias count forced on, and the two results must be identical.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from support import ROOT

from policylint.catalog import load_policies
from policylint.core import yamlnodes
from policylint.core.yamlnodes import YamlDocument, YamlError, parse_yaml_stream
from policylint.examples import example_files, iter_examples, strip_markers

YAML_SUFFIXES = (".yaml", ".yml")


def _texts() -> list[tuple[str, str]]:
    """(name, text) of every YAML fixture and every YAML file of every policy example."""
    found: list[tuple[str, str]] = []
    for path in sorted((ROOT / "fixtures").rglob("*")):
        if path.is_file() and path.suffix in YAML_SUFFIXES:
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                continue  # non-UTF-8 input never reaches the parser (tests/test_hostile.py)
            found.append((str(path.relative_to(ROOT)), text.replace("\r\n", "\n").replace("\r", "\n")))
    for policy in load_policies():
        for name, example, _ in iter_examples(policy):
            for file_name, text in example_files(policy, example).items():
                if file_name.endswith(YAML_SUFFIXES):
                    found.append((f"{policy.id}/{name}/{file_name}", strip_markers(text)[0]))
    return found


TEXTS = _texts()


def _plain(item: YamlDocument | YamlError) -> tuple[Any, ...]:
    if isinstance(item, YamlError):
        return ("error", item.line, item.column, item.reason)
    return ("document", item.data, item.positions, item.value_positions, item.start_line, item.end_line)


def _parse(text: str) -> list[tuple[Any, ...]]:
    return [_plain(item) for item in parse_yaml_stream(text)]


@pytest.fixture
def reference_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyYAML's own libyaml loader (every tag resolved afresh) and the alias count on every chunk."""
    monkeypatch.setattr(yamlnodes, "_Loader", yaml.CSafeLoader)
    monkeypatch.setattr(yamlnodes, "_may_hold_alias", lambda chunk: "*" in chunk)


def test_the_corpus_is_large():
    assert len(TEXTS) > 500  # fixtures and examples of every domain, not a handful


def test_tuned_parser_matches_plain_pyyaml(monkeypatch: pytest.MonkeyPatch):
    tuned = [_parse(text) for _, text in TEXTS]
    yamlnodes._PLAIN_TAGS.clear()
    monkeypatch.setattr(yamlnodes, "_Loader", yaml.CSafeLoader)
    monkeypatch.setattr(yamlnodes, "_may_hold_alias", lambda chunk: "*" in chunk)
    differing = [name for (name, text), mine in zip(TEXTS, tuned, strict=True) if _parse(text) != mine]
    assert differing == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: &x 1\nb: *x\n", True),
        ("a: &x 1\nb:\n- *x\n", True),
        ("- &x 1\n- [*x, *x]\n", True),
        ("- &x 1\n- {a: *x}\n", True),
        ('- &x 1\n- {"a":*x}\n', True),
        ("- &x 1\n- *x : 1\n", True),
        ("a: &x 1\nb:\n  - c\n  -\t*x\n", True),
        ("- &x [1]\n- [&y 2, *y]\n", True),
        ("a: *x\n", False),  # no anchor: an undefined alias fails to compose anyway
        ("a: &x 1\ncron: '*/5 * * * 1'\n", False),
        ("a: &x 1\ncron: '0 * * * *'\n", True),  # errs towards True: `*'` could be an alias named `'`
        ('a: &x 1\nglob: "*.yaml"\n', False),
        ("a: &x 1\nb: c*d\n", False),
        ("a: &x 1\nb: * \n", False),
        ("a: &x 1\nb: [*]\n", False),
        ("run: make && make *.o\n", True),  # errs towards True: `&&` could start an anchor
        ("run: make & echo *done\n", False),
    ],
)
def test_alias_precheck_never_misses_an_alias(text: str, expected: bool):
    assert yamlnodes._may_hold_alias(text) is expected


def test_every_alias_in_the_corpus_is_seen_by_the_precheck():
    """Wherever PyYAML composes a shared node (an alias), the pre-check must have said "maybe"."""
    checked = 0
    for _, text in TEXTS:
        for _, chunk in yamlnodes.split_documents(text):
            try:
                node = yaml.compose(chunk, Loader=yaml.CSafeLoader)
            except yaml.YAMLError:
                continue
            if node is not None and _shares_a_node(node):
                checked += 1
                assert yamlnodes._may_hold_alias(chunk), chunk
    assert checked > 0  # the examples do use anchors and aliases


def _shares_a_node(root: yaml.Node) -> bool:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return True
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(child for pair in node.value for child in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return False


def test_memoised_tags_are_yaml_1_1_tags():
    """A few values whose tags differ by a character: the memo must not blur them."""
    assert _parse("a: [yes, 'yes', 1_000, '1_000', 0o17, 017, ~, null, '', 1.0, .inf, 2001-12-14]\n")[0][1] == {
        "a": [True, "yes", 1000, "1_000", "0o17", 15, None, None, "", 1.0, float("inf"), "2001-12-14"]
    }
