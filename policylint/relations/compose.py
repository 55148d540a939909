"""Compose relations: who depends on a service, and the file checked against the compose spec."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from policylint.documents import Document, DocumentSet
from policylint.relations import relation
from policylint.views import Anchor, View


@relation("compose", "dependents")
def dependents(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterable[View]:
    """Add `dependents`: the services of the same file whose `depends_on` names this one.

    Each entry is `{service, condition}` and is anchored at that `depends_on` entry, so a missing
    `condition: service_healthy` is reported where the dependency is declared.
    """
    doc = view.subject
    index = _dependents_index(doc, documents)
    name = view.instance.get("name")
    found = index.get(name, [])
    view.instance["dependents"] = [{"service": other, "condition": condition} for other, condition, _ in found]
    for number, (other, _, step) in enumerate(found):
        view.anchors[("dependents", number)] = Anchor(doc, ("services", other, "depends_on", step))
        view.related.append((Anchor(doc, ("services", other, "depends_on", step)), f"service {other} depends on it"))
    yield view


def _dependents_index(doc: Document, documents: DocumentSet) -> dict[str, list[tuple[str, str | None, Any]]]:
    key = ("compose-dependents", id(doc))
    cached = documents.cache.get(key)
    if cached is not None:
        return cached
    from policylint.targets.compose import depends_on_entries

    index: dict[str, list[tuple[str, str | None, Any]]] = {}
    services = doc.data.get("services")
    if isinstance(services, Mapping):
        for other, data in services.items():
            if not isinstance(data, Mapping):
                continue
            for dependency, condition, step in depends_on_entries(data):
                index.setdefault(dependency, []).append((str(other), condition, step))
    documents.cache[key] = index
    return index


@relation("compose", "compose-schema")
def compose_schema(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterable[View]:
    """Add `schema_errors`: each error of the file against the compose-spec schema, at its key."""
    from policylint.external_schemas import validate

    doc = view.subject
    errors = validate("compose-spec", doc.data)
    view.instance = {"file": doc.data, "schema_errors": [{"message": error.message} for error in errors]}
    view.anchors = {(): Anchor(doc, ()), ("file",): Anchor(doc, ())}
    for number, error in enumerate(errors):
        view.anchors[("schema_errors", number)] = Anchor(doc, error.pointer)
    yield view
