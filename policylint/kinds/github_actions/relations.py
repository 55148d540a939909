"""GitHub Actions relations: joins a policy needs beyond the one step, job or `uses:` it judges.

- `deprecated-action`: looks a `uses:` up in the policy's deprecation table (params).
- `tainted-expression`: which references of a `${{ }}` are attacker-controllable (params list).
- `later-steps`: what the steps after a checkout in the same job do (upload artifacts, run
  third-party actions), for the persisted-credentials policy.
- `run-commands`: the simple commands of a step's `run:` script (policylint.core.shell), each anchored
  to its own line, so `curl ... | sh` is judged on real pipes, not on text that mentions one.
- `dependency-audit`: the whole run at once: does any workflow scan dependencies, is there a
  `.github/dependabot.y*ml` next to the workflows; yields only for the run's first workflow.
- `external-schema`: one view per error of the file against the vendored GitHub schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from typing import Any

from policylint.core.documents import Document, DocumentSet
from policylint.core.kinds import params_key, relation
from policylint.core.views import Anchor, View
from policylint.kinds.github_actions.expressions import matches_context
from policylint.kinds.github_actions.loader import LINE_STEP, iter_steps, role, uses_pointers
from policylint.kinds.github_actions.targets import parse_uses

FILE_KIND = "github-actions"
#: Param names of the deprecation table's groups, in the order they are consulted.
DEPRECATION_GROUPS = ("archived", "removed_node_runtimes", "node20_retired")
SCHEMAS = {"workflow": "github-workflow", "action": "github-action"}


def find_deprecation(parsed: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The first table entry matching a parsed `uses:` (owner/repo glob and, if listed, its major)."""
    action = parsed.get("action") or ""
    if not action or parsed.get("kind") not in ("action", "reusable"):
        return None
    full = f"{action}/{parsed['path'].lower()}" if parsed.get("path") else action
    for group in DEPRECATION_GROUPS:
        for entry in params.get(group) or ():
            pattern = str(entry.get("action", "")).lower()
            if not (fnmatchcase(action, pattern) or fnmatchcase(full, pattern)):
                continue
            majors = entry.get("majors")
            if majors is not None and parsed.get("major") not in majors:
                continue
            return {
                "group": group,
                "reason": str(entry.get("reason", "")),
                "replacement": str(entry.get("replacement", "")),
            }
    return None


