"""ShellCheck on GitHub Actions `run:` scripts: which scripts a workflow or action holds, in which shell.

The shell is the step's `shell:`, else the job's then the workflow's `defaults.run.shell`, else
GitHub's default: bash on Linux and macOS runners, pwsh on Windows runners (`runs-on` naming
windows), which ShellCheck does not read, and unknown when `runs-on` is an expression (not read);
a composite action's step names its shell. Those shells run with -e, so a `cd` that fails already
stops the step (SC2164 is left out). `${{ }}` is
replaced by a placeholder of the same length (as actionlint does), so columns stay true; each line
of the script starts where the loader found it in the file (`LINE_STEP` positions). The checking
itself is `policylint.core.shellcheck`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policylint.core.documents import Document, DocumentSet
from policylint.core.kinds import relation
from policylint.core.views import View

FILE_KIND = "github-actions"


@relation(FILE_KIND, "shellcheck")
def shellcheck(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """One view per ShellCheck warning in the document's `run:` scripts."""
    from policylint.core.shellcheck import warning_views

    yield from warning_views(view, documents, scripts_of)


#: Checks about ignored failures that a shell run with errexit (`bash -e`) already stops on:
#: SC2164, `cd dir` without `|| exit`.
ERREXIT_MOOT = frozenset({"SC2164"})


def _errexit(shell: str | None) -> bool:
    """GitHub runs `bash` and `sh` (and the default shell) with -e; a custom command line says itself."""
    if shell is None or shell.strip() in ("bash", "sh"):
        return True
    words = shell.split()
    return any(word.startswith("-") and not word.startswith("--") and "e" in word for word in words[1:]) or "errexit" in words


def _default_shell(*holders: Any) -> str | None:
    for holder in holders:
        defaults = holder.get("defaults") if isinstance(holder, Mapping) else None
        run = defaults.get("run") if isinstance(defaults, Mapping) else None
        shell = run.get("shell") if isinstance(run, Mapping) else None
        if isinstance(shell, str):
            return shell
    return None


def _on_windows(job: Mapping[str, Any]) -> bool:
    runs_on = job.get("runs-on")
    if isinstance(runs_on, Mapping):  # `runs-on: {group: ..., labels: ...}`
        runs_on = runs_on.get("labels")
    labels = runs_on if isinstance(runs_on, list) else [runs_on]
    return any(isinstance(label, str) and "windows" in label.lower() for label in labels)


def scripts_of(doc: Document) -> list[Any]:
    """Every `run:` script of a workflow or composite action whose shell ShellCheck reads."""
    from policylint.core.shellcheck import Script, dialect_of, placeholders
    from policylint.kinds.github_actions.loader import LINE_STEP, iter_steps, role

    data = doc.data if isinstance(doc.data, Mapping) else {}
    jobs = data.get("jobs") if isinstance(data.get("jobs"), Mapping) else {}
    action = role(doc.path) == "action"
    found = []
    for job_id, index, step, pointer in iter_steps(doc):
        run = step.get("run")
        if not isinstance(run, str) or not run.strip():
            continue
        job = jobs.get(job_id) if isinstance(jobs.get(job_id), Mapping) else {}
        shell = step.get("shell") if isinstance(step.get("shell"), str) else _default_shell(job, data)
        if shell is None and not action:
            if "${{" in str(job.get("runs-on", "")):
                continue  # the runner (and so the default shell) is decided at run time
            shell = None if _on_windows(job) else "bash"
        dialect = dialect_of(shell)
        if dialect is None or "${{" in str(shell):
            continue
        place = (*pointer, "run")
        starts = _line_starts(doc, place, run, LINE_STEP)
        if starts is None:
            continue
        pieces = _folds(doc.path, starts, run)
        name = step.get("id") or step.get("name") or f"steps[{index}]"
        label = f"{job_id}/{name}" if job_id else str(name)
        disabled = ERREXIT_MOOT if _errexit(shell) else frozenset()
        found.append(Script(text=placeholders(run) + "\n", dialect=dialect, starts=starts, label=label, disabled=disabled,
                            pieces=pieces))  # fmt: skip
    return found


def _folds(path: str, starts: list[tuple[int, int]], text: str) -> dict[int, list[tuple[int, int, int]]]:
    """The folded lines of a `run: >` (or plain multi-line) scalar, placed part by part."""
    from policylint.core.shellcheck import folded_pieces

    found = {}
    for number, line in enumerate(text.split("\n")):
        if line.strip() and number < len(starts):
            pieces = folded_pieces(path, starts[number][0], starts[number][1], line)
            if pieces:
                found[number] = pieces
    return found


def _line_starts(doc: Document, pointer: tuple[Any, ...], text: str, line_step: str) -> list[tuple[int, int]] | None:
    """Where each line of the script starts in the file (the column of its character 0)."""
    from policylint.core.shellcheck import written_at

    starts: list[tuple[int, int]] = []
    previous: tuple[int, int] | None = None
    for number, line in enumerate(text.split("\n")):
        position = doc.positions.get((*pointer, line_step, number))
        indent = len(line) - len(line.lstrip())
        if position is not None:
            column = written_at(doc.path, position.line, position.column, line) - indent
            previous = (position.line, column)
        elif previous is not None:
            previous = (previous[0] + 1, previous[1])
        else:
            return None  # no position for the first line: the loader could not place the scalar
        starts.append(previous)
    starts.append((starts[-1][0] + 1, starts[-1][1]))  # the newline ShellCheck gets after the last line
    return starts
