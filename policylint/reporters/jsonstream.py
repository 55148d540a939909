"""Write a JSON document piece by piece: pretty where it is small, one compact line per record.

Why: `json.dumps(indent=2)` runs the pure-Python encoder (the C encoder serves only `indent=None`)
and needs the whole document in memory, twice (the data, then the text). Reports are mostly long
lists of records (findings, SARIF results, Code Quality issues): here each record is encoded by
the standard library's C encoder on one line and written at once, while the few small parts
around them (tool, summary, rules) keep the two-space layout. Measured against `orjson` in
benchmarks/run.py ("Output writing"): orjson encodes a record about 2-3x faster, but the C encoder
already makes writing a small share of a run, and it needs no dependency.

Layout (documented in the README, "Output formats"):

    {
      "version": 1,
      "findings": [
        {"rule_id": "k8s-run-as-root", "severity": "high", ...},
        {"rule_id": "k8s-host-port", "severity": "medium", ...}
      ],
      "summary": {
        "files": 3
      }
    }

The same input gives the same bytes, whatever `--jobs` is: records come in the report's order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

#: The C encoder (indent=None), with the spacing of the pretty parts: `"key": value, ...`.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), check_circular=False)
_INDENT = "  "


def compact(value: Any) -> str:
    """One value on one line."""
    return _COMPACT.encode(value)


def write(value: Any, out: IO[str], records: frozenset[str] = frozenset(), level: int = 0,
          inline: frozenset[str] = frozenset()) -> None:
    """Write `value` indented by two spaces per level; the list (or iterable) under any key named
    in `records` is written one compact item per line, consumed item by item (never held whole);
    the value under a key named in `inline` is written compact on one line."""
    if isinstance(value, Mapping):
        if not value:
            out.write("{}")
            return
        inner = _INDENT * (level + 1)
        out.write("{")
        first = True
        for key, item in value.items():
            out.write(("\n" if first else ",\n") + inner + compact(str(key)) + ": ")
            first = False
            if key in records and isinstance(item, (list, tuple, Iterator)):
                write_records(item, out, level + 1)
            elif key in inline:
                out.write(compact(item))
            else:
                write(item, out, records, level + 1, inline)
        out.write("\n" + _INDENT * level + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.write("[]")
            return
        inner = _INDENT * (level + 1)
        out.write("[")
        for index, item in enumerate(value):
            out.write(("\n" if index == 0 else ",\n") + inner)
            write(item, out, records, level + 1, inline)
        out.write("\n" + _INDENT * level + "]")
    else:
        out.write(compact(value))


def write_records(items: Iterable[Any], out: IO[str], level: int) -> None:
    """A list with one compact record per line (`[]` when empty)."""
    inner = _INDENT * (level + 1)
    started = False
    for item in items:
        out.write(("[\n" if not started else ",\n") + inner + compact(item))
        started = True
    out.write("\n" + _INDENT * level + "]" if started else "[]")
