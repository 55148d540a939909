"""ShellCheck on Dockerfile RUN text: which scripts a Dockerfile holds, and in which dialect.

The scripts come from the loader (`scripts` of each RUN in shell form, kept line for line with the
file); the dialect from the stage's effective SHELL (default `/bin/sh -c`), the shell a heredoc is
fed to (`RUN <<EOF bash`) or a heredoc's own `#!` line. A SHELL ShellCheck cannot read (pwsh, cmd)
and an exec-form RUN are not checked. The checking itself is `policylint.core.shellcheck`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policylint.core.documents import Document, DocumentSet
from policylint.core.kinds import relation
from policylint.core.views import View


@relation("dockerfile", "shellcheck")
def shellcheck(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """One view per ShellCheck warning in the document's RUN instructions."""
    from policylint.core.shellcheck import warning_views

    yield from warning_views(view, documents, scripts_of)


def scripts_of(doc: Document) -> list[Any]:
    """Every RUN script of the Dockerfile (every stage, ONBUILD RUN included), ready for ShellCheck."""
    from policylint.core.shellcheck import Script, dialect_of, disabled_codes, shebang_dialect
    from policylint.kinds.dockerfile.targets import instruction

    found = []
    for view in instruction(doc, {}):
        item = view.instance
        if item["instruction"] != "RUN" or not item.get("scripts"):
            continue
        for number, script in enumerate(item["scripts"]):
            text = script["text"]
            dialect = dialect_of(script["shell"] or " ".join(item.get("shell") or ["/bin/sh"]))
            shebang = shebang_dialect(text)
            if shebang is not False:
                dialect = shebang  # a heredoc's `#!` line decides what runs it
            if dialect is None:
                continue
            starts = [(script["line"] + offset, 1) for offset in range(text.count("\n") + 1)]
            label = view.label.split("#", 1)[-1] + (f"/heredoc{number}" if len(item["scripts"]) > 1 else "")
            found.append(Script(text=text, dialect=dialect, starts=starts, disabled=disabled_codes(script["comments"]),
                                label=label, defined=frozenset(item.get("environment") or ())))  # fmt: skip
    return found
