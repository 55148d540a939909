"""Kubernetes relations: joins between objects of one run (HPA ↔ workload, selectors ↔ pods, ...).

Every relation reads one per-run index (`index(documents)`, memoised in `documents.cache`) that
groups objects by *scope*: the pair (origin, namespace). Objects rendered from one kustomize
overlay never meet objects of another overlay or of plain files. Selectors go through a
`LabelIndex`, so the whole run stays linear in the number of documents. Facts computed per
object are memoised as well, so the several policies that read them share one join.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from policylint.documents import WORKLOAD_KINDS, Document, DocumentSet
from policylint.k8s.ports import ContainerPort, parse_port_ref, port_matches, protocol_of, workload_ports
from policylint.k8s.selectors import LabelIndex, Selector, parse_label_selector, parse_map_selector
from policylint.k8s.workloads import SCALABLE_KINDS, containers, pod_labels, replicas
from policylint.relations import relation
from policylint.views import Anchor, View, ViewPath

Scope = tuple[str, str]
INDEX_KEY = "kubernetes.index"
DNS_PORT = 53
DNS_PORT_NAMES = frozenset({"dns", "dns-tcp", "dns-udp"})
METRIC_SOURCES = {"Resource": "resource", "ContainerResource": "containerResource"}


def scope_of(doc: Document) -> Scope:
    """The (origin, namespace) a document lives in: joins never cross scopes."""
    return (doc.origin, doc.namespace)


@dataclass
class ScopeIndex:
    """The objects of one namespace of one origin."""

    workloads: list[Document] = field(default_factory=list)
    labels: LabelIndex[Document] = field(default_factory=LabelIndex)
    by_kind_name: dict[tuple[str, str], Document] = field(default_factory=dict)
    hpas_by_target: dict[tuple[str, str], list[Document]] = field(default_factory=dict)
    pdbs: list[Document] = field(default_factory=list)
    network_policies: list[Document] = field(default_factory=list)
    #: id(workload) of workloads some Egress policy of the scope lets reach port 53 (lazy).
    dns_allowed: set[int] | None = None


@dataclass
class Index:
    """Every scope of the run, built in one pass over the documents."""

    scopes: dict[Scope, ScopeIndex] = field(default_factory=dict)
    origins_with_network_policy: set[str] = field(default_factory=set)
    memo: dict[tuple[str, Any], Any] = field(default_factory=dict)

    def scope(self, doc: Document) -> ScopeIndex:
        """The scope of a document (an empty one when nothing else lives there)."""
        return self.scopes.get(scope_of(doc)) or ScopeIndex()


def index(documents: DocumentSet) -> Index:
    """The run's Kubernetes index, built once and shared by every relation."""
    cached = documents.cache.get(INDEX_KEY)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    built = Index()
    for doc in documents.of_file_kind("kubernetes"):
        kind = doc.kind
        scope = built.scopes.setdefault(scope_of(doc), ScopeIndex())
        scope.by_kind_name.setdefault((kind, doc.name), doc)
        if kind in WORKLOAD_KINDS:
            scope.workloads.append(doc)
            scope.labels.add(doc, pod_labels(doc))
        elif kind == "HorizontalPodAutoscaler":
            ref = doc.get(("spec", "scaleTargetRef"))
            if isinstance(ref, Mapping) and isinstance(ref.get("kind"), str) and isinstance(ref.get("name"), str):
                scope.hpas_by_target.setdefault((ref["kind"], ref["name"]), []).append(doc)
        elif kind == "PodDisruptionBudget":
            scope.pdbs.append(doc)
        elif kind == "NetworkPolicy":
            scope.network_policies.append(doc)
            built.origins_with_network_policy.add(doc.origin)
    documents.cache[INDEX_KEY] = built
    return built


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
    """The workloads (of the same scope) whose pod labels the object's selector matches."""

    def compute() -> list[Document]:
        selector, _ = object_selector(doc)
        return idx.scope(doc).labels.select(selector)

    return _memo(idx, "selected", doc, compute)  # type: ignore[no-any-return]


def hpas_targeting(idx: Index, doc: Document) -> list[Document]:
    """The HPAs of the scope whose scaleTargetRef names this workload."""
    return idx.scope(doc).hpas_by_target.get((doc.kind, doc.name), [])


def effective_replicas(idx: Index, doc: Document) -> int | None:
    """The fewest pods a workload runs: HPA minReplicas when scaled, else spec.replicas (default 1).

    None when unknown (DaemonSet: one per node; Job: depends on completions).
    """
    if doc.kind == "Pod":
        return 1
    if doc.kind not in SCALABLE_KINDS:
        return None
    hpas = hpas_targeting(idx, doc)
    if hpas:
        return min(_hpa_min(hpa) for hpa in hpas)
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


