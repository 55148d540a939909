"""Kubernetes targets: the object, its pod spec, each container (with its effective security)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policylint.documents import Document
from policylint.k8s.workloads import containers, pod_metadata_pointer, pod_spec, pod_spec_pointer
from policylint.targets import target
from policylint.views import Anchor, View

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


@target("kubernetes", "document")
def document(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """The whole object."""
    yield View(doc.data, {(): Anchor(doc, ())}, doc, label=doc.identity, fields=_fields(doc))


def _fields(doc: Document) -> dict[str, Any]:
    return {"kind": doc.kind, "name": doc.name, "namespace": doc.namespace, "object": doc.identity}


def _pod_view(doc: Document, spec: Mapping[str, Any]) -> View:
    spec_pointer = pod_spec_pointer(doc.kind)
    metadata_pointer = pod_metadata_pointer(doc.kind)
    metadata = doc.get(metadata_pointer)
    instance = {
        "object": doc.data,
        "kind": doc.kind,
        "pod": spec,
        "podMetadata": metadata if isinstance(metadata, Mapping) else {},
    }
    anchors = {
        (): Anchor(doc, spec_pointer),
        ("object",): Anchor(doc, ()),
        ("pod",): Anchor(doc, spec_pointer),
        ("podMetadata",): Anchor(doc, metadata_pointer),
    }
    return View(instance, anchors, doc, label=doc.identity, fields=_fields(doc))


@target("kubernetes", "pod")
def pod(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """The pod spec of a workload (and its pod metadata, for annotations)."""
    spec = pod_spec(doc)
    if spec is not None:
        yield _pod_view(doc, spec)


@target("kubernetes", "container")
def container(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Each container; `match.containers: main` keeps only `containers` (not init/ephemeral)."""
    spec = pod_spec(doc)
    if spec is None:
        return
    spec_pointer = pod_spec_pointer(doc.kind)
    pod_security = spec.get("securityContext")
    pod_security = pod_security if isinstance(pod_security, Mapping) else {}
    main_only = match.get("containers", "all") == "main"
    for field, index, item in containers(doc, main_only=main_only):
        base = _pod_view(doc, spec)
        pointer = (*spec_pointer, field, index)
        own_security = item.get("securityContext")
        own_security = own_security if isinstance(own_security, Mapping) else {}
        effective: dict[str, Any] = {}
        base.anchors[("effective",)] = Anchor(doc, (*pointer, "securityContext"))
        for key in INHERITED_SECURITY_FIELDS:
            if key in own_security:
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
        base.anchors[()] = Anchor(doc, pointer)
        base.anchors[("container",)] = Anchor(doc, pointer)
        base.label = f"{doc.identity}#{field}[{name}]"
        base.fields.update(container=name)
        yield base
