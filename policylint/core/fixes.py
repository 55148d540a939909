"""Fixes: what a finding's fix is, how it becomes text edits, and how edits are spliced into a file.

A policy declares its fix (`fix:` in its file, see `policy.schema.json`): declarative operations on
the YAML node a view part stands for (`set` a key to a value, `merge` items into a list, `remove` a
key, `replace` a scalar), or the name of a code fix its kind registers (`policylint.kinds.<kind>.fixes`,
with the `fixer` decorator of `policylint.core.kinds`). The engine attaches a `FixPlan` to each
finding: where (file, document, node) and what. Only when a run fixes, diffs or reports fixes is a
plan resolved against the file's text into `Edit`s: character spans of the original text and
their replacement. Nothing is ever re-serialised, so every byte outside the edited spans stays.

Positions come from composing the document again with libyaml (its marks give line and column of
every node's start and end); the load path keeps only key positions and stays as fast as before.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from policylint.core.records import field, record, replace
from policylint.core.yamlnodes import (
    Pointer,
    YamlDocument,
    _Loader,  # libyaml's composer with the memoised tag resolution
    parse_yaml_stream,
    split_documents,
)

if TYPE_CHECKING:
    from policylint.core.findings import Finding

SAFE, UNSAFE = "safe", "unsafe"
APPLICABILITIES = (SAFE, UNSAFE)
#: The applier re-checks changed files and fixes again until nothing more applies, at most this often.
MAX_PASSES = 10


@record(frozen=True, slots=True)
class Edit:
    """Replace the characters `start:end` of a file's (LF-normalised) text by `content`."""

    start: int
    end: int
    content: str


@record(frozen=True, slots=True, eq=False)
class FixPlan:
    """What a finding's fix does and where: resolved into edits against the file's text on demand.

    `pointer` is the document node the operations start from; `doc_line` the 1-based line of the
    document's root node (it tells which document of a stream); `values` what a code fix needs from
    the view (its `fields`, the failing value).
    """

    policy_id: str
    applicability: str
    description: str
    path: str
    file_kind: str
    doc_line: int
    pointer: Pointer
    operations: tuple[Mapping[str, Any], ...] = ()
    code: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    #: Why the fix cannot be applied although the policy has one (shown with the finding).
    blocked: str = ""
    #: Non-empty for a rendered document (a Helm chart, a kustomize overlay): where it came from.
    origin: str = ""
    violation_pointer: Pointer = ()
    #: 1-based line of the node at `pointer` (line-based kinds such as Dockerfiles start there).
    line: int = 0


@record(frozen=True, slots=True)
class Fix:
    """A resolved fix: its edits on one file, or (no edits) the reason it cannot be applied here.

    `ranges` gives each edit's 1-based (line, column, end line, end column) in the file, for reports.
    """

    policy_id: str
    applicability: str
    description: str
    path: str
    edits: tuple[Edit, ...] = ()
    ranges: tuple[tuple[int, int, int, int], ...] = ()
    reason: str = ""

    @property
    def available(self) -> bool:
        """True when there are edits to apply."""
        return bool(self.edits)

    def applicable(self, unsafe: bool) -> bool:
        """True when `--fix` applies it (unsafe ones only with `--unsafe-fixes`)."""
        return bool(self.edits) and (self.applicability == SAFE or unsafe)


class Unfixable(Exception):
    """A fix that cannot be applied here; the message says why (shown, never a crash)."""


# -- text helpers ------------------------------------------------------------------------------


