"""Absence claims in a split run: findings that rest on "not found elsewhere in the run".

A run split into units (policylint.units) evaluates each unit alone. A relation that claims
something is absent from the whole run (an HPA's target is nowhere, a selector matches no pods
anywhere) can only look at its own unit, so it records what it assumed absent on its view
(`View.assumes`: fact name -> (the fact's value were it present elsewhere, the fact keys)). The
engine evaluates such a view a second time with those values (`with_assumptions`): a finding both
give needs nothing; one only the first gives holds while none of the keys exists in another unit;
one only the second gives holds only when one does. Each unit also lists the run-wide facts its
own documents make (small tuples; the kind says which), and the parent keeps or drops the marked
findings against the other units' facts (`retract`), then numbers the fingerprints of the touched
places again, as the whole run would have numbered them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from policylint.core.findings import Finding, assign_fingerprints
from policylint.core.records import replace
from policylint.core.views import View


def with_assumptions(found: list[Finding], view: View, evaluate: Callable[[View], list[Finding]]) -> list[Finding]:
    """`found` (the findings of `view`) marked with the fact keys they rest on, plus the findings the
    view would give were those facts present elsewhere (marked to hold only then)."""
    keys = frozenset(key for _, assumed in view.assumes.values() for key in assumed)
    if not keys:
        return found
    instance = dict(view.instance)
    instance.update((name, value) for name, (value, _) in view.assumes.items())
    otherwise = evaluate(View(instance, view.anchors, view.subject, view.label, view.fields, view.related))
    marked = [finding if finding in otherwise else replace(finding, assumes=keys) for finding in found]
    marked.extend(replace(finding, assumes=keys, assumes_present=True) for finding in otherwise if finding not in found)
    return marked


class FactTable:
    """Every unit's run-wide facts, with the units that hold each."""

    def __init__(self, facts: Sequence[Iterable[Any]]) -> None:
        self.owners: dict[Any, set[int]] = {}
        #: (tag, bucket) -> [(fact, unit)]: for facts a key matches by more than equality.
        self.buckets: dict[tuple[Any, Any], list[tuple[Any, int]]] = {}
        for unit, held in enumerate(facts):
            for fact in held:
                self.owners.setdefault(fact, set()).add(unit)
                self.buckets.setdefault((fact[0], fact[1]), []).append((fact, unit))

    def elsewhere(self, fact: Any, unit: int) -> bool:
        """True when a unit other than `unit` holds `fact`."""
        owners = self.owners.get(fact)
        return bool(owners) and (len(owners) > 1 or unit not in owners)

    def others(self, tag: Any, bucket: Any, unit: int) -> Iterable[Any]:
        """The facts `(tag, bucket, ...)` of the units other than `unit`."""
        return (fact for fact, owner in self.buckets.get((tag, bucket), ()) if owner != unit)


#: Whether a key is present in another unit: True, False, or None when the units cannot tell.
Presence = Callable[[Any, int, FactTable], "bool | None"]


def retract(findings: Sequence[list[Finding]], facts: Sequence[Iterable[Any]], present: Presence,
            path_of: Callable[[str], str] | None = None) -> list[list[Finding]] | None:
    """Every unit's findings (one list per unit) as the whole run would give them, against the
    units' facts (one collection per unit); None when some claim cannot be told from the facts (the
    caller then runs the whole set as one unit). A unit's findings must hold every finding of their
    files (fingerprints are numbered per policy and file)."""
    table = FactTable(facts)
    answers: dict[tuple[Any, int], bool | None] = {}
    result: list[list[Finding]] = []
    for unit, found in enumerate(findings):
        kept = _settled(unit, found, table, present, answers)
        if kept is None:
            return None
        result.append(kept if kept is found else _numbered(kept, found, path_of))
    return result


def _settled(unit: int, found: list[Finding], table: FactTable, present: Presence,
             answers: dict[tuple[Any, int], bool | None]) -> list[Finding] | None:
    """One unit's findings without those whose assumption the other units' facts contradict."""
    if not any(finding.assumes for finding in found):
        return found
    kept: list[Finding] = []
    for finding in found:
        if not finding.assumes:
            kept.append(finding)
            continue
        seen = False
        for key in sorted(finding.assumes, key=repr):
            if (key, unit) not in answers:
                answers[(key, unit)] = present(key, unit, table)
            answer = answers[(key, unit)]
            if answer is None:
                return None
            if answer:
                seen = True
                break
        if seen == finding.assumes_present:
            kept.append(replace(finding, assumes=frozenset(), assumes_present=False))
    return kept


def _numbered(kept: list[Finding], found: list[Finding], path_of: Callable[[str], str] | None) -> list[Finding]:
    """`kept` with the fingerprints of each (policy, file) that had an assumption numbered again."""
    touched = {(finding.policy_id, finding.path) for finding in found if finding.assumes}
    final = [finding for finding in kept if (finding.policy_id, finding.path) not in touched]
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in kept:
        if (finding.policy_id, finding.path) in touched:
            groups.setdefault((finding.policy_id, finding.path), []).append(finding)
    for group in groups.values():
        final.extend(assign_fingerprints(group, path_of))
    return final
