"""Views: what a policy's condition is evaluated on.

A view is a JSON-like mapping whose parts are the real subtrees of documents (not copies) next to
a few computed facts. `anchors` maps a path inside the view to the document node it stands for,
so any error path the condition produces resolves to a file, a line and a column.
"""

from __future__ import annotations

from typing import Any

from policylint.core.documents import Document
from policylint.core.records import field, record
from policylint.core.yamlnodes import Pointer, Position

ViewPath = tuple[str | int, ...]


@record(frozen=True, slots=True)
class Anchor:
    """A document node that a part of a view stands for."""

    document: Document
    pointer: Pointer


@record(slots=True)
class View:
    """One thing a policy judges: a container, a pod spec, a service, a workflow step, ...

    `label` names it in messages and fingerprints (e.g. `container app`). `fields` feeds the
    message template.
    """

    instance: Any
    anchors: dict[ViewPath, Anchor]
    subject: Document
    label: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    #: Other places that explain a finding (the HPA behind a replicas conflict): anchor + note.
    related: list[tuple[Anchor, str]] = field(default_factory=list)
    #: Facts that claim something is absent from the run: fact name -> (its value were it present
    #: in a part of the run this set does not hold, the run-wide fact keys it assumed absent).
    #: The engine marks the findings that rest on them (policylint.core.assumptions).
    assumes: dict[str, tuple[Any, frozenset[Any]]] = field(default_factory=dict)

    def anchor_for(self, path: ViewPath) -> tuple[Anchor, Pointer]:
        """The anchor of the longest prefix of `path`, and the pointer `path` maps to."""
        for size in range(len(path), -1, -1):
            anchor = self.anchors.get(path[:size])
            if anchor is not None:
                return anchor, (*anchor.pointer, *path[size:])
        root = Anchor(self.subject, ())
        return root, ()

    def locate(self, path: ViewPath) -> tuple[Document, Position, Pointer]:
        """File position for a path in the view: the deepest node of it that exists."""
        anchor, pointer = self.anchor_for(path)
        position, found = anchor.document.position(pointer)
        return anchor.document, position, found

    def value_at(self, path: ViewPath) -> Any:
        """The view's value at `path`, or None."""
        node = self.instance
        for step in path:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    def sub(self, key: str, data: Any, document: Document, pointer: Pointer) -> None:
        """Mount a document subtree at a top-level key of the view."""
        self.instance[key] = data
        self.anchors[(key,)] = Anchor(document, pointer)
