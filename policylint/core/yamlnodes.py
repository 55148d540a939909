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
from itertools import pairwise
from typing import Any

import yaml

from policylint.core.records import record

try:  # pragma: no branch - libyaml is present in every supported wheel of PyYAML
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

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
#: Characters after which a node (so an alias, `*name`) may start.
_NODE_START_AFTER = frozenset("[{,:")
#: Characters that cannot follow the `*` of an alias.
_NOT_ALIAS_NAME = frozenset("[]{},")
#: Plain scalars resolved so far (value -> tag); bounded so a huge file cannot grow it without end.
_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_TAGS_MAX = 100_000


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """libyaml's composer with PyYAML's own tag resolution, memoised.

    libyaml calls the Python `resolve` once per node; on real files that call (regular expressions
    tried on every scalar) costs about a third of composing. The tag depends only on the node kind,
    the text and whether it was plain, so the answer is looked up instead of recomputed: the same
    tags, so the same values (a differential test over every fixture pins that).
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_PLAIN_TAGS) >= _PLAIN_TAGS_MAX:
                    _PLAIN_TAGS.clear()
                _PLAIN_TAGS[value] = tag
            return tag
        # Without path resolvers (SafeLoader has none) the rest get their kind's default tag.
        return _DEFAULT_TAGS[kind]

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """Path resolvers only (SafeLoader has none): nothing to track."""

    def ascend_resolver(self) -> None:
        """Path resolvers only (SafeLoader has none): nothing to track."""


_DEFAULT_TAGS = {
    yaml.ScalarNode: _BaseLoader.DEFAULT_SCALAR_TAG,
    yaml.SequenceNode: _BaseLoader.DEFAULT_SEQUENCE_TAG,
    yaml.MappingNode: _BaseLoader.DEFAULT_MAPPING_TAG,
}


@record(frozen=True, slots=True)
class Position:
    """1-based line and column of a node (for a mapping entry: of its key)."""

    line: int
    column: int


@record(slots=True)
class YamlDocument:
    """One YAML document: its data, the position of each node, where it starts and ends."""

    data: Any
    positions: dict[Pointer, Position]
    #: Position of a mapping entry's value or a scalar's content, when it differs from the key.
    value_positions: dict[Pointer, tuple[Position, str]]
    start_line: int
    end_line: int


@record(frozen=True, slots=True)
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
    # substring tests first: the multi-line pattern tried at every position costs more
    starts = [m.start() for m in _DOC_START.finditer(text)] if "---" in text or "..." in text else []
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


def _may_hold_alias(chunk: str) -> bool:
    """False when the text cannot hold an alias, so expanding aliases cannot grow the document.

    An alias needs a `*name` and an `&name` anchor, each where a node may start. Errs towards True
    (a `*` in a plain scalar such as `*int32` in a description, `&&` in a script, also count); a
    regular expression for the same test cost more than composing small files.
    """
    return _may_start_node(chunk, "*") and _may_start_node(chunk, "&")


def _may_start_node(chunk: str, indicator: str) -> bool:
    """True when `indicator` (`*` or `&`) occurs where a node may start, followed by a name character."""
    at = chunk.find(indicator)
    last = len(chunk) - 1
    while 0 <= at < last:
        before, after = chunk[at - 1] if at else " ", chunk[at + 1]
        if (before.isspace() or before in _NODE_START_AFTER) and not after.isspace() and after not in _NOT_ALIAS_NAME:
            return True
        at = chunk.find(indicator, at + 1)
    return False


def _has_odd_breaks(text: str) -> bool:
    """True when the text holds a line break that only YAML counts (see `_Lines`)."""
    return "\x85" in text or "\u2028" in text or "\u2029" in text


def _check_nesting(chunk: str, offset: int) -> YamlError | None:
    # `_DEEP_INDENT` needs MAX_INDENT blanks in a row: without a tab, that many spaces (a fast substring test)
    may_be_deep = len(chunk) > MAX_INDENT and ("\t" in chunk or " " * MAX_INDENT in chunk)
    deep = _DEEP_INDENT.search(chunk) if may_be_deep else None
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
    swap_budget = [_SWAP_BUDGET + _SWAP_BUDGET_PER_CHAR * len(text)]  # shared by the documents, spent by _compose
    for offset, chunk in split_documents(text):
        problem = _check_nesting(chunk, offset)
        if problem:
            yield problem
            continue
        try:
            node = _compose(chunk, swap_budget)
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
        lines = _Lines(chunk) if _has_odd_breaks(chunk) else None
        if _may_hold_alias(chunk) and _expanded_size(node, budget) > budget:
            line = _where(node.start_mark, chunk, offset, lines)[0]
            yield YamlError(line, 1, "document expands to too many nodes through aliases (alias bomb?)")
            continue
        builder = _Builder(offset, budget, lines)
        limit = sys.getrecursionlimit()
        if limit < _BUILD_RECURSION:  # three frames per level: let MAX_DEPTH, not Python, stop deep input
            sys.setrecursionlimit(_BUILD_RECURSION)
        try:
            data = builder.build(node, ())
        except _TooLarge as exc:
            yield YamlError(exc.line, 1, exc.reason)
            continue
        except RecursionError:
            line = _where(node.start_mark, chunk, offset, lines)[0]
            yield YamlError(line, 1, f"document nested deeper than {MAX_DEPTH}")
            continue
        finally:
            sys.setrecursionlimit(limit)
        yield YamlDocument(
            data=data,
            positions=builder.positions,
            value_positions=builder.value_positions,
            start_line=_where(node.start_mark, chunk, offset, lines)[0],
            end_line=_where(node.end_mark, chunk, offset, lines)[0],
        )


def _compose(chunk: str, swap_budget: list[int]) -> yaml.Node | None:
    """libyaml's node tree of one document; where it refuses only what go-yaml accepts, go-yaml's reading."""
    try:
        return yaml.compose(chunk, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        if exc.problem == _REFUSED_COLON and exc.context == _IN_PLAIN_SCALAR:
            node = _compose_with_go_yaml_colons(chunk, exc, swap_budget)
            if node is not None:
                return node
        raise


_REFUSED_COLON = "found unexpected ':'"
_IN_PLAIN_SCALAR = "while scanning a plain scalar"
#: What go-yaml lets end a plain scalar just after a `:` in a flow collection (libyaml refuses them).
_FLOW_END_AFTER_COLON = frozenset(",[]{}")
#: Characters libyaml reads as plain text; a colon it refuses is swapped for one the chunk lacks.
_STAND_INS = ("\ue000", "\ue001", "\ue002", "\ue003")
#: Work allowed per stream while swapping colons, in characters libyaml reads up to each refusal
#: plus a share for copying the text: this much plus two reads of the whole stream, so a flood of
#: such colons costs a few times a normal read instead of growing quadratically.
_SWAP_BUDGET = 1_000_000
_SWAP_BUDGET_PER_CHAR = 2


def _compose_with_go_yaml_colons(chunk: str, error: yaml.MarkedYAMLError, budget: list[int]) -> yaml.Node | None:
    """Compose a chunk as go-yaml (so Kubernetes) does where libyaml refuses a colon, or None.

    Inside a plain scalar in a flow collection, go-yaml ends the scalar at a `:` followed by a blank,
    or at `,?[]{}`; any other `:` is text. libyaml ends it at the same `:` and at `,[]{}`, but
    refuses a `:` followed by one of `,?[]{}` ("found unexpected ':'"), so `[1.2.3.4, 2001:db8::]`
    fails. For `,[]{}` after the colon go-yaml keeps the colon as the scalar's last character; that
    one difference is taken over here (after `?` go-yaml fails too, so that stays an error).
    Each refused colon is swapped for a stand-in of the same length (every mark stays exact), the
    chunk recomposed by libyaml, and the colon put back in the plain scalars. Such a scalar ends
    in `:` either way, which no YAML 1.1 tag but `str` matches, so its tag is the same too.
    """
    stand_in = next((char for char in _STAND_INS if char not in chunk), None)
    if stand_in is None:
        return None
    bom = 1 if chunk.startswith("\ufeff") else 0  # libyaml's marks do not count a leading BOM
    text = chunk
    while error.problem == _REFUSED_COLON and error.context == _IN_PLAIN_SCALAR and error.problem_mark is not None:
        at = error.problem_mark.index + bom
        budget[0] -= at + len(text) // 16
        if budget[0] < 0 or text[at : at + 1] != ":" or text[at + 1 : at + 2] not in _FLOW_END_AFTER_COLON:
            return None
        text = text[:at] + stand_in + text[at + 1 :]
        try:
            node = yaml.compose(text, Loader=_Loader)
        except yaml.MarkedYAMLError as exc:
            error = exc
            continue
        except (yaml.YAMLError, ValueError, RecursionError):
            return None
        if node is not None:
            _put_colons_back(node, stand_in)
        return node
    return None


def _put_colons_back(root: yaml.Node, stand_in: str) -> None:
    """Turn the stand-in back into `:` in every plain scalar (only swaps put it there: quoted text may hold it through an escape)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if not node.style and stand_in in node.value:
                node.value = node.value.replace(stand_in, ":")
        elif isinstance(node, yaml.MappingNode):
            stack.extend(child for pair in node.value for child in pair)
        else:
            stack.extend(node.value)


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


