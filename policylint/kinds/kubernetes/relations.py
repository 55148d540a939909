"""Kubernetes relations: joins between objects that belong together (HPA ↔ workload, selectors ↔ pods, ...).

Every relation reads one per-run index (`index(documents, mode)`, memoised with `documents.memo`).
Which objects meet is the *relation scope* (`policylint.kinds.kubernetes.scope`): plain files relate along
their folder tree and through the kustomizations that list them; objects rendered from one
overlay or chart (one `Document.origin`) relate only with each other; `relation_scope: run`
puts every plain file in one scope. The index keeps objects in *regions* (a folder's own files,
a folder with everything below it, one kustomization's files, one origin, the run), each split
by namespace with a `LabelIndex`; a document sees the few regions of its scope (its folder's
subtree, its ancestors' own files, its kustomizations), so the run stays linear in the number
of documents times the folder depth. Facts computed per object are memoised as well, so the
several policies that read them share one join.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from policylint.core.documents import Document, DocumentSet
from policylint.core.kinds import relation
from policylint.core.records import field, record
from policylint.core.views import Anchor, View, ViewPath
from policylint.kinds.kubernetes import SCALABLE_KINDS, WORKLOAD_KINDS
from policylint.kinds.kubernetes.scope import DEFAULT_MODE, SCOPE_PARAM, Folder, ancestors, folder_of, nearest
from policylint.kinds.kubernetes.selectors import (
    LabelIndex,
    Selector,
    normalise_labels,
    parse_label_selector,
    parse_map_selector,
)
from policylint.kinds.kubernetes.unseen import makes_unseen_pods, possible_pod_owner, without_controller_labels
from policylint.kinds.kubernetes.workloads import containers, is_workload, pod_labels, pod_spec, replicas, workload_ref

if TYPE_CHECKING:
    from policylint.kinds.kubernetes.ports import ContainerPort

INDEX_KEY = "kubernetes.index"
DNS_PORT = 53
DNS_PORT_NAMES = frozenset({"dns", "dns-tcp", "dns-udp"})
METRIC_SOURCES = {"Resource": "resource", "ContainerResource": "containerResource"}
#: A message names at most this many related objects, then says how many more.
NAMES_IN_MESSAGE = 3
#: A finding lists at most this many related locations; the last one says how many were left out.
RELATED_LIMIT = 20


@record
class Bucket:
    """The objects of one namespace in one region."""

    workloads: list[Document] = field(default_factory=list)
    labels: LabelIndex[Document] = field(default_factory=LabelIndex)
    by_kind_name: dict[tuple[str, str], list[Document]] = field(default_factory=dict)
    hpas_by_target: dict[tuple[str, str], list[Document]] = field(default_factory=dict)
    pdbs: list[Document] = field(default_factory=list)
    network_policies: list[Document] = field(default_factory=list)
    #: Custom resources whose operator may create pods the set cannot show.
    pod_owners: list[Document] = field(default_factory=list)


@record
class Region:
    """Documents that all relate to whoever sees the region, by namespace."""

    namespaces: dict[str, Bucket] = field(default_factory=dict)
    has_network_policy: bool = False

    def add(self, doc: Document) -> None:
        """File one document under its namespace."""
        kind = doc.kind
        bucket = self.namespaces.get(doc.namespace)
        if bucket is None:
            bucket = self.namespaces[doc.namespace] = Bucket()
        bucket.by_kind_name.setdefault((kind, doc.name), []).append(doc)
        if kind in WORKLOAD_KINDS and is_workload(doc):
            bucket.workloads.append(doc)
            bucket.labels.add(doc, _visible_pod_labels(bucket, doc))
            if makes_unseen_pods(doc):  # an Argo Rollout's experiments and canary labels
                bucket.pod_owners.append(doc)
        elif kind == "HorizontalPodAutoscaler":
            ref = doc.get(("spec", "scaleTargetRef"))
            if isinstance(ref, Mapping) and isinstance(ref.get("kind"), str) and isinstance(ref.get("name"), str):
                bucket.hpas_by_target.setdefault((ref["kind"], ref["name"]), []).append(doc)
        elif kind == "PodDisruptionBudget":
            bucket.pdbs.append(doc)
        elif kind == "NetworkPolicy":
            bucket.network_policies.append(doc)
            self.has_network_policy = True
        elif possible_pod_owner(doc):
            bucket.pod_owners.append(doc)


_EMPTY = Bucket()


def _visible_pod_labels(bucket: Bucket, doc: Document) -> Mapping[str, Any]:
    """The labels of a workload's pods; a Rollout with `workloadRef` runs its Deployment's template
    (indexed after every other object, so the Deployment of its region is already filed)."""
    name = workload_ref(doc)
    if name is None:
        return pod_labels(doc)
    found = bucket.by_kind_name.get(("Deployment", name))
    return pod_labels(found[0]) if found else {}


@record
class Resolution:
    """Where a reference by name leads: `target`, or None with `tied` holding the equally near candidates."""

    target: Document | None
    tied: list[Document]

    @property
    def ambiguous(self) -> bool:
        """True when several candidates are equally near: no finding may rest on the reference."""
        return self.target is None and len(self.tied) > 1


@record
class Index:
    """Every region of the run, built in one pass over the documents."""

    mode: str = DEFAULT_MODE
    origins: dict[str, Region] = field(default_factory=dict)
    run: Region = field(default_factory=Region)
    own: dict[Folder, Region] = field(default_factory=dict)
    subtree: dict[Folder, Region] = field(default_factory=dict)
    groups: dict[str, Region] = field(default_factory=dict)
    order: dict[int, int] = field(default_factory=dict)
    folders: dict[int, Folder] = field(default_factory=dict)
    pdbs: list[Document] = field(default_factory=list)
    network_policies: list[Document] = field(default_factory=list)
    memo: dict[tuple[str, Any], Any] = field(default_factory=dict)
    #: The set the index was built from (for `whole_run`).
    documents: DocumentSet | None = None

    def whole_run(self) -> Index:
        """The index of the same set with every plain file in one scope: where absence claims are checked."""
        if self.mode == "run" or self.documents is None:
            return self
        return index(self.documents, "run")

    def add(self, doc: Document) -> None:
        """Put one document in every region it belongs to."""
        self.order[id(doc)] = len(self.order)
        folder = self.folders[id(doc)] = folder_of(doc.path)
        if doc.origin:
            self.origins.setdefault(doc.origin, Region()).add(doc)
        elif self.mode == "run":
            self.run.add(doc)
        else:
            self.own.setdefault(folder, Region()).add(doc)
            for step in (folder, *ancestors(folder)):
                self.subtree.setdefault(step, Region()).add(doc)
            for group in doc.groups:
                self.groups.setdefault(group, Region()).add(doc)
        if doc.kind == "PodDisruptionBudget":
            self.pdbs.append(doc)
        elif doc.kind == "NetworkPolicy":
            self.network_policies.append(doc)

    def folder(self, doc: Document) -> Folder:
        """The folder a document's file is in."""
        found = self.folders.get(id(doc))
        return found if found is not None else folder_of(doc.path)

    def regions(self, doc: Document) -> list[Region]:
        """The regions whose documents relate to `doc` (its relation scope)."""
        key = ("regions", id(doc))
        found = self.memo.get(key)
        if found is None:
            if doc.origin:
                found = [self.origins.get(doc.origin) or Region()]
            elif self.mode == "run":
                found = [self.run]
            else:
                folder = self.folder(doc)
                found = [self.subtree.get(folder) or Region()]
                found.extend(self.own[step] for step in ancestors(folder) if step in self.own)
                found.extend(self.groups[group] for group in doc.groups if group in self.groups)
            self.memo[key] = found
        return found  # type: ignore[no-any-return]

    def buckets(self, doc: Document, namespace: str | None = None) -> list[Bucket]:
        """The buckets of one namespace (default: the document's) in the document's scope."""
        name = doc.namespace if namespace is None else namespace
        return [region.namespaces.get(name, _EMPTY) for region in self.regions(doc)]

    def merge(self, lists: Iterable[list[Document]]) -> list[Document]:
        """Several result lists as one, without repeats, in set order."""
        present = [items for items in lists if items]
        if len(present) <= 1:
            return list(present[0]) if present else []
        unique = {id(item): item for items in present for item in items}
        return sorted(unique.values(), key=lambda item: self.order.get(id(item), 0))

    def select(self, doc: Document, selector: Selector) -> list[Document]:
        """The workloads of the document's scope and namespace that `selector` matches."""
        return self.merge(bucket.labels.select(selector) for bucket in self.buckets(doc))

    def in_scope(self, doc: Document, attribute: str, namespace: str | None = None) -> list[Document]:
        """A bucket list (`workloads`, `pdbs`, `network_policies`, `pod_owners`) over the document's scope."""
        return self.merge(getattr(bucket, attribute) for bucket in self.buckets(doc, namespace))

    def has_workloads(self, doc: Document) -> bool:
        """True when the document's scope holds a workload in its namespace."""
        return any(bucket.workloads for bucket in self.buckets(doc))

    def resolve(self, doc: Document, kind: str, name: str, namespace: str | None = None) -> Resolution:
        """The object a reference by name from `doc` means: the nearest candidate in its scope."""
        key = ("resolve", (id(doc), kind, name, namespace))
        found = self.memo.get(key)
        if found is None:
            candidates = self.merge(bucket.by_kind_name.get((kind, name), []) for bucket in self.buckets(doc, namespace))
            target, tied = nearest(self.folder(doc), candidates, self.folder)
            found = self.memo[key] = Resolution(target, tied)
        return found  # type: ignore[no-any-return]


