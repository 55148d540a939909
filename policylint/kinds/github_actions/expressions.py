"""GitHub's expression language (`${{ }}`): a parser, the functions it knows, and what flows out.

No maintained Python library parses these expressions (the two linters that do, zizmor and
actionlint, are Rust and Go), so this is a small table-driven recursive-descent parser of the
grammar GitHub documents (docs.github.com/en/actions/reference/evaluate-expressions-in-workflows-and-actions):

- literals: `null`, `true`, `false`, numbers (`711`, `-9.2`, `0xff`, `2.99e-2`), strings in
  single quotes with `''` as the escaped quote (double quotes are not strings);
- operators, from tightest: `( )`, `[ ]` and `.` (property and index access, `.*` and `[*]`
  filters), `!`, `< <= > >=`, `== !=`, `&&`, `||`;
- function calls, checked against `FUNCTIONS` (name, arity, where a status function may appear);
- context names (`github`, `env`, ...; `CONTEXTS`).

The tree answers three questions. `references`: which context paths an expression reads.
`flows`: which of them can reach its *value* (what a script interpolates): `github.event.issue.title`
does, `contains(github.event.issue.title, 'x')` does not (a boolean), neither do comparisons or `!`;
`a || b` may yield either operand; `a && b` yields `a` only when it is falsy (null, false, 0, ''),
which carries no text, so only `b` flows; `format`/`join`/`toJSON`/`fromJSON` pass their arguments
through. `problems`: why it is not a valid expression (syntax, unknown function or context, arity).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

#: The contexts GitHub knows, lower-case (contexts and functions are case-insensitive).
CONTEXTS = ("github", "env", "vars", "job", "jobs", "steps", "runner", "secrets", "strategy", "matrix", "needs", "inputs")

#: Function name (lower-case) -> (spelling, least arguments, most arguments or None for any).
FUNCTIONS: dict[str, tuple[str, int, int | None]] = {
    "contains": ("contains", 2, 2),
    "startswith": ("startsWith", 2, 2),
    "endswith": ("endsWith", 2, 2),
    "format": ("format", 1, None),
    "join": ("join", 1, 2),
    "tojson": ("toJSON", 1, 1),
    "fromjson": ("fromJSON", 1, 1),
    "hashfiles": ("hashFiles", 1, None),
    "success": ("success", 0, 0),
    "always": ("always", 0, 0),
    "cancelled": ("cancelled", 0, 0),
    "failure": ("failure", 0, 0),
    "case": ("case", 3, None),
}
#: Status functions: only in `if:` (of a job or a step).
STATUS_FUNCTIONS = frozenset({"success", "always", "cancelled", "failure"})
#: Functions whose result is a boolean or a hash: nothing of their arguments reaches the output.
SAFE_FUNCTIONS = frozenset({"contains", "startswith", "endswith", "success", "always", "cancelled", "failure", "hashfiles"})

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<number>0x[0-9a-fA-F]+|-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|-?Infinity|NaN)
    | (?P<op>==|!=|<=|>=|&&|\|\||[<>!()\[\],.*])
    | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    | (?P<bad>"[^"]*"?|\S)
    )""",
    re.VERBOSE,
)
_FALLBACK_REFERENCE = re.compile(r"\b(?:" + "|".join(CONTEXTS) + r")(?:\.[A-Za-z0-9_*-]+|\[[^\]]*\])*", re.IGNORECASE)
_MAX_DEPTH = 100


class ExpressionError(Exception):
    """The text is not a valid expression; the message says why, in GitHub's terms."""


@dataclass(frozen=True, slots=True)
class Node:
    """One node of the tree. `kind`: literal (value), context (value = name), property (value =
    name, children = (object,)), index (children = (object, index)), filter (children = (object,)),
    call (value = lower-case name, children = arguments), not (children = (operand,)), binary
    (value = operator, children = (left, right))."""

    kind: str
    value: object = None
    children: tuple[Node, ...] = ()


