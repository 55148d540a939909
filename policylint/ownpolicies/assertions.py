"""`assert:` in policylint's own YAML policies: CEL expressions instead of a JSON Schema condition.

Each expression must be true for a compliant target: `object` is the matched target (the document,
or the container, step, service, ... itself rather than the view around it), `document` the whole
document.
CEL can compare two fields, do arithmetic and read quantities, which JSON Schema cannot.

An item may also be written as an admission policy's validation, `{expression, message}` or
`{expression, messageExpression}`: the reason (`{reason}` in the policy's message) is then that
message. The finding points at the deepest `object.<field>` the false expression reads that the
target has, and `{value}` is the value there (not the whole target).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from policylint.ownpolicies import LoadProblem, OwnViolation
from policylint.ownpolicies.cel import CelError, Program, bindings, compile_expression

#: A field path the expression reads from the target: `object.resources.limits.memory`.
_OBJECT_FIELD = re.compile(r"\bobject((?:\??\.[A-Za-z_]\w*)+)")


@dataclass
class Assertion:
    """One compiled expression, with the message it gives when false (fixed, or CEL)."""

    program: Program
    message: str = ""
    message_program: Program | None = None
    fields: list[tuple[str, ...]] = field(default_factory=list)


@dataclass
class AssertionEvaluator:
    """The compiled `assert:` expressions of one policy."""

    assertions: list[Assertion]
    target: str

    def violations_in(self, view: Any) -> list[OwnViolation]:
        """A violation for the first expression that is false, at the field it reads."""
        instance = view.instance
        prefix: tuple[str, ...] = ()
        # Views of a part (container, step, service, ...) carry it under the target's name next to
        # computed facts; `object` is the part itself, as a user writing CEL expects.
        if isinstance(instance, dict) and isinstance(instance.get(self.target), dict):
            instance, prefix = instance[self.target], (self.target,)
        context = bindings(object=instance, document=view.subject.data)
        for assertion in self.assertions:
            program = assertion.program
            result = program.evaluate(context)
            if result is True:
                continue
            if result is not False:
                raise CelError(f"assert {program.source.strip()!r} gave {result!r}, not a bool")
            reason = assertion.message or f"assert failed: {program.source.strip()}"
            if assertion.message_program is not None:
                given = assertion.message_program.evaluate(context)
                if isinstance(given, str) and given.strip():
                    reason = given
            return [OwnViolation((*prefix, *_deepest_present(instance, assertion.fields)), reason)]
        return []


def _deepest_present(instance: Any, fields: list[tuple[str, ...]]) -> tuple[str, ...]:
    """The longest path among `fields` (or a prefix of one) that `instance` holds."""
    best: tuple[str, ...] = ()
    for path in fields:
        node, reached = instance, ()
        for step in path:
            if not isinstance(node, dict) or step not in node:
                break
            node, reached = node[step], (*reached, step)
        if len(reached) > len(best):
            best = reached
    return best


def _fields_read(source: str) -> list[tuple[str, ...]]:
    """Every `object.a.b` path an expression reads, in order of appearance (`?.` counts as `.`)."""
    return [tuple(part for part in match.group(1).replace("?", "").split(".") if part)
            for match in _OBJECT_FIELD.finditer(source)]


def _assert_line(text: str, index: int) -> int:
    """The line of the `assert:` key (or of its index-th item) in the policy file."""
    from policylint.core.yamlnodes import YamlError, parse_yaml_stream

    for document in parse_yaml_stream(text):
        if isinstance(document, YamlError):
            break
        for pointer in (("assert", index), ("assert",)):
            position = document.value_positions.get(pointer)
            if position is not None:
                return position[0].line
            if pointer in document.positions:
                return document.positions[pointer].line
    return 1


def attach_assertions(policy: Any, text: str) -> LoadProblem | None:
    """Compile the policy's `assert:` and make it its evaluator; a LoadProblem when it does not compile."""
    from policylint.ownpolicies.cel import CelMissing

    expressions = policy.raw["assert"]
    if isinstance(expressions, (str, dict)):
        expressions = [expressions]
    assertions = []
    for index, item in enumerate(expressions):
        written = item if isinstance(item, dict) else {"expression": item}
        try:
            assertion = Assertion(compile_expression(written["expression"]), str(written.get("message") or ""),
                                  fields=_fields_read(written["expression"]))
            if written.get("messageExpression"):
                assertion.message_program = compile_expression(written["messageExpression"])
        except CelMissing as exc:
            return LoadProblem(str(policy.source), _assert_line(text, index), f"{policy.id}: {exc}")
        except CelError as exc:
            line = _assert_line(text, index) + max(exc.line - 1, 0)
            return LoadProblem(str(policy.source), line, f"{policy.id}: assert[{index}]: {exc}")
        assertions.append(assertion)
    policy.evaluator = AssertionEvaluator(assertions, policy.target)
    policy.language = "CEL assert"
    return None