def _where(mark: Any, chunk: str, offset: int, lines: _Lines | None = None) -> tuple[int, int]:
    """1-based (line, column) of a mark, counting `\n` line breaks only (`lines`: the chunk's, when it has odd breaks)."""
    if lines is None and _has_odd_breaks(chunk):
        lines = _Lines(chunk)
    if lines is not None:
        line, column = lines.at(min(mark.index, len(chunk)))
    else:
        line, column = mark.line, mark.column
    return line + 1 + offset, column + 1


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """Node count once aliases are expanded, computed over unique nodes (memoised), stopping past `limit`.

    An alias inside its own anchor (`&a [x, *a]`, which libyaml composes into a cycle and go-yaml
    refuses) expands without end: it counts as past `limit`.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # expanded, children not yet summed: the path from the root
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
            open_nodes.discard(key)
            total = 1 + sum(sizes.get(id(child), 1) for child in children)
            sizes[key] = total
            if total > limit:
                return total
            continue
        sizes_missing = [child for child in children if id(child) not in sizes]
        if not sizes_missing:
            stack.append((node, True))
            continue
        open_nodes.add(key)
        if any(id(child) in open_nodes for child in sizes_missing):
            return limit + 1
        stack.append((node, True))
        stack.extend((child, False) for child in sizes_missing)
    return sizes.get(id(root), 1)


#: Positions are immutable, so one object serves every node at the same line and column (of any
#: file): fewer objects to make and to keep on large sets. Bounded like the tag memo.
_SHARED_POSITIONS: dict[int, Position] = {}
_SHARED_POSITIONS_MAX = 1_000_000


def _shared_position(line: int, column: int) -> Position:
    code = (line << 32) | column
    found = _SHARED_POSITIONS.get(code)
    if found is None:
        found = Position(line, column)
        if len(_SHARED_POSITIONS) < _SHARED_POSITIONS_MAX:
            _SHARED_POSITIONS[code] = found
    return found


#: Pointers are tuples, and the same ones recur in every file of a kind (`spec.template.spec...`):
#: one shared tuple per distinct pointer keeps large sets small (760k pointers, 169k distinct, on
#: 8,000 real files: about 90 MiB). Bounded: past the limit the table starts afresh.
_SHARED_POINTERS: dict[Pointer, Pointer] = {}
_SHARED_POINTERS_MAX = 1_000_000


def _shared_pointer(pointer: Pointer) -> Pointer:
    found = _SHARED_POINTERS.get(pointer)
    if found is None:
        if len(_SHARED_POINTERS) >= _SHARED_POINTERS_MAX:
            _SHARED_POINTERS.clear()
        found = _SHARED_POINTERS[pointer] = pointer
    return found


def release_shared() -> None:
    """Forget the shared positions and pointers: a run that loads a unit at a time calls it when a
    unit's documents are dropped, so the tables hold one unit's (up to 2 x 1,000,000 entries, about
    200 MiB, would otherwise outlive every unit)."""
    _SHARED_POSITIONS.clear()
    _SHARED_POINTERS.clear()


#: Mapping keys repeat in every file of a kind (`metadata`, `containers`, `image`): one string per
#: distinct key instead of one per occurrence (about 20 MiB on 8,000 real files).
_intern = sys.intern
_ScalarNode = yaml.ScalarNode
_SequenceNode = yaml.SequenceNode
_MappingNode = yaml.MappingNode
_BLOCK_STYLES = ("|", ">")


class _Builder:
    """Turns a composed node tree into plain data, recording positions as it goes.

    The hot paths (a plain-text key, a scalar value) are written out inline: this walk visits every
    node of every file, and a call per node cost as much as composing it.
    """

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
            return _shared_position(line + 1 + self.offset, column + 1)
        return _shared_position(mark.line + 1 + self.offset, mark.column + 1)

    def build(self, node: yaml.Node, pointer: Pointer, depth: int = 0) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _TooLarge("document expands to too many nodes (alias bomb?)", self._pos(node).line)
        if depth > MAX_DEPTH:
            raise _TooLarge(f"document nested deeper than {MAX_DEPTH}", self._pos(node).line)
        if pointer not in self.positions:
            self.positions[pointer] = self._pos(node)
        cls = type(node)
        if cls is _ScalarNode:
            if node.style in _BLOCK_STYLES:
                self.value_positions[pointer] = (self._pos(node), node.style)
            return node.value if node.tag == _STR_TAG else _scalar(node)
        if cls is _SequenceNode:
            return [self.build(item, _shared_pointer((*pointer, i)), depth + 1) for i, item in enumerate(node.value)]
        if cls is _MappingNode:
            return self._mapping(node, pointer, depth)
        return None  # pragma: no cover - PyYAML has only these three node types

    def _mapping(self, node: yaml.MappingNode, pointer: Pointer, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[yaml.Node] = []
        positions = self.positions
        value_positions = self.value_positions
        offset = self.offset + 1
        plain_lines = self.lines is None
        shared = _SHARED_POINTERS
        for key_node, value_node in node.value:
            key_tag = key_node.tag
            if key_tag == _MERGE_TAG:
                merged.extend(value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node])
                continue
            key = _intern(key_node.value) if key_tag == _STR_TAG and type(key_node) is _ScalarNode else _key(key_node)
            child = (*pointer, key)
            child = shared.get(child) or _shared_pointer(child)
            key_mark = key_node.start_mark
            positions[child] = (
                _shared_position(key_mark.line + offset, key_mark.column + 1) if plain_lines else self._pos(key_node)
            )
            if type(value_node) is _ScalarNode:
                style = value_node.style
                if style in _BLOCK_STYLES or value_node.start_mark.line != key_mark.line:
                    value_positions[child] = (self._pos(value_node), style or "")
                self.budget -= 1
                result[key] = value_node.value if value_node.tag == _STR_TAG else _scalar(value_node)
            else:
                # Collections: their pointer already holds the key position; children get their own.
                result[key] = self.build(value_node, child, depth + 1)
        for source in merged:  # explicit keys win over merged ones; earlier merges win over later
            if not isinstance(source, yaml.MappingNode):
                continue
            for key_node, value_node in source.value:
                key = _key(key_node)
                if key in result or key_node.tag == _MERGE_TAG:
                    continue
                child = (*pointer, key)
                positions.setdefault(child, self._pos(key_node))
                result[key] = self._value(value_node, child, depth)
        return result

    def _value(self, node: yaml.Node, pointer: Pointer, depth: int) -> Any:
        if isinstance(node, yaml.ScalarNode):
            self.budget -= 1
            if node.style in _BLOCK_STYLES:
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
