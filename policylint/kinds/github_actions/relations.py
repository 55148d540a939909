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

import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from typing import Any

from policylint.core.documents import Document, DocumentSet
from policylint.core.kinds import params_key, relation
from policylint.core.views import Anchor, View
from policylint.kinds.github_actions.expressions import matches_context
from policylint.kinds.github_actions.loader import LANGUAGE_MANIFESTS, LINE_STEP, iter_jobs, iter_steps, role, uses_pointers
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


def summarise_risks(risks: list[str], shown: int = 3) -> str:
    """`uploads an artifact (a); runs third-party code (x, y, z and 4 more)`: each kind of risk once,
    each action once (without its ref), at most `shown` actions per kind, so the message stays short."""
    groups: dict[str, list[str]] = {}
    for risk in risks:
        what, _, rest = risk.partition(" (")
        name = rest.rstrip(")").split("@", 1)[0]
        names = groups.setdefault(what, [])
        if name not in names:
            names.append(name)
    parts = []
    for what, names in groups.items():
        more = f" and {len(names) - shown} more" if len(names) > shown else ""
        parts.append(f"{what} ({', '.join(names[:shown])}{more})")
    return "; ".join(parts)


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
    bot_dirs: set[str] = set()  # .github folders whose repository has Dependabot or Renovate
    languages: set[str] = set()
    for doc in documents.of_file_kind(FILE_KIND):
        kind = role(doc.path)
        if kind in ("dependabot", "renovate"):
            bot_dirs.add(_github_dir(doc.path) or _sibling_github_dir(doc.path))
            continue
        if kind == "manifest":
            languages.add(LANGUAGE_MANIFESTS[PurePosixPath(doc.path).name.lower()])
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
        "dependabot": sorted(workflow_dirs & bot_dirs),
        "languages": sorted(languages),
    }


def _sibling_github_dir(path: str) -> str:
    """The `.github` folder of the repository a root (or `.gitlab/`) Renovate file belongs to."""
    folder = posixpath.dirname(path.replace("\\", "/"))
    if posixpath.basename(folder) == ".gitlab":
        folder = posixpath.dirname(folder)
    return posixpath.join(folder, ".github") if folder else ".github"


#: The scanner to suggest for each language a package manifest names.
SCANNERS = {
    "Go": "govulncheck", "Rust": "cargo audit", "JavaScript": "npm audit", "Python": "pip-audit",
    "Ruby": "bundler-audit", "Java": "OWASP dependency-check", "PHP": "composer audit", "Elixir": "mix hex.audit",
}


def scanner_suggestion(languages: list[str]) -> str:
    """What to add, for the languages the repository holds (`govulncheck (Go)`), else language-neutral."""
    named = [f"{SCANNERS[language]} ({language})" for language in languages if language in SCANNERS]
    if not named:
        return "osv-scanner or trivy"
    return ", ".join(named)