@relation(FILE_KIND, "deprecated-action")
def deprecated_action(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """Adds `deprecation` ({group, reason, replacement} or null) to a `uses` view.

    A SHA-pinned `uses:` whose commit is in the `known_commits` param is judged by that version,
    not by a trailing comment that contradicts it (`@<v4.2.2 commit>  # v3`).
    """
    known = (params.get("known_commits") or {}).get(f"{view.instance.get('action')}@{view.instance.get('ref')}".lower())
    if view.instance.get("shaPinned") and isinstance(known, str):
        from policylint.kinds.github_actions.targets import major_of

        view.instance.update(version=known, major=major_of(known))
        view.fields["uses"] = f"{view.instance.get('raw')} (commit of {known})"
    found = find_deprecation(view.instance, params)
    view.instance["deprecation"] = found
    if found:
        view.fields.update(why=found["reason"], replacement=found["replacement"], group=found["group"])
    yield view


def tainted_references(
    references: Iterable[str], triggers: Iterable[str], typed_inputs: Iterable[str], contexts: Iterable[Any]
) -> list[str]:
    """References matching an attacker-controllable context (entries may be limited to events)."""
    events = set(triggers)
    typed = set(typed_inputs)
    found: list[str] = []
    for reference in references:
        steps = reference.split(".")
        if (steps[:1] == ["inputs"] and steps[1:2] and steps[1] in typed) or (
            steps[:3] == ["github", "event", "inputs"] and steps[3:4] and steps[3] in typed
        ):
            continue  # a boolean/number/choice dispatch input cannot carry shell syntax
        for entry in contexts:
            pattern = entry if isinstance(entry, str) else str(entry.get("context", ""))
            only = () if isinstance(entry, str) else tuple(entry.get("events") or ())
            if only and not events.intersection(only):
                continue
            if matches_context(reference, pattern):
                found.append(reference)
                break
    return found


@relation(FILE_KIND, "tainted-expression")
def tainted_expression(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """Adds `tainted` (references an outsider controls) and `inputs` (free-text workflow inputs,
    which only writers or the calling workflow set), each either direct or one hop back through
    the `env.X`/`matrix.k` it reads (`github.event.issue.title (through env.TITLE)`)."""
    instance = view.instance
    triggers, typed = instance.get("triggers", ()), instance.get("typedInputs", ())
    found: dict[str, list[str]] = {"tainted": [], "inputs": []}
    for group, param in (("tainted", "contexts"), ("inputs", "input_contexts")):
        contexts = params.get(param) or ()
        found[group] += tainted_references(instance.get("references", ()), triggers, typed, contexts)
        for hop in instance.get("indirect", ()):
            for source in tainted_references(hop["sources"], triggers, typed, contexts):
                found[group].append(f"{source} (through {hop['reference']})")
    instance["tainted"], instance["inputs"] = found["tainted"], found["inputs"]
    view.fields["tainted"] = ", ".join(found["tainted"] + found["inputs"])
    view.fields["who"] = "attacker-controllable" if found["tainted"] else "caller-controlled"
    yield view


#: A leading reference to the workspace in an artifact path (`${{ github.workspace }}/dist`).
_WORKSPACE_PREFIX = re.compile(r"^(?:\$\{\{\s*github\.workspace\s*\}\}|\$\{?GITHUB_WORKSPACE\}?)(?=/|$)", re.IGNORECASE)
#: An expression or a shell variable inside a path segment: its value is unknown, any name.
_UNKNOWN_PART = re.compile(r"\$\{\{.*?\}\}|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
#: `github.repository == 'owner/repo'` (either side): the workflow names its own repository.
_OWN_REPOSITORY = re.compile(
    r"github\.repository\s*==\s*'([^'/\s]+/[^'/\s]+)'|'([^'/\s]+/[^'/\s]+)'\s*==\s*github\.repository\b", re.IGNORECASE
)


def _segments(path: str) -> list[str]:
    """A workspace-relative path as segments; an unknown part (expression, variable) becomes `*`."""
    text = _WORKSPACE_PREFIX.sub(".", path.strip().strip("'\""))
    return [_UNKNOWN_PART.sub("*", part) for part in text.split("/") if part not in ("", ".")]


def _glob_matches(pattern: list[str], path: list[str]) -> bool:
    """Segment-wise glob match; a `**` segment stands for any number of segments. Dynamic
    programming over (pattern, path) prefixes: linear in their product, whatever the `**`s."""
    reachable = {0}  # path positions reachable after the pattern segments seen so far
    for segment in pattern:
        if segment == "**":
            reachable = set(range(min(reachable), len(path) + 1)) if reachable else set()
        else:
            reachable = {at + 1 for at in reachable if at < len(path) and fnmatchcase(path[at], segment)}
        if not reachable:
            return False
    return len(path) in reachable


def _path_may_hold(upload: str, checkout: list[str]) -> bool:
    """True when the artifact path (a glob) may include `<checkout>/.git/config`, the file that
    holds the token: it names that file, the `.git` folder, or a folder above it.

    A path that names a folder next to `.git` (`dist/`, `target/*.tar.gz`, `site-${{ matrix.os }}`)
    cannot hold it; the workspace (`.`, `${{ github.workspace }}`), a parent (`..`), the checkout
    folder itself, `*` or an unknown value (a bare expression) can. Absolute paths outside the
    runner's work folder (`/tmp/out`) cannot.
    """
    text = upload.strip()
    if text.startswith("~"):
        return text.rstrip("/") in ("~", "~/work") or text.startswith("~/work/")
    if text.startswith("/"):
        return text.rstrip("/") in ("", "/home", "/home/runner", "/github") or text.startswith(
            ("/home/runner/work", "/__w", "/github/workspace")
        )
    pattern = _segments(text)
    if ".." in pattern:
        return True
    config = [*checkout, ".git", "config"]
    return any(_glob_matches(pattern, config[:size]) for size in range(len(config) + 1))


def upload_may_hold_git(step: Mapping[str, Any], checkout_path: Any) -> bool:
    """Whether an upload step's `with.path` may include the `.git` of a checkout into `checkout_path`."""
    with_ = step.get("with") if isinstance(step.get("with"), Mapping) else {}
    paths = with_.get("path")
    if paths is None:
        uses = step.get("uses")
        paths = "_site/" if isinstance(uses, str) and parse_uses(uses)["action"] == "actions/upload-pages-artifact" else "."
    if not isinstance(paths, str):
        return True
    checkout = _segments(checkout_path if isinstance(checkout_path, str) else "")
    lines = [line.strip() for line in paths.splitlines()]
    return any(_path_may_hold(line, checkout) for line in lines if line and not line.startswith(("!", "#")))


def _repository_root(path: str) -> str:
    """The folder holding `.github` (or the file's own folder for an action file elsewhere)."""
    github = _github_dir(path)
    return github.rsplit("/", 1)[0] if "/" in github else "" if github else str(PurePosixPath(path).parent)


def _own_repositories(doc: Document) -> set[str]:
    """Repositories the workflow names as its own (`if: github.repository == 'owner/repo'`)."""
    found: set[str] = set()
    stack: list[Any] = [doc.data]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str) and "repository" in node:
            found.update((a or b).lower() for a, b in _OWN_REPOSITORY.findall(node))
    return found


def _local_action_paths(doc: Document, documents: DocumentSet) -> set[str]:
    """Folders (relative to the repository root) of the action files scanned with this workflow."""
    root = _repository_root(doc.path)
    prefix = f"{root}/" if root and root != "." else ""

    def scan() -> set[str]:
        found: set[str] = set()
        for other in documents.of_file_kind(FILE_KIND):
            other_path = other.path.replace("\\", "/")
            if role(other_path) == "action" and other_path.startswith(prefix):
                found.add(str(PurePosixPath(other_path[len(prefix):]).parent).lower())
        return found

    return documents.memo(("gha-local-action-paths", prefix), scan)  # once per repository root, not per workflow


def same_repository(parsed: Mapping[str, Any], own: set[str], local_actions: set[str]) -> bool:
    """True for `owner/repo/path@ref` naming the workflow's own repository: the repository is the
    one its `github.repository == '...'` tests name, or `path` is an action scanned in this repository."""
    if parsed.get("action") in own:
        return True
    path = str(parsed.get("path") or "").strip("/").lower()
    return bool(path) and path in local_actions


def _risky_steps(
    doc: Document, documents: DocumentSet, params: Mapping[str, Any]
) -> dict[str, list[tuple[int, str, Mapping[str, Any] | None]]]:
    """Per job: (index, what it does, the step if it uploads) of each step that uploads artifacts
    or runs third-party code. Local actions and actions of the workflow's own repository are not
    third-party.

    Computed once per document and params (shared by every checkout step), so a job with many
    steps stays linear.
    """
    return documents.memo(("gha-risky-steps", id(doc), params_key(params)), lambda: _gather_risky_steps(doc, documents, params))


def _gather_risky_steps(
    doc: Document, documents: DocumentSet, params: Mapping[str, Any]
) -> dict[str, list[tuple[int, str, Mapping[str, Any] | None]]]:
    uploads = {str(name).lower() for name in params.get("upload_actions") or ()}
    trusted = {str(owner).lower() for owner in params.get("trusted_owners") or ()}
    own = _own_repositories(doc)
    local_actions: set[str] | None = None
    risky: dict[str, list[tuple[int, str, Mapping[str, Any] | None]]] = {}
    for job_id, index, step, _ in iter_steps(doc):
        uses = step.get("uses")
        if not isinstance(uses, str):
            continue
        parsed = parse_uses(uses)
        if parsed["action"] in uploads:
            risky.setdefault(job_id, []).append((index, f"uploads an artifact ({uses})", step))
        elif parsed["kind"] == "docker" or (parsed["kind"] == "action" and parsed["owner"] not in trusted):
            if local_actions is None:
                local_actions = _local_action_paths(doc, documents)
            if not same_repository(parsed, own, local_actions):
                risky.setdefault(job_id, []).append((index, f"runs third-party code ({uses})", None))
    return risky


@relation(FILE_KIND, "later-steps")
def later_steps(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """Adds `laterRisks`: later steps of the same job that upload a path that may hold the checkout's
    `.git` folder, or run third-party actions."""
    instance = view.instance
    jobs = _risky_steps(view.subject, documents, params)
    index = instance.get("index", 0)
    step = instance.get("step") if isinstance(instance.get("step"), Mapping) else {}
    with_ = step.get("with") if isinstance(step.get("with"), Mapping) else {}
    risks = [
        risk
        for at, risk, upload in jobs.get(instance.get("jobId", ""), ())
        if at > index and (upload is None or upload_may_hold_git(upload, with_.get("path")))
    ]
    instance["laterRisks"] = risks
    view.fields["risks"] = summarise_risks(risks)
    yield view


#: How many actions a message names for one kind of risk before it says "and N more".
RISKS_NAMED = 3


def summarise_risks(risks: list[str]) -> str:
    """`runs third-party code (a@sha)`, `runs third-party code (b@v1)` → `runs third-party code (a, b)`:
    each kind of risk named once, with at most RISKS_NAMED actions (their refs left out)."""
    grouped: dict[str, list[str]] = {}
    for risk in risks:
        verb, _, rest = risk.partition(" (")
        name = rest.rstrip(")").split("@", 1)[0]
        names = grouped.setdefault(verb, [])
        if name not in names:
            names.append(name)
    parts = []
    for verb, names in grouped.items():
        shown = ", ".join(names[:RISKS_NAMED])
        more = f" and {len(names) - RISKS_NAMED} more" if len(names) > RISKS_NAMED else ""
        parts.append(f"{verb} ({shown}{more})")
    return "; ".join(parts)


@relation(FILE_KIND, "run-commands")
def run_commands(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """Adds `runCommands`: {program, pipedFrom, substituted, words} for each command of `run:`."""
    from policylint.core.shell import command_facts, split_commands

    step = view.instance.get("step") or {}
    script = step.get("run") if isinstance(step, Mapping) else None
    commands: list[dict[str, Any]] = []
    if isinstance(script, str):
        run_pointer = (*view.anchors[("step",)].pointer, "run")
        for number, command in enumerate(split_commands(script)):
            commands.append(command_facts(command))
            line = script.count("\n", 0, max(command["offset"], 0))
            view.anchors[("runCommands", number)] = Anchor(view.subject, (*run_pointer, LINE_STEP, line))
    view.instance["runCommands"] = commands
    yield view


def _github_dir(path: str) -> str:
    parts = PurePosixPath(path.replace("\\", "/")).parts
    for index in range(len(parts) - 1, -1, -1):
        if parts[index] == ".github":
            return "/".join(parts[: index + 1])
    return ""


def _audit_facts(documents: DocumentSet, params: Mapping[str, Any]) -> dict[str, Any]:
    return documents.memo(("gha-dependency-audit", params_key(params)), lambda: _gather_audit_facts(documents, params))


def _gather_audit_facts(documents: DocumentSet, params: Mapping[str, Any]) -> dict[str, Any]:
    commands = re.compile(str(params.get("scanner_commands") or r"(?!)"))
    actions = [str(prefix).lower() for prefix in params.get("scanner_actions") or ()]
    first: Document | None = None
    scanners: list[str] = []
    workflow_dirs: set[str] = set()
    dependabot_dirs: set[str] = set()
    for doc in documents.of_file_kind(FILE_KIND):
        kind = role(doc.path)
        if kind == "dependabot":
            dependabot_dirs.add(_github_dir(doc.path))
            continue
        if kind == "workflow":
            workflow_dirs.add(_github_dir(doc.path))
            if first is None or (doc.path, doc.index) < (first.path, first.index):
                first = doc
        for _, _, step, _ in iter_steps(doc):
            run = step.get("run")
            if isinstance(run, str) and commands.search(run):
                scanners.append(f"{doc.path}: {commands.search(run).group(0)}")  # type: ignore[union-attr]
        for _, _, value in uses_pointers(doc):
            name = value.lower().split("@", 1)[0]
            if any(name == prefix or name.startswith(prefix + "/") for prefix in actions):
                scanners.append(f"{doc.path}: {value}")
    return {
        "first": first,
        "scanners": scanners,
        "dependabot": sorted(workflow_dirs & dependabot_dirs),
    }


@relation(FILE_KIND, "dependency-audit")
def dependency_audit(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """One view per run, on its first workflow: `scanners` found and `dependabot` configs present."""
    facts = _audit_facts(documents, params)
    if facts["first"] is not view.subject:
        return
    view.instance["scanners"] = list(facts["scanners"])
    view.instance["dependabot"] = list(facts["dependabot"])
    yield view


@relation(FILE_KIND, "external-schema")
def external_schema(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """One view per schema error, anchored at the offending key (or the object missing a key)."""
    from policylint.core.external_schemas import validate

    doc = view.subject
    name = SCHEMAS.get(role(doc.path))
    if name is None:
        return
    for error in validate(name, doc.data):
        fields = {**view.fields, "schema": name, "error": error.message}
        yield View({"valid": False, "error": error.message}, {(): Anchor(doc, error.pointer)}, doc,
                   label=f"{view.label}#{'/'.join(map(str, error.pointer))}", fields=fields)
