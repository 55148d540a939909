"""Parse YAML into plain data plus a position for every node.

PyYAML's composer (the C one when libyaml is present) gives nodes with marks; we walk them once
to build plain Python data and a map from each node's pointer to its line and column. Aliases,
nesting depth and expansion are capped so hostile input fails fast instead of eating memory.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import yaml

try:  # pragma: no branch - libyaml is present in every supported wheel of PyYAML
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Pointer = tuple[str | int, ...]

#: Flow nesting above this depth crashes libyaml's recursive composer, so we refuse it first.
MAX_DEPTH = 400
#: Recursion the builder needs to reach MAX_DEPTH (three frames per level) from a deep caller.
_BUILD_RECURSION = 3 * MAX_DEPTH + 1000
#: Lines indented further than this are treated as a nesting attack.
MAX_INDENT = 2000
#: Minimum node budget per document; larger files get proportionally more (alias bombs do not).
MIN_NODE_BUDGET = 200_000

_DOC_START = re.compile(r"^---(?=[ \t]|$)|^\.\.\.(?=[ \t]|$)", re.MULTILINE)
_DEEP_INDENT = re.compile(rf"^[ \t]{{{MAX_INDENT}}}", re.MULTILINE)
_BRACKETS = re.compile(r"[\[\]{}]")

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_constructor = yaml.constructor.SafeConstructor()


@dataclass(frozen=True, slots=True)
class Position:
    """1-based line and column of a node (for a mapping entry: of its key)."""

    line: int
    column: int


@dataclass(slots=True)
class YamlDocument:
    """One YAML document: its data, the position of each node, where it starts and ends."""

    data: Any
    positions: dict[Pointer, Position]
    #: Position of a mapping entry's value or a scalar's content, when it differs from the key.
    value_positions: dict[Pointer, tuple[Position, str]]
    start_line: int
    end_line: int


@dataclass(frozen=True, slots=True)
class YamlError:
    """A document that could not be parsed: the line (1-based) and the reason."""

    line: int
    column: int
    reason: str


class _TooLarge(Exception):
    def __init__(self, reason: str, line: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def split_documents(text: str) -> list[tuple[int, str]]:
    """Split a YAML stream at `---`/`...` lines, so one broken document spares the others.

    Returns (0-based line offset, chunk) pairs. A chunk keeps its `---` line so that content on
    the marker line (`--- !tag`, `--- |`) still parses with the right positions.
    """
    starts = [m.start() for m in _DOC_START.finditer(text)]
    if not starts:
        return [(0, text)]
    chunks: list[tuple[int, str]] = []
    bounds = [0, *starts, len(text)]
    line = 0
    for begin, end in pairwise(bounds):
        chunk = text[begin:end]
        if chunk.startswith("..."):
            chunk = " " * 3 + chunk[3:]  # an end marker closes the previous document
        if chunk.strip() and chunk.strip() != "---":
            chunks.append((line, chunk))
        line += chunk.count("\n")
    return chunks


def _check_nesting(chunk: str, offset: int) -> YamlError | None:
    deep = _DEEP_INDENT.search(chunk)
    if deep:
        line = chunk.count("\n", 0, deep.start()) + offset + 1
        return YamlError(line, 1, f"indentation deeper than {MAX_INDENT} columns")
    if chunk.count("[") + chunk.count("{") <= MAX_DEPTH:
        return None
    depth = 0
    for match in _BRACKETS.finditer(chunk):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            line = chunk.count("\n", 0, match.start()) + offset + 1
            return YamlError(line, 1, f"flow collections nested deeper than {MAX_DEPTH}")
    return None


def parse_yaml_stream(text: str) -> Iterator[YamlDocument | YamlError]:
    """Yield each document of a YAML stream, or the error that stopped it, in order."""
    budget = max(MIN_NODE_BUDGET, len(text) // 2)
    for offset, chunk in split_documents(text):
        problem = _check_nesting(chunk, offset)
        if problem:
            yield problem
            continue
        try:
            node = yaml.compose(chunk, Loader=_Loader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, column = _where(mark, chunk, offset) if mark else (offset + 1, 1)
            last = offset + chunk.count("\n") + 1
            if line > last:  # libyaml marks an unexpected end one line past a text without a final newline
                line, column = last, len(chunk.rsplit("\n", 1)[-1]) + 1
            reason = " ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
            yield YamlError(line, column, reason)
            continue
        except (yaml.YAMLError, ValueError, RecursionError) as exc:
            yield YamlError(offset + 1, 1, str(exc).splitlines()[0] if str(exc) else "invalid YAML")
            continue
        if node is None:
            continue
        if "*" in chunk and _expanded_size(node, budget) > budget:
            line = _where(node.start_mark, chunk, offset)[0]
            yield YamlError(line, 1, "document expands to too many nodes through aliases (alias bomb?)")
            continue
        builder = _Builder(offset, budget, _Lines(chunk) if _ODD_BREAKS.search(chunk) else None)
        limit = sys.getrecursionlimit()
        if limit < _BUILD_RECURSION:  # three frames per level: let MAX_DEPTH, not Python, stop deep input
            sys.setrecursionlimit(_BUILD_RECURSION)
        try:
            data = builder.build(node, ())
        except _TooLarge as exc:
            yield YamlError(exc.line, 1, exc.reason)
            continue
        except RecursionError:
            yield YamlError(_where(node.start_mark, chunk, offset)[0], 1, f"document nested deeper than {MAX_DEPTH}")
            continue
        finally:
            sys.setrecursionlimit(limit)
        yield YamlDocument(
            data=data,
            positions=builder.positions,
            value_positions=builder.value_positions,
            start_line=_where(node.start_mark, chunk, offset)[0],
            end_line=_where(node.end_mark, chunk, offset)[0],
        )


#: Line breaks for YAML (and libyaml's marks) that editors and SARIF viewers do not count as lines.
_ODD_BREAKS = re.compile("[\x85\u2028\u2029]")


class _Lines:
    """Line and column of a character index counted by `\n` only, for text where YAML counts more
    breaks (a U+2028 inside a quoted string would otherwise shift every later line)."""

    __slots__ = ("starts",)

    def __init__(self, text: str) -> None:
        self.starts = [0, *(match.end() for match in re.finditer("\n", text))]

    def at(self, index: int) -> tuple[int, int]:
        """0-based line and column of `index`."""
        line = bisect_right(self.starts, index) - 1
        return line, index - self.starts[line]


def _where(mark: Any, chunk: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a mark, counting `\n` line breaks only."""
    if _ODD_BREAKS.search(chunk):
        line, column = _Lines(chunk).at(min(mark.index, len(chunk)))
    else:
        line, column = mark.line, mark.column
    return line + 1 + offset, column + 1


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """Node count once aliases are expanded, computed over unique nodes (memoised), stopping past `limit`."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        children = (
            [child for pair in node.value for child in pair] if isinstance(node, yaml.MappingNode) else list(node.value)
        )
        if children_done:
            total = 1 + sum(sizes.get(id(child), 1) for child in children)
            sizes[key] = total
            if total > limit:
                return total
            continue
        sizes_missing = [child for child in children if id(child) not in sizes]
        if not sizes_missing:
            stack.append((node, True))
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in sizes_missing)
    return sizes.get(id(root), 1)


class _Builder:
    """Turns a composed node tree into plain data, recording positions as it goes."""

    __slots__ = ("budget", "lines", "offset", "positions", "value_positions")

    def __init__(self, offset: int, budget: int, lines: _Lines | None = None) -> None:
        self.offset = offset
        self.budget = budget
        self.lines = lines
        self.positions: dict[Pointer, Position] = {}
        self.value_positions: dict[Pointer, tuple[Position, str]] = {}

    def _pos(self, node: yaml.Node) -> Position:
        mark = node.start_mark
        if self.lines is not None:
            line, column = self.lines.at(mark.index)
            return Position(line + 1 + self.offset, column + 1)
        return Position(mark.line + 1 + self.offset, mark.column + 1)

    def build(self, node: yaml.Node, pointer: Pointer, depth: int = 0) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _TooLarge("document expands to too many nodes (alias bomb?)", self._pos(node).line)
        if depth > MAX_DEPTH:
            raise _TooLarge(f"document nested deeper than {MAX_DEPTH}", self._pos(node).line)
        if pointer not in self.positions:
            self.positions[pointer] = self._pos(node)
        if isinstance(node, yaml.ScalarNode):
            if node.style in ("|", ">"):
                self.value_positions[pointer] = (self._pos(node), node.style)
            return _scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*pointer, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, pointer, depth)
        return None  # pragma: no cover - PyYAML has only these three node types

    def _mapping(self, node: yaml.MappingNode, pointer: Pointer, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.extend(value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node])
                continue
            key = _key(key_node)
            child = (*pointer, key)
            self.positions[child] = self._pos(key_node)
            if isinstance(value_node, yaml.ScalarNode) and value_node.style in ("|", ">"):
                self.value_positions[child] = (self._pos(value_node), value_node.style)
            elif value_node.start_mark.line != key_node.start_mark.line and isinstance(value_node, yaml.ScalarNode):
                self.value_positions[child] = (self._pos(value_node), value_node.style or "")
            result[key] = self._value(value_node, child, depth)
        for source in merged:  # explicit keys win over merged ones; earlier merges win over later
            if not isinstance(source, yaml.MappingNode):
                continue
            for key_node, value_node in source.value:
                key = _key(key_node)
                if key in result or key_node.tag == _MERGE_TAG:
                    continue
                child = (*pointer, key)
                self.positions.setdefault(child, self._pos(key_node))
                result[key] = self._value(value_node, child, depth)
        return result

    def _value(self, node: yaml.Node, pointer: Pointer, depth: int) -> Any:
        if isinstance(node, yaml.ScalarNode):
            self.budget -= 1
            if node.style in ("|", ">"):
                self.value_positions.setdefault(pointer, (self._pos(node), node.style))
            return _scalar(node)
        # Collections: their pointer already holds the key position; children get their own.
        return self.build(node, pointer, depth + 1)


def _key(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        value = _scalar(node)
        if value is True and node.value in ("on", "On", "ON", "yes", "Yes", "YES", "y", "Y"):
            return node.value  # YAML 1.1 booleans as keys: GitHub's `on:` must stay `on`
        return node.value if value is None else str(value) if not isinstance(value, str) else value
    return yaml.serialize(node).strip()  # complex keys are rare; keep a readable form


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    if tag == _STR_TAG:
        return node.value
    construct = _constructor.yaml_constructors.get(tag)
    if construct is None or tag.endswith(("timestamp", "binary", "set", "omap", "pairs")):
        return node.value  # unknown tags (`!Ref`) and timestamps stay text: JSON-friendly
    try:
        return construct(_constructor, node)
    except (ValueError, yaml.YAMLError):
        return node.value
