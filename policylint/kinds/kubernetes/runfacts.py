"""Run-wide facts of plain Kubernetes documents: what a unit of a split run tells the others
(policylint.core.assumptions), so that the absence claims the relations check over the whole run
(`Index.whole_run`) hold as if the run were one unit.

Facts and the keys the relations record (tuples; the second item is the namespace):
- `("id", namespace, kind, name)`: a plain object. Key: an HPA's target is somewhere
  (`targetElsewhere`), a ServiceAccount is defined somewhere (`serviceAccountDefined`).
- `("hpa", namespace, kind, name)`: a plain HPA whose target reference finds no candidate in its own
  scope, so it may target any `kind/name` of its namespace (`hpas_targeting`'s "may"). Key: the same.
- `("labels", namespace, pairs)`: a plain workload's pod labels as the run's index files them.
  Key `("select", namespace, selector)`: a plain workload of the namespace matches the selector.
- `("ref", namespace, name)`: a Rollout runs Deployment `name`'s pod template; its labels are those of
  the run's first Deployment of that name, which another unit may hold (then the units cannot tell).
Rendered documents (a chart, an overlay) relate only with their own rendering: they make no facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from policylint.core.assumptions import FactTable
from policylint.core.documents import Document
from policylint.kinds.kubernetes import WORKLOAD_KINDS
from policylint.kinds.kubernetes.scope import folder_of
from policylint.kinds.kubernetes.selectors import Selector, normalise_labels
from policylint.kinds.kubernetes.workloads import is_workload, pod_labels, workload_ref


def facts(documents: Iterable[Document]) -> set[tuple[Any, ...]]:
    """The run-wide facts the plain Kubernetes documents of `documents` make."""
    plain = [doc for doc in documents if doc.file_kind == "kubernetes" and not doc.origin]
    found: set[tuple[Any, ...]] = set()
    first_deployment: dict[tuple[str, str], Any] = {}
    targets: list[tuple[Any, str, str]] = []
    for doc in plain:
        found.add(("id", doc.namespace, doc.kind, doc.name))
        if doc.kind == "Deployment":
            first_deployment.setdefault((doc.namespace, doc.name), doc)
        elif doc.kind == "HorizontalPodAutoscaler":
            ref = doc.get(("spec", "scaleTargetRef"))
            if isinstance(ref, Mapping) and isinstance(ref.get("kind"), str) and isinstance(ref.get("name"), str):
                targets.append((doc, ref["kind"], ref["name"]))
    for doc in plain:
        if doc.kind not in WORKLOAD_KINDS or not is_workload(doc):
            continue
        name = workload_ref(doc)
        if name is None:
            labels = pod_labels(doc)
        else:  # as the run's index files it (relations._visible_pod_labels)
            found.add(("ref", doc.namespace, name))
            deployment = first_deployment.get((doc.namespace, name))
            labels = pod_labels(deployment) if deployment is not None else {}
        found.add(("labels", doc.namespace, tuple(sorted(normalise_labels(labels).items()))))
    if targets:  # an HPA whose scope holds no candidate for its target (Index.resolve finds nothing)
        by_identity: dict[tuple[str, str, str], list[Any]] = {}
        for doc in plain:
            by_identity.setdefault((doc.namespace, doc.kind, doc.name), []).append(doc)
        for hpa, kind, name in targets:
            if not any(_related(hpa, doc) for doc in by_identity.get((hpa.namespace, kind, name), ())):
                found.add(("hpa", hpa.namespace, kind, name))
    return found


def _related(first: Any, second: Any) -> bool:
    """True when two plain documents share a relation scope (policylint.kinds.kubernetes.scope): one's
    folder is the other's or contains it, or a kustomization lists both."""
    one, other = folder_of(first.path), folder_of(second.path)
    short = min(len(one), len(other))
    return one[:short] == other[:short] or bool(set(first.groups) & set(second.groups))


def present(key: tuple[Any, ...], unit: int, table: FactTable) -> bool | None:
    """Whether a unit other than `unit` makes the fact `key` assumed absent (None: cannot tell)."""
    if key[0] != "select":
        return table.elsewhere(key, unit)
    _, namespace, selector = key
    assert isinstance(selector, Selector)
    for ref, owner in table.buckets.get(("ref", namespace), ()):
        if table.elsewhere(("id", namespace, "Deployment", ref[2]), owner):
            return None  # which Deployment's labels the Rollout runs depends on the whole run's order
    return any(selector.matches(dict(labels[2])) for labels in table.others("labels", namespace, unit))
