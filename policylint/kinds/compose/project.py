"""Compose projects: the files `docker compose` reads together, and their merged services.

`docker compose up` reads `compose.yaml` and, when it exists, `compose.override.yaml` next to it;
`compose.prod.yaml` (or `docker-compose.ci.yml`) is meant to be layered on the base file with
`-f compose.yaml -f compose.prod.yaml`. A memory limit or a healthcheck written in such an overlay
belongs to the service the base file defines, so judging each file alone reports keys that are
there. This module groups the scanned compose documents of one directory into projects (a base
file and the `<base>.<name>.y(a)ml` files beside it) and merges each service over the project:

- the service's **home** is the base file's definition (the file that should carry a missing
  key); a service only an overlay defines lives in the first overlay that does;
- `memory_limit`, `healthcheck` and `provider` are taken from the merge, in Compose's order (base,
  then `*.override.*`, then the other overlays by name), each anchored where it is written;
- `depends_on` entries merge by dependency name; the condition is the last one written.

Overlays are usually alternatives (dev or prod), so their union is judged: a limit in any of them
counts. Only scanned files take part: the tool reads nothing beyond its inputs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from policylint.core.documents import Document, DocumentSet
from policylint.core.yamlnodes import Pointer
from policylint.kinds.compose.services import depends_on_entries, memory_limit

#: `compose.yaml`, `docker-compose.yml`, and overlays named `<base>.<name>.yaml` (`compose.prod.yaml`).
_NAME = re.compile(r"^(docker-compose|compose)(?:\.([^/]+))?\.ya?ml$")
_BASE_PREFERENCE = ("compose", "docker-compose")


@dataclass
class Dependency:
    """One merged `depends_on` entry of a dependent service: where it is written and its condition."""

    condition: str | None
    document: Document
    pointer: Pointer


@dataclass
class MergedService:
    """A service over the whole project, with the place each fact comes from."""

    home: Document
    definitions: list[Document] = field(default_factory=list)
    memory_limit: tuple[Any, Document, Pointer] | None = None
    healthcheck: dict[str, Any] | None = None
    healthcheck_at: tuple[Document, Pointer] | None = None
    provider: bool = False
    depends_on: dict[str, Dependency] = field(default_factory=dict)


def project_key(path: str) -> tuple[str, str, int] | None:
    """(directory, base prefix, order in the merge) for a compose file name; None for other names.

    The order is 0 for the base file, 1 for `*.override.*`, 2 for other overlays.
    """
    posix = PurePosixPath(path.replace("\\", "/"))
    match = _NAME.match(posix.name.lower())
    if match is None:
        return None
    overlay = match.group(2)
    order = 0 if overlay is None else 1 if overlay == "override" else 2
    return str(posix.parent), match.group(1), order


def merged_services(doc: Document, documents: DocumentSet) -> dict[str, MergedService]:
    """The merged services of the project `doc` belongs to (itself alone if it is in none)."""
    projects = documents.memo("compose-projects", lambda: _build_projects(documents))
    found = projects.get(id(doc))
    if found is None:
        found = _merge([doc])
        projects[id(doc)] = found
    return found


def _build_projects(documents: DocumentSet) -> dict[int, dict[str, MergedService]]:
    """Group the run's compose documents by directory and base name, and merge each group."""
    groups: dict[tuple[str, str], list[tuple[int, str, int, Document]]] = {}
    bases: dict[str, set[str]] = {}
    keyed: list[tuple[tuple[str, str, int], Document]] = []
    for doc in documents.of_file_kind("compose"):
        key = project_key(doc.path)
        if key is None:
            continue
        keyed.append((key, doc))
        if key[2] == 0:
            bases.setdefault(key[0], set()).add(key[1])
    for (directory, prefix, order), doc in keyed:
        present = bases.get(directory, set())
        if order == 0 or prefix in present:
            owner = prefix
        elif present:
            owner = next(name for name in _BASE_PREFERENCE if name in present)
        else:
            continue  # an overlay with no base file beside it is judged alone
        groups.setdefault((directory, owner), []).append((order, doc.path, doc.index, doc))
    projects: dict[int, dict[str, MergedService]] = {}
    for members in groups.values():
        ordered = [doc for _, _, _, doc in sorted(members, key=lambda item: item[:3])]
        merged = _merge(ordered)
        for doc in ordered:
            projects[id(doc)] = merged
    return projects


def _merge(ordered: list[Document]) -> dict[str, MergedService]:
    """Merge the services of documents given in Compose's order."""
    services: dict[str, MergedService] = {}
    for doc in ordered:
        defined = doc.data.get("services")
        if not isinstance(defined, Mapping):
            continue
        for raw_name, data in defined.items():
            if not isinstance(data, Mapping):
                continue
            name = str(raw_name)
            base = ("services", raw_name)
            merged = services.get(name)
            if merged is None:
                merged = services[name] = MergedService(home=doc)
            merged.definitions.append(doc)
            _merge_one(merged, doc, base, data)
    return services


def _merge_one(merged: MergedService, doc: Document, base: Pointer, data: Mapping[str, Any]) -> None:
    limit, limit_pointer = memory_limit(data)
    if limit is not None:
        merged.memory_limit = (limit, doc, (*base, *limit_pointer))
    healthcheck = data.get("healthcheck")
    if isinstance(healthcheck, Mapping):
        merged.healthcheck = {**(merged.healthcheck or {}), **healthcheck}
        merged.healthcheck_at = (doc, (*base, "healthcheck"))
    if data.get("provider") is not None:
        merged.provider = True
    for dependency, condition, step in depends_on_entries(data):
        known = merged.depends_on.get(dependency)
        if known is None or condition is not None:
            merged.depends_on[dependency] = Dependency(condition, doc, (*base, "depends_on", step))
