"""Dockerfiles (and Containerfiles): stages and instructions, each with its line.

A small tokenizer written for this, not a third-party parser: `dockerfile` (BuildKit's own Go
parser) keeps the first line of each instruction and heredocs, but has no wheels for Linux arm64
or musl, no columns, drops the arguments of an unknown instruction and refuses lines over 64 KiB;
`dockerfile-parse` turns heredoc bodies into bogus instructions. Both were measured (see the
project notes); the tests compare this tokenizer with BuildKit's parser where it is installed.

What it follows from BuildKit: parser directives (`# syntax=`, `# escape=`) only at the very top;
line continuations with the escape character, where comment and empty lines inside a continuation
are dropped; heredocs (`<<EOF`, `<<-EOF`, quoted names) for RUN, COPY and ADD; JSON (exec) and shell
forms; `--flag=value` options; `ARG` before the first `FROM` with `${VAR}` / `$VAR` /
`${VAR:-default}` substitution in `FROM`; stage names (`AS name`) and `FROM <stage>`.

The document is JSON-like data: `directives`, `args` (the global ARGs), `stages` (each with its
FROM facts and `instructions`) and `errors` (unknown instructions, missing arguments, unterminated
heredocs: judged by docker-syntax-error, never a crash). `positions` gives every stage, instruction,
RUN command, ENV/ARG entry and error its line and column.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from policylint.core.documents import Document, LoadResult
from policylint.core.shell import SHELLS, split_commands
from policylint.core.yamlnodes import Pointer, Position

INSTRUCTIONS = frozenset(
    {
        "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
        "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
    }
)  # fmt: skip
HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
#: Instructions an ONBUILD may not wrap (BuildKit refuses them).
ONBUILD_FORBIDDEN = frozenset({"ONBUILD", "FROM", "MAINTAINER"})
#: Instructions whose arguments may be a JSON array (exec form).
JSON_FORM_INSTRUCTIONS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME", "HEALTHCHECK"})
_DIRECTIVE = re.compile(r"^#[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*(.*?)[ \t]*$")
_HEREDOC = re.compile(r"(?<![<\w])<<(-?)([\"']?)([A-Za-z0-9_][A-Za-z0-9_.-]*)\2")
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
_PLAIN_WORD = re.compile(r"[^ \t]+")


@dataclass
class _Logical:
    """One instruction's text with continuations joined, and where each piece came from."""

    text: str
    line: int
    end_line: int
    column: int
    #: (offset in `text`, physical line, column of that offset) for each joined piece.
    segments: list[tuple[int, int, int]] = field(default_factory=list)
    heredocs: list[dict[str, Any]] = field(default_factory=list)
    #: Physical lines (0-based) that a continuation dropped: comments and empty lines.
    dropped: list[int] = field(default_factory=list)

    def position(self, offset: int) -> Position:
        """Line and column of an offset into the joined text (binary search: long RUNs stay linear)."""
        index = bisect_right(self.segments, offset, key=lambda segment: segment[0]) - 1
        if index < 0:
            return Position(self.line, self.column + offset)
        start, line, column = self.segments[index]
        return Position(line, column + offset - start)


