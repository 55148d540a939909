"""Checks over a workflow's parsed expressions and its job graph, one `Problem` per finding.

Each function takes a document and returns its problems; `relations.py` turns them into views
that the policies (`gha-expression-invalid`, `gha-if-always-true`, `gha-secrets-*`,
`gha-bot-condition`, `gha-needs-invalid`, `gha-step-id-duplicate`, `gha-cron-invalid`) judge.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from policylint.core.documents import Document
from policylint.kinds.github_actions.contexts import Site, sites
from policylint.kinds.github_actions.expressions import (
    CONTEXTS,
    FUNCTIONS,
    STATUS_FUNCTIONS,
    ExpressionError,
    Node,
    parse,
    problems,
    reference,
    walk,
)
from policylint.kinds.github_actions.loader import EXPRESSION_STEP, iter_jobs, iter_steps

#: Longest expression text a message quotes.
_SHOWN = 80
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(slots=True)
class Problem:
    """One finding's place (a document pointer), its message fields and the facts a policy reads."""

    pointer: tuple[Any, ...]
    fields: dict[str, Any]
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Parsed:
    """One `${{ }}` (or a bare `if:` condition) of a site: its text, tree or error, and anchor."""

    site: Site
    number: int
    text: str
    tree: Node | None
    error: str
    anchor: tuple[Any, ...]