class Text:
    """A file's LF-normalised text with its line starts, for (line, column) <-> offset."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0, *(match.end() for match in re.finditer("\n", text))]

    def offset(self, line: int, column: int) -> int:
        """Offset of a 0-based line and column."""
        if line >= len(self.starts):
            return len(self.text)
        return min(self.starts[line] + column, len(self.text))

    def line_of(self, offset: int) -> int:
        """0-based line of an offset."""
        return bisect_right(self.starts, offset) - 1

    def line_end(self, offset: int) -> int:
        """Offset of the line break ending the line of `offset` (or the text's end)."""
        end = self.text.find("\n", offset)
        return len(self.text) if end < 0 else end

    def line_start(self, offset: int) -> int:
        return self.starts[self.line_of(offset)]

    def indentation(self, offset: int) -> str:
        """The blanks that start the line of `offset`."""
        start = self.line_start(offset)
        line = self.text[start : self.line_end(offset)]
        return line[: len(line) - len(line.lstrip(" "))]


# -- YAML documents with spans -----------------------------------------------------------------


class YamlTarget:
    """One YAML document of a file, composed again with its marks, to navigate by pointer."""

    def __init__(self, source: Text, root: yaml.Node, line_offset: int) -> None:
        self.source = source
        self.root = root
        self.line_offset = line_offset
        self._step: int | None = None
        #: A JSON document (its root a flow collection, its keys double-quoted): insertions are written as JSON.
        self.json = bool(getattr(root, "flow_style", False)) and isinstance(root, yaml.MappingNode) and all(
            isinstance(key, yaml.ScalarNode) and key.style == '"' for key, _ in root.value)

    def flow(self, value: Any) -> str:
        """A value written for a flow collection of this document: JSON in a JSON document."""
        if self.json:
            return json.dumps(value, ensure_ascii=False)
        return flow_text(value)

    def start(self, node: yaml.Node) -> int:
        return self.source.offset(node.start_mark.line + self.line_offset, node.start_mark.column)

    def end(self, node: yaml.Node) -> int:
        return self.source.offset(node.end_mark.line + self.line_offset, node.end_mark.column)

    def within(self, child: yaml.Node, parent: yaml.Node, after: yaml.Node | None = None) -> bool:
        """False when `child` is written elsewhere than inside `parent` (reached through an alias)."""
        begin = self.end(after) if after is not None else self.start(parent)
        return begin <= self.start(child) and self.end(child) <= max(self.end(parent), self.start(child))

    def find(self, pointer: Pointer) -> yaml.Node:
        """The node at `pointer`; Unfixable when a step is missing or reached through an alias or merge key."""
        node = self.root
        for step in pointer:
            node = self.child(node, step)
        return node

    def child(self, node: yaml.Node, step: str | int) -> yaml.Node:
        if isinstance(node, yaml.MappingNode):
            pair = self.pair(node, step)
            if pair is None:
                if any(key.tag == "tag:yaml.org,2002:merge" for key, _ in node.value):
                    raise Unfixable(f"{step!r} comes through a YAML merge key (<<): edit the anchored mapping by hand")
                raise Unfixable(f"no {step!r} in the file")
            key, value = pair
            if not self.within(value, node, key) and not _empty(value):
                raise Unfixable(f"{step!r} is reached through a YAML alias: editing the anchor would change every place that uses it")
            return value
        if isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if not 0 <= step < len(node.value):
                raise Unfixable(f"no item {step} in the file")
            value = node.value[step]
            if not self.within(value, node):
                raise Unfixable(f"item {step} is reached through a YAML alias: editing the anchor would change every place that uses it")
            return value
        raise Unfixable(f"cannot reach {step!r}: the file holds a {_kind_name(node)} there")

    @staticmethod
    def merged_key(node: yaml.MappingNode, step: str | int) -> bool:
        """True when a `<<` merge key of the mapping brings in `step`."""
        for key, value in node.value:
            if key.tag == "tag:yaml.org,2002:merge":
                sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for source in sources:
                    if isinstance(source, yaml.MappingNode) and (
                            YamlTarget.pair(source, step) is not None or YamlTarget.merged_key(source, step)):
                        return True
        return False

    @staticmethod
    def pair(node: yaml.MappingNode, step: str | int) -> tuple[yaml.Node, yaml.Node] | None:
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(step):
                return key, value
        return None

    def last_leaf(self, node: yaml.Node) -> yaml.Node:
        """The node whose text ends a block collection (itself for scalars and flow collections)."""
        while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style and node.value:
            node = node.value[-1][1] if isinstance(node, yaml.MappingNode) else node.value[-1]
        return node

    def check_append_after(self, node: yaml.Node) -> None:
        """Unfixable when text appended after `node` would change it: a block scalar ending the file
        with no line break keeps no final newline, and one would be added."""
        leaf = self.last_leaf(node)
        text = self.source.text
        if isinstance(leaf, yaml.ScalarNode) and leaf.style in ("|", ">") and self.end(leaf) >= len(text) \
                and not text.endswith("\n"):
            raise Unfixable("a block scalar ends the file without a final line break: adding after it would change it")

    def before_trailing_blank_lines(self, scalar: yaml.Node, end: int) -> int:
        """Where a block scalar's text really ends: before the blank lines its end mark includes
        (they are no part of its value unless it keeps them, `|+`), so an entry added after it
        does not land below the blank line that separates it from what follows."""
        text = self.source.text
        header = text[self.start(scalar) : self.source.line_end(self.start(scalar))]
        if "+" in header.split("#", 1)[0]:
            return end
        while end > self.start(scalar):
            previous = self.source.line_start(end - 1)
            if text[previous : end - 1].strip() or previous <= self.start(scalar):
                break
            end = previous
        return end

    def last_end(self, node: yaml.Node) -> int:
        """Where the text of a node really ends: its last leaf for block collections (their own end
        mark lies past trailing comments and blank lines), the key for an empty value. Unfixable
        when the text ends with an alias (`*name`): its end is not known, only its anchor's."""
        while True:
            if isinstance(node, yaml.ScalarNode) or node.flow_style or not node.value:
                return self.end(node)
            if isinstance(node, yaml.MappingNode):
                key, value = node.value[-1]
                if _empty(value):
                    return self.end(key) + 1 if self.source.text[self.end(key) : self.end(key) + 1] == ":" else self.end(key)
                if not self.within(value, node, key):
                    raise Unfixable("the mapping ends with a YAML alias: edit it by hand")
                node = value
            else:
                if not self.within(node.value[-1], node):
                    raise Unfixable("the list ends with a YAML alias: edit it by hand")
                node = node.value[-1]

    def indent_step(self) -> int:
        """The file's indentation width: from the first block mapping nested in a block mapping."""
        if self._step is None:
            self._step = self._indent_step()
        return self._step

    def _indent_step(self) -> int:
        stack = [self.root]
        while stack:
            node = stack.pop()
            if isinstance(node, yaml.MappingNode) and not node.flow_style:
                for key, value in node.value:
                    if isinstance(value, yaml.MappingNode) and not value.flow_style and value.value:
                        step = value.value[0][0].start_mark.column - key.start_mark.column
                        if step > 0:
                            return step
                    stack.append(value)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
        return 2


def _empty(node: yaml.Node) -> bool:
    """A value written as nothing (`key:`): an empty plain scalar."""
    return isinstance(node, yaml.ScalarNode) and node.value == "" and not node.style and node.tag.endswith(":null")


def _kind_name(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "mapping"
    if isinstance(node, yaml.SequenceNode):
        return "list"
    return f"scalar {node.value!r}"


def yaml_document(source: Text, doc_line: int) -> YamlTarget:
    """The document of a YAML stream whose root node starts on `doc_line` (1-based)."""
    if re.search("[\x85\u2028\u2029]", source.text):
        raise Unfixable("the file holds line breaks only YAML counts (U+0085, U+2028, U+2029)")
    chosen: tuple[int, str] | None = None
    for offset, chunk in split_documents(source.text):
        if offset + 1 <= doc_line:
            chosen = (offset, chunk)
    if chosen is None:
        raise Unfixable("document not found in the file")
    offset, chunk = chosen
    try:
        root = yaml.compose(chunk, Loader=_Loader)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise Unfixable(f"the file's document does not parse as YAML here ({str(exc).splitlines()[0]})") from exc
    if root is None:
        raise Unfixable("empty document")
    return YamlTarget(source, root, offset)


# -- rendering values in the file's style --------------------------------------------------------


_FLOW_TEXTS: dict[tuple[str, bool], str] = {}

try:  # pragma: no branch
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]


def flow_text(value: Any, in_flow: bool = True) -> str:
    """A value in YAML flow style, on one line (`true`, `RuntimeDefault`, `[ALL]`, `{type: RuntimeDefault}`),
    written so that it reads back the same where it goes (`in_flow`: inside a flow collection too), else
    single-quoted. Memoised: the same few values are written for thousands of findings."""
    key = (json.dumps(value, sort_keys=False, default=str) + type(value).__name__, in_flow)
    found = _FLOW_TEXTS.get(key)
    if found is None:
        found = _FLOW_TEXTS[key] = _flow_text(value, in_flow)
    return found


def _reads_back(text: str, value: Any) -> bool:
    parsed = next(iter(parse_yaml_stream(text)), None)
    return isinstance(parsed, YamlDocument) and parsed.data == value


def _flow_text(value: Any, in_flow: bool) -> str:
    dumped = yaml.dump(value, Dumper=_Dumper, default_flow_style=True, width=1 << 30, allow_unicode=True,
                       sort_keys=False)
    dumped = dumped.rstrip("\n")
    if dumped.endswith("\n..."):
        dumped = dumped[: -len("\n...")]
    dumped = dumped.strip()
    if isinstance(value, str) and "\n" not in value:
        if not in_flow and dumped.startswith("'") and not value.startswith(("'", '"')) \
                and _reads_back(f"k: {value}", {"k": value}):
            return value  # plain reads back the same in a block mapping (`${{ github.x }}`)
        if not (_reads_back(f"k: {dumped}", {"k": value}) and (not in_flow or _reads_back(f"[{dumped}]", [value]))):
            return "'" + value.replace("'", "''") + "'"
    return dumped


def _nested(steps: Sequence[str | int], value: Any) -> Any:
    for step in reversed(steps):
        value = {step: value}
    return value


def block_entry(key: str, value: Any, indent: str, step: int) -> str:
    """`key: value` as block lines at `indent` (no trailing newline); mappings nest, the rest is flow."""
    if isinstance(value, Mapping) and value:
        lines = [f"{indent}{flow_text(key)}:"]
        for sub_key, sub_value in value.items():
            lines.append(block_entry(sub_key, sub_value, indent + " " * step, step))
        return "\n".join(lines)
    return f"{indent}{flow_text(key)}: {flow_text(value, in_flow=False)}"


def scalar_like(original: yaml.ScalarNode, value: Any) -> str:
    """`value` written as the original scalar was: the same quotes when it was quoted."""
    if isinstance(value, str) and original.style in ("'", '"'):
        if original.style == "'" and "'" not in value and "\n" not in value:
            return f"'{value}'"
        if original.style == '"' and '"' not in value and "\\" not in value and "\n" not in value:
            return f'"{value}"'
    return flow_text(value)


# -- declarative operations --------------------------------------------------------------------


def _steps(path: str | Sequence[str | int] | None) -> list[str | int]:
    if path is None or path == "":
        return []
    if isinstance(path, str):
        return [int(step) if step.isdigit() else step for step in path.strip("/").split("/") if step]
    return list(path)


def _insert_entry(target: YamlTarget, mapping: yaml.MappingNode, key: str, value: Any, before: str = "") -> Edit:
    """An edit adding `key: value` to a mapping, in its style (flow or block, indentation): at its
    end, or just before the key `before` when the block mapping has it (`permissions` before `jobs`)."""
    text = target.source.text
    ahead = target.pair(mapping, before) if before and not mapping.flow_style else None
    if ahead is not None and not text[target.source.line_start(target.start(ahead[0])) : target.start(ahead[0])].strip():
        indent = " " * ahead[0].start_mark.column
        at = target.source.line_start(target.start(ahead[0]))
        while at > 0:  # above the comment lines written just over that key: they belong to it
            previous = target.source.line_start(at - 1)
            line = text[previous : at - 1]
            if not line.startswith(indent + "#") or previous < target.start(mapping):
                break
            at = previous
        return Edit(at, at, block_entry(key, value, indent, target.indent_step()) + "\n")
    if mapping.flow_style:
        close = target.end(mapping) - 1
        if text[close : close + 1] != "}":
            raise Unfixable("flow mapping without its closing brace")
        entry = f"{target.flow(key)}: {target.flow(value)}"
        if not mapping.value:
            return Edit(close, close, entry)
        last_key = mapping.value[-1][0]
        after = target.last_end(mapping.value[-1][1]) if not _empty(mapping.value[-1][1]) else target.end(last_key)
        if target.source.line_of(close) > target.source.line_of(after):  # one entry a line: so is this one
            return Edit(after, after, f",\n{' ' * last_key.start_mark.column}{entry}")
        return Edit(after, after, f", {entry}")
    if not mapping.value:
        raise Unfixable("empty block mapping")
    first_key = mapping.value[0][0]
    indent = " " * first_key.start_mark.column
    last_key, last_value = mapping.value[-1]
    target.check_append_after(last_value)
    end = target.last_end(mapping)  # Unfixable when it ends with an alias
    source = target.source
    entry = block_entry(key, value, indent, target.indent_step())
    if text[end - 1 : end] == "\n":  # a block scalar's end: the start of the next line
        end = target.before_trailing_blank_lines(target.last_leaf(last_value), end)
        return Edit(end, end, entry + "\n")
    line_end = source.line_end(end)
    return Edit(line_end, line_end, "\n" + entry)


def set_path(target: YamlTarget, node: yaml.Node, steps: list[str | int], value: Any, before: str = "") -> list[Edit]:
    """Edits that make `steps` under `node` hold `value`, creating the mappings on the way."""
    for index, step in enumerate(steps):
        if not isinstance(node, yaml.MappingNode):
            if _empty(node):
                raise Unfixable(f"{step!r}'s parent is written empty")
            raise Unfixable(f"cannot set {step!r}: the file holds a {_kind_name(node)} there")
        pair = target.pair(node, step)
        rest = steps[index + 1 :]
        if pair is None:
            if target.merged_key(node, step):
                raise Unfixable(f"{step!r} comes through a YAML merge key (<<): a key written here would replace "
                                "all of it; edit the anchored mapping by hand")
            return [_insert_entry(target, node, str(step), _nested(rest, value), before if index == 0 else "")]
        key, child = pair
        if _empty(child):
            at = target.end(key) + 1  # after the colon
            if not rest:
                return [Edit(at, at, " " + flow_text(value))]
            nested = _nested(rest, value)
            indent = " " * key.start_mark.column
            step_width = target.indent_step()
            lines = "\n".join(block_entry(sub, sub_value, indent + " " * step_width, step_width)
                              for sub, sub_value in nested.items())
            return [Edit(at, at, "\n" + lines)]
        if not target.within(child, node, key):
            raise Unfixable(f"{step!r} is reached through a YAML alias: editing the anchor would change every place that uses it")
        if rest and isinstance(child, yaml.ScalarNode) and child.tag.endswith(":null") and not child.style:
            return [Edit(target.start(child), target.end(child), target.flow(_nested(rest, value)))]  # `null`, `~`
        node = child
    if isinstance(node, yaml.ScalarNode):
        if node.style in ("|", ">"):
            raise Unfixable("the value is a block scalar")
        new = json.dumps(value, ensure_ascii=False) if target.json else scalar_like(node, value)
        return [Edit(target.start(node), target.end(node), new)]
    return [Edit(target.start(node), target.end(node), target.flow(value))] if node.flow_style else _raise(
        f"cannot replace a block {_kind_name(node)} with a value")


def _raise(reason: str) -> list[Edit]:
    raise Unfixable(reason)


def _merge(target: YamlTarget, node: yaml.Node, steps: list[str | int], items: list[Any]) -> list[Edit]:
    """Edits that add the missing `items` to the list at `steps` (created when absent)."""
    try:
        found = _find_from(target, node, steps)
    except _Missing:
        return set_path(target, node, steps, items)
    if _empty(found):
        return set_path(target, node, steps, items)
    if not isinstance(found, yaml.SequenceNode):
        raise Unfixable(f"{'/'.join(map(str, steps))} is a {_kind_name(found)}, not a list")
    present = {item.value for item in found.value if isinstance(item, yaml.ScalarNode)}
    missing = [item for item in items if str(item) not in present]
    if not missing:
        return []
    text = target.source.text
    if found.flow_style:
        close = target.end(found) - 1
        if text[close : close + 1] != "]":
            raise Unfixable("flow list without its closing bracket")
        added = ", ".join(target.flow(item) for item in missing)
        if not found.value:
            return [Edit(close, close, added)]
        return [Edit(target.end(found.value[-1]), target.end(found.value[-1]), ", " + added)]
    first = found.value[0]
    dash = target.source.text.rfind("-", 0, target.start(first))
    indent = " " * (dash - target.source.line_start(dash))
    gap = text[dash + 1 : target.start(first)]
    target.check_append_after(found.value[-1])
    end = target.last_end(found)
    if text[end - 1 : end] == "\n":
        return [Edit(end, end, "".join(f"{indent}-{gap}{flow_text(item)}\n" for item in missing))]
    line_end = target.source.line_end(end)
    lines = "".join(f"\n{indent}-{gap}{flow_text(item)}" for item in missing)
    return [Edit(line_end, line_end, lines)]


class _Missing(Unfixable):
    """A step that is not in the file (`merge` creates the list; elsewhere: nothing to change)."""

    def __init__(self) -> None:
        super().__init__("not in the file")


def _find_from(target: YamlTarget, node: yaml.Node, steps: list[str | int]) -> yaml.Node:
    for step in steps:
        if isinstance(node, yaml.MappingNode) and target.pair(node, step) is None:
            raise _Missing
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null") and not node.style:
            raise _Missing  # `key:` or `key: null` on the way: `set` writes the rest
        node = target.child(node, step)
    return node


def _remove_node(target: YamlTarget, pointer: Pointer) -> list[Edit]:
    """Remove the mapping entry at `pointer`; its parent's entry instead when it is the only one."""
    if not pointer or not isinstance(pointer[-1], str):
        raise Unfixable("only a mapping entry can be removed")
    parent = target.find(pointer[:-1])
    if isinstance(parent, yaml.MappingNode) and len(parent.value) == 1 and len(pointer) > 1 \
            and isinstance(pointer[-2], str):
        return _remove(target, target.find(pointer[:-2]), [pointer[-2]])
    return _remove(target, parent, [pointer[-1]])


def _remove(target: YamlTarget, node: yaml.Node, steps: list[str | int]) -> list[Edit]:
    """An edit removing the key at `steps` (its whole lines in a block mapping)."""
    if not steps:
        raise Unfixable("nothing to remove")
    parent = _find_from(target, node, steps[:-1]) if steps[:-1] else node
    if not isinstance(parent, yaml.MappingNode):
        raise Unfixable("the parent is not a mapping")
    pair = target.pair(parent, steps[-1])
    if pair is None:
        return []
    key, value = pair
    source = target.source
    text = source.text
    start = target.start(key)
    if not _empty(value) and not target.within(value, parent, key):
        raise Unfixable(f"{steps[-1]!r} holds a YAML alias: remove it by hand")
    end = target.last_end(value) if not _empty(value) else target.end(key) + 1
    if parent.flow_style:
        index = parent.value.index(pair)
        if index + 1 < len(parent.value):
            return [Edit(start, target.start(parent.value[index + 1][0]), "")]
        if index > 0:
            previous_end = target.last_end(parent.value[index - 1][1])
            return [Edit(previous_end, end, "")]
        return [Edit(start, end, "")]
    if text[source.line_start(start) : start].strip():
        raise Unfixable(f"{steps[-1]!r} shares its line with other text (`- {steps[-1]}:`): remove it by hand")
    if len(parent.value) == 1:
        raise Unfixable(f"{steps[-1]!r} is the only key of its mapping")
    if text[end - 1 : end] == "\n":  # a block scalar ends at the start of the next line
        stop = end
    else:
        stop = source.line_end(end)
        stop = stop + 1 if stop < len(text) else stop
    begin = source.line_start(start)
    if stop == len(text) and not text.endswith("\n") and begin > 0:
        begin -= 1  # the last line, with no final newline: take the break before it instead
    return [Edit(begin, stop, "")]


def replace_value(target: YamlTarget, node: yaml.Node, steps: list[str | int], operation: Mapping[str, Any]) -> list[Edit]:
    found = _find_from(target, node, steps) if steps else node
    if not isinstance(found, yaml.ScalarNode) or found.style in ("|", ">"):
        raise Unfixable("the value to replace is not a one-line scalar")
    current = found.value
    if "map" in operation:
        mapping = operation["map"]
        if current not in mapping:
            raise Unfixable(f"no replacement known for {current!r}")
        new = mapping[current]
    elif "pattern" in operation:
        new = re.sub(operation["pattern"], operation.get("replacement", ""), current)
    else:
        new = operation["value"]
    if new == current:
        return []
    return [Edit(target.start(found), target.end(found), scalar_like(found, new))]


def declarative_edits(target: YamlTarget, start: yaml.Node, operations: Iterable[Mapping[str, Any]],
                      pointer: Pointer = ()) -> list[Edit]:
    """The edits of a policy's declarative operations, from `start` (the node the fix is `at`, found
    at `pointer`). `remove: ""` removes that node itself from its mapping (and the mapping's key
    too when it was its only entry: `env:` left empty would be null)."""
    edits: list[Edit] = []
    for operation in operations:
        if "set" in operation:
            edits.extend(set_path(target, start, _steps(operation["set"]), operation["value"], operation.get("before", "")))
        elif "merge" in operation:
            items = operation["value"] if isinstance(operation["value"], list) else [operation["value"]]
            edits.extend(_merge(target, start, _steps(operation["merge"]), items))
        elif "remove" in operation and not _steps(operation["remove"]):
            edits.extend(_remove_node(target, pointer))
        elif "remove" in operation:
            edits.extend(_remove(target, start, _steps(operation["remove"])))
        elif "replace" in operation:
            edits.extend(replace_value(target, start, _steps(operation["replace"]), operation))
    return edits


# -- resolving a plan ----------------------------------------------------------------------------


@record(slots=True, eq=False)
class FixContext:
    """What a code fix gets: the plan and the file's text, and the YAML document when it needs one."""

    plan: FixPlan
    source: Text
    _yaml: YamlTarget | None = None
    #: Documents already composed in this run, by (path, document line): many findings, one compose.
    cache: dict[Any, Any] | None = None

    @property
    def yaml(self) -> YamlTarget:
        if self._yaml is None:
            key = (self.plan.path, self.plan.doc_line, id(self.source))
            found = self.cache.get(key) if self.cache is not None else None
            if found is None:
                try:
                    found = yaml_document(self.source, self.plan.doc_line)
                except Unfixable as exc:
                    found = exc
                if self.cache is not None:
                    self.cache[key] = found
            if isinstance(found, Unfixable):
                raise Unfixable(str(found))
            self._yaml = found
        return self._yaml

    def node(self) -> yaml.Node:
        """The node the plan points at (Unfixable through an alias or when missing)."""
        return self.yaml.find(self.plan.pointer)


CodeFix = Callable[[FixContext], list[Edit]]


def resolve(plan: FixPlan, text: str | Text, cache: dict[Any, Any] | None = None) -> Fix:
    """The edits of a plan on the file's text; Unfixable (with the reason) when there are none to make."""
    if plan.blocked:
        raise Unfixable(plan.blocked)
    source = text if isinstance(text, Text) else Text(text)
    context = FixContext(plan, source, cache=cache)
    if plan.origin.startswith("helm"):
        _literal_helm_document(context)
    if plan.origin.startswith("kustomize"):
        _check_source_has_node(context)
    if plan.code:
        from policylint.core.kinds import get_fixer

        function = get_fixer(plan.file_kind, plan.code)
        if function is None:
            raise Unfixable(f"unknown code fix {plan.code!r}")
        edits = function(context)
    else:
        edits = declarative_edits(context.yaml, context.node(), plan.operations, plan.pointer)
    edits = _ordered(edits)
    if not edits:
        raise Unfixable("nothing to change in the file")
    ranges = tuple((source.line_of(edit.start) + 1, edit.start - source.line_start(edit.start) + 1,
                    source.line_of(edit.end) + 1, edit.end - source.line_start(edit.end) + 1) for edit in edits)
    return Fix(plan.policy_id, plan.applicability, plan.description, plan.path, tuple(edits), ranges)


def resolve_or_reason(plan: FixPlan, text: str | Text, cache: dict[Any, Any] | None = None) -> Fix:
    """`resolve`, with an unfixable plan as a Fix without edits that says why."""
    try:
        return resolve(plan, text, cache)
    except Unfixable as exc:
        return Fix(plan.policy_id, plan.applicability, plan.description, plan.path, reason=str(exc))
    except Exception as exc:  # a fix's bug must leave the file alone, never crash the run
        reason = f"internal error in the fix: {type(exc).__name__}: {exc}"
        return Fix(plan.policy_id, plan.applicability, plan.description, plan.path, reason=reason)


def _literal_helm_document(context: FixContext) -> None:
    """A Helm template is edited only where its document is plain YAML (every key written literally)."""
    try:
        target = context.yaml
    except Unfixable as exc:
        raise Unfixable("Helm template: the key is not written literally in the template (it does not parse as YAML "
                        "there); change the template or its values by hand") from exc
    start, end = target.start(target.root), target.end(target.root)
    if "{{" in context.source.text[context.source.line_start(start) : end]:
        raise Unfixable("Helm template: the key is not written literally in the template; change the template or its values")


def _check_source_has_node(context: FixContext) -> None:
    """A kustomize-rendered finding is fixed in its source file only when the node exists there."""
    try:
        context.node()
    except Unfixable as exc:
        raise Unfixable(f"rendered by kustomize and not found in its source file ({exc})") from exc


def _ordered(edits: list[Edit]) -> list[Edit]:
    unique = sorted(set(edits), key=lambda edit: (edit.start, edit.end, edit.content))
    return unique


# -- applying ------------------------------------------------------------------------------------


def overlaps(first: Sequence[Edit], second: Sequence[Edit]) -> bool:
    """True when two fixes touch the same characters (or insert at the same place)."""
    for a in first:
        for b in second:
            if a.start < b.end and b.start < a.end:
                return True
            if a.start == b.start or (a.start == a.end and b.start < a.start < b.end) or (
                    b.start == b.end and a.start < b.start < a.end):
                return True
    return False


def choose(fixes: Iterable[Fix]) -> list[Fix]:
    """The fixes to apply together: each that overlaps no fix chosen before it (first wins, the rest
    wait for the next pass); a fix identical to a chosen one (the same finding seen twice, a file
    rendered by two overlays) comes along."""
    chosen: list[Fix] = []
    kept: list[tuple[Edit, ...]] = []
    for fix in fixes:
        if fix.edits in kept:
            chosen.append(fix)
        elif not any(overlaps(fix.edits, edits) for edits in kept):
            kept.append(fix.edits)
            chosen.append(fix)
    return chosen


def splice(text: str, edits: Iterable[Edit]) -> str:
    """`text` with the edits made (they must not overlap)."""
    for edit in sorted(set(edits), key=lambda edit: (edit.start, edit.end), reverse=True):
        text = text[: edit.start] + edit.content + text[edit.end :]
    return text


def on_raw_text(raw: str, edits: Iterable[Edit]) -> list[Edit]:
    """The edits (made on the LF-normalised text the loaders read) moved onto the file's own text:
    offsets shifted past each CRLF, and inserted line breaks written as the file writes them."""
    crlf = [match.start() for match in re.finditer("\r\n", raw)]
    normalised = [position - number for number, position in enumerate(crlf)]
    newline = "\r\n" if crlf else "\r" if "\r" in raw else "\n"

    def moved(offset: int) -> int:
        return offset + bisect_right(normalised, offset - 1)

    return [Edit(moved(edit.start), moved(edit.end), edit.content.replace("\n", newline)) for edit in edits]


# -- resolving findings' plans ------------------------------------------------------------------

_BOM = "\ufeff"


def raw_text(path: str, overlay: dict[str, bytes]) -> str | None:
    """The file's text as written (BOM and CR kept), or None when it cannot be read as UTF-8."""
    try:
        data = overlay[path] if path in overlay else Path(path).read_bytes()
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def normalised(raw: str) -> str:
    """What the loaders read (policylint.core.loading.decode): no BOM, LF line breaks."""
    text = raw[1:] if raw.startswith(_BOM) else raw
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


class Resolver:
    """Resolves findings' fix plans into fixes (edits, or why a fix cannot be applied), reading each
    file once while its findings come: only the last few files' texts and composed documents are
    kept, so findings in path order (a unit's, a store's) never hold every file."""

    def __init__(self, overlay: dict[str, bytes] | None = None) -> None:
        self.overlay = overlay or {}
        self.texts: dict[str, Text | None] = {}
        self.cache: dict[object, object] = {}  # each document composed once, however many findings it has

    def __call__(self, finding: Finding) -> Finding:
        """`finding` with its fix resolved (unchanged when it has no plan, or was resolved already)."""
        plan = finding.fix
        if not isinstance(plan, FixPlan):
            return finding
        if plan.path not in self.texts:
            if len(self.texts) > 8:  # an earlier file's findings are done (path order)
                self.texts.clear()
                self.cache.clear()
            raw = raw_text(plan.path, self.overlay)
            self.texts[plan.path] = Text(normalised(raw)) if raw is not None else None
        text = self.texts[plan.path]
        if text is None:
            fix = Fix(plan.policy_id, plan.applicability, plan.description, plan.path, reason="cannot read the file")
        else:
            fix = resolve_or_reason(plan, text, self.cache)
        return replace(finding, fix=fix)
