"""Manifests with envsubst-style placeholders: one notice per file instead of schema errors.

A manifest that a deploy script renders with envsubst or a token-replacement step
(`replicas: ${REPLICAS}`, `containerPort: "##PORT##"`) is not what the API server will see, just as
a Helm template is not: where such a placeholder stands for a number or a boolean,
k8s-schema-invalid stays silent (policylint.kinds.kubernetes.schema), and the file gets one notice that says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from policylint.core.documents import Document, Skipped

NOTICE = (
    "envsubst-style placeholders (${VAR}, ##VAR##) stand where numbers or booleans belong: those fields are "
    "not schema-checked; render the file first (envsubst < file | policylint check -)"
)
#: Marks of a value still to be substituted (envsubst, Helm, Kustomize vars, `$(VAR)` expansion).
UNRENDERED_MARKS = ("${", "{{", "$(")
#: Cheap test on the file's text before any schema is consulted.
_MAYBE = re.compile(r"\$\{?[A-Za-z_]|##[A-Za-z_]|#\{[A-Za-z_]|__[A-Za-z]")


def is_unrendered(value: object) -> bool:
    """True for a string still to be substituted: a port or name written so cannot be judged yet."""
    return isinstance(value, str) and any(mark in value for mark in UNRENDERED_MARKS)


#: A port written as a stand-in: `<port>`, or an all-capitals identifier (`PORT`, `HTTP_PORT`); a real
#: port name is lower case (IANA_SVC_NAME), so such a value is never one.
_PORT_STAND_IN = re.compile(r"<[^<>]*>|[A-Z][A-Z0-9_]*")


def is_port_placeholder(value: object) -> bool:
    """True for a port that is not written yet (`${PORT}`, `{{ .port }}`, `<port>`, `PORT`): it cannot be judged."""
    return is_unrendered(value) or (isinstance(value, str) and bool(_PORT_STAND_IN.fullmatch(value.strip())))


def placeholder_notice(path: str, text: str, documents: Iterable[Document]) -> Skipped | None:
    """The notice for a file where a placeholder stands in for a number or boolean, else None."""
    if not _MAYBE.search(text):
        return None
    from policylint.kinds.kubernetes.schema import schema_set
    from policylint.kinds.kubernetes.versions import schema_version, target_version

    version = schema_version(target_version(None))
    schemas = schema_set(version) if version is not None else None
    if schemas is None:
        return None
    for document in documents:
        kind_schema = schemas.validator_for(document.api_version, document.kind)
        if kind_schema is not None and kind_schema.placeholder_errors(document.data):
            return Skipped(path, NOTICE)
    return None
