"""Kubernetes targets: the object, its pod spec, each container (with its effective security)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policylint.core.documents import Document
from policylint.core.kinds import target
from policylint.core.records import field as dataclass_field
from policylint.core.records import record
from policylint.core.views import Anchor, View
from policylint.kinds.kubernetes import CLUSTER_SCOPED_KINDS
from policylint.kinds.kubernetes.workloads import containers, pod_metadata_pointer, pod_spec, pod_spec_pointer

#: securityContext fields a container inherits from the pod when it does not set them itself.
INHERITED_SECURITY_FIELDS = (
    "runAsNonRoot",
    "runAsUser",
    "runAsGroup",
    "seccompProfile",
    "appArmorProfile",
    "seLinuxOptions",
    "windowsOptions",
)


#: Inherited fields merged one sub-field at a time: the kubelet lets the container's
#: `windowsOptions.hostProcess` override the pod's while the pod's `runAsUserName` still applies.
MERGED_SECURITY_FIELDS = ("windowsOptions",)


def _merge_fields(
    view: View,
    effective: dict[str, Any],
    key: str,
    own_security: Mapping[str, Any],
    pod_security: Mapping[str, Any],
    pointer: tuple[Any, ...],
    spec_pointer: tuple[Any, ...],
) -> None:
    """Fill `effective[key]` from the pod's sub-fields overridden by the container's, with anchors."""
    doc = view.subject
    pod_value = pod_security.get(key)
    merged: dict[str, Any] = {}
    view.anchors[("effective", key)] = Anchor(doc, (*pointer, "securityContext", key))
    for source, base_pointer in ((pod_value, spec_pointer), (own_security[key], pointer)):
        if not isinstance(source, Mapping):
            continue
        for sub, value in source.items():
            merged[sub] = value
            view.anchors[("effective", key, sub)] = Anchor(doc, (*base_pointer, "securityContext", key, sub))
    effective[key] = merged


@target("kubernetes", "document")
def document(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """The whole object."""
    yield View(doc.data, {(): Anchor(doc, ())}, doc, label=doc.identity, fields=dict(_prepared(doc).fields))


@target("kubernetes", "namespaced")
def namespaced(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """The whole object, only for kinds that live in a namespace (cluster-scoped kinds have none)."""
    if doc.kind and doc.kind not in CLUSTER_SCOPED_KINDS:
        yield from document(doc, match)


@target("kubernetes", "pod")
def pod(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """The pod spec of a workload (and its pod metadata, for annotations)."""
    prepared = _prepared(doc)
    if prepared.pod is not None:
        yield _fresh(prepared.pod)


@target("kubernetes", "container")
def container(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Each container; `match.containers: main` keeps only `containers` (not init/ephemeral)."""
    main_only = match.get("containers", "all") == "main"
    for view in _prepared(doc).containers:
        if not main_only or view.instance["main"]:
            yield _fresh(view)


@record(slots=True)
class _Prepared:
    """The views of one document, built once and handed out as copies (see `_prepared`)."""

    fields: dict[str, Any]
    pod: View | None = None
    containers: list[View] = dataclass_field(default_factory=list)


#: The last document prepared. The engine runs every policy on a document before the next one,
#: so this one entry saves rebuilding the pod and container views (and the effective
#: securityContext) for each of the ~30 policies that target them.
_last: tuple[Document, _Prepared] | None = None


def _prepared(doc: Document) -> _Prepared:
    global _last
    last = _last
    if last is not None and last[0] is doc:
        return last[1]
    prepared = _Prepared(_fields(doc))
    spec = pod_spec(doc)
    if spec is not None:
        prepared.pod = _pod_view(doc, spec, prepared.fields)
        prepared.containers = list(_container_views(doc, spec, prepared.fields))
    _last = (doc, prepared)
    return prepared


def _fresh(view: View) -> View:
    """A copy a policy or relation may extend (mount keys, add anchors) without touching the template."""
    return View(dict(view.instance), dict(view.anchors), view.subject, view.label, dict(view.fields))


def _fields(doc: Document) -> dict[str, Any]:
    # An object without a name (a kustomize patch target, a generated name) reads "Deployment (unnamed)".
    return {"kind": doc.kind, "name": doc.name or "(unnamed)", "namespace": doc.namespace, "object": doc.identity}


def _pod_view(doc: Document, spec: Mapping[str, Any], fields: dict[str, Any]) -> View:
    kind = fields["kind"]
    spec_pointer = pod_spec_pointer(kind)
    metadata_pointer = pod_metadata_pointer(kind)
    metadata = doc.get(metadata_pointer)
    instance = {
        "object": doc.data,
        "kind": kind,
        "pod": spec,
        "podMetadata": metadata if isinstance(metadata, Mapping) else {},
    }
    anchors = {
        (): Anchor(doc, spec_pointer),
        ("object",): Anchor(doc, ()),
        ("pod",): Anchor(doc, spec_pointer),
        ("podMetadata",): Anchor(doc, metadata_pointer),
    }
    return View(instance, anchors, doc, label=fields["object"], fields=dict(fields))


def _container_views(doc: Document, spec: Mapping[str, Any], fields: dict[str, Any]) -> Iterator[View]:
    """Each container's view, with `effective` = its securityContext over the pod's, anchored."""
    spec_pointer = pod_spec_pointer(fields["kind"])
    pod_security = spec.get("securityContext")
    pod_security = pod_security if isinstance(pod_security, Mapping) else {}
    for field, index, item in containers(doc):
        base = _pod_view(doc, spec, fields)
        pointer = (*spec_pointer, field, index)
        own_security = item.get("securityContext")
        own_security = own_security if isinstance(own_security, Mapping) else {}
        effective: dict[str, Any] = {}
        base.anchors[("effective",)] = Anchor(doc, (*pointer, "securityContext"))
        for key in INHERITED_SECURITY_FIELDS:
            if key in MERGED_SECURITY_FIELDS and isinstance(own_security.get(key), Mapping):
                _merge_fields(base, effective, key, own_security, pod_security, pointer, spec_pointer)
            elif key in own_security:
                effective[key] = own_security[key]
                base.anchors[("effective", key)] = Anchor(doc, (*pointer, "securityContext", key))
            elif key in pod_security:
                effective[key] = pod_security[key]
                base.anchors[("effective", key)] = Anchor(doc, (*spec_pointer, "securityContext", key))
        name = item.get("name")
        name = name if isinstance(name, str) else f"{field}[{index}]"
        base.instance.update(
            container=item, containerField=field, main=field == "containers", effective=effective
        )
        if doc.built_images:
            from policylint.kinds.kubernetes.builtimages import built_here

            if built_here(doc, item.get("image")):
                base.instance["imageBuiltHere"] = True
        base.anchors[()] = Anchor(doc, pointer)
        base.anchors[("container",)] = Anchor(doc, pointer)
        base.label = f"{fields['object']}#{field}[{name}]"
        base.fields.update(container=name)
        yield base


# -- `helm` documents: facts about one rendering of a chart (see policylint.kinds.kubernetes.helm) --


@target("helm", "values")
def values(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """The values one rendering used, with the chart's `values.schema.json` errors (`schemaErrors`)."""
    yield View(doc.data, {(): Anchor(doc, ())}, doc, label=f"{doc.path}[{doc.index}]", fields={"chart": doc.data.get("chart", "")})
