"""CEL for user policies: one cel-expr-python environment with the Kubernetes libraries.

Why cel-expr-python (Google's cel-cpp behind pybind11): it type-checks at compile time, so an
unknown function or a type error is reported when the policy is loaded, with a column; it imports
in about 2 ms and evaluates a typical admission rule in under 10 µs; and it ships the strings
(`format`) and optional-types extensions. common-expression-language (Rust) imports a CLI stack
(~170 ms) and has no type checker; cel-python (pure Python) is two orders of magnitude slower.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: Variables an expression may use: the admission ones, plus `document` for policylint's YAML `assert:`.
VARIABLES = ("object", "oldObject", "request", "params", "namespaceObject", "variables", "document")


class CelError(Exception):
    """A CEL expression did not compile, or did not evaluate to what it must."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        """`line`/`column`: where in the expression text (1-based; 0 when unknown)."""
        super().__init__(message)
        self.line = line
        self.column = column


class CelMissing(CelError):
    """The optional CEL runtime is not installed."""


_env: Any = None
_cel: Any = None
_ERROR_AT = re.compile(r"ERROR: <input>:(\d+):(\d+): ([^\n]*)")


def _environment() -> tuple[Any, Any]:
    global _env, _cel
    if _env is None:
        try:
            from cel_expr_python import cel
            from cel_expr_python.ext import ext_optional, ext_strings
        except ImportError as exc:
            raise CelMissing("CEL policies need the optional CEL runtime: pip install 'policylint[cel]'") from exc
        from policylint.ownpolicies.cel_k8s import declarations

        _cel = cel
        _env = cel.NewEnv(
            variables={name: cel.Type.DYN for name in VARIABLES},
            # The Kubernetes libraries come as an extension after the strings one, so their list
            # overloads of indexOf/lastIndexOf join the string ones instead of clashing.
            extensions=[ext_strings.ExtStrings(), ext_optional.ExtOptional(), cel.CelExtension("kubernetes", declarations(cel))],
        )
    return _env, _cel


@dataclass
class Program:
    """A compiled expression and its source text."""

    source: str
    compiled: Any

    def evaluate(self, bindings: dict[str, Any]) -> Any:
        """The plain value, or CelError when evaluation produced a CEL error."""
        _, cel = _environment()
        value = self.compiled.eval(data=bindings)
        if value.type() == cel.Type.ERROR:
            raise CelError(f"{value.value()} (in {self.source.strip()!r})")
        return _plain(value.plain_value())


def _plain(value: Any) -> Any:
    """CEL's optional-none and carrier maps as ordinary values (a Quantity reads as its text)."""
    if isinstance(value, dict) and len(value) == 1:
        from policylint.ownpolicies.cel_k8s import QUANTITY_KEY, URL_KEY

        for key in (QUANTITY_KEY, URL_KEY):
            if key in value:
                return value[key]
    return value


def compile_expression(source: str) -> Program:
    """Compile (parse and type-check) one expression; CelError names the first problem and where."""
    env, _ = _environment()
    if not isinstance(source, str) or not source.strip():
        raise CelError("a CEL expression must be a non-empty string")
    try:
        return Program(source, env.compile(source))
    except RuntimeError as exc:
        text = str(exc)
        match = _ERROR_AT.search(text)
        if match:
            raise CelError(match.group(3), int(match.group(1)), int(match.group(2))) from None
        raise CelError(text.splitlines()[0] if text else "invalid expression") from None


def bindings(**values: Any) -> dict[str, Any]:
    """Every declared variable bound (None where not given), so no expression meets an unbound name."""
    return {name: values.get(name) for name in VARIABLES}
