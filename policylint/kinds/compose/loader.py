"""docker-compose files: each YAML document that is a mapping, with positions.

Anchors, aliases and merge keys (`<<: *default`) are resolved by `yamlnodes` (a merged key keeps
the line where the anchor defines it). Compose reads YAML 1.2, PyYAML reads 1.1: the one
difference that changes meaning here is sexagesimal numbers, so an unquoted `- 22:22` port (1342
in YAML 1.1) is put back to the text as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policylint.core.documents import Document, LoadResult, ParseFailure
from policylint.core.yamlnodes import Pointer, YamlError, parse_yaml_stream

_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+")


def load(path: str, text: str) -> LoadResult:
    """Every mapping document of the file; a document of another shape is a parse-error."""
    result = LoadResult()
    lines = text.split("\n")
    for index, item in enumerate(parse_yaml_stream(text)):
        if isinstance(item, YamlError):
            result.failures.append(ParseFailure(path, "compose", item.line, item.column, item.reason))
            continue
        if not isinstance(item.data, Mapping):
            result.failures.append(
                ParseFailure(path, "compose", item.start_line, 1, "a compose file must be a mapping at the top level")
            )
            continue
        _restore_sexagesimal(item.data, (), item.positions, lines)
        result.documents.append(Document.from_yaml(path, "compose", index, item))
    return result


def _restore_sexagesimal(node: Any, pointer: Pointer, positions: Mapping[Pointer, Any], lines: list[str]) -> None:
    """Put back `a:b` scalars that YAML 1.1 read as base-60 integers (only list items need it)."""
    if isinstance(node, dict):
        for key, value in node.items():
            _restore_sexagesimal(value, (*pointer, key), positions, lines)
    elif isinstance(node, list):
        for number, value in enumerate(node):
            child = (*pointer, number)
            if isinstance(value, int) and not isinstance(value, bool) and child in positions:
                position = positions[child]
                line = lines[position.line - 1] if position.line - 1 < len(lines) else ""
                match = _SEXAGESIMAL.match(line, position.column - 1)
                if match:
                    node[number] = match.group().replace("_", "")
            else:
                _restore_sexagesimal(value, child, positions, lines)