@dataclass(frozen=True, slots=True)
class Analysis:
    """`flows`: context references whose value can reach the result; `mentions`: every reference."""

    flows: tuple[str, ...]
    mentions: tuple[str, ...]


def tokenize(text: str) -> list[tuple[str, str]]:
    """The tokens of an expression's inner text; raises ExpressionError on text GitHub rejects."""
    tokens: list[tuple[str, str]] = []
    position = 0
    length = len(text)
    while position < length:
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            break  # only whitespace is left
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "bad":
            if value.startswith('"'):
                raise ExpressionError(f"string literals use single quotes, not {value}")
            raise ExpressionError(f"unexpected character {value!r}")
        tokens.append((kind, value))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.index] if self.index < len(self.tokens) else ("end", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "end" or (value is not None and token[1] != value):
            raise ExpressionError(f"expected {value or 'a value'} but found {token[1] or 'the end of the expression'}")
        self.index += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            raise ExpressionError("the expression is empty")
        node = self.binary(0)
        if self.peek()[0] != "end":
            raise ExpressionError(f"unexpected {self.peek()[1]} after a complete expression")
        return node

    #: Binary operators by precedence level, loosest first.
    LEVELS = (("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="))

    def binary(self, level: int) -> Node:
        if level == len(self.LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in self.LEVELS[level]:
            _, op = self.take()
            node = Node("binary", op, (node, self.binary(level + 1)))
        return node

    def unary(self) -> Node:
        if self.peek() == ("op", "!"):
            self.take()
            return Node("not", None, (self.unary(),))
        return self.postfix(self.primary())

    def primary(self) -> Node:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ExpressionError("the expression nests too deeply")
        kind, value = self.peek()
        if (kind, value) == ("op", "("):
            self.take()
            node = self.binary(0)
            self.take(")")
            return node
        if kind == "string":
            self.take()
            return Node("literal", value[1:-1].replace("''", "'"))
        if kind == "number":
            self.take()
            return Node("literal", _number(value))
        if kind == "name":
            self.take()
            lowered = value.lower()
            if self.peek() == ("op", "("):
                return self.call(value)
            if lowered in ("true", "false"):
                return Node("literal", lowered == "true")
            if lowered == "null":
                return Node("literal", None)
            return Node("context", lowered)
        raise ExpressionError(f"unexpected {value or 'end of the expression'}")

    def call(self, name: str) -> Node:
        self.take("(")
        arguments: list[Node] = []
        if self.peek() != ("op", ")"):
            arguments.append(self.binary(0))
            while self.peek() == ("op", ","):
                self.take()
                arguments.append(self.binary(0))
        self.take(")")
        return Node("call", name, tuple(arguments))

    def postfix(self, node: Node) -> Node:
        while self.peek() in (("op", "."), ("op", "[")):
            _, op = self.take()
            if op == ".":
                kind, value = self.take()
                if (kind, value) == ("op", "*"):
                    node = Node("filter", None, (node,))
                elif kind == "name":
                    node = Node("property", value.lower(), (node,))
                else:
                    raise ExpressionError(f"expected a property name after '.' but found {value}")
            elif self.peek() == ("op", "*"):
                self.take()
                self.take("]")
                node = Node("filter", None, (node,))
            else:
                index = self.binary(0)
                self.take("]")
                node = Node("index", None, (node, index))
        return node


def _number(text: str) -> float | int:
    lowered = text.lower()
    if lowered.startswith("0x"):
        return int(lowered, 16)
    if lowered.lstrip("-") in ("infinity", "nan"):
        return float(lowered)
    number = float(text)
    return int(number) if number.is_integer() and "." not in text and "e" not in lowered else number


def parse(text: str) -> Node:
    """The tree of one expression's inner text (without `${{`/`}}`); raises ExpressionError."""
    try:
        return _Parser(tokenize(text)).parse()
    except RecursionError as exc:
        raise ExpressionError("the expression nests too deeply") from exc


def reference(node: Node) -> str | None:
    """`github.event.issue.title` for a property chain rooted in a context; `*` for a filter or an
    index that is not a string literal; None when the chain is not rooted in a context."""
    steps: list[str] = []
    while node.kind in ("property", "index", "filter"):
        if node.kind == "property":
            steps.append(str(node.value))
        elif node.kind == "index" and node.children[1].kind == "literal" and isinstance(node.children[1].value, str):
            steps.append(str(node.children[1].value).lower())
        else:
            steps.append("*")
        node = node.children[0]
    if node.kind != "context":
        return None
    steps.append(str(node.value))
    return ".".join(reversed(steps))


def walk(node: Node) -> list[Node]:
    """Every node of the tree, parents before children."""
    found: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(reversed(current.children))
    return found


def references(node: Node) -> list[str]:
    """Every context path the expression reads (the longest chain at each place), in order."""
    found: list[str] = []

    def visit(current: Node) -> None:
        path = reference(current) if current.kind in ("property", "index", "filter", "context") else None
        if path is not None:
            found.append(path)
            # indexes inside the chain are expressions of their own: `a[b.c]` reads b.c too
            while current.kind in ("property", "index", "filter"):
                if current.kind == "index":
                    visit(current.children[1])
                current = current.children[0]
            return
        for child in current.children:
            visit(child)

    visit(node)
    return list(dict.fromkeys(found))


def flows(node: Node) -> list[str]:
    """The context paths whose value can become the expression's value (see the module's doc)."""
    kind = node.kind
    if kind in ("property", "index", "filter", "context"):
        path = reference(node)
        if path is not None:
            return [path]
        return flows(node.children[0])  # `fromJSON(x).y`: the object's flows
    if kind == "literal" or kind == "not":
        return []
    if kind == "call":
        if str(node.value).lower() in SAFE_FUNCTIONS:
            return []
        return [flow for argument in node.children for flow in flows(argument)]
    if kind == "binary":
        op = node.value
        if op == "||":
            return flows(node.children[0]) + flows(node.children[1])
        if op == "&&":
            return flows(node.children[1])
        return []
    return []


def problems(node: Node) -> list[str]:
    """Why a parsed expression is not valid wherever it appears: unknown functions or contexts,
    wrong numbers of arguments."""
    found: list[str] = []
    for current in walk(node):
        if current.kind == "call":
            name = str(current.value)
            known = FUNCTIONS.get(name.lower())
            if known is None:
                found.append(f"unknown function {name}()")
                continue
            spelling, least, most = known
            count = len(current.children)
            if count < least or (most is not None and count > most):
                wanted = str(least) if least == most else f"at least {least}" if most is None else f"{least} to {most}"
                found.append(f"{spelling}() takes {wanted} argument{'s' if wanted != '1' else ''}, given {count}")
            elif name.lower() == "case" and count % 2 == 0:
                found.append("case() takes pairs of condition and value and a default: an odd number of arguments")
        elif current.kind == "context" and current.value not in CONTEXTS:
            found.append(f"unknown context {current.value}")
    return list(dict.fromkeys(found))


@functools.lru_cache(maxsize=4096)
def analyse(expression: str) -> Analysis:
    """The references of one expression's inner text (without `${{`/`}}`). Text that does not
    parse falls back to "every context name it mentions flows", which errs on the side of reporting.

    Memoised: the same few expressions recur in every step and every workflow, and the result is frozen."""
    try:
        tree = parse(expression)
    except ExpressionError:
        found = tuple(dict.fromkeys(_normalise(match.group()) for match in _FALLBACK_REFERENCE.finditer(expression)))
        return Analysis(found, found)
    return Analysis(tuple(dict.fromkeys(flows(tree))), tuple(references(tree)))


def _normalise(text: str) -> str:
    text = re.sub(r"\[\s*'([^']*)'\s*\]", r".\1", text)
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
