"""GitHub Actions: workflows, composite actions (`action.y*ml`) and `.github/dependabot.y*ml`.

The data stays the plain YAML data. Two things need the source text and are recorded once, here:

- the exact position of every `${{ }}` expression and of every line of a `run:` script or an
  `actions/github-script` `script:`. They are stored as extra entries of `positions` under
  synthetic pointers that extend the scalar's own pointer: `(*pointer, EXPRESSION_STEP, i)` for
  the i-th expression and `(*pointer, LINE_STEP, j)` for the j-th line of the value. A string has
  no children, so these never collide with data, and any view can anchor a finding to them.
  Literal and folded blocks are exact; plain and quoted multi-line scalars are aligned character
  by character (folding and escapes only change whitespace and a few quote characters).
- the trailing comment of each `uses:` line (`actions/checkout@<sha>  # v4.1.1`), in
  `Document.comments`, because a SHA-pinned action is judged by the version its comment names.

The dependabot file becomes a document too: the repository-level policy looks for it in the set.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any

from policylint.core.documents import Document, LoadResult, ParseFailure
from policylint.core.yamlnodes import Pointer, Position, YamlError, parse_yaml_stream

FILE_KIND = "github-actions"
#: Synthetic pointer step: `(*scalar, EXPRESSION_STEP, i)` is where the i-th `${{ }}` starts.
EXPRESSION_STEP = "${{"
#: Synthetic pointer step: `(*scalar, LINE_STEP, j)` is where line j of the scalar's value starts.
LINE_STEP = "\n"

_TRAILING_COMMENT = re.compile(r"\s#\s?(.*?)\s*$")
#: How far alignment looks ahead for a character that escapes or quoting changed.
_ALIGN_WINDOW = 4


class ExpressionMatch:
    """One `${{ ... }}` in a text: where it starts and its inner text."""

    __slots__ = ("inner", "offset")

    def __init__(self, offset: int, inner: str) -> None:
        self.offset = offset
        self.inner = inner


def iter_expressions(text: str) -> Iterator[ExpressionMatch]:
    """Every `${{ ... }}` of a text, in order, in linear time (a regex rescans unclosed `${{`)."""
    position = 0
    while True:
        start = text.find("${{", position)
        if start < 0:
            return
        end = text.find("}}", start + 3)
        if end < 0:
            return
        yield ExpressionMatch(start, text[start + 3 : end])
        position = end + 2


@functools.lru_cache(maxsize=4096)
def role(path: str) -> str:
    """`workflow`, `action` (action.y*ml) or `dependabot` (.github/dependabot.y*ml), from the path.

    Memoised: asked for every step of every workflow, and a path object per call was a tenth of a run.
    """
    name = PurePosixPath(path.replace("\\", "/")).name.lower()
    if name in ("action.yml", "action.yaml"):
        return "action"
    if name in ("dependabot.yml", "dependabot.yaml") and "/.github/" in "/" + path.replace("\\", "/"):
        return "dependabot"
    if name in RENOVATE_NAMES:
        return "renovate"
    if name in LANGUAGE_MANIFESTS:
        return "manifest"
    return "workflow"


#: Renovate's configuration files (at the repository root, or in .github/ or .gitlab/): dependency
#: updates like Dependabot's, for gha-dependency-audit-missing.
RENOVATE_NAMES = frozenset({"renovate.json", "renovate.json5", ".renovaterc", ".renovaterc.json", ".renovaterc.json5"})
#: A package manifest at the repository root names a language, and so the scanner to suggest.
LANGUAGE_MANIFESTS: dict[str, str] = {
    "go.mod": "Go", "cargo.toml": "Rust", "package.json": "JavaScript", "pyproject.toml": "Python",
    "requirements.txt": "Python", "pipfile": "Python", "gemfile": "Ruby", "pom.xml": "Java",
    "build.gradle": "Java", "build.gradle.kts": "Java", "composer.json": "PHP", "mix.exs": "Elixir",
}
#: Files of the repository that are facts, not workflows: loaded without being parsed (Renovate
#: may write JSON5; a manifest's content does not matter, only that it is there).
FACT_ROLES = ("renovate", "manifest")


def iter_jobs(doc: Document) -> Iterator[tuple[str, Mapping[str, Any], Pointer]]:
    """(job id, job, pointer) for every job of a workflow."""
    jobs = doc.data.get("jobs") if isinstance(doc.data, Mapping) else None
    if not isinstance(jobs, Mapping):
        return
    for job_id, job in jobs.items():
        if isinstance(job, Mapping):
            yield str(job_id), job, ("jobs", job_id)


def iter_steps(doc: Document) -> Iterator[tuple[str, int, Mapping[str, Any], Pointer]]:
    """(job id, index, step, pointer) for workflow job steps and composite-action steps (job id "")."""
    data = doc.data if isinstance(doc.data, Mapping) else {}
    groups: list[tuple[str, Any, Pointer]] = []
    if role(doc.path) == "action":
        runs = data.get("runs")
        if isinstance(runs, Mapping):
            groups.append(("", runs.get("steps"), ("runs", "steps")))
    else:
        groups.extend((job_id, job.get("steps"), (*pointer, "steps")) for job_id, job, pointer in iter_jobs(doc))
    for job_id, steps, pointer in groups:
        if not isinstance(steps, list):
            continue
        for index, step in enumerate(steps):
            if isinstance(step, Mapping):
                yield job_id, index, step, (*pointer, index)


def is_github_script(step: Mapping[str, Any]) -> bool:
    """True for a step running `actions/github-script` (its `with.script` is JavaScript)."""
    uses = step.get("uses")
    return isinstance(uses, str) and uses.lower().split("@", 1)[0] == "actions/github-script"


def script_pointers(doc: Document) -> Iterator[tuple[str, Pointer, str]]:
    """(`run` or `script`, pointer, text) of every shell script and github-script of a document."""
    for _, _, step, pointer in iter_steps(doc):
        run = step.get("run")
        if isinstance(run, str):
            yield "run", (*pointer, "run"), run
        with_ = step.get("with")
        if is_github_script(step) and isinstance(with_, Mapping) and isinstance(with_.get("script"), str):
            yield "script", (*pointer, "with", "script"), with_["script"]


def uses_pointers(doc: Document) -> Iterator[tuple[str, Pointer, str]]:
    """(`job` or `step`, pointer, value) of every `uses:` (reusable-workflow calls and steps)."""
    if role(doc.path) == "workflow":
        for _, job, pointer in iter_jobs(doc):
            if isinstance(job.get("uses"), str):
                yield "job", (*pointer, "uses"), job["uses"]
    for _, _, step, pointer in iter_steps(doc):
        if isinstance(step.get("uses"), str):
            yield "step", (*pointer, "uses"), step["uses"]


def load(path: str, text: str) -> LoadResult:
    """Parse each document of a workflow/action/dependabot file and index its scripts and `uses:`."""
    result = LoadResult()
    file_role = role(path)
    if file_role in FACT_ROLES:
        result.documents.append(Document(path, FILE_KIND, 0, {}, {(): Position(1, 1)}))
        return result
    index = 0
    source: _Source | None = None
    for item in parse_yaml_stream(text):
        if isinstance(item, YamlError):
            result.failures.append(ParseFailure(path, FILE_KIND, item.line, item.column, item.reason))
            index += 1
            continue
        if not isinstance(item.data, Mapping):
            reason = f"a {file_role} file must be a mapping, found {type(item.data).__name__}"
            result.failures.append(ParseFailure(path, FILE_KIND, item.start_line, 1, reason))
            index += 1
            continue
        doc = Document.from_yaml(path, FILE_KIND, index, item)
        if file_role != "dependabot":
            source = source or _Source(text)
            _index_scripts(doc, source)
            _index_uses_comments(doc, source)
        result.documents.append(doc)
        index += 1
    return result


class _Source:
    """The file text with line offsets, for turning offsets into positions and back."""

    __slots__ = ("line_starts", "lines", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        starts = [0]
        for line in self.lines[:-1]:
            starts.append(starts[-1] + len(line) + 1)
        self.line_starts = starts

    def offset(self, position: Position) -> int:
        line = min(max(position.line, 1), len(self.line_starts))
        return self.line_starts[line - 1] + position.column - 1

    def position(self, offset: int) -> Position:
        line = bisect_right(self.line_starts, offset)
        return Position(line, offset - self.line_starts[line - 1] + 1)


def _multiline_expressions(doc: Document, skip: set[Pointer]) -> Iterator[tuple[str, Pointer, str]]:
    """Multi-line strings outside scripts that hold `${{ }}` (a folded `if:`, a `with:` block), so a
    finding on one of their expressions lands on its own line too."""
    stack: list[tuple[Pointer, Any]] = [((), doc.data)]
    while stack:
        pointer, node = stack.pop()
        if isinstance(node, str):
            if "${{" in node and ("\n" in node.strip() or pointer in doc.value_positions) and pointer not in skip:
                yield "value", pointer, node
        elif isinstance(node, Mapping):
            stack.extend(((*pointer, key), value) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend(((*pointer, index), value) for index, value in enumerate(node))


def _index_scripts(doc: Document, source: _Source) -> None:
    scripts = list(script_pointers(doc))
    scripts += list(_multiline_expressions(doc, {pointer for _, pointer, _ in scripts}))
    if not scripts:
        return
    node_offsets = sorted({source.offset(position) for position in doc.positions.values()})
    for _, pointer, value in scripts:
        start = _value_start(doc, pointer, source)
        if start is None:
            continue
        following = bisect_right(node_offsets, start)
        end = node_offsets[following] if following < len(node_offsets) else len(source.text)
        mapping = _align(value, source.text, start, end)
        fallback = doc.positions[pointer]
        for number, match in enumerate(iter_expressions(value)):
            found = mapping.get(match.offset)
            doc.positions[(*pointer, EXPRESSION_STEP, number)] = source.position(found) if found is not None else fallback
        line_start = 0
        for number, line in enumerate(value.split("\n")):
            stripped = len(line) - len(line.lstrip())
            found = mapping.get(line_start + stripped) if line.strip() else None
            if found is not None:
                doc.positions[(*pointer, LINE_STEP, number)] = source.position(found)
            line_start += len(line) + 1


def _value_start(doc: Document, pointer: Pointer, source: _Source) -> int | None:
    """Offset where the scalar's content starts (the line after a block scalar's header)."""
    block = doc.value_positions.get(pointer)
    if block is not None:
        position, style = block
        offset = source.offset(position)
        if style in ("|", ">"):
            newline = source.text.find("\n", offset)
            return len(source.text) if newline < 0 else newline + 1
        return offset
    key = doc.positions.get(pointer)
    if key is None:
        return None
    offset = source.offset(key)
    colon = source.text.find(":", offset)
    return None if colon < 0 else colon + 1


def _align(value: str, text: str, start: int, end: int) -> dict[int, int]:
    """Map each non-blank character offset of `value` to the offset of the same character in
    `text[start:end]` (the scalar as written): whitespace is skipped on both sides, and a few
    characters of the source that quoting or escaping added are stepped over.
    """
    mapping: dict[int, int] = {}
    cursor = start
    for offset, char in enumerate(value):
        if char.isspace():
            continue
        while cursor < end and text[cursor].isspace():
            cursor += 1
        probe = cursor
        while probe < end and probe - cursor <= _ALIGN_WINDOW and text[probe] != char:
            probe += 1
        if probe < end and text[probe] == char:
            mapping[offset] = probe
            cursor = probe + 1
        else:
            mapping[offset] = min(cursor, max(end - 1, start))
    return mapping


def _index_uses_comments(doc: Document, source: _Source) -> None:
    for _, pointer, _ in uses_pointers(doc):
        position = doc.positions.get(pointer)
        if position is None or position.line > len(source.lines):
            continue
        line = source.lines[position.line - 1]
        rest = line[position.column - 1 :]
        colon = rest.find(":")
        if colon < 0:
            continue
        match = _TRAILING_COMMENT.search(rest[colon + 1 :].strip() and " " + rest[colon + 1 :].strip())
        if match and match.group(1):
            doc.comments[pointer] = match.group(1)