@relation(FILE_KIND, "dependency-audit")
def dependency_audit(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """One view per run, on its first workflow: `scanners` found and `dependabot` configs present."""
    facts = _audit_facts(documents, params)
    if facts["first"] is not view.subject:
        return
    view.instance["scanners"] = list(facts["scanners"])
    view.instance["dependabot"] = list(facts["dependabot"])
    view.fields["suggestion"] = scanner_suggestion(facts["languages"])
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


# --- checks that yield one view per problem (policylint.kinds.github_actions.checks) ----------


def _problem_views(view: View, problems: Iterable[Any]) -> Iterator[View]:
    """One view per problem, anchored at its pointer, failing `valid: {const: true}`; the view
    keeps the workflow's `triggers` for `when:` and `severity_when:`."""
    doc = view.subject
    for problem in problems:
        instance = {"valid": False, "triggers": view.instance.get("triggers", []), **problem.facts}
        label = f"{view.label}#{'/'.join(map(str, problem.pointer))}"
        yield View(instance, {(): Anchor(doc, problem.pointer)}, doc, label=label, fields={**view.fields, **problem.fields})


def _parsed(doc: Document, documents: DocumentSet) -> list[Any]:
    from policylint.kinds.github_actions.checks import parsed_expressions

    return documents.memo(("gha-parsed-expressions", id(doc)), lambda: parsed_expressions(doc))


@relation(FILE_KIND, "expression-problems")
def expression_problems(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """Each `${{ }}` (and bare `if:`) that does not parse, or names an unknown function or context,
    or uses a context or function where GitHub does not provide it."""
    from policylint.kinds.github_actions.checks import expression_problems as find

    yield from _problem_views(view, find(view.subject, _parsed(view.subject, documents)))


@relation(FILE_KIND, "unsound-conditions")
def unsound_conditions(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """Each `if:` that is `${{ }}` mixed with other text (always true)."""
    from policylint.kinds.github_actions.checks import unsound_conditions as find

    yield from _problem_views(view, find(view.subject))


@relation(FILE_KIND, "bot-conditions")
def bot_conditions(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """Each `if:` trusting `github.actor`/`github.triggering_actor` to be a bot."""
    from policylint.kinds.github_actions.checks import bot_conditions as find

    privileged = set(params.get("privileged_triggers") or ())
    view.fields["trigger"] = ", ".join(name for name in view.instance.get("triggers", []) if name in privileged)
    yield from _problem_views(view, find(_parsed(view.subject, documents)))


@relation(FILE_KIND, "secret-exposures")
def secret_exposures(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """Expressions handing out every secret (`params.kind: overprovisioned`) or a parsed secret's
    field that log masking misses (`params.kind: unredacted`)."""
    from policylint.kinds.github_actions.checks import secret_exposures as find

    over, unredacted = find(_parsed(view.subject, documents))
    yield from _problem_views(view, over if params.get("kind") == "overprovisioned" else unredacted)


@relation(FILE_KIND, "needs-problems")
def needs_problems(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """`needs:` entries naming no job of the workflow, and cycles in the needs graph."""
    from policylint.kinds.github_actions.checks import needs_problems as find

    yield from _problem_views(view, find(view.subject))


@relation(FILE_KIND, "step-id-problems")
def step_id_problems(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """Step ids used twice in one job, or not identifiers."""
    from policylint.kinds.github_actions.checks import step_id_problems as find

    yield from _problem_views(view, find(view.subject))


@relation(FILE_KIND, "cron-problems")
def cron_problems(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """`on.schedule` crons that do not parse or run more often than every 5 minutes."""
    from policylint.kinds.github_actions.checks import cron_problems as find

    yield from _problem_views(view, find(view.subject))


def _only_runs(doc: Document, actions: set[str]) -> bool:
    """True when the workflow is one job of one step that uses one of `actions` (actions/labeler:
    what pull_request_target was made for)."""
    jobs = list(iter_jobs(doc))
    steps = jobs[0][1].get("steps") if len(jobs) == 1 else None
    if not isinstance(steps, list) or len(steps) != 1 or not isinstance(steps[0], Mapping):
        return False
    uses = steps[0].get("uses")
    return isinstance(uses, str) and parse_uses(uses)["action"] in actions


@relation(FILE_KIND, "dangerous-triggers")
def dangerous_triggers(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """One view per trigger of `params.triggers` the workflow runs on, at its `on:` entry."""
    from policylint.kinds.github_actions.checks import Problem, trigger_pointer

    wanted = [str(name) for name in params.get("triggers") or ()]
    found = [name for name in view.instance.get("triggers", []) if name in wanted]
    if found and _only_runs(view.subject, {str(name).lower() for name in params.get("exempt_sole_actions") or ()}):
        found = [name for name in found if name != "pull_request_target"]
    yield from _problem_views(view, [Problem(trigger_pointer(view.subject, name), {"trigger": name}) for name in found])


#: A checkout `ref:`/`repository:` that names the pull request's (or triggering run's) head.
_HEAD_REF = re.compile(r"pull_request\.head|github\.head_ref|workflow_run\.head|refs/pull/", re.IGNORECASE)


def _checks_out_head(steps: list[Any], before: int) -> str:
    """What, among the job's steps before `before`, brings the head's files in: a checkout of the
    pull request's head, or a downloaded artifact (in a `workflow_run`); '' when nothing does."""
    for step in steps[:before]:
        if not isinstance(step, Mapping) or not isinstance(step.get("uses"), str):
            continue
        action = parse_uses(step["uses"])["action"]
        with_ = step.get("with") if isinstance(step.get("with"), Mapping) else {}
        if action == "actions/checkout" and any(_HEAD_REF.search(str(with_.get(key) or "")) for key in ("ref", "repository")):
            return "the pull request's head, checked out earlier"
        if action in ("actions/download-artifact", "dawidd6/action-download-artifact"):
            return "an artifact downloaded earlier"
    return ""


@relation(FILE_KIND, "github-env-writes")
def github_env_writes(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """One view per command of a step's `run:` that writes attacker-controllable text into
    `$GITHUB_ENV`/`$GITHUB_PATH`: a tainted `${{ }}` (`params.contexts`, directly or through one
    `env`/`matrix` hop), a shell variable the step's `env:` sets from one, or, when the job took in
    the head's files (`params.head_triggers`), a command's output or a file's content."""
    from policylint.kinds.github_actions.checks import (
        Problem,
        env_file_writes,
        reads_output,
        shell_assignment,
        shell_variables,
        validated_variables,
    )
    from policylint.kinds.github_actions.expressions import analyse
    from policylint.kinds.github_actions.loader import iter_expressions
    from policylint.kinds.github_actions.targets import _env_sources, _script_scopes, indirect_references

    instance = view.instance
    step = instance.get("step") if isinstance(instance.get("step"), Mapping) else {}
    script = step.get("run")
    if not isinstance(script, str) or "GITHUB_" not in script:
        return
    doc = view.subject
    step_pointer = view.anchors[("step",)].pointer
    run_pointer = (*step_pointer, "run")
    triggers, typed = instance.get("triggers", ()), instance.get("typedInputs", ())
    contexts = params.get("contexts") or ()
    scopes, matrix = _script_scopes(doc, run_pointer)
    head: str | None = None
    problems: list[Any] = []

    def expression_sources(text: str) -> list[str]:
        found: list[str] = []
        for match in iter_expressions(text):
            flows = list(analyse(match.inner.strip()).flows)
            found += tainted_references(flows, triggers, typed, contexts)
            for hop in indirect_references(flows, scopes, matrix):
                hop_sources = tainted_references(hop["sources"], triggers, typed, contexts)
                found += [f"{source} (through {hop['reference']})" for source in hop_sources]
        return found

    def variable_sources(text: str, assigned: Mapping[str, list[str]]) -> list[str]:
        found: list[str] = []
        for name in shell_variables(text):
            if name in assigned:
                found += [source if "(through $" in source else f"{source} (through ${name})" for source in assigned[name]]
            elif not name.startswith("GITHUB_"):
                flows, shown_name = _env_sources(name.lower(), scopes)
                found += [f"{source} (through ${shown_name})" for source in tainted_references(flows, triggers, typed, contexts)]
        return found

    lines = instance.get("runLines") or []
    assigned: dict[str, list[str]] = {}  # script variables set from tainted text, as of each line
    writes = {write.line: write for write in env_file_writes(script, lines)}
    for number, line in enumerate(lines):
        assignment = shell_assignment(line)
        if assignment is not None:
            name, value = assignment
            assigned[name] = expression_sources(value) + variable_sources(value, assigned)
        for name in validated_variables(line):
            assigned[name] = []  # matched against a pattern (`[[ $X =~ ^[a-z]+$ ]]`): the script vouches for it
        write = writes.get(number)
        if write is None:
            continue
        sources = expression_sources(write.text) + variable_sources(write.text, assigned)
        if not sources and reads_output(write.text) and set(triggers) & set(params.get("head_triggers") or ()):
            if head is None:
                job_id = instance.get("jobId", "")
                jobs = doc.data.get("jobs") if isinstance(doc.data, Mapping) else None
                job = jobs.get(job_id) if isinstance(jobs, Mapping) else None
                steps = job.get("steps") if isinstance(job, Mapping) and isinstance(job.get("steps"), list) else []
                head = _checks_out_head(steps, int(instance.get("index", 0)))
            if head:
                sources.append(f"output read from {head}")
        if sources:
            unique = list(dict.fromkeys(sources))
            text = ", ".join(unique[:3]) + (f" and {len(unique) - 3} more" if len(unique) > 3 else "")
            problems.append(Problem((*run_pointer, LINE_STEP, write.line), {"file": write.file, "sources": text}))
    yield from _problem_views(view, problems)


def _cache_restore(step: Mapping[str, Any], entries: Iterable[Any]) -> str:
    """The action when a step restores a cache: an entry without `input` always does (except its
    `off_input` set true); an entry with `input` when that input is set to anything but false, or,
    for `default: true`, when it is absent."""
    uses = step.get("uses")
    if not isinstance(uses, str):
        return ""
    parsed = parse_uses(uses)
    full = f"{parsed['action']}/{parsed['path'].lower()}".rstrip("/")
    with_ = step.get("with") if isinstance(step.get("with"), Mapping) else {}
    for entry in entries:
        if not isinstance(entry, Mapping) or str(entry.get("action", "")).lower() not in (full, parsed["action"]):
            continue
        if full.endswith("/save"):
            return ""
        off = entry.get("off_input")
        if off and str(with_.get(off, "")).strip().lower() in ("true", "yes", "1"):
            return ""
        name = entry.get("input")
        if not name:
            return uses
        value = with_.get(name)
        if value is None:
            return uses if entry.get("default") else ""
        return "" if str(value).strip().lower() in ("false", "", "no", "0") else uses
    return ""


def _publish_step(step: Mapping[str, Any], actions: set[str], commands: re.Pattern[str]) -> str:
    """What a step publishes with: a publishing action or a `run:` command; '' for neither."""
    uses = step.get("uses")
    if isinstance(uses, str):
        parsed = parse_uses(uses)
        full = f"{parsed['action']}/{parsed['path'].lower()}".rstrip("/")
        with_ = step.get("with") if isinstance(step.get("with"), Mapping) else {}
        if parsed["action"] == "docker/build-push-action":
            return uses.split("@", 1)[0] if str(with_.get("push", "")).lower() == "true" else ""
        if parsed["action"] in actions or full in actions:
            return uses.split("@", 1)[0]
    run = step.get("run")
    if isinstance(run, str):
        match = commands.search(run)
        if match:
            return " ".join(match.group(0).split())
    return ""


_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def _artifact_steps(job: Mapping[str, Any], actions: set[str]) -> list[str]:
    """The artifact names (globs: an expression stands for any text; `*` for no name) of a job's
    steps that use one of `actions` (uploads or downloads)."""
    steps = job.get("steps") if isinstance(job.get("steps"), list) else []
    found = []
    for step in steps:
        if isinstance(step, Mapping) and isinstance(step.get("uses"), str) and parse_uses(step["uses"])["action"] in actions:
            with_ = step.get("with") if isinstance(step.get("with"), Mapping) else {}
            name = with_.get("name") or with_.get("pattern") or "*"
            found.append(_EXPRESSION.sub("*", str(name)))
    return found


def _names_may_match(upload: str, download: str) -> bool:
    """Whether an uploaded artifact name (a glob) may be what a download name or pattern takes."""
    return fnmatchcase(upload, download) or fnmatchcase(download, upload) or "*" in (upload, download)


@relation(FILE_KIND, "cache-poisoning")
def cache_poisoning(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """In a workflow triggered to publish (`checks.publish_triggers`), each step that restores a
    cache in a job that publishes, or in a job it needs (directly or not) that uploads an
    artifact (`params.artifact_actions`) which that chain downloads (`params.download_actions`,
    by name or pattern): the build whose output is released. Jobs that only test are left out."""
    from policylint.kinds.github_actions.checks import Problem, publish_triggers

    doc = view.subject
    triggers = publish_triggers(doc.data)
    if not triggers:
        return
    actions = {str(name).lower() for name in params.get("publish_actions") or ()}
    commands = re.compile(str(params.get("publish_commands") or r"(?!)"))
    entries = params.get("cache_actions") or ()
    jobs = {job_id: job for job_id, job, _ in iter_jobs(doc)}
    publishing: dict[str, str] = {}
    for job_id, job in jobs.items():
        steps = job.get("steps") if isinstance(job.get("steps"), list) else []
        for step in steps:
            found = _publish_step(step, actions, commands) if isinstance(step, Mapping) else ""
            if found:
                publishing[job_id] = found
                break
    if not publishing:
        return
    feeding: dict[str, str] = {}
    lowered = {job_id.lower(): job_id for job_id in jobs}
    pending = list(publishing)
    for job_id in publishing:
        feeding[job_id] = job_id
    uploads = {str(name).lower() for name in params.get("artifact_actions") or ()}
    downloads = {str(name).lower() for name in params.get("download_actions") or ()}
    reached = dict(feeding)  # job -> the publishing job that needs it, directly or not
    while pending:
        current = pending.pop()
        needs = jobs[current].get("needs")
        for name in [needs] if isinstance(needs, str) else needs if isinstance(needs, list) else []:
            other = lowered.get(str(name).lower())
            if other and other not in reached:
                reached[other] = reached[current]
                pending.append(other)
    # A needed job counts when it uploads an artifact that the publisher's chain downloads: the build
    # whose output is shipped (a test job's coverage report is not).
    taken = [name for job_id in reached for name in _artifact_steps(jobs[job_id], downloads)]
    for job_id, publisher in reached.items():
        if job_id not in feeding and any(
            _names_may_match(upload, download) for upload in _artifact_steps(jobs[job_id], uploads) for download in taken
        ):
            feeding[job_id] = publisher
    problems: list[Any] = []
    for job_id, index, step, pointer in iter_steps(doc):
        if job_id not in feeding:
            continue
        restored = _cache_restore(step, entries)
        if restored:
            publisher = feeding[job_id]
            label = step.get("name") or step.get("id") or f"{index + 1}"
            problems.append(Problem((*pointer, "uses"), {
                "job": job_id, "step": str(label), "cache": restored.split("@", 1)[0], "trigger": " / ".join(triggers),
                "publish": publishing[publisher], "publisher": publisher,
            }))
    yield from _problem_views(view, problems)


@relation(FILE_KIND, "known-vulnerabilities")
def known_vulnerabilities(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """Adds `advisories` (GHSA ids, fixed versions) for a `uses` view from the offline snapshot."""
    from policylint.kinds.github_actions.advisories import snapshot, vulnerabilities

    instance = view.instance
    found: list[dict[str, Any]] = []
    how = ""
    if instance.get("kind") in ("action", "reusable") and instance.get("action"):
        found, how = vulnerabilities(str(instance["action"]), str(instance.get("ref") or ""), str(instance.get("version") or ""))
    instance["advisories"] = [item["id"] for item in found]
    if found:
        fixed = [item["fixed"] for item in found if item["fixed"]]
        version = found[0]["version"]
        view.fields.update(
            ghsa=", ".join(item["id"] for item in found),
            version=f"{version} (the SHA's tag)" if how == "sha" else f"{version} (per its comment)" if how == "comment" else version,
            fixed=max(fixed, key=lambda text: tuple(int(part) for part in re.findall(r"\d+", text))) if fixed else "no fixed version",
            snapshot=snapshot()["date"],
        )
    yield view


_MATRIX_REFERENCE = re.compile(r"^\$\{\{\s*matrix\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}$")


def _matrix_values(matrix: Any, key: str, pointer: tuple[Any, ...]) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    """(value, pointer) of each literal value `matrix.<key>` can take: the key's list and the
    `include` entries that set it."""
    if not isinstance(matrix, Mapping):
        return
    for name, value in matrix.items():
        if str(name).lower() == key.lower() and isinstance(value, list):
            yield from ((item, (*pointer, name, index)) for index, item in enumerate(value))
        elif str(name) == "include" and isinstance(value, list):
            for index, entry in enumerate(value):
                if isinstance(entry, Mapping):
                    for entry_key, item in entry.items():
                        if str(entry_key).lower() == key.lower():
                            yield item, (*pointer, name, index, entry_key)


@relation(FILE_KIND, "matrix-images")
def matrix_images(view: View, documents: DocumentSet, params: Mapping[str, Any]) -> Iterator[View]:
    """Adds `matrixImages` to a job view: for a container or service image given as exactly
    `${{ matrix.<key> }}`, each literal value the matrix gives that key ({image, key}), anchored at
    the value in the matrix."""
    job = view.instance.get("job") if isinstance(view.instance.get("job"), Mapping) else {}
    strategy = job.get("strategy") if isinstance(job.get("strategy"), Mapping) else {}
    matrix = strategy.get("matrix")
    job_pointer = view.anchors[("job",)].pointer
    found: list[dict[str, Any]] = []
    if isinstance(matrix, Mapping):
        images: list[Any] = []
        container = job.get("container")
        images.append(container.get("image") if isinstance(container, Mapping) else container)
        services = job.get("services")
        if isinstance(services, Mapping):
            images += [service.get("image") if isinstance(service, Mapping) else service for service in services.values()]
        keys = list(dict.fromkeys(match.group(1) for image in images if isinstance(image, str)
                                  for match in [_MATRIX_REFERENCE.match(image.strip())] if match))
        for key in keys:
            for value, pointer in _matrix_values(matrix, key, (*job_pointer, "strategy", "matrix")):
                if isinstance(value, str) and value.strip():
                    view.anchors[("matrixImages", len(found))] = Anchor(view.subject, pointer)
                    found.append({"image": value, "key": key})
    view.instance["matrixImages"] = found
    yield view