class _Parser:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = text.split("\n")
        self.positions: dict[Pointer, Position] = {(): Position(1, 1)}
        self.errors: list[dict[str, Any]] = []
        self.directives: dict[str, str] = {}
        self.escape = "\\"

    def error(self, reason: str, position: Position, instruction: str = "") -> None:
        self.positions[("errors", len(self.errors))] = position
        self.errors.append({"reason": reason, "instruction": instruction})

    # -- physical lines -> logical instructions ------------------------------------------------
    def read_directives(self) -> int:
        """Parse the leading `# key=value` lines; returns the index of the first other line."""
        index = 0
        seen: set[str] = set()
        while index < len(self.lines):
            match = _DIRECTIVE.match(self.lines[index])
            if not match:
                break
            key, value = match.group(1).lower(), match.group(2)
            if key in seen or key not in ("syntax", "escape", "check"):
                break  # an unknown or repeated directive is a plain comment, and ends the block
            seen.add(key)
            self.directives[key] = value
            self.positions[("directives", key)] = Position(index + 1, 1)
            index += 1
        escape = self.directives.get("escape")
        if escape is not None:
            if escape in ("\\", "`"):
                self.escape = escape
            else:
                self.error(f"invalid escape token {escape!r} (only \\ and ` are allowed)", Position(1, 1), "escape")
        return index

    def logical_lines(self, start: int) -> list[_Logical]:
        continuation = re.compile(re.escape(self.escape) + r"[ \t]*$")
        result: list[_Logical] = []
        index = start
        total = len(self.lines)
        while index < total:
            raw = self.lines[index]
            stripped = raw.lstrip(" \t")
            if not stripped or stripped.startswith("#"):
                index += 1
                continue
            column = len(raw) - len(stripped) + 1
            logical = _Logical("", index + 1, index + 1, column)
            pieces: list[str] = []
            size = 0
            current, current_column = stripped, column
            while True:
                logical.segments.append((size, index + 1, current_column))
                match = continuation.search(current)
                if match is None:
                    pieces.append(current)
                    break
                pieces.append(current[: match.start()])
                size += match.start()
                index += 1
                # comment and empty lines inside a continuation are dropped (as BuildKit does)
                while index < total and (not self.lines[index].strip() or self.lines[index].lstrip().startswith("#")):
                    logical.dropped.append(index)
                    index += 1
                if index >= total:
                    break
                current, current_column = self.lines[index], 1
            logical.text = "".join(pieces)
            logical.end_line = min(index, total - 1) + 1
            index += 1
            keyword = logical.text.split(None, 1)[0].upper() if logical.text.split() else ""
            if keyword in HEREDOC_INSTRUCTIONS or (keyword == "ONBUILD" and _HEREDOC.search(logical.text)):
                index = self.read_heredocs(logical, index)
            result.append(logical)
        return result

    def read_heredocs(self, logical: _Logical, index: int) -> int:
        for match in _HEREDOC.finditer(logical.text):
            strip_tabs, name = match.group(1) == "-", match.group(3)
            body: list[str] = []
            first = index + 1
            while index < len(self.lines):
                candidate = self.lines[index].lstrip("\t") if strip_tabs else self.lines[index]
                if candidate == name:
                    break
                body.append(candidate)
                index += 1
            else:
                self.error(f"unterminated heredoc <<{name}", logical.position(match.start()), "heredoc")
            logical.heredocs.append(
                {"name": name, "content": "\n".join(body) + ("\n" if body else ""), "line": first, "offset": match.start()}
            )
            logical.end_line = min(index + 1, len(self.lines))
            index += 1
        return index

    # -- logical instructions -> data --------------------------------------------------------
    def parse(self) -> dict[str, Any]:
        start = self.read_directives()
        global_args: list[dict[str, Any]] = []
        stages: list[dict[str, Any]] = []
        arg_defaults: dict[str, str | None] = {}
        for logical in self.logical_lines(start):
            keyword, _, rest = logical.text.partition(" ") if " " in logical.text else (logical.text, "", "")
            if "\t" in keyword:
                keyword, _, tail = keyword.partition("\t")
                rest = tail + " " + rest
            keyword_upper = keyword.upper()
            position = Position(logical.line, logical.column)
            if keyword_upper not in INSTRUCTIONS:
                self.error(f"unknown instruction {keyword}", position, keyword)
                continue
            arguments = rest.strip()
            if not arguments and not logical.heredocs:
                self.error(f"{keyword_upper} requires at least one argument", position, keyword_upper)
                continue
            offset = len(logical.text) - len(rest.lstrip()) if rest.strip() else len(logical.text)
            if keyword_upper == "FROM":
                pointer: Pointer = ("stages", len(stages))
                stage = self.stage(logical, arguments, offset, stages, arg_defaults, position)
                if stage is None:
                    continue
                stages.append(stage)
                self.positions[pointer] = position
                instruction = self.instruction(logical, "FROM", arguments, offset, (*pointer, "instructions", 0))
                stage["instructions"].append(instruction)
                continue
            if not stages:
                if keyword_upper != "ARG":
                    self.error(f"{keyword_upper} before the first FROM", position, keyword_upper)
                    continue
                pointer = ("args", len(global_args))
                instruction = self.instruction(logical, "ARG", arguments, offset, pointer)
                global_args.append(instruction)
                for entry in instruction.get("env", []):
                    arg_defaults[entry["name"]] = entry["value"]
                continue
            stage = stages[-1]
            pointer = ("stages", len(stages) - 1, "instructions", len(stage["instructions"]))
            stage["instructions"].append(self.instruction(logical, keyword_upper, arguments, offset, pointer))
        if not stages and not self.errors:
            self.error("no FROM instruction", Position(1, 1), "FROM")
        return {"directives": self.directives, "args": global_args, "stages": stages, "errors": self.errors}

    def stage(
        self,
        logical: _Logical,
        arguments: str,
        offset: int,
        stages: list[dict[str, Any]],
        arg_defaults: dict[str, str | None],
        position: Position,
    ) -> dict[str, Any] | None:
        flags, words, _ = _flags(arguments)
        if len(words) not in (1, 3) or (len(words) == 3 and words[1].lower() != "as"):
            self.error("FROM needs an image and an optional 'AS name'", position, "FROM")
            return None
        base = words[0]
        resolved, unresolved = substitute(base, arg_defaults)
        names = {stage["name"]: stage["index"] for stage in stages if stage["name"]}
        from_stage = resolved.lower() if resolved.lower() in names and not unresolved else None
        if from_stage is not None:
            base_kind = "stage"
        elif unresolved:
            base_kind = "unresolved"
        elif resolved.lower() == "scratch":
            base_kind = "scratch"
        else:
            base_kind = "image"
        return {
            "index": len(stages),
            "name": words[2].lower() if len(words) == 3 else None,
            "base": base,
            "image": resolved if base_kind == "image" else None,
            "base_kind": base_kind,
            "from_stage": from_stage,
            "unresolved": unresolved,
            "platform": _first(flags.get("platform")),
            "instructions": [],
        }

    def instruction(self, logical: _Logical, keyword: str, arguments: str, offset: int, pointer: Pointer) -> dict[str, Any]:
        self.positions[pointer] = Position(logical.line, logical.column)
        flags, _, rest_offset = _flags(arguments)
        body = arguments[rest_offset:].strip() if rest_offset < len(arguments) else ""
        item: dict[str, Any] = {
            "instruction": keyword,
            "arguments": arguments,
            "flags": flags,
            "end_line": logical.end_line,
        }
        exec_form = _exec_form(body) if keyword in JSON_FORM_INSTRUCTIONS else None
        if keyword in JSON_FORM_INSTRUCTIONS:
            item["form"] = "exec" if exec_form is not None else "shell"
            if exec_form is not None:
                item["exec"] = exec_form
        if logical.heredocs:
            item["heredocs"] = [{"name": doc["name"], "content": doc["content"]} for doc in logical.heredocs]
            for number, doc in enumerate(logical.heredocs):
                self.positions[(*pointer, "heredocs", number)] = Position(doc["line"], 1)
        body_offset = offset + (len(arguments) - len(arguments[rest_offset:].lstrip())) if body else offset
        if keyword == "RUN":
            item["commands"] = self.commands(logical, body, body_offset, exec_form, pointer)
            if exec_form is None and self.escape == "\\":
                item["scripts"] = self.scripts(logical, body_offset)
        elif keyword in ("ENV", "ARG"):
            item["env"] = self.assignments(logical, keyword, arguments, offset, pointer)
        elif keyword in ("COPY", "ADD"):
            paths = exec_form if exec_form is not None else _words(body, self.escape)
            sources = [path for path in paths[:-1]] if len(paths) > 1 else []
            sources.extend(f"<<{doc['name']}" for doc in logical.heredocs if f"<<{doc['name']}" not in sources)
            item["sources"] = [source for source in sources if not source.startswith("<<")]
            item["destination"] = paths[-1] if paths else ""
            item["from"] = _first(flags.get("from"))
        elif keyword == "EXPOSE":
            item["ports"] = [_expose(word) for word in _words(body, self.escape)]
        elif keyword == "USER":
            user = _words(body, self.escape)
            item["user"] = user[0] if user else ""
        elif keyword == "WORKDIR":
            path = _words(body, self.escape)
            item["path"] = path[0] if path else ""
        elif keyword == "HEALTHCHECK":
            item["disabled"] = body.strip().upper() == "NONE"
        elif keyword == "ONBUILD":
            item["trigger"] = body.split(None, 1)[0].upper() if body.split() else ""
            wrapped = self.onbuild_trigger(logical, body, body_offset, pointer)
            if wrapped is not None:
                item["wrapped"] = wrapped
        elif keyword in ("CMD", "ENTRYPOINT") and exec_form is None and body:
            # what the shell form's /bin/sh -c runs (`CMD exec app` hands PID 1 to the program)
            item["commands"] = self.commands(logical, body, body_offset, None, pointer)
        return item

    def onbuild_trigger(self, logical: _Logical, body: str, offset: int, pointer: Pointer) -> dict[str, Any] | None:
        """The instruction an ONBUILD wraps, parsed like any other and positioned at the ONBUILD line."""
        position = Position(logical.line, logical.column)
        trigger = body.split(None, 1)[0] if body.split() else ""
        keyword = trigger.upper()
        if keyword not in INSTRUCTIONS:
            self.error(f"unknown instruction {trigger} in ONBUILD", position, "ONBUILD")
            return None
        if keyword in ONBUILD_FORBIDDEN:
            self.error(f"ONBUILD {keyword} is not allowed", position, "ONBUILD")
            return None
        rest = body[len(trigger) :]
        arguments = rest.strip()
        if not arguments and not logical.heredocs:
            self.error(f"ONBUILD {keyword} requires at least one argument", position, "ONBUILD")
            return None
        start = offset + len(trigger) + len(rest) - len(rest.lstrip())
        return self.instruction(logical, keyword, arguments, start, (*pointer, "wrapped"))

    def commands(
        self, logical: _Logical, body: str, offset: int, exec_form: list[str] | None, pointer: Pointer
    ) -> list[dict[str, Any]]:
        """The shell commands a RUN executes, each positioned on its own line."""
        found: list[tuple[dict[str, Any], Position]] = []
        if exec_form is not None:
            if len(exec_form) >= 3 and exec_form[0].rsplit("/", 1)[-1] in SHELLS and exec_form[1].startswith("-") and "c" in exec_form[1]:
                for command in split_commands(exec_form[2]):
                    found.append((command, Position(logical.line, logical.column)))
            elif exec_form:
                program = exec_form[0].rsplit("/", 1)[-1]
                command = {"words": exec_form, "program": program, "args": exec_form[1:], "op": None,
                           "substituted": [], "depth": 0, "offset": 0, "piped_from": [], "assignments": []}  # fmt: skip
                found.append((command, Position(logical.line, logical.column)))
        else:
            script = body
            for doc in logical.heredocs:  # the markers themselves are not words of the command
                start = doc["offset"] - offset
                if 0 <= start < len(script):
                    marker = _HEREDOC.match(script, start)
                    if marker:
                        script = script[:start] + " " * (marker.end() - start) + script[marker.end() :]
            head = split_commands(script)
            for command in head:
                found.append((command, logical.position(offset + command["offset"])))
            runs_script = not head or (head[-1]["program"] in SHELLS and not any(a == "-c" for a in head[-1]["args"]))
            if logical.heredocs and runs_script:
                for doc in logical.heredocs:
                    if _foreign_script(doc["content"]):
                        continue  # `#!/usr/bin/env python3`: not shell, no shell commands to judge
                    for command in split_commands(doc["content"]):
                        line = doc["line"] + doc["content"].count("\n", 0, command["offset"])
                        found.append((command, Position(line, 1)))
        result = []
        for number, (command, position) in enumerate(found):
            command.pop("offset", None)
            result.append(command)
            self.positions[(*pointer, "commands", number)] = position
        return result

    def scripts(self, logical: _Logical, offset: int) -> list[dict[str, Any]]:
        """The shell text of a RUN (shell form) for ShellCheck, kept line for line with the file.

        `{text, line, shell, comments}`: the RUN's physical lines from `line` on, with the keyword
        and flags blanked to spaces, and each line a continuation dropped (a comment, an empty
        line) turned into a lone `\\` so the shell joins the same words BuildKit does; heredocs
        stay as written. A RUN that only runs heredocs as scripts (`RUN <<EOF`, `RUN <<EOF bash`)
        gives each heredoc body instead, with the shell that runs it (`shell`: None for the
        stage's SHELL). `comments`: the comment lines just above the RUN and inside it.
        """
        above = []
        index = logical.line - 2
        while index >= 0 and self.lines[index].lstrip().startswith("#"):
            above.append(self.lines[index])
            index -= 1
        comments = [*reversed(above), *(self.lines[number] for number in logical.dropped)]
        lines = self.lines
        if logical.heredocs:
            shell_words = logical.text[offset:]
            for doc in logical.heredocs:
                marker = _HEREDOC.match(logical.text, doc["offset"])
                if marker:
                    shell_words = shell_words.replace(marker.group(), "", 1)
            words = shell_words.split()
            runner = words[0].rsplit("/", 1)[-1] if words else None
            if not words or (len(words) == 1 and runner in SHELLS):
                found = []
                for doc in logical.heredocs:
                    count = doc["content"].count("\n")
                    body = lines[doc["line"] - 1 : doc["line"] - 1 + count]
                    found.append({"text": "\n".join(body) + "\n", "line": doc["line"], "shell": runner, "comments": comments})
                return found
        start = logical.position(offset)
        last = min(logical.end_line, len(lines))
        text: list[str] = []
        dropped = set(logical.dropped)
        for number in range(logical.line - 1, last):
            line = lines[number]
            if number in dropped:
                line = "\\"
            elif number < start.line - 1:
                line = " " * (len(line) - 1) + "\\" if line.rstrip().endswith("\\") else ""
            elif number == start.line - 1:
                line = " " * (start.column - 1) + line[start.column - 1 :]
            text.append(line)
        return [{"text": "\n".join(text) + "\n", "line": logical.line, "shell": None, "comments": comments}]

    def assignments(self, logical: _Logical, keyword: str, arguments: str, offset: int, pointer: Pointer) -> list[dict[str, Any]]:
        """ENV/ARG entries as {name, value}; ARG without a default has value None."""
        entries: list[dict[str, Any]] = []
        spans = _word_spans(arguments, self.escape)
        if keyword == "ENV" and spans and "=" not in spans[0][0]:  # legacy `ENV KEY value with spaces`
            name = spans[0][0]
            value = arguments[spans[1][1] :].strip() if len(spans) > 1 else ""
            spans = [(f"{name}={_unquote(value, self.escape)}", spans[0][1])]
        for number, (word, start) in enumerate(spans):
            name, has_value, value = word.partition("=")
            entries.append({"name": name, "value": value if has_value else None})
            self.positions[(*pointer, "env", number)] = logical.position(offset + start)
        return entries