def relation_mode(params: Mapping[str, Any]) -> str:
    """The relation scope a policy runs with (`folder` unless `relation_scope: run` was given)."""
    return "run" if params.get(SCOPE_PARAM) == "run" else DEFAULT_MODE


def index(documents: DocumentSet, mode: str = DEFAULT_MODE) -> Index:
    """The run's Kubernetes index for one relation scope mode, built once and shared by every relation."""

    def build() -> Index:
        built = Index(mode=mode, documents=documents)
        documents_of_kind = documents.of_file_kind("kubernetes")
        referring = [doc for doc in documents_of_kind if workload_ref(doc) is not None]
        for doc in documents_of_kind:
            if workload_ref(doc) is None:
                built.add(doc)
        for doc in referring:  # after the Deployments whose pod labels they take
            built.add(doc)
        return built

    return documents.memo(INDEX_KEY if mode == DEFAULT_MODE else f"{INDEX_KEY}.{mode}", build)


def _memo(idx: Index, name: str, doc: Document, compute: Any) -> Any:
    key = (name, id(doc))
    if key not in idx.memo:
        idx.memo[key] = compute()
    return idx.memo[key]


# --- selectors of the objects that select pods ------------------------------------------------


def object_selector(doc: Document) -> tuple[Selector, tuple[str, ...]]:
    """The pod selector of a PDB, NetworkPolicy or Service, and the pointer to it.

    PDB: null selects nothing; `{}` selects every pod in policy/v1 and nothing in v1beta1.
    NetworkPolicy: `{}` (and an absent podSelector, which the API reads as empty) select every pod.
    Service: a plain map; none means endpoints managed by hand, so nothing.
    """
    kind = doc.kind
    if kind == "PodDisruptionBudget":
        beta = doc.api_version.endswith("v1beta1")
        return parse_label_selector(doc.get(("spec", "selector")), empty_selects_all=not beta), ("spec", "selector")
    if kind == "NetworkPolicy":
        return parse_label_selector(doc.get(("spec", "podSelector")), null_selects_all=True), ("spec", "podSelector")
    if kind == "Service":
        return parse_map_selector(doc.get(("spec", "selector"))), ("spec", "selector")
    return parse_label_selector(doc.get(("spec", "selector"))), ("spec", "selector")


def selected_workloads_of(idx: Index, doc: Document) -> list[Document]:
    """The workloads (of the object's scope and namespace) whose pod labels its selector matches."""

    def compute() -> list[Document]:
        selector, _ = object_selector(doc)
        return idx.select(doc, selector)

    return _memo(idx, "selected", doc, compute)  # type: ignore[no-any-return]


def pods_unknowable(idx: Index, doc: Document) -> bool:
    """True when the object may select pods the set cannot show (see `policylint.kinds.kubernetes.unseen`).

    Either its selector relies on labels only controllers add (and what remains of it selects
    something, or nothing remains), or an operator's custom resource in its scope and namespace
    may create pods.
    """

    def compute() -> bool:
        if idx.in_scope(doc, "pod_owners"):
            return True
        selector, _ = object_selector(doc)
        rest = without_controller_labels(selector)
        return rest is not None and (rest.selects_all or bool(idx.select(doc, rest)))

    return _memo(idx, "unknowable", doc, compute)  # type: ignore[no-any-return]


def selecting(idx: Index, workload: Document, kind: str) -> list[Document]:
    """The PDBs or NetworkPolicies (`kind`) of the workload's scope that select it.

    Built once per run from each selecting object's own selection: scopes are symmetric, so
    "P is in W's scope and selects W" is the same as "W is among what P selects".
    """
    key = ("selecting", kind)
    found = idx.memo.get(key)
    if found is None:
        found = {}
        for candidate in idx.pdbs if kind == "PodDisruptionBudget" else idx.network_policies:
            for selected in selected_workloads_of(idx, candidate):
                found.setdefault(id(selected), []).append(candidate)
        idx.memo[key] = found
    return found.get(id(workload), [])  # type: ignore[no-any-return]


def hpas_targeting(idx: Index, doc: Document) -> tuple[list[Document], list[Document]]:
    """The HPAs whose scaleTargetRef resolves to the workload, and those that may target it.

    "May": the reference is ambiguous between it and another object, or the HPA sits in an
    unrelated folder with no candidate of its own (a layout by kind): "no HPA scales it" would
    then be a guess, so the facts built on it become unknown.
    """

    def compute() -> tuple[list[Document], list[Document]]:
        definite: list[Document] = []
        possible: list[Document] = []
        key = (doc.kind, doc.name)
        candidates = idx.merge(bucket.hpas_by_target.get(key, []) for bucket in idx.buckets(doc))
        for hpa in candidates:
            resolution = idx.resolve(hpa, doc.kind, doc.name)
            if resolution.target is doc:
                definite.append(hpa)
            elif resolution.ambiguous and any(item is doc for item in resolution.tied):
                possible.append(hpa)
        wider = idx.whole_run()
        if not definite and wider is not idx and not doc.origin:
            seen = {id(hpa) for hpa in candidates}
            for bucket in wider.buckets(doc):
                for hpa in bucket.hpas_by_target.get(key, []):
                    if id(hpa) not in seen and not idx.resolve(hpa, doc.kind, doc.name).tied:
                        possible.append(hpa)
        return definite, possible

    return _memo(idx, "hpas", doc, compute)  # type: ignore[no-any-return]


