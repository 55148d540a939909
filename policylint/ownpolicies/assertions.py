"""`assert:` in policylint's own YAML policies: CEL expressions instead of a JSON Schema condition.

Each expression must be true for a compliant target: `object` is the matched target (the document,
or the container, step, service, ... itself rather than the view around it), `document` the whole
document.
CEL can compare two fields, do arithmetic and read quantities, which JSON Schema cannot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policylint.ownpolicies import LoadProblem, OwnViolation
from policylint.ownpolicies.cel import CelError, Program, bindings, compile_expression


@dataclass
class AssertionEvaluator:
    """The compiled `assert:` expressions of one policy."""

    programs: list[Program]
    target: str

    def violations_in(self, view: Any) -> list[OwnViolation]:
        """A violation at the target for the first expression that is false."""
        instance = view.instance
        # Views of a part (container, step, service, ...) carry it under the target's name next to
        # computed facts; `object` is the part itself, as a user writing CEL expects.
        if isinstance(instance, dict) and isinstance(instance.get(self.target), dict):
            instance = instance[self.target]
        context = bindings(object=instance, document=view.subject.data)
        for program in self.programs:
            result = program.evaluate(context)
            if result is False:
                return [OwnViolation((), f"assert failed: {program.source.strip()}")]
            if result is not True:
                raise CelError(f"assert {program.source.strip()!r} gave {result!r}, not a bool")
        return []


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
    if isinstance(expressions, str):
        expressions = [expressions]
    programs = []
    for index, source in enumerate(expressions):
        try:
            programs.append(compile_expression(source))
        except CelMissing as exc:
            return LoadProblem(str(policy.source), _assert_line(text, index), f"{policy.id}: {exc}")
        except CelError as exc:
            line = _assert_line(text, index) + max(exc.line - 1, 0)
            return LoadProblem(str(policy.source), line, f"{policy.id}: assert[{index}]: {exc}")
    policy.evaluator = AssertionEvaluator(programs, policy.target)
    policy.language = "CEL assert"
    return None
