"""GitHub Actions code fixes (policylint.core.fixes)."""

from __future__ import annotations

import re

import yaml

from policylint.core.fixes import Edit, FixContext, Unfixable, scalar_like
from policylint.core.kinds import fixer

_SHA = re.compile(r"^[0-9a-f]{40}$")


@fixer("github-actions", "bump-action-major")
def bump_action_major(context: FixContext) -> list[Edit]:
    """`uses: owner/repo@vN` -> the major the deprecation table names (`actions/checkout@v5`)."""
    replacement = str(context.plan.values.get("replacement") or "")
    wanted = re.fullmatch(r"([\w.-]+/[\w.*-]+(?:/[\w.*/-]+)?)@(v\d+)", replacement)
    if wanted is None:
        raise Unfixable(f"the replacement is another action ({replacement}): migrate by hand")
    node = context.node()
    if not isinstance(node, yaml.ScalarNode) or node.style in ("|", ">"):
        raise Unfixable("uses is not a one-line scalar")
    action, _, ref = node.value.partition("@")
    if not ref or _SHA.match(ref) or not re.fullmatch(r"v?\d+(\.\d+)*", ref):
        raise Unfixable(f"uses is pinned to {ref or 'nothing'}: pick the new commit by hand")
    pattern = wanted.group(1)
    if "*" in pattern:
        prefix = pattern.split("*", 1)[0]
        if not action.startswith(prefix):
            raise Unfixable("the replacement names another action")
    elif action.lower() != pattern.lower():
        raise Unfixable("the replacement names another action")
    new = f"{action}@{wanted.group(2)}"
    return [Edit(context.yaml.start(node), context.yaml.end(node), scalar_like(node, new))]