def hpa_absence(idx: Index, doc: Document) -> tuple[Any, ...] | None:
    """The run-wide fact key ("hpa", namespace, kind, name) that `hpas_targeting` found no HPA for
    elsewhere in the set (None when it found one, or when its answer holds for any run: a rendered
    document, the run scope): a unit of a split run cannot see the others (policylint.core.assumptions)."""
    definite, possible = hpas_targeting(idx, doc)
    if definite or possible or doc.origin or idx.mode == "run" or idx.documents is None:
        return None
    return ("hpa", doc.namespace, doc.kind, doc.name)


def effective_replicas(idx: Index, doc: Document) -> int | None:
    """The fewest pods a workload runs: HPA minReplicas when scaled, else spec.replicas (default 1).

    None when unknown (DaemonSet: one per node; Job: depends on completions; an HPA that may target it).
    """
    if doc.kind == "Pod":
        return 1
    if doc.kind not in SCALABLE_KINDS:
        return None
    hpas, ambiguous = hpas_targeting(idx, doc)
    if hpas:
        return min(_hpa_min(hpa) for hpa in hpas)
    if ambiguous:
        return None
    count = replicas(doc)
    return 1 if count is None else count


def _hpa_min(hpa: Document) -> int:
    value = hpa.get(("spec", "minReplicas"))
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


# --- view helpers --------------------------------------------------------------------------------


def extend(view: View, facts: Mapping[str, Any], anchors: Mapping[ViewPath, Anchor] | None = None) -> View:
    """A new view with computed facts beside the original parts (documents are never mutated).

    A whole-document view becomes `{object: <document>, ...facts}`; other views keep their keys.
    """
    doc = view.subject
    if view.instance is doc.data:
        instance: dict[str, Any] = {"object": doc.data}
        base = {(): Anchor(doc, ()), ("object",): Anchor(doc, ())}
    else:
        instance = dict(view.instance)
        base = dict(view.anchors)
    instance.update(facts)
    base.update(anchors or {})
    return View(instance, base, doc, view.label, dict(view.fields), list(view.related))


def _related(doc: Document, pointer: tuple[Any, ...], note: str) -> tuple[Anchor, str]:
    return Anchor(doc, pointer), note


def related_list(docs: list[Document], pointer: tuple[Any, ...], note: Callable[[Document], str]) -> list[tuple[Anchor, str]]:
    """Related locations for `docs`, at most RELATED_LIMIT; the last one says how many were left out."""
    shown = docs[:RELATED_LIMIT]
    found = [_related(doc, pointer, note(doc)) for doc in shown]
    if len(docs) > len(shown):
        anchor, text = found[-1]
        found[-1] = (anchor, f"{text}; {len(docs) - len(shown)} more not listed")
    return found


def names(labels: list[str]) -> str:
    """Up to NAMES_IN_MESSAGE distinct names for a message, then how many more.

    One name given twice (the same Deployment in install.yaml and namespace-install.yaml) is named once.
    """
    labels = list(dict.fromkeys(labels))
    shown = ", ".join(labels[:NAMES_IN_MESSAGE])
    more = len(labels) - NAMES_IN_MESSAGE
    return f"{shown} and {more} more" if more > 0 else shown


def _names(docs: Iterable[Document]) -> str:
    return names([f"{doc.kind}/{doc.name}" for doc in docs])


# --- hpa-target --------------------------------------------------------------------------------


def _utilization_metrics(hpa: Document) -> Iterator[tuple[int, str, str | None]]:
    """(metric index, resource, container or None) of each Resource metric scaled by utilization."""
    metrics = hpa.get(("spec", "metrics"))
    if not isinstance(metrics, list):
        return
    for position, metric in enumerate(metrics):
        if not isinstance(metric, Mapping):
            continue
        kind = metric.get("type")
        key = METRIC_SOURCES.get(kind) if isinstance(kind, str) else None
        source = metric.get(key) if key else None
        if not isinstance(source, Mapping) or source.get("name") not in ("cpu", "memory"):
            continue
        target = source.get("target")
        by_utilization = (isinstance(target, Mapping) and target.get("type") == "Utilization") or (
            "targetAverageUtilization" in source  # autoscaling/v2beta1
        )
        if by_utilization:
            container = source.get("container") if key == "containerResource" else None
            yield position, source["name"], container if isinstance(container, str) else None


def _requests(container: Mapping[str, Any]) -> Mapping[str, Any]:
    resources = container.get("resources")
    requests = resources.get("requests") if isinstance(resources, Mapping) else None
    return requests if isinstance(requests, Mapping) else {}