def shown(text: str) -> str:
    """The expression as a message quotes it: one line, at most `_SHOWN` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _SHOWN else flat[: _SHOWN - 1] + "…"


def where(site: Site) -> str:
    """`jobs.build.steps[2].run`: the key of a site, as a message names it."""
    parts: list[str] = []
    for step in site.pointer:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        else:
            parts.append(("." if parts else "") + str(step))
    label = str(site.extra.get("label") or "")
    if label and "${{" not in label:
        return "".join(parts) + f" (step {shown(label)[:60]})"
    return "".join(parts)


def _expressions(text: str) -> Iterator[tuple[int, str | None]]:
    """(offset, inner text) of each `${{ }}`; inner None for an unterminated one."""
    position = 0
    while True:
        start = text.find("${{", position)
        if start < 0:
            return
        end = _closing(text, start + 3)
        if end < 0:
            yield start, None
            return
        yield start, text[start + 3 : end]
        position = end + 2


def _closing(text: str, position: int) -> int:
    """Offset of the `}}` that closes an expression, skipping `}}` inside string literals."""
    quoted = False
    index = position
    while index < len(text) - 1:
        char = text[index]
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "}" and text[index + 1] == "}":
            return index
        index += 1
    # an unbalanced quote: fall back to the first `}}` (GitHub reports the quote)
    return text.find("}}", position)


def is_fenced_whole(text: str) -> bool:
    """True when the text is exactly one `${{ }}` (an `if:` GitHub evaluates as an expression)."""
    found = list(_expressions(text))
    return len(found) == 1 and found[0][0] == 0 and found[0][1] is not None and text.endswith("}}") and (
        len(found[0][1]) + 5 == len(text)
    )


def parsed_expressions(doc: Document) -> list[Parsed]:
    """Every expression of the document, parsed once (conditions without `${{ }}` included)."""
    found: list[Parsed] = []
    for site in sites(doc):
        text = site.text
        if site.condition and "${{" not in text:
            if text.strip():
                found.append(_parse(site, 0, text, site.pointer))
            continue
        for number, (offset, inner) in enumerate(_expressions(text)):
            anchor = (*site.pointer, EXPRESSION_STEP, number)
            if anchor not in doc.positions:
                anchor = site.pointer
            if inner is None:
                found.append(Parsed(site, number, text[offset + 3 :].strip(), None, "the expression is not closed with }}", anchor))
            else:
                found.append(_parse(site, number, inner, anchor))
    return found


def _parse(site: Site, number: int, text: str, anchor: tuple[Any, ...]) -> Parsed:
    try:
        return Parsed(site, number, text.strip(), parse(text), "", anchor)
    except ExpressionError as exc:
        return Parsed(site, number, text.strip(), None, str(exc), anchor)


def _context_problems(item: Parsed) -> list[str]:
    """Contexts and special functions used where the key's row does not allow them, and names
    (`needs.x`, `steps.x`, `inputs.x`, `matrix`) the job or workflow does not declare."""
    site, tree = item.site, item.tree
    assert tree is not None
    found: list[str] = []
    for node in walk(tree):
        if node.kind == "context":
            name = str(node.value)
            if name not in site.contexts and name in _ALL_CONTEXTS:
                allowed = ", ".join(sorted(site.contexts))
                found.append(f"the {name} context is not available in {_row_name(site.key)} (only {allowed})")
            elif name == "matrix" and not site.has_matrix:
                found.append(f"matrix is used but job {site.job_id} has no strategy.matrix")
        elif node.kind == "call":
            name = str(node.value).lower()
            spelling = FUNCTIONS.get(name, (name,))[0]
            if name in STATUS_FUNCTIONS and name not in {f.lower() for f in site.functions}:
                found.append(f"{spelling}() is only available in if:")
            elif name == "hashfiles" and "hashFiles" not in site.functions:
                found.append("hashFiles() is only available in step keys")
    for path in _paths(tree):
        head, _, rest = path.partition(".")
        name = rest.split(".", 1)[0]
        if not name or name == "*":
            continue
        if head == "needs" and site.needs is not None and name not in site.needs and head in site.contexts:
            found.append(f"needs.{name}: job {site.job_id} does not list {name} in needs")
        elif head == "steps" and site.step_ids is not None and name not in site.step_ids and head in site.contexts:
            found.append(f"steps.{name}: no earlier step of this job has id {name}")
        elif head == "inputs" and site.inputs is not None and name not in site.inputs and head in site.contexts:
            found.append(f"inputs.{name}: the workflow declares no input {name}")
        elif path.startswith("github.event.inputs.") and site.dispatch_inputs is not None:
            key = path.split(".")[3]
            if key != "*" and key not in site.dispatch_inputs:
                found.append(f"github.event.inputs.{key}: workflow_dispatch declares no input {key}")
    return list(dict.fromkeys(found))


def _row_name(key: str) -> str:
    """`job if:` for `jobs.<job_id>.if`, `step run:` for `jobs.<job_id>.steps.run`."""
    if key.startswith("jobs.<job_id>.steps."):
        return f"step {key.rsplit('.', 1)[1]}:"
    if key.startswith("jobs.<job_id>."):
        return f"job {key[len('jobs.<job_id>.'):].replace('.<service_id>', '').replace('.<env_id>', '')}:"
    return f"{key}:"


_ALL_CONTEXTS = frozenset(CONTEXTS)


def _paths(tree: Node) -> list[str]:
    found: list[str] = []
    for node in walk(tree):
        if node.kind in ("property", "index", "filter"):
            path = reference(node)
            if path is not None:
                found.append(path)
    return found


def expression_problems(doc: Document, parsed: Iterable[Parsed]) -> list[Problem]:
    """gha-expression-invalid: syntax errors, unknown functions and contexts, wrong arity,
    contexts and functions used where GitHub does not provide them."""
    found: list[Problem] = []
    for item in parsed:
        if item.tree is None:
            reasons = [item.error]
        else:
            reasons = problems(item.tree)
            if item.site.key != "action":
                reasons += _context_problems(item)
        for reason in dict.fromkeys(reasons):
            found.append(Problem(item.anchor, {"expression": shown(item.text), "where": where(item.site), "problem": reason}))
    return found


def unsound_conditions(doc: Document) -> list[Problem]:
    """gha-if-always-true: an `if:` holding `${{ }}` and any other text (a trailing newline of a
    `|` block included) is a non-empty string, which GitHub treats as true."""
    found: list[Problem] = []
    for site in sites(doc):
        if not site.condition or "${{" not in site.text or is_fenced_whole(site.text):
            continue
        condition = shown(site.text)
        if is_fenced_whole(site.text.strip()):
            condition += " followed by a newline"
        found.append(Problem(site.pointer, {"condition": condition, "where": where(site)}))
    return found


#: Bot accounts' logins end so; `github.actor` equal to one is spoofable in these events.
_BOT_SUFFIX = "[bot]"
_ACTOR_PATHS = ("github.actor", "github.triggering_actor")
_ACTOR_ID_PATHS = ("github.actor_id", "github.triggering_actor_id")
#: User ids of the common bots (dependabot[bot], renovate[bot], github-actions[bot]).
_BOT_IDS = frozenset({"49699333", "29139614", "41898282"})
_AUTHOR_PATH = "github.event.pull_request.user.login"


def bot_conditions(parsed: Iterable[Parsed]) -> list[Problem]:
    """gha-bot-condition: an `if:` comparing `github.actor`/`github.triggering_actor` with a bot
    login (`==`, or `contains`/`startsWith`/`endsWith` with a `[bot]` literal), or their `_id`
    with a known bot's id. Not when the same conjunction also tests the pull request's author."""
    found: list[Problem] = []
    for item in parsed:
        if not item.site.condition or item.tree is None:
            continue
        if _tests_author(item.tree):
            continue
        for node in walk(item.tree):
            pair = _actor_and_literal(node)
            if pair is None:
                continue
            actor, literal = pair
            found.append(Problem(item.anchor, {"expression": shown(item.text), "actor": actor, "bot": literal,
                                               "where": where(item.site)}))
            break
    return found


def _tests_author(tree: Node) -> bool:
    """True when `&&` joins the condition with `github.event.pull_request.user.login == '…[bot]'`."""
    operands = [tree]
    conjuncts: list[Node] = []
    while operands:
        node = operands.pop()
        if node.kind == "binary" and node.value == "&&":
            operands.extend(node.children)
        else:
            conjuncts.append(node)
    return len(conjuncts) > 1 and any(
        node.kind == "binary" and node.value == "==" and any(reference(child) == _AUTHOR_PATH for child in node.children)
        for node in conjuncts
    )


def _actor_and_literal(node: Node) -> tuple[str, str] | None:
    comparison = node.kind == "binary" and node.value == "=="
    test = node.kind == "call" and str(node.value).lower() in ("contains", "startswith", "endswith") and len(node.children) == 2
    if not (comparison or test):
        return None
    operands = node.children
    paths = [reference(child) for child in operands]
    literals = [child.value for child in operands if child.kind == "literal" and child.value is not None]
    actor = next((path for path in paths if path in _ACTOR_PATHS), None)
    literal = next((value for value in literals if isinstance(value, str)), None)
    if actor and isinstance(literal, str) and literal.lower().endswith(_BOT_SUFFIX):
        return actor, literal
    actor_id = next((path for path in paths if path in _ACTOR_ID_PATHS), None)
    number = next((str(int(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
                   for value in literals), None)
    if comparison and actor_id and number in _BOT_IDS:
        return actor_id, f"bot id {number}"
    return None


def secret_exposures(parsed: Iterable[Parsed]) -> tuple[list[Problem], list[Problem]]:
    """(gha-secrets-overprovisioned, gha-secrets-unredacted): `toJSON(secrets)` or `secrets[<not a
    literal>]` hand the job every secret; `fromJSON(secrets.X).y` yields text GitHub does not mask."""
    over: list[Problem] = []
    unredacted: list[Problem] = []
    for item in parsed:
        if item.tree is None:
            continue
        fields = {"expression": shown(item.text), "where": where(item.site)}
        for node in walk(item.tree):
            if node.kind == "context" and node.value == "secrets" and _whole_secrets(item.tree, node):
                over.append(Problem(item.anchor, {**fields, "how": "passes the whole secrets context"}))
                break
            if node.kind == "index" and reference(node.children[0]) == "secrets" and not (
                node.children[1].kind == "literal" and isinstance(node.children[1].value, str)
            ):
                over.append(Problem(item.anchor, {**fields, "how": "indexes secrets with a computed name"}))
                break
        for node in walk(item.tree):
            if node.kind in ("property", "index") and _is_parsed_secret(node.children[0]):
                unredacted.append(Problem(item.anchor, fields))
                break
    return over, unredacted


def _whole_secrets(tree: Node, target: Node) -> bool:
    """True when the bare `secrets` context (not `secrets.X`) is an operand somewhere."""
    return all(not (node.kind in ("property", "index", "filter") and node.children[0] is target) for node in walk(tree))


def _is_parsed_secret(node: Node) -> bool:
    return node.kind == "call" and str(node.value).lower() == "fromjson" and len(node.children) == 1 and any(
        (reference(child) or "").startswith("secrets") for child in walk(node.children[0])
    )


def needs_problems(doc: Document) -> list[Problem]:
    """gha-needs-invalid: `needs:` naming a job that does not exist, or a cycle in the graph."""
    jobs = {job_id.lower(): job_id for job_id, _, _ in iter_jobs(doc)}
    graph: dict[str, list[str]] = {}
    found: list[Problem] = []
    for job_id, job, pointer in iter_jobs(doc):
        needs = job.get("needs")
        entries = [needs] if isinstance(needs, str) else needs if isinstance(needs, list) else []
        graph[job_id.lower()] = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, str) or "${{" in entry:
                continue
            at = (*pointer, "needs") if isinstance(needs, str) else (*pointer, "needs", index)
            if entry.lower() in graph[job_id.lower()]:
                found.append(Problem(at, {"job": job_id, "problem": f"lists {entry} twice in needs (job ids are case-insensitive)"}))
            elif entry.lower() not in jobs:
                found.append(Problem(at, {"job": job_id, "problem": f"needs {entry}, which is not a job of this workflow"}))
            else:
                graph[job_id.lower()].append(entry.lower())
    for cycle in _cycles(graph):
        first = jobs[cycle[0]]
        path = " -> ".join(jobs[name] for name in [*cycle, cycle[0]])
        found.append(Problem(("jobs", first, "needs"), {"job": first, "problem": f"is in a needs cycle ({path})"}))
    return found


def _cycles(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of jobs (or a job that needs itself), in file order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = [0]

    def connect(node: str) -> None:  # Tarjan, iterative enough for real workflows (a few hundred jobs)
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                order = list(graph)
                groups.append(sorted(group, key=order.index))

    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * len(graph) + 100))
    try:
        for node in graph:
            if node not in index:
                connect(node)
    finally:
        sys.setrecursionlimit(limit)
    order = list(graph)
    return sorted(groups, key=lambda group: order.index(group[0]))


def step_id_problems(doc: Document) -> list[Problem]:
    """gha-step-id-duplicate: two steps of one job (or composite action) with the same id
    (case-insensitive, as contexts are), or an id that is not an identifier."""
    found: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    for job_id, index, step, pointer in iter_steps(doc):
        step_id = step.get("id")
        if step_id is None:
            continue
        text = str(step_id)
        where_ = f"job {job_id}" if job_id else "the action"
        if not _IDENTIFIER.match(text):
            found.append(Problem((*pointer, "id"), {"id": text, "problem": f"step id {text!r} in {where_} is not a valid identifier "
                                                    "(a letter or _, then letters, digits, - or _)"}))
            continue
        key = (job_id, text.lower())
        if key in seen:
            problem = f"step id {text} in {where_} is already used by step {seen[key] + 1}"
            found.append(Problem((*pointer, "id"), {"id": text, "problem": problem}))
        else:
            seen[key] = index
    return found


__all__ = [
    "Parsed",
    "Problem",
    "bot_conditions",
    "expression_problems",
    "needs_problems",
    "parsed_expressions",
    "secret_exposures",
    "step_id_problems",
    "unsound_conditions",
]


# --- schedules -------------------------------------------------------------------------------

_CRON_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")),
    ("day of week", 0, 6, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
#: GitHub runs scheduled workflows at most every 5 minutes.
MIN_INTERVAL_MINUTES = 5


class CronError(ValueError):
    """The cron text is not one GitHub accepts; the message says which field and why."""


def cron_values(expression: str) -> list[set[int]]:
    """The values each of the five POSIX cron fields selects (names and `*/n`, `a-b/n`, lists)."""
    fields = expression.split()
    if len(fields) != 5:
        raise CronError(f"a cron has 5 fields (minute hour day-of-month month day-of-week), this one has {len(fields)}")
    return [_cron_field(text, *spec) for text, spec in zip(fields, _CRON_FIELDS, strict=True)]


def _cron_value(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> int:
    lowered = text.lower()
    if lowered in names:
        return names.index(lowered) + low
    if not text.isdigit():
        raise CronError(f"{name} field: {text!r} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"{name} field: {value} is outside {low}-{high}")
    return value


def _cron_field(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise CronError(f"{name} field: empty list item in {text!r}")
        span, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"{name} field: step {step_text!r} is not a positive number")
            step = int(step_text)
        if span == "*":
            start, end = low, high
        elif "-" in span:
            first, _, last = span.partition("-")
            start, end = _cron_value(first, name, low, high, names), _cron_value(last, name, low, high, names)
            if start > end:
                raise CronError(f"{name} field: range {span} runs backwards")
        else:
            start = _cron_value(span, name, low, high, names)
            end = high if slash else start
        values.update(range(start, end + 1, step))
    return values


def shortest_interval(minutes: set[int]) -> int:
    """The shortest gap in minutes between two runs within an hour (60 for one minute value)."""
    ordered = sorted(minutes)
    if len(ordered) < 2:
        return 60
    gaps = [later - earlier for earlier, later in itertools.pairwise(ordered)]
    gaps.append(ordered[0] + 60 - ordered[-1])
    return min(gaps)


def _known_timezone(name: str) -> bool:
    """True for an IANA zone name, or when this Python has no time zone data to ask (then no finding)."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
        return True
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return not zoneinfo.available_timezones()


