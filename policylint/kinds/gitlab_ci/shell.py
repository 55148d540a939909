"""ShellCheck on GitLab CI job scripts: what each job runs, as GitLab runs it.

A job's `before_script` lines (its own or the inherited `default:` ones) and its `script` lines run
as one shell script, in that order, so they are checked as one: a variable set in before_script is
used in script. `after_script` runs in a shell of its own and is checked alone. Each entry of a
script list is one line of the script (a multi-line entry, several).

The shell follows the image, as the runner picks it (bash when the image has it, else sh): Alpine,
BusyBox and `docker:` images (Alpine-based) run BusyBox sh, read as ShellCheck's `busybox` dialect;
any other image (Debian, Ubuntu, the language images), or none, runs bash. (Reading every job as
POSIX sh reported bash syntax in bash jobs: 37 of 51 findings on GitLab's own pipelines.) Jobs on
Windows runners (a `windows` tag or image) and scripts written in PowerShell (`$env:`, `Verb-Noun`
cmdlets) are not read. The runner runs with -e: SC2164 (cd without exit) is left out.
`$[[ inputs.x ]]` is replaced by a placeholder of the same length; `$CI_*` variables stay, as the
runtime environment variables they are. Lines keep the file (and the included template) that
wrote them, so a warning lands on its own line and column. The checking is `policylint.core.shellcheck`.
"""

from __future__ import annotations

import re
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
        dialect = _dialect(config.value)
        if dialect is None:
            continue
        for keys in (("before_script", "script"), ("after_script",)):
            script = _script(config, keys, f"{job.name}/{'+'.join(key for key in keys if key in config.value)}", dialect)
            if script is not None and not _POWERSHELL.search(script.text):
                found.append(script)
    return found


#: Images that run BusyBox sh (Alpine-based, BusyBox, the docker CLI and dind images).
_BUSYBOX = re.compile(r"alpine|busybox|(^|/)docker(:|$)", re.IGNORECASE)
#: PowerShell written in a script list (a template for Windows runners).
_POWERSHELL = re.compile(r"\$env:|(^|\n)\s*(New|Get|Set|Remove|Write|Invoke|Copy|Test|Start|Out|Import)-[A-Z][A-Za-z]+", re.IGNORECASE)


def _dialect(job: Mapping[str, Any]) -> str | None:
    """ShellCheck's dialect for a job, from its image and tags (None: PowerShell on Windows)."""
    tags = job.get("tags")
    if isinstance(tags, list) and any(isinstance(tag, str) and "windows" in tag.lower() for tag in tags):
        return None
    image = job.get("image")
    name = image.get("name") if isinstance(image, Mapping) else image
    if not isinstance(name, str) or not name.strip():
        return "bash"
    if any(word in name.lower() for word in _NOT_SH):
        return None
    return "busybox" if _BUSYBOX.search(name) else "bash"


def _script(config: Any, keys: tuple[str, ...], label: str, dialect: str) -> Any:
    from policylint.core.shellcheck import Script, folded_pieces, placeholders

    texts: list[str] = []
    starts: list[tuple[Any, ...]] = []
    pieces: dict[int, list[tuple[int, int, int]]] = {}
    shared = 0
    for key in keys:
        if key == "script":
            shared = len(texts)  # before_script: shared setup, its variables may go unused here
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
            for number, (line, start) in enumerate(zip(lines, placed, strict=True)):
                folded = folded_pieces(origin.document.path, start[0], start[1], line) if line.strip() else None
                if folded:  # a `- >` entry or a plain scalar that YAML folded from several lines
                    pieces[len(texts) + number] = folded
            texts.extend(lines)
            starts.extend(placed)
    if not texts:
        return None
    starts.append(starts[-1])  # the newline ShellCheck gets after the last line
    return Script(text=placeholders("\n".join(texts)) + "\n", dialect=dialect, starts=starts, label=label, pieces=pieces,
                  shared_lines=shared, disabled=frozenset({"SC2164"}))  # the runner sets -e: a failed cd stops the job


def _block_content(doc: Document, pointer: tuple[Any, ...]) -> Any:
    """Where a one-line block scalar's text starts (`- >` then the text on the next line), or None."""
    from policylint.core.shellcheck import source_line
    from policylint.core.yamlnodes import Position

    block = doc.value_positions.get(pointer)
    if block is None or not block[1] or block[1][0] not in "|>":
        return None
    for line in range(block[0].line + 1, block[0].line + 50):
        written = source_line(doc.path, line)
        if written.strip():
            return Position(line, len(written) - len(written.lstrip()) + 1)
    return None


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
            position = _block_content(doc, pointer) or doc.positions.get(pointer)
        indent = len(line) - len(line.lstrip())
        if position is not None:
            previous = (position.line, written_at(doc.path, position.line, position.column, line) - indent)
        elif previous is not None:
            previous = (previous[0] + 1, previous[1])
        else:
            return None
        starts.append((*previous, doc))
    return starts