@relation("kubernetes", "hpa-target")
def hpa_target(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """An HPA with its target workload mounted at `target` and the facts the HPA policies read.

    Facts: `targetFound`, `targetAmbiguous` (several equally near candidates: no target mounted),
    `targetElsewhere` (not in scope, but somewhere in the run: a "missing" claim would not hold),
    `namespaceHasWorkloads`, `maxAboveMin`, and `utilizationMetrics` (one entry per cpu/memory
    utilization metric, anchored at that metric: `requested` is false when a main container of
    the target has no request for the resource).
    """
    hpa = view.subject
    idx = index(documents, relation_mode(params))
    ref = hpa.get(("spec", "scaleTargetRef"))
    ref = ref if isinstance(ref, Mapping) else {}
    # Any kind counts (an Argo Rollout or another scalable custom resource in the set is a target too).
    resolution = idx.resolve(hpa, str(ref.get("kind", "")), str(ref.get("name", "")))
    target = resolution.target
    minimum, maximum = _hpa_min(hpa), hpa.get(("spec", "maxReplicas"))
    elsewhere = False
    assumes: dict[str, tuple[Any, frozenset[Any]]] = {}
    if target is None and not resolution.ambiguous and idx.mode != "run":
        # An absence claim must hold for the whole run: the layout may be by kind.
        wider = idx.whole_run().resolve(hpa, str(ref.get("kind", "")), str(ref.get("name", "")))
        elsewhere = bool(wider.tied)
        if not elsewhere and not hpa.origin:
            absent = ("id", hpa.namespace, str(ref.get("kind", "")), str(ref.get("name", "")))
            assumes["targetElsewhere"] = (True, frozenset({absent}))
    facts: dict[str, Any] = {
        "targetFound": target is not None,
        "targetAmbiguous": resolution.ambiguous,
        "targetElsewhere": elsewhere,
        "namespaceHasWorkloads": idx.has_workloads(hpa),
        "maxAboveMin": not isinstance(maximum, int) or isinstance(maximum, bool) or maximum > minimum,
    }
    anchors = {
        ("targetFound",): Anchor(hpa, ("spec", "scaleTargetRef", "name")),
        ("maxAboveMin",): Anchor(hpa, ("spec", "maxReplicas")),
    }
    joined = extend(view, facts, anchors)
    joined.assumes.update(assumes)
    joined.fields["target"] = f"{ref.get('kind', '?')}/{ref.get('name', '?')}"
    if target is not None:
        joined.sub("target", target.data, target, ())
        joined.related.append(_related(target, ("metadata", "name"), f"target {target.kind} {target.name}"))
        main = [item for _, _, item in containers(target, main_only=True)]
        metrics = []
        for number, (position, resource, container_name) in enumerate(_utilization_metrics(hpa)):
            chosen = [item for item in main if container_name is None or item.get("name") == container_name]
            missing = [str(item.get("name", "?")) for item in chosen if resource not in _requests(item)]
            metrics.append({"resource": resource, "requested": not missing, "containers": ", ".join(missing)})
            joined.anchors[("utilizationMetrics", number)] = Anchor(hpa, ("spec", "metrics", position))
        joined.instance["utilizationMetrics"] = metrics
        joined.anchors[("utilizationMetrics",)] = Anchor(hpa, ("spec", "metrics"))
    yield joined


# --- workload-context ----------------------------------------------------------------------------


def anti_affinity_spreads(doc: Document) -> bool:
    """True when a podAntiAffinity term (required or preferred) selects the workload's own pods.

    An empty `podAntiAffinity: {}`, or terms whose labelSelector misses the pod labels (or is
    absent: the API then matches no pod), keep nothing apart; so does a term whose `namespaces` or
    `namespaceSelector` cannot include the pod's own namespace (it repels pods of other namespaces
    only). An invalid selector counts as spreading: the API would refuse the object, which is
    another rule's business.
    """
    spec = pod_spec(doc)
    affinity = spec.get("affinity") if spec is not None else None
    anti = affinity.get("podAntiAffinity") if isinstance(affinity, Mapping) else None
    if not isinstance(anti, Mapping):
        return False
    terms: list[Any] = []
    required = anti.get("requiredDuringSchedulingIgnoredDuringExecution")
    terms.extend(required if isinstance(required, list) else [])
    preferred = anti.get("preferredDuringSchedulingIgnoredDuringExecution")
    for item in preferred if isinstance(preferred, list) else []:
        terms.append(item.get("podAffinityTerm") if isinstance(item, Mapping) else None)
    labels = normalise_labels(pod_labels(doc))
    for term in terms:
        if not isinstance(term, Mapping) or not _term_includes_namespace(term, doc.namespace):
            continue
        selector = parse_label_selector(term.get("labelSelector"))
        if not selector.valid or selector.matches(labels):
            return True
    return False


#: The label every namespace carries with its own name: the one namespace label a manifest can know.
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def _term_includes_namespace(term: Mapping[str, Any], namespace: str) -> bool:
    """Whether an affinity term can apply to pods of `namespace` (the pod's own).

    No `namespaces` and no `namespaceSelector`: the pod's namespace. Otherwise the union of the
    listed names and the namespaces the selector matches (`{}`: every namespace). A selector on
    labels other than the namespace's name cannot be judged here and counts as including it.
    """
    names = term.get("namespaces")
    listed = [name for name in names if isinstance(name, str)] if isinstance(names, list) else []
    raw = term.get("namespaceSelector")
    if not listed and raw is None:
        return True
    if namespace in listed:
        return True
    if raw is None:
        return False
    selector = parse_label_selector(raw)
    if not selector.valid or any(requirement.key != NAMESPACE_NAME_LABEL for requirement in selector.requirements):
        return True
    return selector.matches({NAMESPACE_NAME_LABEL: namespace})


@relation("kubernetes", "workload-context")
def workload_context(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """A workload with what scales, protects and isolates it.

    Facts: `hpaTargeted` (the first HPA mounted at `hpa`; null when an HPA only may target it:
    ambiguous, or in an unrelated folder with no candidate of its own), `replicas` (spec.replicas,
    default 1, anchored there), `multiReplica` (replicas > 1 or an HPA with minReplicas > 1; null
    when that rests on an HPA that only may target it), `pdbSelected`,
    `networkPolicySelected`, `networkPoliciesInSet` (the workload's scope has a NetworkPolicy, or
    the policy's `always` param is true), `hostNetwork`, and `antiAffinitySpreads`.
    """
    doc = view.subject
    idx = index(documents, relation_mode(params))
    hpas, ambiguous = hpas_targeting(idx, doc)
    count = replicas(doc)
    count = 1 if count is None else count
    hpa_min = max((_hpa_min(hpa) for hpa in hpas), default=0)
    multi: bool | None = count > 1 or hpa_min > 1
    if not multi and ambiguous and not hpas:
        multi = None
    spec = pod_spec(doc)
    facts = {
        "hpaTargeted": True if hpas else None if ambiguous else False,
        "replicas": count,
        "multiReplica": multi,
        "pdbSelected": bool(selecting(idx, doc, "PodDisruptionBudget")),
        "networkPolicySelected": bool(selecting(idx, doc, "NetworkPolicy")),
        "networkPoliciesInSet": any(region.has_network_policy for region in idx.regions(doc))
        or bool(params.get("always")),
        "hostNetwork": spec is not None and spec.get("hostNetwork") is True,
        "antiAffinitySpreads": anti_affinity_spreads(doc),
    }
    anchors = {
        ("replicas",): Anchor(doc, ("spec", "replicas")),
        ("pdbSelected",): Anchor(doc, ("metadata", "name")),
        ("networkPolicySelected",): Anchor(doc, ("metadata", "name")),
    }
    joined = extend(view, facts, anchors)
    absent = None if hpas or ambiguous else hpa_absence(idx, doc)
    if absent is not None:  # an HPA elsewhere in the run may target it: both facts would be unknown
        joined.assumes["hpaTargeted"] = (None, frozenset({absent}))
        if not multi:
            joined.assumes["multiReplica"] = (None, frozenset({absent}))
    if hpas:
        hpa = hpas[0]
        joined.sub("hpa", hpa.data, hpa, ())
        joined.fields["hpa"] = hpa.name
        note = f"HorizontalPodAutoscaler {hpa.name} scales it"
        joined.related.append(_related(hpa, ("spec", "scaleTargetRef"), note))
    yield joined


# --- selected-workloads --------------------------------------------------------------------------


def _pdb_blocks(idx: Index, pdb: Document, selected: list[Document]) -> bool:
    """True when minAvailable leaves no pod evictable in every selected workload (or is 100%)."""
    value = pdb.get(("spec", "minAvailable"))
    percent: float | None = None
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            percent = float(value.strip()[:-1])
        except ValueError:
            return False
        if percent >= 100:
            return True
    elif not isinstance(value, int) or isinstance(value, bool):
        return False
    counts = [effective_replicas(idx, workload) for workload in selected]
    known = [count for count in counts if count is not None]
    if not known or len(known) != len(counts):
        return False
    for count in known:
        required = math.ceil(percent * count / 100) if percent is not None else value
        if required < count:
            return False
    return True


def _port_entry(ref_value: Any, protocol: Any, ports: list[ContainerPort], end: Any = None) -> dict[str, Any]:
    """Whether a port reference matches the selected pods' ports (unknown counts as matched).

    A number is never judged: declaring ports is optional and processes often listen on ports they
    do not declare. A name must be declared to resolve, so a name that resolves to nothing fails for certain.
    """
    from policylint.kinds.kubernetes.placeholders import is_port_placeholder
    from policylint.kinds.kubernetes.ports import parse_port_ref, port_matches, protocol_of

    ref = parse_port_ref(ref_value, end)
    wanted = protocol_of(protocol)
    if ref is None or is_port_placeholder(ref_value):
        return {"matched": True, "port": str(ref_value), "protocol": wanted}
    if ref.name is None:
        return {"matched": True, "port": ref.label, "protocol": wanted}
    return {"matched": port_matches(ref, wanted, ports), "port": ref.label, "protocol": wanted}


@relation("kubernetes", "selected-workloads")
def selected_workloads(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """A PDB, NetworkPolicy or Service with the workloads its selector matches.

    Facts: `hasSelector`, `selectsSomething` (anchored at the selector), `podsUnknowable` (it may
    select pods the set cannot show: controller labels, operator-created pods), `selectsOutsideScope`
    (it selects nothing in scope but something elsewhere in the run), `namespaceHasWorkloads`,
    `minAvailableBlocks` (PDB), `servicePorts` / `ingressPorts` (one entry per port reference,
    `matched` false when no container port of the selected pods fits it).
    """
    doc = view.subject
    idx = index(documents, relation_mode(params))
    selector, pointer = object_selector(doc)
    selected = selected_workloads_of(idx, doc)
    has_selector = doc.kind != "Service" or bool(doc.get(("spec", "selector")))
    facts: dict[str, Any] = {
        "hasSelector": has_selector,
        "selectorValid": selector.valid,
        "selectsSomething": bool(selected),
        "podsUnknowable": not selected and pods_unknowable(idx, doc),
        "selectsOutsideScope": not selected and idx.mode != "run" and bool(idx.whole_run().select(doc, selector)),
        "namespaceHasWorkloads": idx.has_workloads(doc),
    }
    assumes: dict[str, tuple[Any, frozenset[Any]]] = {}
    if not selected and idx.mode != "run" and not facts["selectsOutsideScope"] and not doc.origin and not selector.selects_none:
        assumes["selectsOutsideScope"] = (True, frozenset({("select", doc.namespace, selector)}))
    anchors: dict[ViewPath, Anchor] = {("selectsSomething",): Anchor(doc, pointer)}
    from policylint.kinds.kubernetes.ports import workload_ports

    ports = [port for workload in selected for port in workload_ports(workload)]
    if doc.kind == "PodDisruptionBudget":
        facts["minAvailableBlocks"] = _pdb_blocks(idx, doc, selected)
        anchors[("minAvailableBlocks",)] = Anchor(doc, ("spec", "minAvailable"))
        counted = [hpa_absence(idx, workload) for workload in selected if workload.kind in SCALABLE_KINDS]
        if facts["minAvailableBlocks"] and any(counted):  # an HPA elsewhere makes a count unknown: no longer blocks
            assumes["minAvailableBlocks"] = (False, frozenset(key for key in counted if key is not None))
    elif doc.kind == "Service" and selected:
        entries = []
        items = doc.get(("spec", "ports"))
        for position, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, Mapping):
                continue
            key = "targetPort" if "targetPort" in item else "port"
            entries.append(_port_entry(item.get(key), item.get("protocol"), ports))
            anchors[("servicePorts", len(entries) - 1)] = Anchor(doc, ("spec", "ports", position, key))
        facts["servicePorts"] = entries
    elif doc.kind == "NetworkPolicy" and selected:
        entries = []
        rules = doc.get(("spec", "ingress"))
        for rule_position, rule in enumerate(rules if isinstance(rules, list) else []):
            rule_ports = rule.get("ports") if isinstance(rule, Mapping) else None
            for position, item in enumerate(rule_ports if isinstance(rule_ports, list) else []):
                if not isinstance(item, Mapping) or "port" not in item:
                    continue
                entries.append(_port_entry(item["port"], item.get("protocol"), ports, item.get("endPort")))
                anchors[("ingressPorts", len(entries) - 1)] = Anchor(
                    doc, ("spec", "ingress", rule_position, "ports", position, "port")
                )
        facts["ingressPorts"] = entries
    joined = extend(view, facts, anchors)
    joined.assumes.update(assumes)
    joined.fields["selected"] = _names(selected) or "nothing"
    joined.related.extend(
        related_list(selected, ("metadata", "name"), lambda workload: f"selects {workload.kind} {workload.name}")
    )
    yield joined


# --- egress-dns ----------------------------------------------------------------------------------


def egress_applies(doc: Document) -> bool:
    """True when a NetworkPolicy restricts egress: policyTypes names Egress, or has egress rules and no policyTypes."""
    types = doc.get(("spec", "policyTypes"))
    if isinstance(types, list):
        return "Egress" in types
    return doc.get(("spec", "egress")) is not None


def allows_dns(doc: Document) -> bool:
    """True when some egress rule of the policy allows port 53 (UDP or TCP) or every port."""
    from policylint.kinds.kubernetes.ports import parse_port_ref, protocol_of

    rules = doc.get(("spec", "egress"))
    if not isinstance(rules, list):
        return False
    for rule in rules:
        if not isinstance(rule, Mapping):
            continue
        ports = rule.get("ports")
        if not ports:  # absent or empty: every port
            return True
        if not isinstance(ports, list):
            continue
        for item in ports:
            if not isinstance(item, Mapping):
                continue
            if "port" not in item:
                return True  # a protocol without a port: every port of that protocol
            ref = parse_port_ref(item["port"], item.get("endPort"))
            if ref is None or protocol_of(item.get("protocol")) not in ("UDP", "TCP"):
                continue
            if ref.name is not None and ref.name.lower() in DNS_PORT_NAMES:
                return True
            if ref.number is not None and ref.number <= DNS_PORT <= (ref.end or ref.number):
                return True
    return False


def _dns_allowed(idx: Index, workload: Document) -> bool:
    """True when some Egress NetworkPolicy of the workload's scope that selects it allows port 53."""

    def compute() -> bool:
        policies = selecting(idx, workload, "NetworkPolicy")
        return any(egress_applies(policy) and allows_dns(policy) for policy in policies)

    return _memo(idx, "dns", workload, compute)  # type: ignore[no-any-return]


@relation("kubernetes", "egress-dns")
def egress_dns(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """A NetworkPolicy with `podsWithoutDns`: the pods it selects that no Egress policy lets reach DNS.

    When the scope holds no workload, the fact is `["any pod"]` only if no Egress policy of the
    namespace in the scope allows port 53. Not yielded for policies that do not restrict egress.
    """
    doc = view.subject
    if not egress_applies(doc):
        return
    idx = index(documents, relation_mode(params))
    if idx.has_workloads(doc):
        missing = [workload for workload in selected_workloads_of(idx, doc) if not _dns_allowed(idx, workload)]
        labels = [f"{workload.kind}/{workload.name}" for workload in missing]
    else:
        policies = idx.in_scope(doc, "network_policies")
        dns = any(egress_applies(policy) and allows_dns(policy) for policy in policies)
        missing, labels = [], ([] if dns else ["any pod"])
    pointer = ("spec", "egress") if doc.get(("spec", "egress")) is not None else ("spec", "policyTypes")
    joined = extend(view, {"podsWithoutDns": labels}, {("podsWithoutDns",): Anchor(doc, pointer)})
    joined.fields["pods"] = names(labels)
    joined.related.extend(
        related_list(missing, ("metadata", "name"), lambda workload: f"{workload.kind} {workload.name} cannot resolve names")
    )
    yield joined


# --- gateway-parents -----------------------------------------------------------------------------


def _listeners(gateway: Document) -> list[Mapping[str, Any]]:
    items = gateway.get(("spec", "listeners"))
    return [item for item in items if isinstance(item, Mapping)] if isinstance(items, list) else []


@relation("kubernetes", "gateway-parents")
def gateway_parents(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """For an HTTPRoute: `parents`, one entry per parentRef to a Gateway of its scope (`httpOnly`).

    A parentRef with `sectionName` or `port` is judged on the listeners it names; otherwise on all
    of the Gateway's listeners. A parentRef that two equally near Gateways could satisfy is left
    out. Other kinds pass through with an empty `parents` list.
    """
    doc = view.subject
    parents: list[dict[str, Any]] = []
    anchors: dict[ViewPath, Anchor] = {}
    related: list[tuple[Anchor, str]] = []
    refs = doc.get(("spec", "parentRefs")) if doc.kind == "HTTPRoute" else None
    if isinstance(refs, list):
        idx = index(documents, relation_mode(params))
        for position, ref in enumerate(refs):
            if not isinstance(ref, Mapping) or ref.get("kind", "Gateway") != "Gateway":
                continue
            namespace = ref.get("namespace") if isinstance(ref.get("namespace"), str) else doc.namespace
            gateway = idx.resolve(doc, "Gateway", str(ref.get("name", "")), str(namespace)).target
            if gateway is None:
                continue
            listeners = [
                item for item in _listeners(gateway)
                if ("sectionName" not in ref or item.get("name") == ref["sectionName"])
                and ("port" not in ref or item.get("port") == ref["port"])
            ]
            http_only = bool(listeners) and all(item.get("protocol") == "HTTP" for item in listeners)
            parents.append({"gateway": gateway.name, "httpOnly": http_only})
            anchors[("parents", len(parents) - 1)] = Anchor(doc, ("spec", "parentRefs", position))
            if http_only:
                related.append(_related(gateway, ("spec", "listeners"), f"Gateway {gateway.name} listens on HTTP only"))
    joined = extend(view, {"parents": parents}, anchors)
    joined.related.extend(related)
    yield joined


# --- ambiguous references, for --verbose ------------------------------------------------------


def ambiguous_references(documents: DocumentSet, mode: str = DEFAULT_MODE) -> list[str]:
    """One line per reference by name that two or more equally near objects could satisfy.

    No finding rests on such a reference; `check --verbose` prints these lines so a user can see
    why an HPA or an HTTPRoute was not judged.
    """
    idx = index(documents, mode)
    lines: list[str] = []

    def report(doc: Document, pointer: tuple[Any, ...], what: str, resolution: Resolution) -> None:
        position, _ = doc.position(pointer)
        places = ", ".join(sorted(f"{item.path}:{item.start_line}" for item in resolution.tied))
        lines.append(
            f"{doc.path}:{position.line}: {doc.kind} {doc.name}: {what} is ambiguous "
            f"(equally near: {places}); no finding rests on it"
        )

    for doc in documents.of_file_kind("kubernetes"):
        if doc.kind == "HorizontalPodAutoscaler":
            ref = doc.get(("spec", "scaleTargetRef"))
            if isinstance(ref, Mapping):
                kind, name = str(ref.get("kind", "")), str(ref.get("name", ""))
                resolution = idx.resolve(doc, kind, name)
                if resolution.ambiguous:
                    report(doc, ("spec", "scaleTargetRef", "name"), f"scaleTargetRef {kind}/{name}", resolution)
        elif doc.kind == "HTTPRoute":
            refs = doc.get(("spec", "parentRefs"))
            for position, ref in enumerate(refs if isinstance(refs, list) else []):
                if not isinstance(ref, Mapping) or ref.get("kind", "Gateway") != "Gateway":
                    continue
                namespace = ref.get("namespace") if isinstance(ref.get("namespace"), str) else doc.namespace
                name = str(ref.get("name", ""))
                resolution = idx.resolve(doc, "Gateway", name, str(namespace))
                if resolution.ambiguous:
                    report(doc, ("spec", "parentRefs", position), f"parentRef Gateway/{name}", resolution)
    return lines


# --- schema-errors and api-deprecation ---------------------------------------------------------


def _selector_kustomize_creates(error: Any) -> bool:
    """A workload's missing `spec.selector`, which `commonLabels` creates in the kustomize build."""
    return error.missing == "selector" and tuple(error.pointer) == ("spec",)


@relation("kubernetes", "schema-errors")
def schema_errors(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """The object with `schemaErrors`: one message per error, each anchored at the offending key.

    Judged against the bundled strict schema closest to the `kube_version` param (default: the
    newest bundled). Objects with no bundled schema (custom resources) yield nothing.
    """
    from policylint.kinds.kubernetes.schema import schema_set
    from policylint.kinds.kubernetes.versions import format_version, schema_version, target_version

    doc = view.subject
    version = schema_version(target_version(params.get("kube_version")))
    schemas = schema_set(version) if version is not None else None
    if schemas is None or not isinstance(doc.data, Mapping):
        return
    errors = schemas.errors(doc.data)
    if errors is None:
        return
    if doc.selector_labels:  # its kustomization's build creates the selector (commonLabels)
        errors = [error for error in errors if not _selector_kustomize_creates(error)]
        if not errors:
            return
    ordered = sorted(errors, key=lambda error: (doc.position(error.pointer)[0].line, error.message))
    anchors: dict[ViewPath, Anchor] = {
        ("schemaErrors", number): Anchor(doc, error.pointer) for number, error in enumerate(ordered)
    }
    joined = extend(view, {"schemaErrors": [error.message for error in ordered]}, anchors)
    joined.fields["version"] = format_version(version) if version else "?"
    yield joined


@relation("kubernetes", "api-deprecation")
def api_deprecation(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """The object with `apiStatus` (current, deprecated or removed at the `kube_version` param).

    The fact is anchored at `apiVersion`; the `deprecation` field explains it and names the replacement.
    """
    from policylint.kinds.kubernetes.deprecations import judge
    from policylint.kinds.kubernetes.versions import target_version

    doc = view.subject
    status, explanation = judge(doc.api_version, doc.kind, target_version(params.get("kube_version")))
    joined = extend(view, {"apiStatus": status}, {("apiStatus",): Anchor(doc, ("apiVersion",))})
    joined.fields["deprecation"] = explanation
    yield joined


# --- rbac-role and rbac-binding (policylint.kinds.kubernetes.rbac) -----------------------------


#: What the rbac-role relation reports about a rule, by the fact (a list) it goes in.
RBAC_CONCERNS = {"wildcard": "wildcards", "secrets": "secretReads", "exec": "execs", "escalation": "escalations"}


def _of_kind_in_scope(idx: Index, doc: Document, kind: str, namespace: str) -> list[Document]:
    """Every object of `kind` in the document's scope and `namespace` ("" for cluster-scoped kinds)."""
    return idx.merge(
        items for bucket in idx.buckets(doc, namespace) for (found, _), items in bucket.by_kind_name.items() if found == kind
    )


def _bindings_by_role(idx: Index, documents: DocumentSet) -> dict[int, list[Document]]:
    """For each Role or ClusterRole (by id), the bindings of the set whose roleRef resolves to it."""
    from policylint.kinds.kubernetes.rbac import BINDING_KINDS, role_ref

    key = ("rbac-bindings", None)
    found = idx.memo.get(key)
    if found is None:
        found = {}
        for binding in documents.of_file_kind("kubernetes"):
            if binding.kind not in BINDING_KINDS:
                continue
            ref = role_ref(binding)
            if ref is None:
                continue
            kind, name = ref
            resolution = idx.resolve(binding, kind, name, "" if kind == "ClusterRole" else binding.namespace)
            target = resolution.target
            if target is None:  # one install file beside another that repeats it: the binding means its own file's role
                same_file = [item for item in resolution.tied if item.path == binding.path]
                target = same_file[0] if len(same_file) == 1 else None
            if target is not None:
                found.setdefault(id(target), []).append(binding)
        idx.memo[key] = found
    return found  # type: ignore[no-any-return]


def _receivers(idx: Index, bindings: list[Document]) -> Any:
    """The subjects of `bindings` and the workloads of each binding's scope that run as its ServiceAccounts."""
    from policylint.kinds.kubernetes.rbac import Receivers, service_account_of, subject_label, subject_namespace, subjects

    found = Receivers(bindings=list(bindings))
    seen: set[int] = set()
    for binding in bindings:
        for position, subject in subjects(binding):
            found.subjects.append((binding, position, subject_label(binding, subject)))
            if subject.get("kind") != "ServiceAccount" or not isinstance(subject.get("name"), str):
                continue
            namespace = subject_namespace(binding, subject)
            running = [
                workload for workload in idx.in_scope(binding, "workloads", namespace)
                if service_account_of(workload) == subject["name"]
            ]
            same_file = [workload for workload in running if workload.path == binding.path]
            for workload in same_file or running:
                if id(workload) not in seen:
                    seen.add(id(workload))
                    found.workloads.append((workload, binding))
    return found


def _receiver_places(receivers: Any) -> list[tuple[Anchor, str]]:
    places = [
        _related(binding, ("subjects", position), f"{label} through {binding.kind} {binding.name}")
        for binding, position, label in receivers.subjects
    ]
    places.extend(
        _related(
            workload, ("metadata", "name"), f"pods of {workload.kind} {workload.name} run with it (through {binding.kind} {binding.name})"
        )
        for workload, binding in receivers.workloads
    )
    if len(places) > RELATED_LIMIT:
        anchor, text = places[RELATED_LIMIT - 1]
        places = [*places[: RELATED_LIMIT - 1], (anchor, f"{text}; {len(places) - RELATED_LIMIT + 1} more not listed")]
    return places


@relation("kubernetes", "rbac-role")
def rbac_role(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """A Role or ClusterRole with what its rules grant (for an aggregated ClusterRole: the rules it aggregates).

    `wildcards`, `secretReads`, `execs`, `escalations`: one entry per rule that grants so much,
    `{what, via}`, anchored at the rule's verbs or resources (at `aggregationRule` when aggregated).
    Facts: `bound` (a binding of the scope references the role),
    `platformRole` (a `system:` role), `controllerRole` (an operator's or controller's role). Fields:
    `receivers` (who holds the rights through the set) and `context` (a note for controller roles).
    """
    from policylint.kinds.kubernetes.rbac import aggregated_roles, is_controller_role, is_platform_role, read_grant

    doc = view.subject
    idx = index(documents, relation_mode(params))
    sources: list[tuple[Document, tuple[Any, ...], Any]] = []
    rules = doc.get(("rules",))
    for position, rule in enumerate(rules if isinstance(rules, list) else []):
        sources.append((doc, ("rules", position), rule))
    aggregated: list[Document] = []
    if doc.kind == "ClusterRole" and isinstance(doc.get(("aggregationRule",)), Mapping):
        aggregated = aggregated_roles(doc, _of_kind_in_scope(idx, doc, "ClusterRole", ""))
        for source in aggregated:
            items = source.get(("rules",))
            for position, rule in enumerate(items if isinstance(items, list) else []):
                sources.append((source, ("rules", position), rule))
    cluster = doc.kind == "ClusterRole"
    facts: dict[str, Any] = {name: [] for name in RBAC_CONCERNS.values()}
    anchors: dict[ViewPath, Anchor] = {}
    read = []
    for source, pointer, rule in sources:
        grant = read_grant(rule)
        if grant is None:
            continue
        read.append(grant)
        via = "" if source is doc else f" (aggregated from ClusterRole {source.name})"
        found = {
            "wildcard": (grant.wildcard(), "verbs" if grant.all_verbs else "resources"),
            "secrets": (grant.secrets_read(), "resources"),
            "exec": (grant.pod_exec(), "resources"),
            "escalation": (grant.escalation(cluster), "verbs"),
        }
        for concern, (what, key) in found.items():
            if not what:
                continue
            name = RBAC_CONCERNS[concern]
            facts[name].append({"what": what, "via": via})
            at = (*pointer, key) if source is doc else ("aggregationRule",)
            anchors[(name, len(facts[name]) - 1)] = Anchor(doc, at)
    bindings = _bindings_by_role(idx, documents).get(id(doc), [])
    receivers = _receivers(idx, bindings)
    controller = is_controller_role(doc, read)
    joined = extend(
        view,
        {**facts, "bound": bool(bindings), "platformRole": is_platform_role(doc), "controllerRole": controller},
        anchors,
    )
    joined.fields["receivers"] = receivers.describe()
    joined.fields["context"] = (
        "; it reads as an operator's or controller's role, which may need this: narrow it to what it manages, "
        "then record the exception with a suppression"
        if controller
        else ""
    )
    joined.related.extend(_receiver_places(receivers))
    joined.related.extend(
        _related(source, ("metadata", "name"), f"aggregated ClusterRole {source.name}") for source in aggregated[:RELATED_LIMIT]
    )
    yield joined


@relation("kubernetes", "rbac-binding")
def rbac_binding(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """A RoleBinding or ClusterRoleBinding with `grantsClusterAdmin` (anchored at roleRef) and `adminSubjects`.

    `grantsClusterAdmin`: the roleRef names `cluster-admin`, or a ClusterRole of the scope whose
    rules are `*` on `*` in every group. `adminSubjects`: the subjects other than `system:` groups.
    Fields: `role`, `receivers` (subjects and the workloads of the scope that run as them).
    """
    from policylint.kinds.kubernetes.rbac import CLUSTER_ADMIN, is_all_powerful, role_ref, subject_label, subjects

    doc = view.subject
    idx = index(documents, relation_mode(params))
    ref = role_ref(doc)
    admin = False
    if ref is not None and ref[0] == "ClusterRole":
        if ref[1] == CLUSTER_ADMIN:
            admin = True
        else:
            target = idx.resolve(doc, "ClusterRole", ref[1], "").target
            rules = target.get(("rules",)) if target is not None else None
            admin = target is not None and is_all_powerful(rules if isinstance(rules, list) else [])
    outsiders = [
        subject_label(doc, subject)
        for _, subject in subjects(doc)
        if not (subject.get("kind") == "Group" and str(subject.get("name", "")).startswith("system:"))
    ]
    receivers = _receivers(idx, [doc])
    joined = extend(
        view,
        {"grantsClusterAdmin": admin, "adminSubjects": outsiders},
        {("grantsClusterAdmin",): Anchor(doc, ("roleRef", "name")), ("adminSubjects",): Anchor(doc, ("subjects",))},
    )
    joined.fields["role"] = f"{ref[0]} {ref[1]}" if ref else "?"
    joined.fields["subjects"] = names(outsiders) or "no subject"
    joined.fields["receivers"] = receivers.describe()
    joined.related.extend(_receiver_places(receivers))
    yield joined


# --- what the API server or the kubelet rejects (policylint.kinds.kubernetes.rejects) ------------


@relation("kubernetes", "own-selector")
def own_selector(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """A workload with `selectorMatchesTemplate` (anchored at spec.selector); `{missing}` names what fails."""
    from policylint.kinds.kubernetes.rejects import selector_misses_template

    doc = view.subject
    missing = selector_misses_template(doc)
    joined = extend(view, {"selectorMatchesTemplate": not missing}, {("selectorMatchesTemplate",): Anchor(doc, ("spec", "selector"))})
    joined.fields["missing"] = missing
    yield joined


@relation("kubernetes", "port-names")
def port_names(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """A workload or Service with `invalidPortNames`: `{name, problem}` per container port name or targetPort the API rejects."""
    from policylint.kinds.kubernetes.rejects import invalid_port_names

    doc = view.subject
    entries: list[dict[str, str]] = []
    anchors: dict[ViewPath, Anchor] = {}
    for pointer, name, problem in invalid_port_names(doc):
        entries.append({"name": name, "problem": problem, "field": "targetPort" if doc.kind == "Service" else "port name"})
        anchors[("invalidPortNames", len(entries) - 1)] = Anchor(doc, pointer)
    yield extend(view, {"invalidPortNames": entries}, anchors)


@relation("kubernetes", "configmap-keys")
def configmap_keys(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """A workload with `missingKeys`: each non-optional reference to a ConfigMap key that the ConfigMap lacks.

    Judged only against the ConfigMap the name resolves to in the workload's scope and namespace,
    and only when nothing else may add keys: no finding when the scope has no such ConfigMap, when
    the reference is ambiguous, when the ConfigMap's keys are still to be rendered, or when a
    kustomization lists the workload's file (its generators and patches may make or change the
    ConfigMap; the rendered build is judged instead).
    """
    from policylint.kinds.kubernetes.rejects import configmap_key_refs
    from policylint.kinds.kubernetes.rejects import configmap_keys as keys_of

    doc = view.subject
    entries: list[dict[str, str]] = []
    anchors: dict[ViewPath, Anchor] = {}
    related: list[tuple[Anchor, str]] = []
    if not doc.groups:
        idx = index(documents, relation_mode(params))
        for pointer, name, key, where in configmap_key_refs(doc):
            target = idx.resolve(doc, "ConfigMap", name).target
            keys = keys_of(target) if target is not None else None
            if keys is None or key in keys:
                continue
            entries.append({"configMap": name, "key": key, "where": where})
            anchors[("missingKeys", len(entries) - 1)] = Anchor(doc, pointer)
            related.append(_related(target, ("metadata", "name"), f"ConfigMap {name} has no key {key}"))
    joined = extend(view, {"missingKeys": entries}, anchors)
    joined.related.extend(related[:RELATED_LIMIT])
    yield joined


def _paths_with_workloads(idx: Index, documents: DocumentSet) -> set[str]:
    """The files of the set that hold a workload."""
    key = ("workload-paths", None)
    found = idx.memo.get(key)
    if found is None:
        found = idx.memo[key] = {doc.path for doc in documents.of_file_kind("kubernetes") if is_workload(doc)}
    return found  # type: ignore[no-any-return]


@relation("kubernetes", "service-account")
def service_account(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """A workload with `serviceAccountDefined`: false when it names a ServiceAccount (not `default`)
    that no ServiceAccount of its scope and namespace defines while the scope defines others there:
    in its own file, in the same chart or overlay rendering, or in a file that runs no workload (an
    app's own accounts; another file's workloads and accounts are another install, such as the
    golden outputs of a test folder).

    True (nothing to report) when the name is still to be rendered, when a kustomization lists the
    file (namePrefix renames accounts and references alike), when the scope defines no
    ServiceAccount in the namespace (the accounts are managed elsewhere), when the account is
    defined anywhere else in the run in that namespace (a layout by kind), or when the scope holds
    a custom resource whose operator may create it.
    """
    from policylint.kinds.kubernetes.placeholders import is_unrendered

    doc = view.subject
    spec = pod_spec(doc)
    name = spec.get("serviceAccountName") or spec.get("serviceAccount") if spec is not None else None
    key = "serviceAccountName" if spec is not None and "serviceAccountName" in spec else "serviceAccount"
    defined, known = True, ""
    assumes: dict[str, tuple[Any, frozenset[Any]]] = {}
    # A kustomization that lists the file may rename the accounts (namePrefix) or patch the pod: its build is judged.
    if isinstance(name, str) and name and name != "default" and not is_unrendered(name) and not doc.groups:
        idx = index(documents, relation_mode(params))
        accounts = [
            account for account in _of_kind_in_scope(idx, doc, "ServiceAccount", doc.namespace)
            if account.origin or account.path == doc.path or account.path not in _paths_with_workloads(idx, documents)
        ]
        if accounts and not any(account.name == name for account in accounts) and not idx.in_scope(doc, "pod_owners"):
            wider = idx.whole_run()
            defined = wider is not idx and any(
                account.name == name for account in _of_kind_in_scope(wider, doc, "ServiceAccount", doc.namespace)
            )
            known = names([account.name for account in accounts])
            if not defined and wider is not idx and not doc.origin:
                assumes["serviceAccountDefined"] = (True, frozenset({("id", doc.namespace, "ServiceAccount", name)}))
    from policylint.kinds.kubernetes.workloads import pod_spec_pointer

    joined = extend(
        view, {"serviceAccountDefined": defined}, {("serviceAccountDefined",): Anchor(doc, (*pod_spec_pointer(doc.kind), key))}
    )
    joined.assumes.update(assumes)
    joined.fields["account"] = str(name)
    joined.fields["accounts"] = known
    yield joined


# --- committed-secret-values ---------------------------------------------------------------------


@relation("kubernetes", "committed-secret-values")
def committed_secret_values(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """A Secret with `committed`: its `data` and `stringData` entries whose values are in the
    repository, without those a Helm chart leaves to install time (`Document.supplied`)."""
    doc = view.subject
    committed: dict[str, dict[Any, Any]] = {}
    anchors: dict[tuple[Any, ...], Anchor] = {("committed",): Anchor(doc, ())}
    for field_name in ("data", "stringData"):
        values = doc.get((field_name,))
        if not isinstance(values, Mapping):
            continue
        kept = {key: value for key, value in values.items() if (field_name, key) not in doc.supplied}
        committed[field_name] = kept
        anchors[("committed", field_name)] = Anchor(doc, (field_name,))
        anchors.update({("committed", field_name, key): Anchor(doc, (field_name, key)) for key in kept})
    yield extend(view, {"committed": committed}, anchors)
