"""ShellCheck on GitLab CI job scripts: what each job runs, as GitLab runs it.

A job's `before_script` lines (its own or the inherited `default:` ones) and its `script` lines run
as one shell script, in that order, so they are checked as one: a variable set in before_script is
used in script. `after_script` runs in a shell of its own and is checked alone. Each entry of a
script list is one line of the script (a multi-line entry, several). The shell is `sh` (what the
runner uses in most images); a job whose image is a Windows or PowerShell image is not read.
`$[[ inputs.x ]]` is replaced by a placeholder of the same length; `$CI_*` variables stay, as the
runtime environment variables they are. Lines keep the file (and the included template) that
wrote them, so a warning lands on its own line and column. The checking is `policylint.core.shellcheck`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policylint.core.documents import Document, DocumentSet
from policylint.core.kinds import relation
from policylint.core.views import View

FILE_KIND = "gitlab-ci"
#: Image names whose jobs run PowerShell or cmd, which ShellCheck does not read.
_NOT_SH = ("windows", "powershell", "pwsh", "servercore", "nanoserver")


@relation(FILE_KIND, "shellcheck")
def shellcheck(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """One view per ShellCheck warning in the scripts of the pipeline's jobs."""
    from policylint.core.shellcheck import warning_views

    yield from warning_views(view, documents, scripts_of)


def scripts_of(doc: Document) -> list[Any]:
    """The scripts of every visible job of a root pipeline (before_script + script, after_script)."""
    from policylint.kinds.gitlab_ci.loader import GitlabDocument
    from policylint.kinds.gitlab_ci.pipeline import model

    if not isinstance(doc, GitlabDocument) or doc.role != "pipeline" or doc.pipeline is None or doc.pipeline.root is not doc:
        return []
    found = []
    for job in model(doc.pipeline).jobs():
        if job.hidden or job.defined_in.covered:
            continue
        config = job.config
        image = config.value.get("image")
        name = image.get("name") if isinstance(image, Mapping) else image
        if isinstance(name, str) and any(word in name.lower() for word in _NOT_SH):
            continue
        for keys in (("before_script", "script"), ("after_script",)):
            script = _script(config, keys, f"{job.name}/{'+'.join(key for key in keys if key in config.value)}")
            if script is not None:
                found.append(script)
    return found


def _script(config: Any, keys: tuple[str, ...], label: str) -> Any:
    from policylint.core.shellcheck import Script, placeholders

    texts: list[str] = []
    starts: list[tuple[Any, ...]] = []
    for key in keys:
        items = config.value.get(key)
        if isinstance(items, str):
            entries = [(items, config.origin((key,)))]
        elif isinstance(items, list):
            entries = [(item, config.origin((key, index))) for index, item in enumerate(items) if isinstance(item, str)]
        else:
            continue
        for text, origin in entries:
            lines = text.rstrip("\n").split("\n")
            placed = _line_starts(origin.document, origin.pointer, lines)
            if placed is None:
                continue
            texts.extend(lines)
            starts.extend(placed)
    if not texts:
        return None
    starts.append((*starts[-1][:1], starts[-1][1], *starts[-1][2:]))
    return Script(text=placeholders("\n".join(texts)) + "\n", dialect="sh", starts=starts, label=label)


def _line_starts(doc: Document, pointer: tuple[Any, ...], lines: list[str]) -> list[tuple[Any, ...]] | None:
    """(line, column of character 0, document) for each line of one script entry."""
    from policylint.core.shellcheck import written_at
    from policylint.kinds.gitlab_ci.loader import LINE_STEP

    starts: list[tuple[Any, ...]] = []
    previous: tuple[int, int] | None = None
    for number, line in enumerate(lines):
        if len(lines) > 1:
            position = doc.positions.get((*pointer, LINE_STEP, number))
        else:
            position = doc.positions.get(pointer)
        indent = len(line) - len(line.lstrip())
        if position is not None:
            previous = (position.line, written_at(doc.path, position.line, position.column, line) - indent)
        elif previous is not None:
            previous = (previous[0] + 1, previous[1])
        else:
            return None
        starts.append((*previous, doc))
    return starts
