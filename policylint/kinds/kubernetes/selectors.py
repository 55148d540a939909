"""Kubernetes label selectors, written once (matchLabels, matchExpressions, plain maps).

Every relational policy that asks "which pods does this object select?" goes through here, so the
semantics of In / NotIn / Exists / DoesNotExist, empty and null selectors are decided in one place.
`LabelIndex` answers that question without comparing every selector with every workload.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar

from policylint.core.records import record

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")

Item = TypeVar("Item")


def label_value(value: Any) -> str | None:
    """A label value as the API server would read it; None for values that cannot be labels.

    YAML turns `version: 1` or `enabled: true` into numbers and booleans; the API rejects those,
    but a user who wrote them means the string, so we compare the string form.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        return ""
    return None


def normalise_labels(labels: Any) -> dict[str, str]:
    """Labels as a str → str mapping (anything that is not a mapping has no labels)."""
    if not isinstance(labels, Mapping):
        return {}
    result: dict[str, str] = {}
    for key, value in labels.items():
        text = label_value(value)
        if isinstance(key, str) and text is not None:
            result[key] = text
    return result


@record(frozen=True, slots=True)
class Requirement:
    """One condition on one label key."""

    key: str
    operator: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when `labels` satisfy this requirement."""
        present = self.key in labels
        if self.operator == "In":
            return present and labels[self.key] in self.values
        if self.operator == "NotIn":
            return not present or labels[self.key] not in self.values
        if self.operator == "Exists":
            return present
        return not present  # DoesNotExist


@record(frozen=True, slots=True)
class Selector:
    """A parsed selector.

    `selects_all` is True for an empty selector that the API reads as "every pod";
    `selects_none` for a null selector (where the API reads it so) or an invalid one.
    """

    requirements: tuple[Requirement, ...] = ()
    selects_all: bool = False
    selects_none: bool = False
    valid: bool = True
    reason: str = ""

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when an object with these (normalised) labels is selected."""
        if self.selects_none:
            return False
        if self.selects_all:
            return True
        return all(requirement.matches(labels) for requirement in self.requirements)


NOTHING = Selector(selects_none=True)
EVERYTHING = Selector(selects_all=True)


def _invalid(reason: str) -> Selector:
    return Selector(selects_none=True, valid=False, reason=reason)


def parse_label_selector(value: Any, *, null_selects_all: bool = False, empty_selects_all: bool = True) -> Selector:
    """Parse a `LabelSelector` (`matchLabels` + `matchExpressions`).

    `null_selects_all`: what an absent selector means (NetworkPolicy: every pod; PDB policy/v1:
    no pod). `empty_selects_all`: what `{}` means (every pod, except PDB policy/v1beta1: none).
    An invalid selector (unknown operator, `In` without values, ...) selects nothing, as the
    API server would refuse the object.
    """
    if value is None:
        return EVERYTHING if null_selects_all else NOTHING
    if not isinstance(value, Mapping):
        return _invalid("selector is not a mapping")
    requirements: list[Requirement] = []
    match_labels = value.get("matchLabels")
    if match_labels is not None:
        if not isinstance(match_labels, Mapping):
            return _invalid("matchLabels is not a mapping")
        for key, raw in match_labels.items():
            text = label_value(raw)
            if not isinstance(key, str) or text is None:
                return _invalid(f"matchLabels entry {key!r} is not a label")
            requirements.append(Requirement(key, "In", frozenset((text,))))
    expressions = value.get("matchExpressions")
    if expressions is not None:
        if not isinstance(expressions, list):
            return _invalid("matchExpressions is not a list")
        for expression in expressions:
            parsed = _expression(expression)
            if isinstance(parsed, str):
                return _invalid(parsed)
            requirements.append(parsed)
    if not requirements:
        return EVERYTHING if empty_selects_all else NOTHING
    return Selector(tuple(requirements))


def _expression(expression: Any) -> Requirement | str:
    if not isinstance(expression, Mapping):
        return "matchExpressions entry is not a mapping"
    key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values")
    if not isinstance(key, str) or not key:
        return "matchExpressions entry has no key"
    if operator not in OPERATORS:
        return f"unknown matchExpressions operator {operator!r}"
    texts: list[str] = []
    if values is not None:
        if not isinstance(values, list):
            return f"values of {key} is not a list"
        for raw in values:
            text = label_value(raw)
            if text is None:
                return f"values of {key} holds a non-scalar"
            texts.append(text)
    if operator in ("In", "NotIn") and not texts:
        return f"operator {operator} on {key} needs at least one value"
    if operator in ("Exists", "DoesNotExist") and texts:
        return f"operator {operator} on {key} takes no values"
    return Requirement(key, operator, frozenset(texts))


def parse_map_selector(value: Any) -> Selector:
    """A Service-style plain map selector: every pair must match; empty or absent selects nothing.

    (A Service without a selector is one whose endpoints are managed by hand.)
    """
    if not isinstance(value, Mapping) or not value:
        return NOTHING
    requirements = []
    for key, raw in value.items():
        text = label_value(raw)
        if not isinstance(key, str) or text is None:
            return _invalid(f"selector entry {key!r} is not a label")
        requirements.append(Requirement(key, "In", frozenset((text,))))
    return Selector(tuple(requirements))


class LabelIndex(Generic[Item]):
    """Items (workloads) by their labels, so a selector finds its matches without a full scan.

    A selector with a positive requirement (`In`, `Exists`) looks only at the items carrying one
    of the keys or values it asks for; only selectors made solely of negative requirements (or
    empty ones, which select everything anyway) walk every item.
    """

    def __init__(self) -> None:
        """An empty index."""
        self._items: list[tuple[Item, dict[str, str]]] = []
        self._by_pair: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._by_key: dict[str, list[int]] = defaultdict(list)

    def add(self, item: Item, labels: Any) -> None:
        """Index one item with its labels (normalised here)."""
        position = len(self._items)
        normalised = normalise_labels(labels)
        self._items.append((item, normalised))
        for key, value in normalised.items():
            self._by_pair[(key, value)].append(position)
            self._by_key[key].append(position)

    def __len__(self) -> int:
        """The number of items."""
        return len(self._items)

    def items(self) -> list[Item]:
        """Every item, in insertion order."""
        return [item for item, _ in self._items]
    def _candidates(self, selector: Selector) -> Iterable[int]:
        best: list[int] | None = None
        for requirement in selector.requirements:
            if requirement.operator == "In":
                postings: list[int] = []
                for value in requirement.values:
                    postings.extend(self._by_pair.get((requirement.key, value), ()))
                postings.sort()
            elif requirement.operator == "Exists":
                postings = self._by_key.get(requirement.key, [])
            else:
                continue
            if best is None or len(postings) < len(best):
                best = postings
        return range(len(self._items)) if best is None else best

    def select(self, selector: Selector) -> list[Item]:
        """Every item the selector matches, in insertion order."""
        if selector.selects_none:
            return []
        if selector.selects_all:
            return self.items()
        return [
            self._items[position][0]
            for position in self._candidates(selector)
            if selector.matches(self._items[position][1])
        ]