def cron_problems(doc: Document) -> list[Problem]:
    """gha-cron-invalid: an `on.schedule` cron that does not parse or runs more often than every 5 minutes."""
    on = doc.data.get("on") if isinstance(doc.data, Mapping) else None
    schedule = on.get("schedule") if isinstance(on, Mapping) else None
    if not isinstance(schedule, list):
        return []
    found: list[Problem] = []
    for index, entry in enumerate(schedule):
        cron = entry.get("cron") if isinstance(entry, Mapping) else None
        zone = entry.get("timezone") if isinstance(entry, Mapping) else None
        if isinstance(zone, str) and zone and "${{" not in zone and not _known_timezone(zone):
            problem = f"timezone {zone!r} is not an IANA time zone name"
            found.append(Problem(("on", "schedule", index, "timezone"), {"cron": cron, "problem": problem}))
        if not isinstance(cron, str) or cron.strip().startswith("$"):
            continue  # a starter-workflow template variable (`$cron-weekly`), filled in when the template is used
        pointer = ("on", "schedule", index, "cron")
        try:
            minutes = cron_values(cron)[0]
        except CronError as exc:
            found.append(Problem(pointer, {"cron": cron, "problem": str(exc)}))
            continue
        gap = shortest_interval(minutes)
        if gap < MIN_INTERVAL_MINUTES:
            found.append(Problem(pointer, {"cron": cron, "problem": f"it runs every {gap} minute{'s' if gap > 1 else ''}; "
                                           f"GitHub runs schedules at most every {MIN_INTERVAL_MINUTES} minutes"}))
    return found