def _names(docs: Iterable[Document]) -> str:
    return ", ".join(f"{doc.kind}/{doc.name}" for doc in docs)


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

    Facts: `targetFound`, `namespaceHasWorkloads`, `maxAboveMin`, and `utilizationMetrics` (one
    entry per cpu/memory utilization metric, anchored at that metric: `requested` is false when a
    main container of the target has no request for the resource).
    """
    hpa = view.subject
    idx = index(documents)
    scope = idx.scope(hpa)
    ref = hpa.get(("spec", "scaleTargetRef"))
    ref = ref if isinstance(ref, Mapping) else {}
    # Any kind counts (an Argo Rollout or another scalable custom resource in the set is a target too).
    target = scope.by_kind_name.get((str(ref.get("kind", "")), str(ref.get("name", ""))))
    minimum, maximum = _hpa_min(hpa), hpa.get(("spec", "maxReplicas"))
    facts: dict[str, Any] = {
        "targetFound": target is not None,
        "namespaceHasWorkloads": bool(scope.workloads),
        "maxAboveMin": not isinstance(maximum, int) or isinstance(maximum, bool) or maximum > minimum,
    }
    anchors = {
        ("targetFound",): Anchor(hpa, ("spec", "scaleTargetRef", "name")),
        ("maxAboveMin",): Anchor(hpa, ("spec", "maxReplicas")),
    }
    joined = extend(view, facts, anchors)
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


def _selected_ids(idx: Index, doc: Document, name: str, candidates: list[Document]) -> dict[int, list[Document]]:
    """For one scope: workload id → the objects (PDBs or NetworkPolicies) that select it."""
    scope_key = ("scope-" + name, scope_of(doc))
    found = idx.memo.get(scope_key)
    if found is None:
        found = {}
        for candidate in candidates:
            for workload in selected_workloads_of(idx, candidate):
                found.setdefault(id(workload), []).append(candidate)
        idx.memo[scope_key] = found
    return found  # type: ignore[no-any-return]


@relation("kubernetes", "workload-context")
def workload_context(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """A workload with what scales, protects and isolates it.

    Facts: `hpaTargeted` (the first HPA mounted at `hpa`), `replicas` (spec.replicas, default 1,
    anchored there), `multiReplica` (replicas > 1 or an HPA with minReplicas > 1), `pdbSelected`,
    `networkPolicySelected`, and `networkPoliciesInSet` (the run, or this overlay, has a
    NetworkPolicy; or the policy's `always` param is true).
    """
    doc = view.subject
    idx = index(documents)
    scope = idx.scope(doc)
    hpas = hpas_targeting(idx, doc)
    count = replicas(doc)
    count = 1 if count is None else count
    hpa_min = max((_hpa_min(hpa) for hpa in hpas), default=0)
    pdbs = _selected_ids(idx, doc, "pdb", scope.pdbs).get(id(doc), [])
    policies = _selected_ids(idx, doc, "netpol", scope.network_policies).get(id(doc), [])
    facts = {
        "hpaTargeted": bool(hpas),
        "replicas": count,
        "multiReplica": count > 1 or hpa_min > 1,
        "pdbSelected": bool(pdbs),
        "networkPolicySelected": bool(policies),
        "networkPoliciesInSet": doc.origin in idx.origins_with_network_policy or bool(params.get("always")),
    }
    anchors = {
        ("replicas",): Anchor(doc, ("spec", "replicas")),
        ("pdbSelected",): Anchor(doc, ("metadata", "name")),
        ("networkPolicySelected",): Anchor(doc, ("metadata", "name")),
    }
    joined = extend(view, facts, anchors)
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
    """Whether a port reference matches the selected pods' ports (unknown counts as matched)."""
    ref = parse_port_ref(ref_value, end)
    wanted = protocol_of(protocol)
    if ref is None:
        return {"matched": True, "port": str(ref_value), "protocol": wanted}
    if ref.name is None and not ports:  # a numeric port works even when no container declares ports
        return {"matched": True, "port": ref.label, "protocol": wanted}
    return {"matched": port_matches(ref, wanted, ports), "port": ref.label, "protocol": wanted}


@relation("kubernetes", "selected-workloads")
def selected_workloads(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """A PDB, NetworkPolicy or Service with the workloads its selector matches.

    Facts: `hasSelector`, `selectsSomething` (anchored at the selector), `namespaceHasWorkloads`,
    `minAvailableBlocks` (PDB), `servicePorts` / `ingressPorts` (one entry per port reference,
    `matched` false when no container port of the selected pods fits it).
    """
    doc = view.subject
    idx = index(documents)
    scope = idx.scope(doc)
    selector, pointer = object_selector(doc)
    selected = selected_workloads_of(idx, doc)
    has_selector = doc.kind != "Service" or bool(doc.get(("spec", "selector")))
    facts: dict[str, Any] = {
        "hasSelector": has_selector,
        "selectorValid": selector.valid,
        "selectsSomething": bool(selected),
        "namespaceHasWorkloads": bool(scope.workloads),
    }
    anchors: dict[ViewPath, Anchor] = {("selectsSomething",): Anchor(doc, pointer)}
    ports = [port for workload in selected for port in workload_ports(workload)]
    if doc.kind == "PodDisruptionBudget":
        facts["minAvailableBlocks"] = _pdb_blocks(idx, doc, selected)
        anchors[("minAvailableBlocks",)] = Anchor(doc, ("spec", "minAvailable"))
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
    joined.fields["selected"] = _names(selected) or "nothing"
    joined.related.extend(
        _related(workload, ("metadata", "name"), f"selects {workload.kind} {workload.name}")
        for workload in selected[:5]
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


def _dns_allowed(idx: Index, doc: Document) -> set[int]:
    scope = idx.scope(doc)
    if scope.dns_allowed is None:
        allowed: set[int] = set()
        for policy in scope.network_policies:
            if egress_applies(policy) and allows_dns(policy):
                allowed.update(id(workload) for workload in selected_workloads_of(idx, policy))
        scope.dns_allowed = allowed
    return scope.dns_allowed


@relation("kubernetes", "egress-dns")
def egress_dns(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """A NetworkPolicy with `podsWithoutDns`: the pods it selects that no Egress policy lets reach DNS.

    When the scope holds no workload, the fact is `["any pod"]` only if no Egress policy of the
    namespace allows port 53. Not yielded for policies that do not restrict egress.
    """
    doc = view.subject
    if not egress_applies(doc):
        return
    idx = index(documents)
    scope = idx.scope(doc)
    if scope.workloads:
        allowed = _dns_allowed(idx, doc)
        missing = [workload for workload in selected_workloads_of(idx, doc) if id(workload) not in allowed]
        names = [f"{workload.kind}/{workload.name}" for workload in missing]
    else:
        dns = any(egress_applies(policy) and allows_dns(policy) for policy in scope.network_policies)
        missing, names = [], ([] if dns else ["any pod"])
    pointer = ("spec", "egress") if doc.get(("spec", "egress")) is not None else ("spec", "policyTypes")
    joined = extend(view, {"podsWithoutDns": names}, {("podsWithoutDns",): Anchor(doc, pointer)})
    joined.fields["pods"] = ", ".join(names)
    joined.related.extend(
        _related(workload, ("metadata", "name"), f"{workload.kind} {workload.name} cannot resolve names")
        for workload in missing[:5]
    )
    yield joined


# --- gateway-parents -----------------------------------------------------------------------------


def _listeners(gateway: Document) -> list[Mapping[str, Any]]:
    items = gateway.get(("spec", "listeners"))
    return [item for item in items if isinstance(item, Mapping)] if isinstance(items, list) else []


@relation("kubernetes", "gateway-parents")
def gateway_parents(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """For an HTTPRoute: `parents`, one entry per parentRef to a Gateway of the set (`httpOnly`).

    A parentRef with `sectionName` or `port` is judged on the listeners it names; otherwise on all
    of the Gateway's listeners. Other kinds pass through with an empty `parents` list.
    """
    doc = view.subject
    parents: list[dict[str, Any]] = []
    anchors: dict[ViewPath, Anchor] = {}
    related: list[tuple[Anchor, str]] = []
    refs = doc.get(("spec", "parentRefs")) if doc.kind == "HTTPRoute" else None
    if isinstance(refs, list):
        idx = index(documents)
        for position, ref in enumerate(refs):
            if not isinstance(ref, Mapping) or ref.get("kind", "Gateway") != "Gateway":
                continue
            namespace = ref.get("namespace") if isinstance(ref.get("namespace"), str) else doc.namespace
            scope = idx.scopes.get((doc.origin, str(namespace)))
            gateway = scope.by_kind_name.get(("Gateway", str(ref.get("name", "")))) if scope else None
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


# --- schema-errors and api-deprecation ---------------------------------------------------------


@relation("kubernetes", "schema-errors")
def schema_errors(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """The object with `schemaErrors`: one message per error, each anchored at the offending key.

    Judged against the bundled strict schema closest to the `kube_version` param (default: the
    newest bundled). Objects with no bundled schema (custom resources) yield nothing.
    """
    from policylint.k8s.schema import schema_set
    from policylint.k8s.versions import format_version, schema_version, target_version

    doc = view.subject
    version = schema_version(target_version(params.get("kube_version")))
    schemas = schema_set(version) if version is not None else None
    if schemas is None or not isinstance(doc.data, Mapping):
        return
    errors = schemas.errors(doc.data)
    if errors is None:
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
    from policylint.k8s.deprecations import judge
    from policylint.k8s.versions import target_version

    doc = view.subject
    status, explanation = judge(doc.api_version, doc.kind, target_version(params.get("kube_version")))
    joined = extend(view, {"apiStatus": status}, {("apiStatus",): Anchor(doc, ("apiVersion",))})
    joined.fields["deprecation"] = explanation
    yield joined
