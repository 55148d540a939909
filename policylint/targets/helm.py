"""Targets for `helm` documents: facts about one rendering of a chart (see policylint.helm)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policylint.documents import Document
from policylint.targets import target
from policylint.views import Anchor, View


@target("helm", "values")
def values(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """The values one rendering used, with the chart's `values.schema.json` errors (`schemaErrors`)."""
    yield View(doc.data, {(): Anchor(doc, ())}, doc, label=f"{doc.path}[{doc.index}]", fields={"chart": doc.data.get("chart", "")})