# --- triggers --------------------------------------------------------------------------------

def trigger_pointer(doc: Document, trigger: str) -> tuple[Any, ...]:
    """The `on:` entry naming a trigger (its key in a mapping, its item in a list, else `on`)."""
    on = doc.data.get("on") if isinstance(doc.data, Mapping) else None
    if isinstance(on, Mapping) and trigger in on:
        return ("on", trigger)
    if isinstance(on, list) and trigger in on:
        return ("on", on.index(trigger))
    return ("on",)


def publish_triggers(data: Mapping[str, Any]) -> list[str]:
    """The triggers under which a workflow publishes: `release`, a push of tags, `workflow_dispatch`."""
    on = data.get("on")
    names = [on] if isinstance(on, str) else [str(item) for item in on] if isinstance(on, list) else []
    found = [name for name in names if name in ("release", "workflow_dispatch")]
    if isinstance(on, Mapping):
        for name in ("release", "workflow_dispatch"):
            if name in on:
                found.append(name)
        push = on.get("push")
        if isinstance(push, Mapping) and push.get("tags"):  # `tags-ignore` alone runs on branch pushes only
            found.append("push of tags")
    return found


# --- writes to $GITHUB_ENV and $GITHUB_PATH ---------------------------------------------------

_ENV_FILE = r"""["']?(?:\$\{?(?:env:)?GITHUB_(?P<file>ENV|PATH)\}?|%GITHUB_(?P<cmdfile>ENV|PATH)%|\$env:GITHUB_(?P<psfile>ENV|PATH))["']?"""
_ENV_WRITE = re.compile(
    r"(?:>>?|\|\s*tee\b(?:\s+-a|\s+--append)?|\b(?:Out-File|Add-Content|Set-Content)\b(?:\s+-\w+)*)\s*" + _ENV_FILE,
    re.IGNORECASE,
)
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")
_SHELL_VARIABLE = re.compile(r"\$\{?(?:env:)?([A-Za-z_][A-Za-z0-9_]*)")
_READS_OUTPUT = re.compile(r"\$\(|`|\bcat\b|<\s*[\w./$\"]")