def substitute(text: str, values: dict[str, str | None]) -> tuple[str, list[str]]:
    """Replace `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alt}` from ARG defaults.

    Returns the text and the names that had no value (a build argument decides them).
    """
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        operator, word = match.group(2), match.group(3) or ""
        value = values.get(name)
        if operator in (":-", "-"):
            return value if value else word
        if operator in (":+", "+"):
            return word if value else ""
        if value is None:
            missing.append(name)
            return ""
        return value

    return _VARIABLE.sub(replace, text), missing


def _first(values: list[str] | None) -> str | None:
    return values[0] if values else None


def _flags(arguments: str) -> tuple[dict[str, list[str]], list[str], int]:
    """Leading `--name[=value]` options, the remaining words, and where the rest starts."""
    flags: dict[str, list[str]] = {}
    spans = _word_spans(arguments, "\\")
    rest = len(arguments)
    words: list[str] = []
    for index, (word, start) in enumerate(spans):
        if word.startswith("--") and len(word) > 2 and not words:
            name, _, value = word[2:].partition("=")
            flags.setdefault(name.lower(), []).append(value)
            continue
        rest = start
        words = [item for item, _ in spans[index:]]
        break
    return flags, words, rest


def _exec_form(body: str) -> list[str] | None:
    text = body.strip()
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def _word_spans(text: str, escape: str) -> list[tuple[str, int]]:
    """Dockerfile words (quotes removed, escapes applied) with their start offsets."""
    if escape not in text and '"' not in text and "'" not in text:
        return [(match.group(), match.start()) for match in _PLAIN_WORD.finditer(text)]
    spans: list[tuple[str, int]] = []
    i, size = 0, len(text)
    while i < size:
        if text[i] in " \t":
            i += 1
            continue
        start = i
        out: list[str] = []
        quote = ""
        while i < size and (quote or text[i] not in " \t"):
            char = text[i]
            if char == escape and i + 1 < size and quote != "'":
                out.append(text[i + 1])
                i += 2
                continue
            if quote and char == quote:
                quote = ""
            elif not quote and char in "\"'":
                quote = char
            else:
                out.append(char)
            i += 1
        spans.append(("".join(out), start))
    return spans


