"""Compose relations: a service merged over its compose project, who depends on it, and the file
checked against the compose spec."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from policylint.core.documents import DocumentSet
from policylint.core.kinds import relation
from policylint.core.views import Anchor, View


@relation("compose", "merged-service")
def merged_service(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterable[View]:
    """The service merged over its compose project (see `policylint.kinds.compose.project`).

    Sets `memory_limit`, `healthcheck_defined` and `provider` from the merge, anchored in the file
    that writes them. The service is judged once, in its home file (the base file that defines it):
    the view of an overlay's partial definition of the same service yields nothing.
    """
    from policylint.kinds.compose.project import merged_services
    from policylint.kinds.compose.services import healthcheck_defined

    name = view.instance.get("name")
    merged = merged_services(view.subject, documents).get(str(name))
    if merged is None:  # pragma: no cover - every service view comes from a merged document
        yield view
        return
    if merged.home is not view.subject:
        return
    instance = view.instance
    instance.pop("memory_limit", None)
    view.anchors.pop(("memory_limit",), None)
    if merged.memory_limit is not None:
        value, doc, pointer = merged.memory_limit
        instance["memory_limit"] = value
        view.anchors[("memory_limit",)] = Anchor(doc, pointer)
    instance["healthcheck_defined"] = healthcheck_defined(merged.healthcheck)
    if merged.healthcheck_at is not None:
        view.anchors[("healthcheck_defined",)] = Anchor(*merged.healthcheck_at)
    instance["provider"] = merged.provider
    for doc in merged.definitions:
        if doc is not view.subject:
            view.related.append((Anchor(doc, ("services", name)), f"service {name} is also defined in {doc.path}"))
    yield view


@relation("compose", "dependents")
def dependents(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterable[View]:
    """The merged service (as `merged-service`) plus `dependents`: the services of its compose
    project whose merged `depends_on` names it.

    Each entry is `{service, condition}` and is anchored at the `depends_on` entry that decides its
    condition, so a missing `condition: service_healthy` is reported where the dependency is declared.
    """
    from policylint.kinds.compose.project import merged_services

    for merged_view in merged_service(view, documents, params):
        services = merged_services(merged_view.subject, documents)
        name = str(merged_view.instance.get("name"))
        found = [
            (other, service.depends_on[name])
            for other, service in services.items()
            if name in service.depends_on
        ]
        merged_view.instance["dependents"] = [{"service": other, "condition": entry.condition} for other, entry in found]
        for number, (other, entry) in enumerate(found):
            anchor = Anchor(entry.document, entry.pointer)
            merged_view.anchors[("dependents", number)] = anchor
            merged_view.related.append((anchor, f"service {other} depends on it"))
        yield merged_view


@relation("compose", "compose-schema")
def compose_schema(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterable[View]:
    """Add `schema_errors`: each error of the file against the compose-spec schema, at its key."""
    from policylint.core.external_schemas import validate

    doc = view.subject
    errors = validate("compose-spec", doc.data)
    view.instance = {"file": doc.data, "schema_errors": [{"message": error.message} for error in errors]}
    view.anchors = {(): Anchor(doc, ()), ("file",): Anchor(doc, ())}
    for number, error in enumerate(errors):
        view.anchors[("schema_errors", number)] = Anchor(doc, error.pointer)
    yield view