@dataclass(slots=True)
class EnvWrite:
    """One command of a script that writes to the env or path file: its line, the text it
    writes (the line, a heredoc's body or a `{ ...; } >> file` group) and which file."""

    line: int
    text: str
    file: str


def env_file_writes(script: str, lines: list[str]) -> list[EnvWrite]:
    """The writes to `$GITHUB_ENV`/`$GITHUB_PATH` of a script (`lines`: its logical lines)."""
    raw = script.split("\n")
    found: list[EnvWrite] = []
    for number, line in enumerate(lines):
        match = _ENV_WRITE.search(line)
        if match is None:
            continue
        file = "GITHUB_" + (match.group("file") or match.group("cmdfile") or match.group("psfile")).upper()
        text = line
        heredoc = _HEREDOC.search(line)
        if heredoc:
            body: list[str] = []
            for later in raw[number + 1 :]:
                if later.strip() == heredoc.group(2):
                    break
                body.append(later)
            text = "\n".join(body)
        elif line.strip().startswith(("}", ")")):  # `{ ...; } >> "$GITHUB_ENV"`: the group's lines
            for start in range(number - 1, -1, -1):
                if raw[start].strip() in ("{", "(") or raw[start].strip().startswith(("{ ", "( ")):
                    text = "\n".join(raw[start : number + 1])
                    break
        found.append(EnvWrite(number, text, file))
    return found


def shell_variables(text: str) -> list[str]:
    """The names of the shell variables (`$X`, `${X}`, `$env:X`) a text reads."""
    return list(dict.fromkeys(match.group(1) for match in _SHELL_VARIABLE.finditer(text)))


def reads_output(text: str) -> bool:
    """True when the written text holds a command's output or a file's content."""
    return bool(_READS_OUTPUT.search(text))


_ASSIGNMENT = re.compile(r"^\s*(?:export\s+|local\s+|readonly\s+|declare(?:\s+-\w+)*\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def shell_assignment(line: str) -> tuple[str, str] | None:
    """(name, value text) when a script line sets a shell variable (`name=...`, `export name=...`)."""
    match = _ASSIGNMENT.match(line)
    return (match.group(1), match.group(2)) if match else None


_PATTERN_TEST = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?\"?\s*=~")


def validated_variables(line: str) -> list[str]:
    """Variables a line tests against a regular expression (`[[ "$X" =~ ^[0-9]+$ ]]`), which a
    script does to reject unsafe values before using them."""
    return [match.group(1) for match in _PATTERN_TEST.finditer(line)]
