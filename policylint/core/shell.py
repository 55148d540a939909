"""Split a POSIX shell script into simple commands, each with the line it starts on.

Dockerfile `RUN` lines (and workflow `run:` blocks) are judged by what they run: `apt-get install`
without `--no-install-recommends`, `curl ... | sh`, `cd dir &&`, `sudo`. A regular expression over
the whole text cannot tell `echo "curl | sh"` from a real pipe, so this module tokenises just
enough shell: quotes, backslash escapes, comments, the control operators (`&&`, `||`, `;`, `|`,
`&`, newlines), subshells and command substitutions. It never expands or runs anything.

Each command is plain data: `words` (as written, quotes removed), `program` (the first word after
`VAR=value` assignments and wrappers such as `sudo`, `env`, `exec`), `args`, `op` (the operator that
follows it), `piped_from` (programs earlier in the same pipeline), `substituted` (programs run
inside `$(...)`, backticks or `<(...)` in its words), `assignments` (the leading `VAR=value` words,
which set the program's environment), `depth` (subshell nesting) and `offset` (where it starts in
the text, for positions).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Commands that run their first non-option argument as the real program.
WRAPPERS = frozenset({"sudo", "env", "exec", "command", "nice", "nohup", "time", "doas", "stdbuf", "xargs", "su-exec", "gosu"})
#: Options of those wrappers that take the next word as their value (`nice -n 5 cmd`).
_WRAPPER_VALUE_OPTIONS = {
    "sudo": frozenset({"-u", "-g", "-U", "-C", "-h", "-p", "-r", "-t", "-D"}),
    "nice": frozenset({"-n"}),
    "env": frozenset({"-u", "-C", "-S"}),
    "time": frozenset({"-f", "-o"}),
    "xargs": frozenset({"-n", "-I", "-d", "-P", "-L", "-s", "-a", "-E"}),
    "doas": frozenset({"-u", "-C"}),
}
#: Commands that interpret a script: what `curl ... | sh` feeds.
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "fish", "busybox"})
#: Substitutions nested deeper than this are not split further (hostile input stays linear).
MAX_DEPTH = 8
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_OPERATORS = ("&&", "||", ";;", "|&", ";", "|", "&", "\n")
#: A run of characters with no meaning to the tokenizer (the fast path of word reading).
_ORDINARY = re.compile(r"[^\s;&|()<>\\'\"`$]+")


def command_facts(command: Mapping[str, Any]) -> dict[str, Any]:
    """One split command as policies see it (camelCase keys, lists they may index)."""
    return {
        "program": command["program"],
        "words": list(command["words"]),
        "pipedFrom": list(command["piped_from"]),
        "substituted": list(command["substituted"]),
    }


def split_commands(script: str, depth: int = 0) -> list[dict[str, Any]]:
    """The simple commands of `script`, in order (see the module docstring for the shape)."""
    tokens = _tokenise(script, depth)
    commands: list[dict[str, Any]] = []
    words: list[str] = []
    substituted: list[str] = []
    start = -1
    nesting = 0
    pipeline: list[str] = []
    opened: list[int] = []  # the number of commands when each open group began
    closed: list[str] = []  # the programs of a group just closed: `{ a; b; } | c` pipes them into c

    def finish(op: str | None) -> None:
        nonlocal words, substituted, start, pipeline, closed
        if words:
            command = _command(words, substituted, start, nesting, op)
            command["piped_from"] = list(pipeline)
            commands.append(command)
            if op in ("|", "|&"):
                pipeline.append(command["program"])
            else:
                pipeline = []
        elif op in ("|", "|&"):
            pipeline.extend(closed)
        else:
            pipeline = []
        words, substituted, start, closed = [], [], -1, []

    for kind, value, offset, subs in tokens:
        if kind == "word":
            if start < 0:
                start = offset
            words.append(value)
            substituted.extend(subs)
        elif kind == "op":
            finish(value if value != "\n" else ";")
        elif kind == "open":
            finish(None)
            opened.append(len(commands))
            nesting += 1
        elif kind == "close":
            finish(None)
            first = opened.pop() if opened else len(commands)
            closed = [command["program"] for command in commands[first:]]
            nesting = max(0, nesting - 1)
    finish(None)
    return commands


def _command(words: list[str], substituted: list[str], offset: int, depth: int, op: str | None) -> dict[str, Any]:
    index = 0
    while index < len(words) and _ASSIGNMENT.match(words[index]):
        index += 1
    raw = words[index:]
    program_index = index
    while program_index < len(words) and words[program_index] in WRAPPERS:
        takes_value = _WRAPPER_VALUE_OPTIONS.get(words[program_index], frozenset())
        program_index += 1
        while program_index < len(words) and (
            words[program_index].startswith("-") or _ASSIGNMENT.match(words[program_index])
        ):
            program_index += 2 if words[program_index] in takes_value else 1
    program = words[program_index] if program_index < len(words) else (raw[0] if raw else "")
    return {
        "words": raw,
        "assignments": words[:index],
        "program": program.rsplit("/", 1)[-1] if program else "",
        "args": words[program_index + 1 :],
        "op": op,
        "substituted": sorted(set(substituted)),
        "depth": depth,
        "offset": offset,
    }


def _tokenise(text: str, depth: int) -> list[tuple[str, str, int, list[str]]]:
    """(kind, value, offset, substituted programs) tokens: word, op, open, close."""
    tokens: list[tuple[str, str, int, list[str]]] = []
    i, size = 0, len(text)
    while i < size:
        char = text[i]
        if char in " \t":
            i += 1
            continue
        if char == "\\" and i + 1 < size and text[i + 1] == "\n":
            i += 2
            continue
        if char == "#":
            end = text.find("\n", i)
            i = size if end < 0 else end
            continue
        operator = None
        if char in "&|;\n" and not text.startswith("&>", i):
            operator = next((op for op in _OPERATORS if text.startswith(op, i)), None)
        if operator is not None:
            tokens.append(("op", operator, i, []))
            i += len(operator)
            continue
        if char in "({":
            if char == "{" and not (i + 1 < size and text[i + 1] in " \t\n"):
                pass  # `{a,b}` brace expansion: part of a word
            else:
                tokens.append(("open", char, i, []))
                i += 1
                continue
        if char in ")}" and (char == ")" or _at_word_start(text, i)):
            tokens.append(("close", char, i, []))
            i += 1
            continue
        start = i
        word, i, subs = _word(text, i, depth)
        if i == start:  # never stall on a character no rule consumes
            i += 1
            continue
        tokens.append(("word", word, start, subs))
    return tokens


def _at_word_start(text: str, index: int) -> bool:
    return index == 0 or text[index - 1] in " \t\n;"


def _word(text: str, i: int, depth: int) -> tuple[str, int, list[str]]:
    """Read one word from `i`; returns the word without quotes, the next index, substitutions."""
    out: list[str] = []
    subs: list[str] = []
    size = len(text)
    while i < size:
        char = text[i]
        if (char in "<>" or text.startswith("&>", i)) and not text.startswith(("<(", ">("), i):
            out.append(char)  # redirections: `2>&1`, `&>file`, `>|`, `<<<`
            i += 1
            while i < size and text[i] in "<>&|":
                out.append(text[i])
                i += 1
            continue
        if char in " \t\n;&|)" or (char == "<" and text.startswith("<(", i) and out):
            break
        if char == "\\" and i + 1 < size:
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
        elif char == "'":
            end = text.find("'", i + 1)
            end = size if end < 0 else end
            out.append(text[i + 1 : end])
            i = end + 1
        elif char == '"':
            i += 1
            while i < size and text[i] != '"':
                if text[i] == "\\" and i + 1 < size:
                    out.append(text[i + 1])
                    i += 2
                    continue
                if text.startswith("$(", i) or text[i] == "`":
                    inner, i = _substitution(text, i)
                    subs.extend(_programs(inner, depth))
                    out.append(inner)
                    continue
                out.append(text[i])
                i += 1
            i += 1
        elif text.startswith("$(", i) or char == "`" or text.startswith("<(", i) or text.startswith(">(", i):
            inner, i = _substitution(text, i)
            subs.extend(_programs(inner, depth))
            out.append(inner)
        else:
            plain = _ORDINARY.match(text, i)
            if plain:
                out.append(plain.group())
                i = plain.end()
            else:
                out.append(char)
                i += 1
    return "".join(out), i, subs


def _substitution(text: str, i: int) -> tuple[str, int]:
    """The text inside `$(...)`, `<(...)` or backticks starting at `i`, and the index after it."""
    if text[i] == "`":
        end = text.find("`", i + 1)
        end = len(text) if end < 0 else end
        return text[i + 1 : end], end + 1
    level, j = 0, i + 1
    while j < len(text):
        if text[j] == "(":
            level += 1
        elif text[j] == ")":
            level -= 1
            if level == 0:
                return text[i + 2 : j], j + 1
        elif text[j] == "'":
            close = text.find("'", j + 1)
            j = len(text) if close < 0 else close
        j += 1
    return text[i + 2 :], len(text)


def _programs(script: str, depth: int) -> list[str]:
    if depth >= MAX_DEPTH:
        return []
    return [command["program"] for command in split_commands(script, depth + 1) if command["program"]]
