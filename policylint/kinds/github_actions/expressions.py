"""What a GitHub Actions `${{ }}` expression can put into a script.

An expression interpolated into `run:` becomes shell text. What matters is which context values
can *flow into the result*: `github.event.issue.title` does, `contains(github.event.issue.title,
'x')` does not (it yields a boolean), neither do comparisons or `!`. `a || b` may yield either
operand; `a && b` yields `a` only when it is falsy (null, false, 0, ''), which carries no text, so
only `b` flows. `format`/`join`/`toJSON` pass their arguments through. A small recursive descent
parser follows that; text it cannot parse falls back to "every context name it mentions flows",
which errs on the side of reporting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Functions whose result is a boolean or a hash: nothing of their arguments reaches the output.
SAFE_FUNCTIONS = frozenset({"contains", "startswith", "endswith", "success", "always", "cancelled", "failure", "hashfiles"})
CONTEXTS = ("github", "env", "vars", "job", "jobs", "steps", "runner", "secrets", "strategy", "matrix", "needs", "inputs")

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<number>0x[0-9a-fA-F]+|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<op>==|!=|<=|>=|&&|\|\||[<>!()\[\],.*])
    | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    )""",
    re.VERBOSE,
)
_FALLBACK_REFERENCE = re.compile(r"\b(?:" + "|".join(CONTEXTS) + r")(?:\.[A-Za-z0-9_*-]+|\[[^\]]*\])*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Analysis:
    """`flows`: context references whose value can reach the result; `mentions`: every reference."""

    flows: tuple[str, ...]
    mentions: tuple[str, ...]


class _ParseError(Exception):
    pass


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _ParseError(f"unexpected character at {position}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.index = 0
        self.mentions: list[str] = []

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.index] if self.index < len(self.tokens) else ("end", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "end" or (value is not None and token[1] != value):
            raise _ParseError(f"expected {value or 'a token'}, found {token[1] or 'the end'}")
        self.index += 1
        return token

    def parse(self) -> list[str]:
        flows = self.or_()
        if self.peek()[0] != "end":
            raise _ParseError(f"unexpected {self.peek()[1]}")
        return flows

    def or_(self) -> list[str]:
        flows = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            flows = flows + self.and_()
        return flows

    def and_(self) -> list[str]:
        """`a && b` is `a` only when `a` is falsy (null, false, 0, ''), which carries no text: only
        the last operand can reach the result."""
        flows = self.equality()
        while self.peek() == ("op", "&&"):
            self.take()
            flows = self.equality()
        return flows

    def equality(self) -> list[str]:
        flows = self.comparison()
        while self.peek() in (("op", "=="), ("op", "!=")):
            self.take()
            self.comparison()
            flows = []
        return flows

    def comparison(self) -> list[str]:
        flows = self.unary()
        while self.peek() in (("op", "<"), ("op", ">"), ("op", "<="), ("op", ">=")):
            self.take()
            self.unary()
            flows = []
        return flows

    def unary(self) -> list[str]:
        if self.peek() == ("op", "!"):
            self.take()
            self.unary()
            return []
        return self.primary()

    def primary(self) -> list[str]:
        kind, value = self.peek()
        if (kind, value) == ("op", "("):
            self.take()
            flows = self.or_()
            self.take(")")
            return self.postfix(flows, None)
        if kind in ("string", "number"):
            self.take()
            return []
        if kind == "name":
            self.take()
            lowered = value.lower()
            if self.peek() == ("op", "("):
                return self.call(lowered)
            if lowered in ("true", "false", "null"):
                return []
            return self.postfix([], lowered)
        raise _ParseError(f"unexpected {value or 'end'}")

    def call(self, function: str) -> list[str]:
        self.take("(")
        flows: list[str] = []
        if self.peek() != ("op", ")"):
            flows += self.or_()
            while self.peek() == ("op", ","):
                self.take()
                flows += self.or_()
        self.take(")")
        return self.postfix([] if function in SAFE_FUNCTIONS else flows, None)

    def postfix(self, flows: list[str], reference: str | None) -> list[str]:
        """Property access: `.name`, `.*`, `['name']`, `[0]`; a reference is built when rooted in a name."""
        while self.peek() in (("op", "."), ("op", "[")):
            _, op = self.take()
            if op == ".":
                kind, value = self.take()
                step = "*" if value == "*" else value.lower() if kind == "name" else None
                if step is None:
                    raise _ParseError("bad property name")
            else:
                kind, value = self.peek()
                if kind == "string" and self.tokens[self.index + 1 : self.index + 2] == [("op", "]")]:
                    self.take()
                    step = value[1:-1].replace("''", "'").lower()
                else:
                    self.or_()
                    step = "*"
                self.take("]")
            if reference is not None:
                reference = f"{reference}.{step}"
        if reference is not None:
            self.mentions.append(reference)
            return [*flows, reference]
        return flows


def analyse(expression: str) -> Analysis:
    """The references of one expression's inner text (without `${{`/`}}`)."""
    try:
        parser = _Parser(_tokenize(expression))
        flows = parser.parse()
        return Analysis(tuple(dict.fromkeys(flows)), tuple(dict.fromkeys(parser.mentions)))
    except (_ParseError, IndexError, RecursionError):
        found = tuple(dict.fromkeys(_normalise(match.group()) for match in _FALLBACK_REFERENCE.finditer(expression)))
        return Analysis(found, found)


def _normalise(reference: str) -> str:
    text = re.sub(r"\[\s*'([^']*)'\s*\]", r".\1", reference)
    text = re.sub(r"\[[^\]]*\]", ".*", text)
    return text.lower()


def matches_context(reference: str, pattern: str) -> bool:
    """True when `reference` is the pattern's value, inside it, or an object that contains it.

    Patterns use `*` for one segment: `github.event.commits.*.message`. A reference shorter than
    the pattern (`github.event.issue` in `toJSON(github.event.issue)`) carries the whole object.
    """
    ref_steps = reference.lower().split(".")
    pattern_steps = pattern.lower().split(".")
    for ref_step, pattern_step in zip(ref_steps, pattern_steps, strict=False):
        if pattern_step != "*" and ref_step != "*" and ref_step != pattern_step:
            return False
    return True