def _words(text: str, escape: str) -> list[str]:
    return [word for word, _ in _word_spans(text, escape)]


def _unquote(value: str, escape: str) -> str:
    words = _word_spans(value, escape)
    return " ".join(word for word, _ in words)


def _expose(word: str) -> dict[str, Any]:
    """One EXPOSE word: `80`, `80/udp`, `8000-8010/tcp`; `from`/`to` are None when not numbers.

    `ordered` is False for a range written backwards (`9000-8000`); `variable` marks a word that a
    build argument decides (`$PORT`), which only the build can judge.
    """
    port, _, protocol = word.partition("/")
    low, dash, high = port.partition("-")
    fact: dict[str, Any] = {"raw": word, "from": None, "to": None, "protocol": protocol.lower() or "tcp",
                            "ordered": True, "variable": "$" in word}  # fmt: skip
    if not low.isdigit() or (dash and not high.isdigit()):
        return fact
    first, last = int(low), int(high) if dash else int(low)
    fact.update({"from": first, "to": last, "ordered": first <= last})
    return fact


def _foreign_script(content: str) -> bool:
    """A heredoc script whose `#!` line names an interpreter that is no shell (python, node, ...)."""
    if not content.startswith("#!"):
        return False
    words = content[2:].split("\n", 1)[0].split()
    if words and words[0].rsplit("/", 1)[-1] == "env" and len(words) > 1:
        words = words[1:]
    return bool(words) and words[0].rsplit("/", 1)[-1] not in SHELLS


def parse_dockerfile(path: str, text: str) -> Document:
    """The Dockerfile as one document (syntax problems are data, judged by docker-syntax-error)."""
    parser = _Parser(path, text)
    data = parser.parse()
    lines = text.count("\n") + 1
    return Document(path=path, file_kind="dockerfile", index=0, data=data, positions=parser.positions, end_line=lines)


def load(path: str, text: str) -> LoadResult:
    """Load one Dockerfile; it always yields a document (problems become docker-syntax-error)."""
    result = LoadResult()
    result.documents.append(parse_dockerfile(path, text))
    return result