#: Where the runner sets variables of its own: a step's env must not shadow them.
_RESERVED_PREFIXES = ("GITHUB_", "RUNNER_", "ACTIONS_", "INPUT_")
_CONTEXT_PATH = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_*][\w*-]*|\[['\"]?[\w-]+['\"]?\])*$")
_POSIX_SHELLS = ("bash", "sh")


def env_name(expression: str) -> str:
    """An environment variable name for a context reference: `github.event.issue.title` -> `ISSUE_TITLE`."""
    path = re.sub(r"^github\.event\.|^github\.", "", expression)
    name = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_").upper()
    if not name or name[0].isdigit() or name.startswith(_RESERVED_PREFIXES):
        name = f"VALUE_{name}"
    return name


def _shell_of(context: FixContext, step_pointer: tuple[object, ...]) -> str:
    """The shell a step's run uses: its own `shell:`, else the job's or the workflow's
    `defaults.run.shell` (bash when none is set)."""
    data = yaml.constructor.SafeConstructor().construct_document(context.yaml.root)
    for where in (step_pointer, (*step_pointer[:2], "defaults", "run"), ("defaults", "run")):
        node: object = data
        for step in where:
            if isinstance(node, dict):
                node = node.get(step)
            elif isinstance(node, list) and isinstance(step, int) and step < len(node):
                node = node[step]
            else:
                node = None
        if isinstance(node, dict) and isinstance(node.get("shell"), str) and node["shell"].split():
            return str(node["shell"]).split()[0]
    # no shell named: bash, except on Windows runners (pwsh), or where the runner is not known here
    job: object = data
    for step in step_pointer[:2]:
        job = job.get(step) if isinstance(job, dict) else None
    runs_on = job.get("runs-on") if isinstance(job, dict) else None
    labels = " ".join(map(str, runs_on)) if isinstance(runs_on, list) else str(runs_on or "")
    if "windows" in labels.lower():
        return "pwsh"
    if "${{" in labels:
        return "the runner's default shell (runs-on is an expression)"
    return "bash"


@fixer("github-actions", "expression-to-env")
def expression_to_env(context: FixContext) -> list[Edit]:
    """zizmor's template-injection fix: `${{ expr }}` in `run:` becomes `"${NAME}"` and the step gets
    `env: {NAME: ${{ expr }}}`, so the value reaches the shell as data, never as script text."""
    from policylint.core.fixes import set_path

    plan = context.plan
    expression = str(plan.values.get("expression") or "")
    pointer = plan.pointer
    if "run" not in pointer:
        raise Unfixable("only `run:` scripts are rewritten (a github-script reads process.env by hand)")
    run_pointer = pointer[: pointer.index("run") + 1]
    step_pointer = run_pointer[:-1]
    if not _CONTEXT_PATH.match(expression):
        raise Unfixable(f"`{expression}` is not a plain context reference: move it to env by hand")
    shell = _shell_of(context, step_pointer)
    if shell not in _POSIX_SHELLS:
        raise Unfixable(f"the step runs {shell}: read the variable in its syntax by hand")
    target = context.yaml
    step = target.find(step_pointer)
    run = target.find(run_pointer)
    if not isinstance(run, yaml.ScalarNode) or run.style == '"':
        raise Unfixable("run is a double-quoted YAML string: rewrite it by hand")
    name = env_name(expression)
    wanted = "${{ " + expression + " }}"
    env = target.pair(step, "env") if isinstance(step, yaml.MappingNode) else None
    edits: list[Edit] = []
    if env is not None and isinstance(env[1], yaml.MappingNode):
        existing = target.pair(env[1], name)
        while existing is not None and not (isinstance(existing[1], yaml.ScalarNode)
                                           and existing[1].value.replace(" ", "") == wanted.replace(" ", "")):
            name += "_"
            existing = target.pair(env[1], name)
        if existing is None:
            edits.extend(set_path(target, step, ["env", name], wanted))
    elif env is not None and not (isinstance(env[1], yaml.ScalarNode) and env[1].value == ""):
        raise Unfixable("the step's env is not a mapping")
    else:
        edits.extend(set_path(target, step, ["env", name], wanted))
    text = context.source.text
    start, end = target.start(run), target.end(run)
    pattern = re.compile(r"\$\{\{\s*" + re.escape(expression) + r"\s*\}\}")
    found = False
    for match in pattern.finditer(text, start, end):
        found = True
        line_start = max(text.rfind("\n", 0, match.start()) + 1, start)
        before = text[line_start:match.start()]
        if run.style is None and match.start() == start:
            raise Unfixable("the script starts with the expression: quote it by hand")
        quote = _open_quote(before)
        if quote == "'":
            raise Unfixable("the expression sits inside single quotes, where a variable does not expand")
        replacement = "${" + name + "}" if quote == '"' else '"${' + name + '}"'
        edits.append(Edit(match.start(), match.end(), replacement))
    if not found:
        raise Unfixable("the expression is not written literally in the script")
    return edits


def _open_quote(before: str) -> str:
    """The shell quote (`'` or `"`) open at the end of `before`, or ""."""
    quote = ""
    for index, char in enumerate(before):
        escaped = before[index - 1 : index] == "\\"
        if (quote == "'" and char == "'") or (quote == '"' and char == '"' and not escaped):
            quote = ""
        elif not quote and char in "'\"" and not escaped:
            quote = char
    return quote


#: Actions that need more than `contents: read` from the token (write scopes or `id-token: write`).
NEEDS_MORE_THAN_READ = (
    "actions/attest-build-provenance", "actions/attest-sbom", "actions/create-release", "actions/deploy-pages",
    "actions/github-script", "actions/labeler", "actions/stale", "actions/upload-release-asset",
    "aws-actions/configure-aws-credentials", "azure/login", "changesets/action", "EndBug/add-and-commit",
    "github/codeql-action/analyze", "github/codeql-action/upload-sarif", "google-github-actions/auth",
    "goreleaser/goreleaser-action", "JamesIves/github-pages-deploy-action", "marocchino/sticky-pull-request-comment",
    "ncipollo/release-action", "peaceiris/actions-gh-pages", "peter-evans/create-or-update-comment",
    "peter-evans/create-pull-request", "release-drafter/release-drafter", "sigstore/cosign-installer",
    "softprops/action-gh-release", "stefanzweifel/git-auto-commit-action", "thollander/actions-comment-pull-request",
    "googleapis/release-please-action", "google-github-actions/release-please-action",
)
#: Commands in a `run:` that write through the token (or ask for an OIDC token).
_WRITES = re.compile(r"\bgit\s+push\b|\bgh\s+(release|pr|issue|api|label|workflow|run|gist|secret|variable)\b"
                     r"|ACTIONS_ID_TOKEN_REQUEST|docker\s+push\s+ghcr\.io|\bghcr\.io/")


@fixer("github-actions", "read-only-permissions")
def read_only_permissions(context: FixContext) -> list[Edit]:
    """`permissions: {contents: read}` at the top of the workflow, before `jobs:`, when no job that
    would inherit it needs more: none calls a reusable workflow, uses an action known to write or to
    ask for an OIDC token, or runs `git push`, `gh release/pr/issue/api ...` or pushes to ghcr.io."""
    from policylint.core.fixes import set_path

    target = context.yaml
    data = yaml.constructor.SafeConstructor().construct_document(target.root)
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, dict):
        raise Unfixable("no jobs")
    for job_id, job in jobs.items():
        if not isinstance(job, dict) or "permissions" in job:
            continue
        if isinstance(job.get("uses"), str):
            raise Unfixable(f"job {job_id} calls a reusable workflow, which may need more: set permissions by hand")
        for step in job.get("steps") or []:
            if not isinstance(step, dict):
                continue
            uses = str(step.get("uses") or "").split("@", 1)[0]
            if any(uses.lower() == action.lower() or uses.lower().startswith(action.lower() + "/")
                   for action in NEEDS_MORE_THAN_READ):
                raise Unfixable(f"job {job_id} uses {uses}, which needs more than contents: read")
            if _WRITES.search(str(step.get("run") or "")):
                raise Unfixable(f"job {job_id} writes through the token (git push, gh, ghcr.io): set permissions by hand")
    return set_path(target, target.root, ["permissions"], {"contents": "read"}, before="jobs")
